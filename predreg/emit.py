"""Writing registry records as YAML: plain where that is unambiguous, the same bytes for the same record.

:func:`document` writes a record by its fields' descriptors (``predreg.fieldtypes``),
one hook per descriptor type in a dispatch table, as the other sides of the format
layer read it: ids as the words they are, text plain or double-quoted, a list of
records as a block. :func:`record` and :func:`flow` write plain values, for the
fields of a record not yet made.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from typing import Any

import attrs

from .fieldtypes import Config, FieldType, Identifier, Integer, ListOf, MappingOf, Record, Sha256, specs

UNWRITABLE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
"""What a YAML stream may not hold as it is, or would read back as something else (a line break).

DEL, the C1 controls (a double-encoded apostrophe holds two) and U+FFFE/U+FFFF are
not printable in YAML, so the loader refuses a record that holds them; NEL and the
line and paragraph separators are YAML 1.1 line breaks, which a quoted scalar folds
into a space; a BOM inside a stream is refused by some parsers.
"""


def scalar(value: Any) -> str:
    """A scalar: plain when it is a simple word or a number, else double-quoted (JSON)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | int):
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if text.replace("-", "").replace("_", "").replace(".", "").isalnum() and not text[:1].isdigit():
        return text
    return _escaped(json.dumps(text, ensure_ascii=False, allow_nan=False))


def _escaped(quoted: str) -> str:
    """A JSON string (also a YAML double-quoted scalar) with every character YAML cannot carry raw escaped."""
    return UNWRITABLE.sub(_escape, quoted)


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def flow(value: Any) -> str:
    """A value on one line: mappings as {k: v}, lists as [a, b]."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


def record(fields: dict[str, Any]) -> str:
    """``key: value`` lines, in the order given, skipping empty values."""
    return "".join(f"{key}: {flow(value)}\n" for key, value in fields.items() if value not in (None, (), [], {}))


def document(record: Any) -> str:
    """A record as YAML: a ``field: value`` line per field not at its default, in the model's order."""
    return "".join(_field(name, kind, value, "") for name, kind, value in _set_fields(record))


def _set_fields(record: Any) -> list[tuple[str, FieldType, Any]]:
    """The record's fields that hold something other than their default: (name, descriptor, value)."""
    found = []
    for name, (attribute, spec) in specs(type(record)).items():
        value = getattr(record, name)
        default = attribute.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            default = default.factory()  # type: ignore[union-attr]
        if value is not None and not (attribute.default is not attrs.NOTHING and value == default):
            found.append((name, spec.type, value))
    return found


def _field(name: str, kind: FieldType, value: Any, indent: str) -> str:
    """One field's line, or for a list of records its block: each item's fields indented under a dash."""
    if not (isinstance(kind, ListOf) and type(kind.item) is Record):
        return f"{indent}{name}: {_inline(kind, value)}\n"
    lines = [f"{indent}{name}:\n"]
    for item in value:
        fields = [_field(key, sub, inner, indent + "    ") for key, sub, inner in _set_fields(item)]
        lines += [indent + "  - " + fields[0].removeprefix(indent + "    "), *fields[1:]]
    return "".join(lines)


@functools.singledispatch
def _inline(kind: FieldType, value: Any) -> str:
    """A value on one line, as its descriptor writes it: by default as :func:`flow` writes plain values."""
    return flow(value)


@_inline.register
def _word(kind: Identifier | Sha256, value: Any) -> str:
    return str(value)  # validated words: nothing YAML would read otherwise, and written so since the start


@_inline.register
def _integer(kind: Integer, value: Any) -> str:
    return str(value)


@_inline.register
def _config(kind: Config, value: Any) -> str:
    return flow({"name": value.name, **value.config})


@_inline.register
def _list_of(kind: ListOf, value: Any) -> str:
    return "[" + ", ".join(_inline(kind.item, item) for item in value) + "]"


@_inline.register
def _mapping_of(kind: MappingOf, value: Any) -> str:
    return "{" + ", ".join(f"{_inline(kind.key, k)}: {_inline(kind.value, v)}" for k, v in value.items()) + "}"


@_inline.register
def _record(kind: Record, value: Any) -> str:
    return "{" + ", ".join(f"{name}: {_inline(sub, v)}" for name, sub, v in _set_fields(value)) + "}"
