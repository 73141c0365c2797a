"""Problems found in a registry: one line each, naming file, line, column and field."""

from __future__ import annotations

import attrs

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

WORKFLOW_COMMANDS = ("::", "##[")
"""How a GitHub Actions workflow command starts (``::error``, ``::add-mask``, the older ``##[``):
the runner acts on any line of the job log that starts so, once its leading space is trimmed."""


def one_line(text: str) -> str:
    """``text`` on one line, with every character Python would not print written as an escape.

    Registry files, and their names, are written by whoever opens a pull request: a newline
    in a key would start a line of its own in a job log (a fake problem, or a workflow
    command), an escape sequence would recolour a terminal, U+202E would reverse what
    follows it. Escaped as ``\\n``, ``\\x1b``, ``\\u202e``, each stays visible and inert. A
    backslash is left as it is: the message is for reading, and the file holds the original.
    """
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escape(char) for char in text)


def _escape(char: str) -> str:
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


@attrs.frozen(order=True)
class Problem:
    """One thing wrong with one field of one file, and what to write instead.

    ``line`` and ``col`` are 1-based; a problem with a whole file points at 1:1. The
    field, message and hint are made one line (:func:`one_line`) when the problem is
    made; the path stays the file's real name, which code compares with other paths, and
    is made one line where it is shown (:meth:`__str__`, :meth:`shown`). So no output
    format, text, JSON or Markdown, carries a newline or a control character from them.
    """

    path: str
    line: int
    col: int
    field: str = attrs.field(converter=one_line)
    message: str = attrs.field(converter=one_line)
    hint: str = attrs.field(default="", converter=one_line)

    def __str__(self) -> str:
        text = f"{_located(one_line(self.path))}:{self.line}:{self.col}: {self.field}: {self.message}"
        return f"{text}; {self.hint}" if self.hint else text

    def shown(self) -> dict[str, str | int]:
        """The problem as the JSON output shows it: every text one line."""
        return {**attrs.asdict(self), "path": one_line(self.path)}


def _located(path: str) -> str:
    """The path as a line may start with it: ``./`` before a name that would start a workflow command."""
    return "./" + path if path.lstrip().startswith(WORKFLOW_COMMANDS) else path


class Problems:
    """Collects the problems of one file, all located in that file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.items: list[Problem] = []

    def add(self, where: tuple[int, int], field: str, message: str, hint: str = "") -> None:
        self.items.append(Problem(self.path, where[0], where[1], field, message, hint))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)
