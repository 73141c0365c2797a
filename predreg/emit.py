"""Writing registry records as YAML: plain where that is unambiguous, the same bytes for the same record."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

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
