"""What a resolver says about a question, and how a resolver describes itself."""

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
    return Verdict("resolved", outcome, reason, happened_at, excerpts or {})


def pending(reason: str, excerpts: dict[str, str] | None = None) -> Verdict:
    return Verdict("pending", None, reason, None, excerpts or {})


def failed(reason: str) -> Verdict:
    return Verdict("error", None, reason)


@attrs.frozen
class ResolverInfo:
    """A resolver a plugin provides."""

    name: str
    version: str
    settings: type
    """attrs class of its settings, each field declared with :func:`predreg.fields.spec`."""
    doc: str = ""
