"""predreg: a git-native registry of dated, scored predictions, and a pytest plugin.

The public API: load and check a registry, and the format's model classes.
"""

from __future__ import annotations

from .checks import Registry, check_registry
from .model import Author, Link, Prediction, Question, Resolution, Resolver, Snapshot
from .problems import Problem
from .version import __version__

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
