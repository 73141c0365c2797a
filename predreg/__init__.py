"""predreg: a git-native registry of dated, scored predictions, and a pytest plugin.

The public API: load and check a registry, and the format's model classes.

The names are imported when first used (PEP 562), so that importing one module of the
package, ``predreg.model`` say, does not load the checker, the loader and PyYAML too.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model import Author, Link, Prediction, Question, Resolution, Resolver, Snapshot
    from .problems import Problem
    from .registry import Records, Registry
    from .version import __version__

_HOMES = {
    "Author": "model",
    "Link": "model",
    "Prediction": "model",
    "Problem": "problems",
    "Question": "model",
    "Records": "registry",
    "Registry": "registry",
    "Resolution": "model",
    "Resolver": "model",
    "Snapshot": "model",
    "__version__": "version",
}

__all__ = [
    "Author",
    "Link",
    "Prediction",
    "Problem",
    "Question",
    "Records",
    "Registry",
    "Resolution",
    "Resolver",
    "Snapshot",
    "__version__",
    "check_registry",
]


def check_registry(
    registry: str | os.PathLike[str] | Records,
    today: dt.date | None = None,
    *,
    index: bool = False,
    resolvers: Mapping[str, Any] | None = None,
) -> Registry:
    """Check a registry: the folder ``registry`` (through its index if ``index``), or records taken from one.

    ``today`` defaults to today's UTC date, and ``resolvers`` to the installed plugins'
    catalogue. The rules themselves are ``predreg.checks.check_registry``, which takes
    records, a date and a catalogue, and reads nothing.
    """
    from . import checks, plugins
    from .registry import Records, walk

    records = registry if isinstance(registry, Records) else walk(os.fspath(registry), index=index)
    today = today or dt.datetime.now(dt.UTC).date()
    return checks.check_registry(
        records, today=today, resolvers=plugins.catalogue() if resolvers is None else resolvers
    )


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'predreg' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value  # once found, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
