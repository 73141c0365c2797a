"""Values typed at a prompt or given as flags, read by the loader's own field types.

An answer becomes the node the loader would have parsed from a file (a plain scalar,
a list, a mapping) and is structured by the model's field type, so a prompt and
``predreg check`` accept the same values and refuse the rest in the same words. The
hints are reworded for a prompt only where the file's syntax shows through
(`` `probability: 0.7` `` becomes `` `0.7` ``).

:class:`Answers` asks on a terminal and asks again until an answer reads; leaving a
prompt (Ctrl-C, Ctrl-D) raises :class:`Cancelled`, before anything is written.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import BadAnswer, Cancelled
from .fields import INVALID, Date, FieldType, LinkOrRecord, ListOf, MappingOf, Number, value_of
from .load import is_utf8
from .problems import Problem, Problems
from .safeyaml import Mapping, Node, Scalar, Sequence, parse

Given = str | list[str]
"""A flag's value (a repeated flag gives a list), or an answer typed at a prompt."""
Parsed = tuple[Any, list[str]]
"""A value, and notes on how it was read (``read 70% as 0.7``)."""
Parse = Callable[[Given], Parsed]

DATE_HINT = "write YYYY-MM-DD, e.g. 2027-12-31"
CTRL_C = 130
"""Exit code after Ctrl-C at a prompt, as a shell gives for SIGINT."""
CANCELLED = "predreg: cancelled (Ctrl-C); nothing written"


NOT_UTF8 = "is not UTF-8 text (it holds a byte of another encoding)"


def scalar(text: str) -> Scalar:
    """A plain (unquoted) scalar, as typed: the field type decides what `0.7` or `yes` means."""
    return Scalar(text, True, 1, 1)


def _percent(text: str, notes: list[str]) -> str:
    """``70%`` as ``0.7`` (a note says so); anything else as it is."""
    stripped = text.strip()
    number = stripped[:-1].strip()
    if not stripped.endswith("%") or value_of(Number(), scalar(number), "", Problems("")) is INVALID:
        return text  # the loader's number, not Decimal's (`1_0`, `nan`): then the field type says what is wrong
    try:
        fraction = Decimal(number).scaleb(-2).normalize()
    except InvalidOperation:
        return text
    written = f"{fraction:f}"
    notes.append(f"read {stripped} as {written}")
    return written


def _value_node(field_type: FieldType, text: str, notes: list[str]) -> Node:
    if isinstance(field_type, Number):
        return scalar(_percent(text, notes))
    return scalar(text)


def _pairs(field: str, given: Given) -> list[tuple[str, str]]:
    """``a=0.3,b=0.7`` (or one ``name=value`` per repeated flag) as pairs."""
    parts = given if isinstance(given, list) else [p for p in given.split(",") if p.strip()]
    pairs = []
    for part in parts:
        name, equals, value = part.partition("=")
        if not equals or not name.strip():
            raise BadAnswer(f"{field}: `{part.strip()}` is not name=value; write pairs such as a=0.3,b=0.7")
        pairs.append((name.strip(), value.strip()))
    return pairs


def node_of(field_type: FieldType, field: str, given: Given, notes: list[str]) -> Node:
    """The node a file would hold for this value: a mapping from pairs, a list from commas, else a scalar."""
    if isinstance(field_type, MappingOf):
        mapping = Mapping(1, 1)
        for name, value in _pairs(field, given):
            if name in mapping:  # a file's duplicate key is refused too; the flag must not keep one silently
                raise BadAnswer(f"{field}.{name}: is given twice; keep one {name}=...")
            mapping[name] = _value_node(field_type.value, value, notes)
            mapping.key_at[name] = (1, 1)
        return mapping
    if isinstance(field_type, ListOf):
        items = given if isinstance(given, list) else [p.strip() for p in given.split(",") if p.strip()]
        sequence = Sequence(1, 1)
        sequence.extend(_item_node(field_type.item, item, notes) for item in items)
        return sequence
    text = given if isinstance(given, str) else ",".join(given)
    return _value_node(field_type, text, notes)


def _item_node(item_type: FieldType, text: str, notes: list[str]) -> Node:
    if isinstance(item_type, LinkOrRecord):  # `URL title words`: a URL holds no space
        url, _, title = text.strip().partition(" ")
        if not title.strip():
            return scalar(url)
        link = Mapping(1, 1)
        link["url"], link["title"] = scalar(url), scalar(title.strip())
        link.key_at.update(url=(1, 1), title=(1, 1))
        return link
    return _value_node(item_type, text, notes)


def setting_node(text: str) -> Node:
    """A resolver setting's value: YAML flow (``{...}``, ``[...]``) through the safe loader, else a plain scalar."""
    if text.strip().startswith(("{", "[")):
        problems = Problems("<setting>")
        node = parse(text, problems)
        if problems or node is None:
            raise BadAnswer("; ".join(f"{p.message}; {p.hint}" for p in problems.items) or "is empty")
        return node
    return scalar(text)


def read(field_type: FieldType, field: str, given: Given) -> Parsed:
    """The value the loader would make of ``given`` for ``field``, with notes; :class:`BadAnswer` if it refuses it."""
    notes: list[str] = []
    problems = Problems("<answer>")
    value = value_of(field_type, node_of(field_type, field, given, notes), field, problems)
    if problems or value is INVALID:
        raise BadAnswer(describe(problems.items, field_type))
    return value, notes


def describe(problems: list[Problem], field_type: FieldType | None = None) -> str:
    """Problems as ``field: message; hint`` lines, hinting what to type rather than what to write in a file."""
    lines = []
    for problem in problems:
        hint = problem.hint.replace(f"`{problem.field}: ", "`")
        if isinstance(field_type, Date) and "calendar" not in problem.message:
            hint = DATE_HINT
        line = f"{problem.field}: {problem.message}" + (f"; {hint}" if hint else "")
        shown = line.replace("\r", "\\r").replace("\n", "\\n")  # one line per problem, whatever was typed
        lines.append(shown.encode("utf-8", "backslashreplace").decode("utf-8"))  # and printable, UTF-8 or not
    return "\n".join(lines)


def field_reader(field_type: FieldType, field: str) -> Parse:
    """A :data:`Parse` for one field of the format."""
    return lambda given: read(field_type, field, given)


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _prompt(label: str) -> str:
    """Read a line after ``label``, written to standard error so that standard output stays the command's."""
    sys.stderr.write(label)
    sys.stderr.flush()
    return input()


class Answers:
    """Where missing values come from: a terminal (``interactive``), or nowhere (then they are only named)."""

    def __init__(
        self,
        interactive: bool,
        prompt: Callable[[str], str] = _prompt,
        say: Callable[[str], None] = _stderr,
    ) -> None:
        self.interactive = interactive
        self.prompt = prompt
        self.say = say

    def ask(self, label: str, field: str, parse: Parse) -> Any:
        """Ask until the answer reads; an empty answer, or one that is not UTF-8, is asked again."""
        try:
            while True:
                text = self._line(label)
                if text is None or not is_utf8(text):
                    self.say(f"{field}: {NOT_UTF8}; type it again in UTF-8")
                    continue
                if not text.strip():
                    self.say(f"{field}: is empty; type an answer (Ctrl-C leaves, writing nothing)")
                    continue
                try:
                    value, notes = parse(text.strip())
                except BadAnswer as bad:
                    self.say(str(bad))
                    continue
                for note in notes:
                    self.say(note)
                return value
        except KeyboardInterrupt:  # at the prompt, or while an answer is read (a fetch)
            self._end_prompt_line()
            raise Cancelled(CTRL_C, CANCELLED) from None

    def _line(self, label: str) -> str | None:
        """The answer typed, or None if the terminal could not decode it (read strictly as UTF-8)."""
        try:
            return self.prompt(label)
        except UnicodeDecodeError:
            return None
        except EOFError:
            self._end_prompt_line()
            raise Cancelled(1, "predreg: no answer (end of input); nothing written") from None

    @staticmethod
    def _end_prompt_line() -> None:
        # the cursor is still after the prompt: end that line, so the message stands on its own
        sys.stderr.write("\n")
        sys.stderr.flush()
