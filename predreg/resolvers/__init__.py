"""Built-in resolvers, each module one plugin, registered like any third-party one.

Each module implements ``predreg_register_resolvers`` (see :mod:`predreg.hookspecs`)
and registers its resolver functions there. The helpers below encode the usual timing
of a verdict and the reading of a service's JSON; plugin authors get them from
:mod:`predreg.api`.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from ..model import Question
from ..verdict import Verdict, pending, resolved

if TYPE_CHECKING:
    from ..fetch import Session


def deadline(question: Question) -> dt.datetime:
    """The end of the question's resolve-by day, UTC.

    The calendar's last day (9999-12-31) has no next day to start at: its end is the
    last moment there is, so such a question is never due.
    """
    if question.resolve_by == dt.date.max:
        return dt.datetime.max.replace(tzinfo=dt.UTC)
    return dt.datetime.combine(question.resolve_by + dt.timedelta(days=1), dt.time(), dt.UTC)


def by_deadline(question: Question, now: dt.datetime, awaited: str, excerpts: dict[str, str] | None = None) -> Verdict:
    """Not happened: wait until the resolve-by day is over, then no."""
    if now < deadline(question):
        return pending(f"not yet: {awaited}", excerpts)
    return resolved("no", f"by {question.resolve_by}: {awaited} did not happen", excerpts=excerpts)


def happened(
    question: Question, when: dt.datetime | None, what: str, excerpts: dict[str, str] | None = None
) -> Verdict:
    """Happened at ``when``: yes if by the resolve-by day (or if the evidence gives no date)."""
    if when is not None and when >= deadline(question):
        return resolved("no", f"{what} on {when:%Y-%m-%d}, after resolve-by {question.resolve_by}", when, excerpts)
    return resolved("yes", what + (f" on {when:%Y-%m-%d}" if when else ""), when, excerpts)


def fetch_json(session: Session, url: str) -> tuple[Any, str | None]:
    """The JSON document at ``url``, or why there is none (a failed fetch, a non-2xx status, not JSON)."""
    fetched = session.get(url)
    if problem := fetched.problem():
        return None, problem
    try:
        return json.loads(fetched.body), None
    except ValueError as error:
        return None, f"{url}: not JSON ({error})"


def timestamp(text: Any) -> dt.datetime | None:
    """An ISO 8601 timestamp from a service ("2025-03-01T12:00:00Z"), as UTC; None if absent."""
    if not text:
        return None
    value = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
