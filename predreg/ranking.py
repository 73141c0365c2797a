"""How the leaderboard orders its authors: named rules (``score --rank-by``), each stated in one sentence.

Every rule orders the authors by one number, lower first; an author the rule cannot
place (no such number, or fewer than ``min_n`` scored questions) is listed unranked,
with why. The site and every report print the rule's ``sentence``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import attrs
import numpy as np

from .defaults import DEFAULT_RANK, MIN_SHARED, RANK_CHOICES

if TYPE_CHECKING:
    from .leaderboard import AuthorScore


def _not_fitted(author: AuthorScore) -> str:
    """Why an author has no difficulty-adjusted effect, or no interval for it."""
    if author.scaled_adjusted is None:
        return "not linked to the largest group of authors through shared questions"
    if author.shared < MIN_SHARED:
        return f"shares {author.shared} question{'s' * (author.shared != 1)} with others (needs {MIN_SHARED})"
    return "linked to most authors through a single question: no interval"


def _upper_bound(author: AuthorScore) -> float | None:
    return None if author.scaled_adjusted_ci is None else author.scaled_adjusted_ci[1]


@attrs.frozen
class RankRule:
    """One way of ordering the board: by ``key`` (lower is better); None means unranked, for ``why_not``."""

    name: str
    sentence: str
    """The rule in one sentence, as the site and the reports print it."""
    key: Callable[[AuthorScore], float | None]
    why_not: Callable[[AuthorScore], str]
    then: Callable[[AuthorScore], float | None] = lambda a: None
    """Breaks ties of ``key`` (then the name does): all effects shrink to 0 when none stands out of its noise."""


RANK_RULES: dict[str, RankRule] = {
    rule.name: rule
    for rule in (
        RankRule(
            "adjusted",
            "Ranked by skill adjusted for question difficulty (on Brier scores scaled so that 1 is a uniform "
            "forecast), shrunk toward the average by its uncertainty, so that a few easy or lucky questions "
            "cannot outrank a long record.",
            lambda a: a.shrunk,
            _not_fitted,
            _upper_bound,
        ),
        RankRule(
            "adjusted-bound",
            "Ranked by the upper end of the 95% interval of skill adjusted for question difficulty (scaled "
            "Brier): the score each author is, with 95% confidence, no worse than.",
            _upper_bound,
            _not_fitted,
            lambda a: a.shrunk,
        ),
        RankRule(
            "scaled-brier",
            "Ranked by mean scaled Brier (each question's Brier over a uniform forecast's, so 1 is no better "
            "than uniform), with no allowance for difficulty or sample size.",
            lambda a: a.scaled_brier,
            lambda a: "no Brier-scored question",
        ),
        RankRule(
            "brier",
            "Ranked by raw mean Brier, which adds binary (0-1) and categorical (0-2) scales together and makes "
            "no allowance for difficulty, sample size or luck.",
            lambda a: a.brier,
            lambda a: "no Brier-scored question",
        ),
        RankRule(
            "peer",
            "Ranked by mean peer score: own Brier minus the others' mean, on the questions shared with others.",
            lambda a: a.peer,
            lambda a: "shares no question with another author",
        ),
    )
}
assert tuple(RANK_RULES) == RANK_CHOICES and DEFAULT_RANK in RANK_RULES


def order(
    authors: Sequence[AuthorScore], rank_by: str, min_n: int
) -> tuple[list[AuthorScore], list[AuthorScore], dict[str, str]]:
    """(ranked, unranked, why each unranked author is): ranked by the rule's key, then by name."""
    rule = RANK_RULES[rank_by]
    reasons: dict[str, str] = {}
    for author in authors:
        if author.n < min_n:
            reasons[author.author] = f"fewer than {min_n} scored questions"
        elif rule.key(author) is None:
            reasons[author.author] = rule.why_not(author)
    ranked = sorted((a for a in authors if a.author not in reasons), key=lambda a: _sort_key(rule, a))
    unranked = sorted((a for a in authors if a.author in reasons), key=lambda a: (-a.n, a.author))
    return ranked, unranked, reasons


def _sort_key(rule: RankRule, author: AuthorScore) -> tuple[float, float, str]:
    """The key of a ranked author (never None), its tie-break (missing: last), its name."""
    key, then = rule.key(author), rule.then(author)
    assert key is not None, "only authors the rule can place are ranked"
    return (key, math.inf if then is None else then, author.author)


def shrink(effects: np.ndarray, se: np.ndarray) -> np.ndarray:
    """Each effect times ``tau^2 / (tau^2 + se^2)``: the normal empirical-Bayes estimate, toward 0.

    ``tau^2``, the spread of the true effects, is estimated by the method of moments
    over the effects that have a standard error: their mean square less their mean
    ``se^2`` (0 if that is negative, when every effect shrinks to 0). An effect
    measured on a few questions has a large ``se`` and moves most of the way to 0,
    the average author; one measured on many stays near its estimate. nan where
    ``se`` is nan.
    """
    known = ~np.isnan(se) & ~np.isnan(effects)
    if not known.any():
        return np.full(len(effects), np.nan)
    tau2 = max(0.0, float(np.mean(effects[known] ** 2) - np.mean(se[known] ** 2)))
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(tau2 > 0, tau2 / (tau2 + se**2), 0.0)
    return np.where(known, effects * factor, np.nan)
