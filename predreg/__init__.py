"""predreg: a git-native registry of dated, scored predictions, and a pytest plugin.

The public API: load and check a registry, and the format's model classes.

The names are imported when first used (PEP 562), so that importing one module of the
package, ``predreg.model`` say, does not load the checker, the loader and PyYAML too.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .checks import Registry, check_registry
    from .model import Author, Link, Prediction, Question, Resolution, Resolver, Snapshot
    from .problems import Problem
    from .version import __version__

_HOMES = {
    "Author": "model",
    "Link": "model",
    "Prediction": "model",
    "Problem": "problems",
    "Question": "model",
    "Registry": "checks",
    "Resolution": "model",
    "Resolver": "model",
    "Snapshot": "model",
    "check_registry": "checks",
    "__version__": "version",
}

__all__ = [
    "Author",
    "Link",
    "Prediction",
    "Problem",
    "Question",
    "Registry",
    "Resolution",
    "Resolver",
    "Snapshot",
    "__version__",
    "check_registry",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'predreg' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value  # once found, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
