"""What a resolver says about a question: a :class:`Verdict` (see :func:`resolved`, :func:`pending`, :func:`failed`)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import attrs

Status = Literal["resolved", "pending", "error"]


@attrs.frozen
class Verdict:
    """A resolver's answer: resolved with an outcome, not yet (pending), or an error."""

    status: Status
    outcome: str | float | None = None
    reason: str = ""
    """Why: what the evidence showed, what is awaited, or what went wrong."""
    happened_at: dt.datetime | None = None
    """When the evidence says the outcome happened (a merge time, a publication date)."""
    excerpts: dict[str, str] = attrs.field(factory=dict)
    """URL -> the short part of that evidence that decides."""


def resolved(
    outcome: str | float,
    reason: str = "",
    happened_at: dt.datetime | None = None,
    excerpts: dict[str, str] | None = None,
) -> Verdict:
    """The question is decided: ``outcome`` is one of its outcomes, or annulled or ambiguous.

    Give ``happened_at`` when the evidence dates the event: it becomes the record's
    ``resolved_at``, so a run that catches up late still scores by when things happened.
    """
    return Verdict("resolved", outcome, reason, happened_at, excerpts or {})


def pending(reason: str, excerpts: dict[str, str] | None = None) -> Verdict:
    """Not yet: ``reason`` says what is awaited."""
    return Verdict("pending", None, reason, None, excerpts or {})


def failed(reason: str) -> Verdict:
    """Something went wrong (a failed fetch, evidence that cannot be read): the question stays pending."""
    return Verdict("error", None, reason)
