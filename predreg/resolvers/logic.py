"""``manual`` and the composites ``all``, ``any``, ``not`` and ``before``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from ..fieldtypes import OUTCOME_NAME, Config, ListOf, MappingOf, Text, spec
from ..hookspecs import hookimpl
from ..model import NEITHER, Question, Resolver
from ..verdict import Verdict, failed, pending, resolved
from ..version import __version__
from . import deadline

if TYPE_CHECKING:
    from ..fetch import Session
    from ..plugins import Register

_SUB = "{name: http, url: https://..., contains: ...}"


@attrs.frozen
class ManualSettings:
    note: str | None = spec(Text(), "Where a person should look, or who is expected to resolve it.", default=None)


def manual(question: Question, settings: Any, session: Session, now: dt.datetime, resolve: Any) -> Verdict:
    """A person writes the resolution file, reviewed in a pull request; the job only waits."""
    return pending("awaiting a person's resolution (manual resolver)")


@attrs.frozen
class Several:
    of: tuple[Resolver, ...] = spec(ListOf(Config(Resolver), f"[{_SUB}]"), "The sub-resolvers.")

    def check(self) -> list[tuple[str, str, str]]:
        return (
            []
            if len(self.of) >= 2
            else [("of", "needs at least two sub-resolvers", "add another, or drop the composite")]
        )


@attrs.frozen
class One:
    of: Resolver = spec(Config(Resolver), "The sub-resolver whose yes and no are swapped.")


@attrs.frozen
class Ordering:
    events: dict[str, Resolver] = spec(
        MappingOf(OUTCOME_NAME, Config(Resolver), "{neuralese: {name: ...}, full-automation: {name: ...}}"),
        "For each of the question's two events, the resolver that says whether (and when) it happened.",
    )

    def check(self) -> list[tuple[str, str, str]]:
        if len(self.events) == 2:
            return []
        return [("events", "needs exactly two events", "name the question's two events, each with a resolver")]


def _settled(verdicts: list[Verdict]) -> Verdict | None:
    """An error or a wait among sub-verdicts, which the composite passes on."""
    errors = [v.reason for v in verdicts if v.status == "error"]
    if errors:
        return failed("; ".join(errors))
    return None


def _excerpts(verdicts: list[Verdict]) -> dict[str, str]:
    return {url: text for v in verdicts for url, text in v.excerpts.items()}


def all_of(question: Question, settings: Several, session: Session, now: dt.datetime, resolve: Any) -> Verdict:
    """Yes when every sub-resolver says yes (at the latest of their dates); no as soon as one says no."""
    verdicts = [resolve(sub) for sub in settings.of]
    noes = [v for v in verdicts if v.status == "resolved" and v.outcome == "no"]
    if noes:
        return resolved("no", noes[0].reason, excerpts=_excerpts(verdicts))
    if problem := _settled(verdicts):
        return problem
    if all(v.status == "resolved" and v.outcome == "yes" for v in verdicts):
        dates = [v.happened_at for v in verdicts]
        when = max(dates) if all(dates) else None
        return resolved("yes", "; ".join(v.reason for v in verdicts), when, _excerpts(verdicts))
    return pending("; ".join(v.reason for v in verdicts if v.status == "pending"), _excerpts(verdicts))


def any_of(question: Question, settings: Several, session: Session, now: dt.datetime, resolve: Any) -> Verdict:
    """Yes as soon as one sub-resolver says yes (at the earliest date); no when all say no."""
    verdicts = [resolve(sub) for sub in settings.of]
    yeses = [v for v in verdicts if v.status == "resolved" and v.outcome == "yes"]
    if yeses:
        dated = [v.happened_at for v in yeses if v.happened_at]
        return resolved("yes", yeses[0].reason, min(dated) if dated else None, _excerpts(verdicts))
    if problem := _settled(verdicts):
        return problem
    if all(v.status == "resolved" and v.outcome == "no" for v in verdicts):
        return resolved("no", "; ".join(v.reason for v in verdicts), excerpts=_excerpts(verdicts))
    return pending("; ".join(v.reason for v in verdicts if v.status == "pending"), _excerpts(verdicts))


def not_(question: Question, settings: One, session: Session, now: dt.datetime, resolve: Any) -> Verdict:
    """The sub-resolver's yes as no, and its no as yes."""
    verdict = resolve(settings.of)
    if verdict.status != "resolved" or verdict.outcome not in ("yes", "no"):
        return verdict
    return resolved("no" if verdict.outcome == "yes" else "yes", f"not ({verdict.reason})", None, verdict.excerpts)


def before(
    question: Question, settings: Ordering, session: Session, now: dt.datetime, resolve: Callable[[Resolver], Verdict]
) -> Verdict:
    """Which of two events happened first, or `neither` if none by the resolve-by day."""
    if set(settings.events) != set(question.events):
        return failed(
            f"the resolver's events {sorted(settings.events)} are not the question's {sorted(question.events)}"
        )
    verdicts = {name: resolve(sub) for name, sub in settings.events.items()}
    excerpts = _excerpts(list(verdicts.values()))
    if problem := _settled(list(verdicts.values())):
        return problem
    end = deadline(question)
    done = {
        name: v.happened_at
        for name, v in verdicts.items()
        if v.status == "resolved" and v.outcome == "yes" and (v.happened_at is None or v.happened_at < end)
    }
    if any(when is None for when in done.values()) and len(done) == 2:
        return failed("both events happened but one has no date, so their order is unknown: resolve manually")
    if len(done) == 2:
        (first, at), (_, other) = sorted(done.items(), key=lambda item: item[1])  # type: ignore[arg-type, return-value]
        if at == other:
            return resolved("ambiguous", f"both events dated {at:%Y-%m-%d}", at, excerpts)
        return resolved(first, f"{first} happened first, on {at:%Y-%m-%d}", at, excerpts)
    if len(done) == 1:
        [(first, at)] = done.items()
        return resolved(first, f"{first} happened and the other has not", at, excerpts)
    if now >= end:
        return resolved(NEITHER, f"neither event happened by {question.resolve_by}", excerpts=excerpts)
    return pending("neither event has happened yet", excerpts)


@hookimpl
def predreg_register_resolvers(register: Register) -> None:
    """This module's resolvers, versioned as predreg is."""
    register("manual", manual, settings=ManualSettings, version=__version__)
    register("all", all_of, settings=Several, version=__version__)
    register("any", any_of, settings=Several, version=__version__)
    register("not", not_, settings=One, version=__version__)
    register("before", before, settings=Ordering, version=__version__)
