"""An example predreg plugin: one resolver, registered through the one hook, with only `predreg.api`."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import attrs

from predreg.api import (
    Integer,
    Question,
    Register,
    Session,
    Text,
    Url,
    Verdict,
    by_deadline,
    failed,
    hookimpl,
    resolved,
    spec,
)

VERSION = "1.0.0"


@attrs.frozen
class RankSettings:
    """What a question's `resolver:` block may hold; `predreg check` validates it."""

    url: str = spec(Url(), "A JSON list of entries with `model` and `score` (higher is better).")
    model: str = spec(Text("Frontier Model 5"), "The model's name as the leaderboard writes it.")
    top: int = spec(Integer(), "Yes when the model ranks among this many best.")

    def check(self) -> list[tuple[str, str, str]]:
        return [] if self.top >= 1 else [("top", "must be at least 1", "write e.g. `top: 3`")]


def rank(question: Question, settings: RankSettings, session: Session, now: dt.datetime, resolve: Any) -> Verdict:
    """A model ranks in the top N of a JSON leaderboard."""
    fetched = session.get(settings.url)  # always through the session: it is safe, and it keeps the evidence
    if problem := fetched.problem():
        return failed(problem)
    try:
        entries: list[dict[str, Any]] = json.loads(fetched.body)
        ranking = [e["model"] for e in sorted(entries, key=lambda e: -float(e["score"]))]
    except (ValueError, KeyError, TypeError) as error:
        return failed(f"{settings.url}: not a leaderboard ({error})")
    if settings.model in ranking[: settings.top]:
        place = ranking.index(settings.model) + 1
        return resolved(
            "yes", f"{settings.model} ranks {place}", excerpts={settings.url: f"rank {place} of {len(ranking)}"}
        )
    return by_deadline(question, now, f"{settings.model} in the top {settings.top}")


@hookimpl
def predreg_register_resolvers(register: Register) -> None:
    """This plugin's one resolver; its doc is the function's docstring."""
    register("leaderboard-rank", rank, settings=RankSettings, version=VERSION)
