"""Optional dependencies (the package's extras), imported in one place.

A missing extra is an install to make, not a bug: :func:`require` turns the
``ImportError`` into :class:`MissingExtra`, whose message names the ``pip install``
that fixes it, and the CLI prints it as one line.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingExtra(Exception):
    """An optional dependency cannot be imported; the message names the extra that brings it."""

    def __init__(self, module: str, extra: str, purpose: str, missing: str | None) -> None:
        why = "is not installed" if missing in (None, module) else f"cannot be imported (no module {missing})"
        super().__init__(f"{purpose}: needs {module}, which {why}; run: pip install 'predreg[{extra}]'")
        self.module = module
        self.extra = extra


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module`` (from the extra ``extra``, needed for ``purpose``), or raise :class:`MissingExtra`.

    A dependency of the module that is missing (a half-installed matplotlib) counts too:
    installing the extra again is the fix either way.
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise MissingExtra(module, extra, purpose, error.name) from None
