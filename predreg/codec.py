"""One JSON shape for a loaded registry file, shared by the index and the shards' lines.

A file is ``{"path", "kind", "record", "key_at", "problems", "resolver"}``: its record as
plain values (``plain.dump``), where each top-level key was written, its own problems,
and the resolver block of a record that could not be built (``Loaded.resolver``), kept
so that its settings are still checked.
Reading it back never parses YAML, and is strict: NaN, an infinity or a float beyond
range is refused, as no writer here ever writes one (``allow_nan=False``).
"""

from __future__ import annotations

import json
import math
from typing import Any

import attrs

from . import plain
from .load import CLASSES, Loaded
from .problems import Problem

LOADED_KEYS = frozenset({"path", "kind", "record", "key_at", "problems"})


def encode(loaded: Loaded, path: str) -> dict[str, Any]:
    """A loaded file as plain values, its path (and its problems') spelled ``path``."""
    return {
        "path": path,
        "kind": loaded.kind,
        "record": None if loaded.record is None else plain.dump(loaded.record),
        "key_at": loaded.key_at,
        "problems": [encode_problem(problem, path) for problem in loaded.problems],
        "resolver": None if loaded.resolver is None else plain.dump_resolver(loaded.resolver),
    }


def decode(data: dict[str, Any], path: str) -> Loaded:
    """The loaded file ``encode`` gave ``data`` for, as read from ``path``."""
    kind = data["kind"]
    record = data["record"]
    return Loaded(
        path=path,
        kind=kind,
        record=None if record is None else plain.load(CLASSES[kind], record),
        key_at={key: tuple(at) for key, at in data["key_at"].items()},
        problems=tuple(decode_problem(problem, path) for problem in data["problems"]),
        resolver=plain.load_resolver(data.get("resolver")),
    )


def encode_problem(problem: Problem, path: str) -> dict[str, Any]:
    """A problem as plain values, its path spelled ``path``."""
    return {**attrs.asdict(problem), "path": path}


def decode_problem(data: dict[str, Any], path: str) -> Problem:
    """The problem ``encode_problem`` gave ``data`` for, at ``path``."""
    return Problem(**{**data, "path": path})


def is_loaded(data: dict[str, Any]) -> bool:
    """Whether ``data`` has the shape ``encode`` gives."""
    return data.keys() >= LOADED_KEYS and data["kind"] in CLASSES


def dumps(data: Any, *, sort_keys: bool = False, ascii_only: bool = True) -> str:
    """``data`` as one line of JSON, never NaN or an infinity.

    ``ascii_only`` escapes what is not ASCII, so a file name that is not UTF-8 (surrogates)
    survives the trip as ``\\udcff``; ``sort_keys`` makes a line the same however it was built.
    """
    return json.dumps(data, sort_keys=sort_keys, ensure_ascii=ascii_only, allow_nan=False)


def loads(text: str) -> Any:
    """The value of one line of JSON, strictly: ValueError for NaN, an infinity or a float beyond range."""
    return _STRICT.decode(text)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text[:40]} is beyond a float")
    return number


_STRICT = json.JSONDecoder(parse_constant=_not_json, parse_float=_finite)
"""One decoder for every line (``json.loads`` with hooks builds a new one per call)."""
