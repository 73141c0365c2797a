"""The patterns a question matches a page against, run by RE2 so that no pattern can hang resolution.

Why RE2 (the ``google-re2`` wheel) rather than the ``regex`` module with a timeout:

- RE2 never backtracks: a match costs at most (program size x text size), so
  ``(a+)+$`` is as cheap as ``a+$``. With a timeout, the same question would resolve
  on a fast machine and fail on a slow one; here the cost is known before matching,
  and the decision to refuse is the same everywhere.
- Wheels for CPython 3.11 to 3.13 on manylinux x86_64 and aarch64 (glibc 2.26 or
  later), macOS 13+ x86_64 and 14+ arm64, and Windows; BSD-3-Clause, as RE2 itself.
- The syntax registries write is Python's minus a few features, and each missing one
  is refused at check time with its own hint (see :data:`UNSUPPORTED`), never
  silently read another way. RE2 has no backreferences and no lookarounds: both
  need backtracking, the very thing that made ``(a+)+$`` hang, so refusing them is
  the price of the bound. Two differences are not refusals: ``\\d``, ``\\w``, ``\\s``
  and ``\\b`` are ASCII in RE2 (Unicode in Python; write ``\\p{Nd}`` or ``\\pL`` for
  Unicode), and ``\\Z`` is spelled ``\\z``.

The check (``fields.Pattern``) and the ``http`` resolver both compile through
:func:`compile_pattern`, so what passes the check is exactly what the resolver runs.
"""

from __future__ import annotations

from typing import Any

import re2  # type: ignore[import-untyped]  # (google-re2 ships no type hints)

MAX_PROGRAM = 20_000
"""Largest compiled pattern (RE2 instructions) a question may hold.

Unicode classes compile large (``\\pL`` is 1,200 instructions, ``(?i)\\p{L}{3,10}`` 12,000),
so the limit is set by them; the cost of matching is bounded by :data:`MAX_WORK`.
"""
MAX_WORK = 2_000_000_000
"""Largest (program size x text bytes) one match may cost.

RE2 usually runs a DFA, in time linear in the text alone; a pattern whose DFA would
be too large falls back to simulating the program, at about 6 ns per unit of this
product on one core (``a[ab]{999}c`` over 5 MB: 30 s). So this bounds a match at
about 12 s however hostile the pattern and the page; a page too long for its
pattern is a failed resolution, not a slow one.
"""

UNSUPPORTED = (
    ("invalid escape sequence: \\1", "a backreference (\\1)", "match the text itself instead"),
    ("invalid escape sequence: \\Z", "Python's \\Z for the end of the text", "write \\z"),
    ("invalid perl operator: (?P", "a backreference ((?P=name))", "match the text itself instead"),
    ("invalid perl operator: (?=", "a lookahead ((?=...))", "match the text itself instead"),
    ("invalid perl operator: (?!", "a negative lookahead ((?!...))", "use `expect: absent` for text that must be gone"),
    ("invalid perl operator: (?<", "a lookbehind ((?<=...) or (?<!...))", "match the text itself instead"),
    ("invalid perl operator: (?x", "the verbose flag (?x)", "write the pattern without layout spaces"),
    ("invalid repetition size", "a count over 1000 (nested counts multiply)", "repeat at most {1000} in all"),
)
"""RE2's error, as it begins, for Python syntax it refuses -> (what, hint)."""


class PatternError(ValueError):
    """A pattern that RE2 cannot run, or not cheaply enough: ``message`` and ``hint`` for a located problem."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(f"{message}; {hint}")
        self.message = message
        self.hint = hint


def _options(*, literal: bool = False, case_sensitive: bool = True) -> Any:
    options = re2.Options()
    options.log_errors = False  # RE2 would print each refused pattern to stderr
    options.max_mem = 4 << 20  # the DFA's cache per pattern (8 MiB by default; the module keeps 128)
    options.literal = literal
    options.case_sensitive = case_sensitive
    return options


def compile_pattern(text: str) -> Any:
    """``text`` compiled by RE2; :class:`PatternError` if RE2 cannot run it or it is too large."""
    return _compiled(text, _options())


def compile_phrase(text: str) -> Any:
    """``text`` as a literal, case-insensitive pattern (a question's ``contains``)."""
    return _compiled(text, _options(literal=True, case_sensitive=False))


def _compiled(text: str, options: Any) -> Any:
    try:
        compiled = re2.compile(text, options)
    except re2.error as error:
        raise _explained(error) from None
    except UnicodeError:
        raise PatternError("holds a lone surrogate (not text)", "remove the \\ud8xx escape") from None
    if compiled.programsize > MAX_PROGRAM:
        raise PatternError(
            f"is too large: {compiled.programsize:,} RE2 instructions, over {MAX_PROGRAM:,}",
            "shorten it, or match a shorter phrase",
        )
    return compiled


def _explained(error: Exception) -> PatternError:
    """RE2's complaint in predreg's words; the pattern itself is not echoed."""
    raw = error.args[0] if error.args else ""
    said = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    for start, what, hint in UNSUPPORTED:
        if said.startswith(start):
            return PatternError(f"uses {what}, which RE2 cannot run (predreg matches in linear time)", hint)
    if said.startswith("pattern too large"):
        return PatternError("is too large for RE2 to compile", "shorten it")
    code = said.partition(":")[0].strip() or "not a pattern"  # RE2 follows the code with the offending text
    return PatternError(f"is not a valid regular expression: {code}", "fix the pattern")


def search(compiled: Any, text: str) -> Any:
    """The first match of ``compiled`` in ``text`` (or None); :class:`PatternError` if it would cost too much."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if compiled.programsize * size > MAX_WORK:
        raise PatternError(
            f"the text ({size:,} bytes) is too long for this pattern ({compiled.programsize:,} RE2 instructions)",
            "use a shorter pattern, or `contains`",
        )
    return compiled.search(text)
