"""An example predreg plugin: the two hooks written out by hand."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import attrs

from predreg.fetch import Session
from predreg.fields import Integer, Text, Url, spec
from predreg.hookspecs import hookimpl
from predreg.model import Question
from predreg.resolvers import by_deadline
from predreg.verdict import ResolverInfo, Verdict, failed, resolved

NAME = "leaderboard-rank"


@attrs.frozen
class RankSettings:
    """What a question's `resolver:` block may hold; `predreg check` validates it."""

    url: str = spec(Url(), "A JSON list of entries with `model` and `score` (higher is better).")
    model: str = spec(Text("Frontier Model 5"), "The model's name as the leaderboard writes it.")
    top: int = spec(Integer(), "Yes when the model ranks among this many best.")

    def check(self) -> list[tuple[str, str, str]]:
        return [] if self.top >= 1 else [("top", "must be at least 1", "write e.g. `top: 3`")]


@hookimpl
def predreg_resolvers() -> list[ResolverInfo]:
    return [ResolverInfo(NAME, "1.0.0", RankSettings, "A model ranks in the top N of a JSON leaderboard.")]


@hookimpl
def predreg_resolve(
    name: str, question: Question, settings: RankSettings, session: Session, now: dt.datetime
) -> Verdict | None:
    if name != NAME:
        return None  # another plugin's resolver
    fetched = session.get(settings.url)  # always through the session: it is safe, and it keeps the evidence
    if problem := fetched.problem():
        return failed(problem)
    try:
        entries: list[dict[str, Any]] = json.loads(fetched.body)
        ranking = [e["model"] for e in sorted(entries, key=lambda e: -float(e["score"]))]
    except (ValueError, KeyError, TypeError) as error:
        return failed(f"{settings.url}: not a leaderboard ({error})")
    if settings.model in ranking[: settings.top]:
        rank = ranking.index(settings.model) + 1
        return resolved(
            "yes", f"{settings.model} ranks {rank}", excerpts={settings.url: f"rank {rank} of {len(ranking)}"}
        )
    return by_deadline(question, now, f"{settings.model} in the top {settings.top}")
