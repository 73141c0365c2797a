"""Writing registry records as YAML: plain where that is unambiguous, the same bytes for the same record."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any


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
    return json.dumps(text, ensure_ascii=False, allow_nan=False)


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
