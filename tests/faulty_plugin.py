"""A resolver plugin with every kind of bug: each question's `fault` says which it shows.

Registered in-process with ``plugins.using``, or installed for a real ``predreg`` as the
module ``predreg_faulty`` with an entry point (see ``tests/test_resolve.py``).
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import attrs

from predreg.api import Question, Register, Text, Verdict, hookimpl, resolved, spec

NAME = "faulty"


class Unusual(BaseException):
    """Not an Exception at all: a plugin may raise anything."""


@attrs.frozen
class FaultSettings:
    fault: str = spec(Text("none"), "Which bug this question's resolver shows (none: it resolves yes).", default="none")


def _recurse(depth: int) -> int:
    return _recurse(depth + 1) + 1


def _loop_forever() -> None:
    while True:
        pass


def _bad_verdict() -> Verdict:
    return resolved("yes", "resolved, with a date that is not one", happened_at="yesterday")  # type: ignore[arg-type]


FAULTS: dict[str, Any] = {
    "raise": lambda: {}["missing key"],
    "recursion": lambda: _recurse(0),
    "memory": lambda: (_ for _ in ()).throw(MemoryError("cannot allocate 9 EB")),
    "timeout": lambda: (_ for _ in ()).throw(TimeoutError("regex matching ran past its deadline")),
    "exit": lambda: sys.exit(3),
    "unusual": lambda: (_ for _ in ()).throw(Unusual("line one\nline two")),
    "bad-verdict": _bad_verdict,
    "loop": _loop_forever,
    "none": lambda: resolved("yes", "no fault"),
}


def fault(question: Question, settings: FaultSettings, session: Any, now: dt.datetime, resolve: Any) -> Verdict:
    """Resolves yes, or fails as its settings ask."""
    return FAULTS[settings.fault]()  # type: ignore[no-any-return]


@hookimpl
def predreg_register_resolvers(register: Register) -> None:
    """The one resolver, `faulty`."""
    register(NAME, fault, settings=FaultSettings, version="0.1.0")
