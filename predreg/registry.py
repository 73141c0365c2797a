"""The registry as files: where each kind of record lives, and every way of taking records from it.

Layout of a registry (the folder passed to ``predreg check``)::

    authors.yaml                      who may forecast
    questions/<id>.yaml               shared questions
    predictions/<author>/<id>.yaml    one forecast each
    resolutions/<question id>.yaml    outcomes (corrections: <question id>.<n>.yaml)
    reveals/<prediction id>.yaml      hidden forecasts revealed (commit-reveal)
    withdrawals/<prediction id>.yaml  forecasts their author no longer stands by (still scored)
    evidence/<sha256>                 stored evidence bodies
    .predreg/                         local state, never committed: the index, the HTTP cache, locks

Every source here gives the same thing, ``Records``: each file as ``Loaded``, with the
problems of where files are. A walk reads the whole tree (through the index, if asked);
a closure reads some files and what they refer to; shard lines rebuild files another
process read. ``checks.check_registry`` then applies the rules to whichever it is given.
"""

from __future__ import annotations

import os
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import attrs

from . import codec
from .load import Loaded, load_file, load_files
from .model import Author, Prediction, Question, Resolution, Reveal, Withdrawal
from .problems import Problem

AUTHORS_FILE = "authors.yaml"
FOLDERS = {
    "questions": "question",
    "predictions": "prediction",
    "resolutions": "resolution",
    "reveals": "reveal",
    "withdrawals": "withdrawal",
}
"""Each record folder and the kind of record it holds."""
LOCAL_STATE = ".predreg"
"""The folder of a registry's local state (the index, the HTTP cache, the resolve lock)."""


def normalised(identifier: str) -> str:
    """The form two ids must not share: NFKC, case-folded (``Foo`` = ``foo`` = ``ｆｏｏ``)."""
    if identifier.isascii():  # NFKC leaves ASCII as it is, and casefold is lower there
        return identifier.lower()
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", identifier).casefold())


@attrs.frozen
class Registry:
    """A checked registry: its valid records, and every problem found."""

    root: str
    authors: dict[str, Author]
    questions: dict[str, Question]
    predictions: dict[str, Prediction]
    resolutions: dict[str, list[Resolution]]
    """Per question id, the original resolution then its corrections, in order."""
    files: dict[str, str]
    """Record id -> path of the file that holds it (predictions and questions)."""
    problems: list[Problem]
    paths: tuple[str, ...] = ()
    """Every registry file read, sorted: the pytest plugin's items."""
    reveals: dict[str, Reveal] = attrs.field(factory=dict)
    """Prediction id -> the reveal of its commitment (valid ones)."""
    withdrawals: dict[str, Withdrawal] = attrs.field(factory=dict)
    """Prediction id -> its withdrawal. Withdrawn forecasts are still scored."""
    resolution_files: dict[str, tuple[str, ...]] = attrs.field(factory=dict)
    """Per question id, the files of its resolution chain, in the order of ``resolutions``."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def resolution(self, question_id: str) -> Resolution | None:
        """The standing resolution of a question: the last correction, if any."""
        chain = self.resolutions.get(question_id)
        return chain[-1] if chain else None

    def resolution_file(self, question_id: str) -> str | None:
        """The file of the standing resolution of a question (None if unknown)."""
        files = self.resolution_files.get(question_id)
        return files[-1] if files else None

    def problems_in(self, paths: Iterable[str]) -> list[Problem]:
        """The problems of the files at ``paths`` alone."""
        wanted = set(paths)
        return [problem for problem in self.problems if problem.path in wanted]


def kind_of(relative: str) -> str | None:
    """The record kind of a path inside a registry ("evidence" for stored bodies), or None."""
    parts = relative.split("/")
    if parts == [AUTHORS_FILE]:
        return "authors"
    if len(parts) == 2 and parts[0] == "evidence":
        return "evidence"
    if not relative.endswith(".yaml"):
        return None
    if len(parts) == 2 and parts[0] in ("questions", "resolutions", "reveals", "withdrawals"):
        return FOLDERS[parts[0]]
    if len(parts) == 3 and parts[0] == "predictions":
        return "prediction"
    return None


def question_of(relative: str) -> str:
    """The question id of a resolution file: `<qid>.yaml` or `<qid>.<n>.yaml`."""
    stem = relative[relative.rfind("/") + 1 :].removesuffix(".yaml")
    head, _, tail = stem.rpartition(".")
    return head if head and tail.isdigit() else stem


def record_path(kind: str, record_id: str, author: str | None = None) -> str:
    """The registry-relative path of a record (``author``: a prediction's folder)."""
    if kind == "authors":
        return AUTHORS_FILE
    if kind == "prediction":
        return f"predictions/{author}/{record_id}.yaml"
    return f"{kind}s/{record_id}.yaml"


@attrs.frozen
class Layout:
    """Where a registry at ``root`` keeps each kind of record, and its local state."""

    root: str

    def path(self, relative: str) -> str:
        """The path of a registry-relative path, as the registry's files are named."""
        return os.path.join(self.root, relative)

    def relative(self, path: str) -> str:
        """A file's path inside the registry, with `/` between folders on every system."""
        return os.path.relpath(path, self.root).replace(os.sep, "/")

    def local(self, name: str) -> Path:
        """A file or folder of the local state: `index.sqlite`, `http`, `resolve.lock`, `last-run.json`."""
        return Path(self.root) / LOCAL_STATE / name

    def listing(self) -> Listing:
        """The registry's files by kind, without reading any, and the problems of where files are.

        Nothing behind a symbolic link is listed: a linked folder is reported and not
        walked into (its records would live outside the registry, and change with no
        registry file changing). A linked, special or folder-shaped entry named like a
        record is listed, so that loading it refuses it by name, unread.
        """
        files: list[tuple[str, str]] = []
        problems: list[Problem] = []
        authors = self.path(AUTHORS_FILE)
        if os.path.lexists(authors):
            files.append((authors, "authors"))
        else:
            hint = "list the authors: `authors: {forecaster-a: {name: ...}}`"
            problems.append(Problem(authors, 1, 1, "file", "is missing", hint))
        for folder, kind in FOLDERS.items():
            base = self.path(folder)
            if os.path.islink(base):
                problems.append(_linked_folder(base))
            elif os.path.isdir(base):
                _walk(base, kind, 0, files, problems)
        files.sort()
        return Listing(self.root, files, problems)


def locate(path: Path) -> tuple[Path, str] | None:
    """The registry root and kind of a file found on its own (as pytest finds it), if it is a record."""
    if path.suffix != ".yaml":
        return None
    if path.name == AUTHORS_FILE:
        return path.parent, "authors"
    if path.parent.parent.name == "predictions":
        return path.parent.parent.parent, "prediction"
    kind = FOLDERS.get(path.parent.name)
    if kind is not None and kind != "prediction":
        return path.parent.parent, kind
    return None


@attrs.frozen
class Listing:
    """The files of a registry, by kind, and the problems of where files are."""

    root: str
    files: list[tuple[str, str]]
    """(path, kind), sorted by path."""
    problems: list[Problem]

    def relative(self) -> set[str]:
        """Every file listed, relative to the root."""
        layout = Layout(self.root)
        return {layout.relative(path) for path, _ in self.files}


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


@attrs.frozen
class Records:
    """Records taken from a registry, for ``check_registry``: each file as loaded, and where files are wrong."""

    root: str
    loaded: tuple[Loaded, ...]
    problems: tuple[Problem, ...] = ()
    """The problems of where files are (misplaced, behind a link): they belong to no record."""
    paths: tuple[str, ...] = ()
    """Every registry file listed, sorted: the pytest plugin's items (none for a closure)."""


# --- the sources ---------------------------------------------------------------------------------


def walk(root: str, *, index: bool = False) -> Records:
    """Every file of the registry at ``root``, loaded; ``index`` reuses what ``.predreg/index.sqlite`` holds."""
    layout = Layout(root)
    listing = layout.listing()
    if index:
        from .index import load_registry_files  # sqlite, only when asked for

        loaded = load_registry_files(str(layout.local("index.sqlite")), listing.files)
    else:
        loaded = load_files(listing.files)
    return Records(root, tuple(loaded), tuple(listing.problems), tuple(path for path, _ in listing.files))


class Stems:
    """Question and prediction files by normalised record id (the file name), looked up on demand.

    A check looks up a few ids among a registry's many names. When every name is ASCII
    (the usual case) a lookup searches one lower-cased listing of them, which costs far
    less than filing 100,000 names by id first; a single non-ASCII name means filing them
    all, since NFKC can make different spellings equal.
    """

    def __init__(self, paths: Iterable[str]) -> None:
        self.listing = "\0" + "\0".join(paths) + "\0"
        self.lowered = self.listing.lower() if self.listing.isascii() else None
        self.filed: dict[str, list[str]] | None = None if self.lowered is not None else self._file_all()

    def of(self, identifier: str) -> list[str]:
        """The question and prediction files whose id is ``identifier``, once both are normalised."""
        key = normalised(identifier)
        if self.filed is not None:
            return self.filed.get(key, [])
        assert self.lowered is not None
        found, needle, at = [], f"/{key}.yaml\0", 0
        while (at := self.lowered.find(needle, at)) >= 0:
            start = self.lowered.rfind("\0", 0, at) + 1
            path = self.listing[start : at + len(needle) - 1]
            if path.startswith(("questions/", "predictions/")):
                found.append(path)
            at += len(needle) - 1
        return found

    def _file_all(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = defaultdict(list)
        for path in self.listing.split("\0"):
            if path.endswith(".yaml") and path.startswith(("questions/", "predictions/")):
                found[normalised(path[path.rindex("/") + 1 : -5])].append(path)
        return dict(found)


def references(record: Any) -> list[str]:
    """The ids a record refers to (its question, condition, revised prediction, revealed prediction)."""
    refs = [getattr(record, name, None) for name in ("question", "given", "supersedes", "prediction")]
    return [ref for ref in refs if isinstance(ref, str)]


def closure(
    root: str, mine: Sequence[str], present: set[str], stems: Stems | None = None, new: Loaded | None = None
) -> Records:
    """The files ``mine`` (and a ``new`` record not yet written), authors.yaml, and what they refer to.

    ``present`` lists the registry's files (relative); only those are ever read. ``new``
    takes the place of a file at its path, so it is checked as if written.
    """
    stems = stems if stems is not None else Stems(present)
    referred = [p for ref in references(new.record) for p in stems.of(ref)] if new else []
    loaded = load_closure(root, [AUTHORS_FILE, *mine, *referred], stems, present)
    if new is not None:
        loaded = [item for item in loaded if item.path != new.path] + [new]
    return Records(root, tuple(loaded))


def load_closure(root: str, first: list[str], stems: Stems, present: set[str]) -> list[Loaded]:
    """Load ``first`` and every record they refer to, and what those refer to."""
    loaded: dict[str, Loaded] = {}
    resolutions_of: dict[str, list[str]] = defaultdict(list)
    for path in present:
        if path.startswith("resolutions/"):
            resolutions_of[question_of(path)].append(path)
    queue = list(first)
    while queue:
        relative = queue.pop()
        # lexists, not is_file: a FIFO, a folder or a dangling link there is loaded, to be refused by name
        if relative in loaded or not os.path.lexists(os.path.join(root, relative)):
            continue
        kind = kind_of(relative)
        if kind is None or kind == "evidence":
            continue
        item = load_file(os.path.join(root, relative), kind)
        loaded[relative] = item
        queue += _followed(relative, item.record, stems, resolutions_of)
    return [loaded[path] for path in sorted(loaded)]


def _followed(relative: str, record: Any, stems: Stems, resolutions_of: dict[str, list[str]]) -> list[str]:
    """The files a closure reads because of ``record`` (at ``relative``): what it refers to, and what shares it."""
    refs: list[str] = []
    follow: list[str] = []
    if isinstance(record, Prediction):
        refs = [r for r in (record.question, record.given, record.supersedes) if r]
    elif isinstance(record, Reveal | Withdrawal):
        refs = [record.prediction]
    elif isinstance(record, Resolution):
        refs = [record.question]
        follow += resolutions_of.get(record.question, [])
    if isinstance(record, Prediction | Question):  # files sharing its id: the duplicate rule names both
        follow += stems.of(PurePosixPath(relative).name.removesuffix(".yaml"))
        if isinstance(record, Question) or record.question is None:  # it states a question: its resolutions
            follow += resolutions_of.get(record.id, [])
    for ref in refs:
        follow += stems.of(ref)
    return follow


SHARD_FORMAT = (
    "predreg-shard-2"  # 2: a resolver block travels as text with its positions; its settings are checked on merge
)
"""The first line of a shard's file names this format."""


def parse_shard(text: str) -> tuple[int, int]:
    """``I/N`` -> (I, N), 1 <= I <= N; ValueError otherwise."""
    index, _, count = text.partition("/")
    i, n = int(index), int(count)
    if not 1 <= i <= n:
        raise ValueError(f"{text!r}: the shard must be I/N with 1 <= I <= N")
    return i, n


def shard_lines(root: str, sources: Iterable[Iterable[str]]) -> Records:
    """The files that shards' lines hold, rebuilt without parsing; ValueError for lines no set of shards wrote."""
    files: list[Loaded] = []
    layout_problems: list[Problem] = []
    seen: dict[int, int] = {}  # shard index -> the count its header gives
    for lines in sources:
        for line in _lines(lines):
            if "format" in line:
                _header(line, seen)
            elif "layout" in line:
                layout_problems.append(codec.decode_problem(line["layout"], os.path.join(root, line["layout"]["path"])))
            else:
                files.append(codec.decode(line, os.path.join(root, line["path"])))
    count = next(iter(seen.values()), None)
    if count is None or len(seen) != count:
        missing = sorted(set(range(1, (count or 0) + 1)) - set(seen))
        raise ValueError(f"shards missing: {', '.join(f'{i}/{count}' for i in missing) or 'all'}")
    files.sort(key=lambda item: item.path)
    return Records(root, tuple(files), tuple(layout_problems), tuple(item.path for item in files))


def _header(line: dict[str, Any], seen: dict[int, int]) -> None:
    """Note a shard's header line in ``seen``; ValueError if it is no shard's, or does not fit those seen."""
    if line["format"] != SHARD_FORMAT:
        raise ValueError(f"not a predreg shard ({line['format']!r})")
    index, count = parse_shard(line["shard"])
    if any(other != count for other in seen.values()) or index in seen:
        raise ValueError(f"shard {line['shard']} does not fit the others")
    seen[index] = count


def _lines(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The lines of a shard's file as objects; ValueError, naming the line, for one no shard wrote."""
    for number, text in enumerate(lines, 1):
        if not text.strip():
            continue
        try:
            line = codec.loads(text)
        except ValueError as error:
            raise ValueError(f"line {number} is not JSON ({error})") from None
        if not isinstance(line, dict) or not ("format" in line or "layout" in line or codec.is_loaded(line)):
            raise ValueError(f"line {number} is not a line of a shard's file")
        yield line
