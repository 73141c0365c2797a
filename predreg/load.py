"""Loading each registry file into a model record.

Loading a file is a pure function of its bytes, so it can run in any process. Which
file holds which kind of record, and how files are found, is ``predreg.registry``'s.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import attrs

from . import parallel, safeyaml
from .fields import INVALID, Config, structure, value_of
from .files import NotRegular
from .model import Authors, Prediction, Question, Resolution, Resolver, Reveal, Withdrawal
from .problems import Problem, Problems

CLASSES: dict[str, type] = {
    "authors": Authors,
    "question": Question,
    "prediction": Prediction,
    "resolution": Resolution,
    "reveal": Reveal,
    "withdrawal": Withdrawal,
}
RESOLVER_KINDS = ("question", "prediction")
"""The kinds of record that may hold a resolver block (a prediction, for its inline question)."""


@attrs.frozen
class Loaded:
    """One registry file: its record (None if it could not be built) and its own problems."""

    path: str
    kind: str
    record: Any
    key_at: dict[str, tuple[int, int]]
    problems: tuple[Problem, ...]
    resolver: Resolver | None = None
    """The file's resolver block when its record could not be built, so that the check still
    checks its settings against the catalogue (None otherwise)."""

    @property
    def stem(self) -> str:
        return name_text(os.path.basename(self.path)).removesuffix(".yaml")

    def at(self, field: str) -> tuple[int, int]:
        """Where a top-level field was written (or the file's start)."""
        return self.key_at.get(field, (1, 1))


def load_file(path: str, kind: str) -> Loaded:
    """Read, parse and structure one file; never raises for bad content."""
    problems = Problems(path)
    try:
        text = safeyaml.read_text(path, problems)
    except NotRegular as refusal:
        problems.add((1, 1), "file", refusal.message, refusal.hint)
        text = None
    except OSError as error:
        problems.add((1, 1), "file", f"cannot be read ({error.strerror})", "check its permissions")
        text = None
    return load_text(path, kind, text, problems)


PARALLEL_FILES = 2000
"""From this many files to parse, they are parsed in worker processes, one per core."""
PIECES_PER_CORE = 4
"""Several pieces per worker, so the results of the first are unpickled while the rest are parsed."""

T = TypeVar("T")
R = TypeVar("R")


def in_pieces(function: Callable[[list[T]], list[R]], items: Sequence[T]) -> list[R]:
    """``function`` of all ``items`` (files to parse): here for a few, on every core from PARALLEL_FILES."""
    if len(items) < PARALLEL_FILES:
        return function(list(items))
    return [result for piece in parallel.split_map(function, items, PIECES_PER_CORE) for result in piece]


@parallel.collector_paused()
def load_files(files: Sequence[tuple[str, str]]) -> list[Loaded]:
    """Every (path, kind) loaded, in order; a large set is parsed on every core."""
    return in_pieces(_load_piece, files)


def _load_piece(files: list[tuple[str, str]]) -> list[Loaded]:
    return [load_file(path, kind) for path, kind in files]


def load_text(path: str, kind: str, text: str | None, problems: Problems | None = None) -> Loaded:
    """Parse and structure one file's text (None: it could not be read), as if read from ``path``."""
    problems = problems if problems is not None else Problems(path)
    record = resolver = None
    key_at: dict[str, tuple[int, int]] = {}
    if text is not None:
        node = safeyaml.parse(text, problems)
        if node is None and not problems:
            problems.add((1, 1), "file", "is empty", "write the record's fields, one `field: value` per line")
        elif node is not None:
            record = structure(CLASSES[kind], node, problems)
            if isinstance(node, safeyaml.Mapping):
                key_at = node.key_at
                resolver = _unbuilt_resolver(node, path) if record is None and kind in RESOLVER_KINDS else None
    return Loaded(path, kind, record, key_at, tuple(problems.items), resolver)


def _unbuilt_resolver(node: safeyaml.Mapping, path: str) -> Resolver | None:
    """The resolver block of a file whose record could not be built (its own problems are already recorded)."""
    if "resolver" not in node:
        return None
    resolver = value_of(Config(Resolver), node["resolver"], "resolver", Problems(path))
    return None if resolver is INVALID else resolver


UTF8_NAMES = sys.getfilesystemencoding() == "utf-8"
"""Whether Python reads file names as UTF-8 (everywhere but a non-UTF-8 locale with ``PYTHONUTF8=0``)."""


def name_text(name: str) -> str:
    """A file name as the text it spells in UTF-8, which is what a registry's names are.

    Under a locale that is not UTF-8 (``LC_ALL=C`` with ``PYTHONUTF8=0``) Python hands
    the bytes of `zoë` over as `zo` and two surrogates, which no id would ever equal.
    Everywhere else this returns ``name`` itself, at once (it runs for every file).
    """
    return name if UTF8_NAMES else os.fsencode(name).decode("utf-8", "surrogateescape")


def is_utf8(text: str) -> bool:
    """False for text holding bytes that are not UTF-8 (read as lone surrogates), which no file can hold."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
