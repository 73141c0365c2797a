"""Optional dependencies (the package's extras), imported in one place.

A missing extra is an install to make, not a bug: :func:`require` turns the
``ImportError`` into :class:`MissingExtra`, whose message names the ``pip install``
that fixes it, and the CLI prints it as one line.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import MissingExtra


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module`` (from the extra ``extra``, needed for ``purpose``), or raise :class:`MissingExtra`.

    A dependency of the module that is missing (a half-installed matplotlib) counts too:
    installing the extra again is the fix either way.
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise MissingExtra(module, extra, purpose, error.name) from None
