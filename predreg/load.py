"""Finding a registry's files and loading each one into a model record.

Layout of a registry (the folder passed to ``predreg check``)::

    authors.yaml                      who may forecast
    questions/<id>.yaml               shared questions
    predictions/<author>/<id>.yaml    one forecast each
    resolutions/<question id>.yaml    outcomes (corrections: <question id>.<n>.yaml)
    reveals/<prediction id>.yaml      hidden forecasts revealed (commit-reveal)
    withdrawals/<prediction id>.yaml  forecasts their author no longer stands by (still scored)
    evidence/<sha256>                 stored evidence bodies

Loading a file is a pure function of its bytes, so it can run in any process.
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

AUTHORS_FILE = "authors.yaml"
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
FOLDERS = {
    "questions": "question",
    "predictions": "prediction",
    "resolutions": "resolution",
    "reveals": "reveal",
    "withdrawals": "withdrawal",
}


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


@attrs.frozen
class Layout:
    """The files of a registry, by kind, and the problems of where files are."""

    root: str
    files: list[tuple[str, str]]  # (path, kind), sorted by path
    problems: list[Problem]


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


def discover(root: str) -> Layout:
    """List a registry's files without reading them, reporting misplaced ones.

    Nothing behind a symbolic link is listed: a linked folder is reported and not
    walked into (its records would live outside the registry, and change with no
    registry file changing). A linked, special or folder-shaped entry named like a
    record is listed, so that loading it refuses it by name, unread.
    """
    files: list[tuple[str, str]] = []
    problems: list[Problem] = []
    authors = os.path.join(root, AUTHORS_FILE)
    if os.path.lexists(authors):
        files.append((authors, "authors"))
    else:
        problems.append(
            Problem(authors, 1, 1, "file", "is missing", "list the authors: `authors: {forecaster-a: {name: ...}}`")
        )
    for folder, kind in FOLDERS.items():
        base = os.path.join(root, folder)
        if os.path.islink(base):
            problems.append(_linked_folder(base))
        elif os.path.isdir(base):
            _walk(base, kind, 0, files, problems)
    files.sort()
    return Layout(root, files, problems)


def _walk(folder: str, kind: str, depth: int, files: list[tuple[str, str]], problems: list[Problem]) -> None:
    """Add the records under ``folder`` (``depth`` levels below its kind's folder) to ``files``."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:  # unreadable, or swapped for something else since it was listed
        problems.append(Problem(folder, 1, 1, "folder", "cannot be read", "check its permissions"))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.name.endswith(".yaml") or not entry.is_dir(follow_symlinks=True):
            misplaced = _misplaced(entry.name, kind, depth)
            if misplaced:
                problems.append(Problem(entry.path, 1, 1, "file", *misplaced))
            elif entry.name.endswith(".yaml"):
                files.append((entry.path, kind))
        elif entry.is_symlink():
            problems.append(_linked_folder(entry.path))
        else:
            _walk(entry.path, kind, depth + 1, files, problems)


def _linked_folder(path: str) -> Problem:
    return Problem(
        path,
        1,
        1,
        "folder",
        "is a symbolic link, which is not followed",
        "make it a folder of the registry itself, holding the records",
    )


def _misplaced(name: str, kind: str, depth: int) -> tuple[str, str] | None:
    if name.lower().endswith((".yml", ".yaml")) and not name.endswith(".yaml"):
        return ("is not read: registry files end in `.yaml`", f"rename it to {name.rsplit('.', 1)[0]}.yaml")
    if not name.endswith(".yaml"):
        return None
    wanted = 1 if kind == "prediction" else 0
    if depth != wanted:
        where = "predictions/<author>/<id>.yaml" if kind == "prediction" else f"{kind}s/<id>.yaml"
        return ("is not where this kind of file belongs", f"move it to {where}")
    return None
