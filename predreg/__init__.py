"""predreg: a git-native registry of dated, scored predictions, and a pytest plugin.

The public API: load and check a registry, and the format's model classes.
"""

from __future__ import annotations

__version__ = "0.1.0"

import datetime as dt
import os
from collections.abc import Mapping
from typing import Any

from . import checks
from .model import Author, Link, Prediction, Question, Resolution, Resolver, Snapshot
from .problems import Problem
from .registry import Records, Registry, walk

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

    ``today`` defaults to today's UTC date. The rules themselves are
    ``predreg.checks.check_registry``, which takes records and a date and reads nothing.
    """
    records = registry if isinstance(registry, Records) else walk(os.fspath(registry), index=index)
    return checks.check_registry(records, today=today or dt.datetime.now(dt.UTC).date(), resolvers=resolvers)
