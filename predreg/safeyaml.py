"""Safe YAML: a small, located subset of YAML read from libyaml's event stream.

Registered files are kept forever and come from strangers' pull requests, so the
reader accepts only what a prediction needs: one document of mappings, sequences
and untagged scalars. Anchors, aliases, tags, several documents, deep nesting and
big files are refused before they can cost anything. Scalars keep their text and
whether they were written plain, so the format layer (``predreg.fields``) decides
what ``yes``, ``0.7`` or ``"0.7"`` mean for each field instead of YAML 1.1 guessing.
"""

from __future__ import annotations

import os
from typing import Any

import yaml

from .files import read_regular
from .problems import Problems

try:  # libyaml's C parser when present: about 10x faster than pure Python
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_BYTES = 64 * 1024
MAX_DEPTH = 32

Position = tuple[int, int]


class Scalar:
    """A scalar's text, whether it was written plain (unquoted), and where."""

    __slots__ = ("col", "line", "plain", "text")

    def __init__(self, text: str, plain: bool, line: int, col: int) -> None:
        self.text = text
        self.plain = plain
        self.line = line
        self.col = col

    @property
    def at(self) -> Position:
        return (self.line, self.col)

    def __repr__(self) -> str:
        return f"Scalar({self.text!r}, plain={self.plain})"


class Mapping(dict[str, "Node"]):
    """A mapping with string keys; ``key_at`` gives where each key was written."""

    __slots__ = ("col", "key_at", "line")

    def __init__(self, line: int, col: int) -> None:
        super().__init__()
        self.line = line
        self.col = col
        self.key_at: dict[str, Position] = {}

    @property
    def at(self) -> Position:
        return (self.line, self.col)


class Sequence(list["Node"]):
    """A sequence, with where it starts."""

    __slots__ = ("col", "line")

    def __init__(self, line: int, col: int) -> None:
        super().__init__()
        self.line = line
        self.col = col

    @property
    def at(self) -> Position:
        return (self.line, self.col)


Node = Scalar | Mapping | Sequence


class _Refused(Exception):
    """Stops reading a file: the problem has been recorded already."""


def read_text(path: str | os.PathLike[str], problems: Problems) -> str | None:
    """Read a registry file as UTF-8 text, refusing big and non-UTF-8 files.

    Raises :class:`predreg.files.NotRegular` for a link, a folder, a FIFO ..., unread.
    """
    return decode(read_regular(path, MAX_BYTES + 1)[0], problems)


def decode(data: bytes, problems: Problems) -> str | None:
    """A registry file's bytes as UTF-8 text (a BOM dropped); None, with a problem, if too big or not UTF-8."""
    if len(data) > MAX_BYTES:
        problems.add(
            (1, 1),
            "file",
            f"is over {MAX_BYTES // 1024} KiB",
            "a prediction is a few hundred bytes; move long text to a linked page",
        )
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        col = error.start - (before.rfind(b"\n") + 1) + 1
        problems.add(
            (line, col),
            "file",
            f"is not UTF-8 (byte 0x{data[error.start]:02x})",
            "save the file as UTF-8",
        )
        return None


def parse(text: str, problems: Problems) -> Node | None:
    """Parse one YAML document into located nodes; on refusal record why and return None.

    When libyaml finds the text malformed, the pure-Python parser reads it again and
    its verdict is the one kept. libyaml scans ahead of the events it hands out, and
    what it stops on changes between its builds: PyYAML 6.0.4's wheels stop deep flow
    nesting at 1,000 levels, before the 33rd level ever reaches ``_build``. So every
    build words a malformed file the same way, in predreg's words where they apply.
    """
    if _Loader is yaml.SafeLoader:
        return _parse_with(yaml.SafeLoader, text, problems)[0]
    first = Problems(problems.path)
    node, error = _parse_with(_Loader, text, first)
    if error is None:
        problems.items.extend(first.items)
        return node
    prefix = _before_nesting_limit(text, error)
    if prefix is not None:
        # The pure-Python scanner takes a quarter of a second on a line of 1,000 open
        # brackets (benchmarks/malformed_speed.py). The text before libyaml's limit
        # is well formed up to there and holds the 33rd level, so libyaml reads that.
        before = Problems(problems.path)
        node, again = _parse_with(_Loader, prefix, before)
        if node is None and again is None and before:
            problems.items.extend(before.items)
            return None
    return _parse_with(yaml.SafeLoader, text, problems)[0]


def _before_nesting_limit(text: str, error: yaml.YAMLError) -> str | None:
    """The text before where libyaml stopped at its own nesting limit (PyYAML 6.0.4: 1,000); None for other errors."""
    if not isinstance(error, yaml.MarkedYAMLError) or "nesting depth" not in (error.problem or ""):
        return None
    mark = error.problem_mark
    return None if mark is None else text[: _offset_of(text, mark.line, mark.column)]


def _offset_of(text: str, line: int, column: int) -> int:
    """The index in ``text`` of a 0-based line and column."""
    start = 0
    for _ in range(line):
        start = text.index("\n", start) + 1
    return start + column


def _parse_with(loader_class: Any, text: str, problems: Problems) -> tuple[Node | None, yaml.YAMLError | None]:
    """The document's nodes (None if refused), and the parser's error if it found the text malformed."""
    loader = None
    try:
        loader = loader_class(text)  # the pure-Python reader checks characters right here
        return _build(loader, problems), None
    except _Refused:
        return None, None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = " ".join(filter(None, [error.context, error.problem]))
        problems.add(where, "yaml", message, "check the indentation and quoting near here")
        return None, error
    except yaml.reader.ReaderError as error:
        character = error.character  # an int from libyaml, a str from pure Python
        code = character if isinstance(character, int) else ord(character)
        problems.add(
            _position_of(text, error.position),
            "yaml",
            f"contains the control character U+{code:04X}",
            "remove it",
        )
        return None, None
    except yaml.YAMLError as error:  # pragma: no cover - other libyaml failures
        problems.add((1, 1), "yaml", str(error).replace("\n", " "), "fix the YAML syntax")
        return None, error
    finally:
        if loader is not None:
            loader.dispose()


def _position_of(text: str, offset: int) -> Position:
    before = text[:offset]
    return (before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1)


def _build(loader: Any, problems: Problems) -> Node | None:
    root: Node | None = None
    containers: list[Mapping | Sequence] = []
    # for each open mapping: the key waiting for its value (None while reading a key)
    keys: list[str | None] = []
    documents = 0

    def refuse(event: Any, message: str, hint: str) -> None:
        _refuse(problems, event, message, hint)

    def attach(node: Node, event: Any) -> None:
        nonlocal root
        if not containers:
            root = node
            return
        parent = containers[-1]
        if isinstance(parent, Sequence):
            parent.append(node)
            return
        key = keys[-1]
        if key is None:
            if not isinstance(node, Scalar):
                refuse(event, "a key must be a plain word", "write `name: value`")
            assert isinstance(node, Scalar)
            keys[-1] = node.text
            if node.text in parent.key_at:
                first = parent.key_at[node.text][0]
                problems.add(
                    node.at,
                    node.text,
                    f"duplicate key (first written on line {first})",
                    "keep one of the two",
                )
            else:
                parent.key_at[node.text] = node.at
            return
        if key not in parent:  # the first of duplicate keys wins; the rest are reported
            parent[key] = node
        keys[-1] = None

    while True:
        event: Any = loader.get_event()
        kind = event.__class__
        if kind is yaml.ScalarEvent:
            _refuse_anchor_or_tag(problems, event)
            mark = event.start_mark
            attach(Scalar(event.value, event.implicit[0], mark.line + 1, mark.column + 1), event)
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            _refuse_anchor_or_tag(problems, event)
            if len(containers) >= MAX_DEPTH:
                refuse(
                    event,
                    f"nests deeper than {MAX_DEPTH} levels",
                    "a prediction needs two or three levels; flatten the file",
                )
            mark = event.start_mark
            container: Mapping | Sequence
            if kind is yaml.MappingStartEvent:
                container = Mapping(mark.line + 1, mark.column + 1)
            else:
                container = Sequence(mark.line + 1, mark.column + 1)
            attach(container, event)
            containers.append(container)
            keys.append(None)
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            containers.pop()
            keys.pop()
        elif kind is yaml.AliasEvent:
            refuse(
                event,
                f"uses the alias *{event.anchor}",
                "aliases are not allowed in a registry; write the value out in full",
            )
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                refuse(
                    event,
                    "holds a second YAML document",
                    "put one record per file and remove the `---` line",
                )
        elif kind is yaml.StreamEndEvent:
            return root


def _refuse(problems: Problems, event: Any, message: str, hint: str) -> None:
    mark = event.start_mark
    problems.add((mark.line + 1, mark.column + 1), "yaml", message, hint)
    raise _Refused


def _refuse_anchor_or_tag(problems: Problems, event: Any) -> None:
    if event.anchor is not None:
        _refuse(
            problems,
            event,
            f"uses the anchor &{event.anchor}",
            "anchors and aliases are not allowed in a registry; write each value out",
        )
    if event.tag is not None:
        tag = event.tag.replace("tag:yaml.org,2002:", "!!")
        _refuse(
            problems,
            event,
            f"uses the tag {tag}",
            "tags are not allowed in a registry; remove the tag and write a plain value",
        )
