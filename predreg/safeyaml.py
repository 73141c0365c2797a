"""Safe YAML: a small, located subset of YAML read from libyaml's event stream.

Registered files are kept forever and come from strangers' pull requests, so the
reader accepts only what a prediction needs: one document of mappings, sequences
and untagged scalars. Anchors, aliases, tags, several documents, deep nesting and
big files are refused before they can cost anything. Scalars keep their text and
whether they were written plain, so the format layer (``predreg.fields``) decides
what ``yes``, ``0.7`` or ``"0.7"`` mean for each field instead of YAML 1.1 guessing.
"""

from __future__ import annotations

import bisect
import os
import re
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


_PARSER_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
"""Where YAML 1.1 parsers (libyaml and PyYAML alike) start a new line."""
_EDITOR_BREAKS = re.compile("\r\n|[\r\n]")
"""Where an editor (and YAML 1.2) starts one: U+0085, U+2028 and U+2029 stay inside a line."""


class _Places:
    """Turns a parser's marks into ``(line, column)`` as an editor shows the text, both from 1.

    The parsers count U+0085, U+2028 and U+2029 as line breaks, so after one their
    line numbers run ahead of the editor's. Columns are characters in both. Text
    without those three characters (nearly every file) needs no tables.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.same = "\x85" not in text and "\u2028" not in text and "\u2029" not in text
        self._parser_starts: list[int] | None = None
        self._editor_starts: list[int] | None = None

    def of_mark(self, mark: Any) -> Position:
        if self.same:
            return _as_marked(mark)
        return self.of_offset(self.offset_of(mark))

    def offset_of(self, mark: Any) -> int:
        """The index in the text of a parser's mark (its line and column, which libyaml counts in characters)."""
        if self._parser_starts is None:
            self._parser_starts = _line_starts(_PARSER_BREAKS, self.text)
        starts = self._parser_starts
        return (starts[mark.line] if mark.line < len(starts) else len(self.text)) + mark.column

    def of_offset(self, offset: int) -> Position:
        """The editor's line and column of the character at index ``offset``."""
        if self._editor_starts is None:
            self._editor_starts = _line_starts(_EDITOR_BREAKS, self.text)
        line = bisect.bisect_right(self._editor_starts, offset)
        return (line, offset - self._editor_starts[line - 1] + 1)


def _as_marked(mark: Any) -> Position:
    """A mark's own line and column, from 1: right for text without U+0085, U+2028 or U+2029."""
    return (mark.line + 1, mark.column + 1)


def _line_starts(breaks: re.Pattern[str], text: str) -> list[int]:
    return [0, *(found.end() for found in breaks.finditer(text))]


def _characters_before(text: str, byte_offset: int) -> int:
    """How many characters of ``text`` its first ``byte_offset`` UTF-8 bytes hold (libyaml counts bytes there)."""
    return len(text.encode("utf-8")[:byte_offset].decode("utf-8", "ignore"))


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
        before = data[: error.start].decode("utf-8")  # valid up to there
        problems.add(
            _Places(before).of_offset(len(before)),
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
    prefix = _before_nesting_limit(_Places(text), error)
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


def _before_nesting_limit(places: _Places, error: yaml.YAMLError) -> str | None:
    """The text before where libyaml stopped at its own nesting limit (PyYAML 6.0.4: 1,000); None for other errors."""
    if not isinstance(error, yaml.MarkedYAMLError) or "nesting depth" not in (error.problem or ""):
        return None
    mark = error.problem_mark
    return None if mark is None else places.text[: places.offset_of(mark)]


def _parse_with(loader_class: Any, text: str, problems: Problems) -> tuple[Node | None, yaml.YAMLError | None]:
    """The document's nodes (None if refused), and the parser's error if it found the text malformed."""
    loader = None
    places = _Places(text)
    try:
        loader = loader_class(text)  # the pure-Python reader checks characters right here
        return _build(loader, problems, places), None
    except _Refused:
        return None, None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = places.of_mark(mark) if mark else (1, 1)
        message = " ".join(filter(None, [error.context, error.problem]))
        problems.add(where, "yaml", message, "check the indentation and quoting near here")
        return None, error
    except yaml.reader.ReaderError as error:
        character = error.character  # an int, or a str from some pure-Python paths
        code = character if isinstance(character, int) else ord(character)
        # libyaml's position counts the bytes of the text in UTF-8, pure Python's its characters
        offset = _characters_before(text, error.position) if _is_libyaml(loader_class) else error.position
        problems.add(
            places.of_offset(offset),
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


def _is_libyaml(loader_class: Any) -> bool:
    """Whether ``loader_class`` reads through libyaml's C parser (every class of it derives from ``CParser``)."""
    return any(base.__name__ == "CParser" and base.__module__ == "yaml._yaml" for base in loader_class.__mro__)


def _build(loader: Any, problems: Problems, places: _Places) -> Node | None:
    """The tree of ``loader``'s events, refusing (``_Refused``) what a registry file may not hold."""
    tree = _Tree(problems, places)
    place = _as_marked if places.same else places.of_mark  # once per event: the common case is called directly
    while True:
        event: Any = loader.get_event()
        kind = event.__class__
        if kind is yaml.ScalarEvent:
            _refuse_anchor_or_tag(problems, places, event)
            tree.attach(Scalar(event.value, event.implicit[0], *place(event.start_mark)), event)
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            _refuse_anchor_or_tag(problems, places, event)
            tree.open(Mapping if kind is yaml.MappingStartEvent else Sequence, place(event.start_mark), event)
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            tree.containers.pop()
            tree.keys.pop()
        elif kind is yaml.AliasEvent:
            tree.refuse(
                event,
                f"uses the alias *{event.anchor}",
                "aliases are not allowed in a registry; write the value out in full",
            )
        elif kind is yaml.DocumentStartEvent:
            tree.documents += 1
            if tree.documents > 1:
                tree.refuse(event, "holds a second YAML document", "put one record per file and remove the `---` line")
        elif kind is yaml.StreamEndEvent:
            return tree.root


class _Tree:
    """The nodes built so far from a file's events: the root, and the path of open containers to the newest."""

    __slots__ = ("containers", "documents", "keys", "places", "problems", "root")

    def __init__(self, problems: Problems, places: _Places) -> None:
        self.problems = problems
        self.places = places
        self.root: Node | None = None
        self.containers: list[Mapping | Sequence] = []
        self.keys: list[str | None] = []
        """For each open mapping, the key waiting for its value (None while reading a key)."""
        self.documents = 0

    def refuse(self, event: Any, message: str, hint: str) -> None:
        _refuse(self.problems, self.places.of_mark(event.start_mark), message, hint)

    def open(self, container_type: type[Mapping] | type[Sequence], at: Position, event: Any) -> None:
        if len(self.containers) >= MAX_DEPTH:
            self.refuse(
                event,
                f"nests deeper than {MAX_DEPTH} levels",
                "a prediction needs two or three levels; flatten the file",
            )
        container = container_type(*at)
        self.attach(container, event)
        self.containers.append(container)
        self.keys.append(None)

    def attach(self, node: Node, event: Any) -> None:
        if not self.containers:
            self.root = node
            return
        parent = self.containers[-1]
        if isinstance(parent, Sequence):
            parent.append(node)
            return
        key = self.keys[-1]
        if key is None:
            self.keys[-1] = self._key(parent, node, event)
            return
        if key not in parent:  # the first of duplicate keys wins; the rest are reported
            parent[key] = node
        self.keys[-1] = None

    def _key(self, parent: Mapping, node: Node, event: Any) -> str:
        if not isinstance(node, Scalar):
            self.refuse(event, "a key must be a plain word", "write `name: value`")
        assert isinstance(node, Scalar)
        if node.text in parent.key_at:
            first = parent.key_at[node.text][0]
            message = f"duplicate key (first written on line {first})"
            self.problems.add(node.at, node.text, message, "keep one of the two")
        else:
            parent.key_at[node.text] = node.at
        return node.text


def _refuse(problems: Problems, at: Position, message: str, hint: str) -> None:
    problems.add(at, "yaml", message, hint)
    raise _Refused


def _refuse_anchor_or_tag(problems: Problems, places: _Places, event: Any) -> None:
    if event.anchor is not None:
        _refuse(
            problems,
            places.of_mark(event.start_mark),
            f"uses the anchor &{event.anchor}",
            "anchors and aliases are not allowed in a registry; write each value out",
        )
    if event.tag is not None:
        tag = event.tag.replace("tag:yaml.org,2002:", "!!")
        _refuse(
            problems,
            places.of_mark(event.start_mark),
            f"uses the tag {tag}",
            "tags are not allowed in a registry; remove the tag and write a plain value",
        )
