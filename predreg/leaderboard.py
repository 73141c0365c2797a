"""From a checked registry to scores per author: the reduce step over all resolutions.

Rules (documented in the README):

- An author's forecasts on one question form a series (a revision supersedes the
  forecast before it). By default the series is scored time-averaged over the
  question's open window, from the first forecast anyone made on it to its
  resolution; the part of the window before the author's first forecast is not
  scored but reported as ``coverage``. ``policy="last"`` scores only the last
  forecast before resolution. A window of zero days falls back to the last forecast.
- Annulled and ambiguous questions are not scored, but counted and listed; so are
  conditional forecasts whose ``given`` question resolved no.
- Brier is reported on its stated scale: binary 0-1, categorical and ordering 0-2.
- Calibration counts only binary questions whose resolve-by date has passed, so that
  questions resolved early (mostly "yes") do not bias it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from . import scoring
from .checks import Registry
from .model import UNSCORED_OUTCOMES, Prediction, Question, Resolution

MIN_N = 5


@attrs.frozen
class ScoredSeries:
    """One author's scored forecasts on one resolved question."""

    author: str
    question: str
    kind: str
    predictions: tuple[str, ...]
    outcome: str | float
    resolved_at: dt.date
    registered: dt.date
    brier: float | None
    log_score: float | None
    baseline: float | None
    pinball: float | None
    interval: float | None
    crps: float | None
    coverage: float
    last_probability: float | None
    """The binary probability standing at resolution (for calibration)."""
    tags: tuple[str, ...]


@attrs.frozen
class Unscored:
    author: str
    question: str
    reason: str


@attrs.frozen
class AuthorScore:
    author: str
    n: int
    brier: float | None
    log_score: float | None
    baseline: float | None
    peer: float | None
    peer_median: float | None
    adjusted: float | None
    adjusted_ci: tuple[float, float] | None
    murphy: scoring.Murphy | None
    calibration: list[scoring.CalibrationBin]
    numeric_n: int
    pinball: float | None
    unscored: int


@attrs.frozen
class Leaderboard:
    ranked: list[AuthorScore]
    unranked: list[AuthorScore]
    series: list[ScoredSeries]
    unscored: list[Unscored]
    min_n: int
    policy: str


def series_of(registry: Registry) -> dict[tuple[str, str], list[Prediction]]:
    """Each author's forecasts per question, oldest first (revisions after what they revise)."""
    grouped: dict[tuple[str, str], list[Prediction]] = defaultdict(list)
    for prediction in registry.predictions.values():
        grouped[prediction.author, prediction.question_id].append(prediction)
    for forecasts in grouped.values():
        forecasts.sort(key=lambda p: (p.registered, p.supersedes is not None, p.id))
    return grouped


def _forecast_scores(prediction: Prediction, question: Question, outcome: str | float) -> dict[str, float | None]:
    if question.kind == "numeric":
        quantiles = prediction.quantiles or {}
        value = float(outcome)
        interval = scoring.central_interval(quantiles)
        return {
            "pinball": scoring.pinball_loss(quantiles, value),
            "crps": scoring.crps_from_quantiles(quantiles, value),
            "interval": scoring.interval_score(*interval, value) if interval else None,
        }
    if question.kind == "binary":
        p = prediction.probability or 0.0
        happened = outcome == "yes"
        p_outcome, options, brier = (p if happened else 1 - p), 2, scoring.brier_binary(p, happened)
    else:
        probabilities = prediction.probabilities or {}
        p_outcome, options = probabilities[str(outcome)], len(probabilities)
        brier = scoring.brier_categorical(probabilities, str(outcome))
    return {
        "brier": brier,
        "log_score": scoring.log_score(p_outcome),
        "baseline": scoring.baseline_score(p_outcome, options),
    }


def score_series(
    forecasts: list[Prediction], question: Question, resolution: Resolution, window_start: dt.date, policy: str
) -> ScoredSeries:
    """Score one author's series on one resolved question."""
    end = resolution.resolved_at.date()
    standing = [p for p in forecasts if p.registered <= end]  # build() drops series wholly after `end`
    window = (end - window_start).days
    per_forecast = [_forecast_scores(p, question, resolution.outcome) for p in standing]
    first = standing[0].registered
    if policy == "last" or window <= 0:
        combined = per_forecast[-1]
        coverage = 1.0 if window <= 0 else (end - first).days / window
    else:
        starts = [p.registered for p in standing]
        spans = [max((b - a).days, 0) for a, b in zip(starts, [*starts[1:], end], strict=True)]
        covered = sum(spans)
        if covered == 0:
            combined = per_forecast[-1]
        else:
            combined = {
                key: (
                    None
                    if any(s[key] is None for s in per_forecast)
                    else math.fsum(s[key] * w for s, w in zip(per_forecast, spans, strict=True)) / covered  # type: ignore[operator]
                )
                for key in per_forecast[-1]
            }
        coverage = covered / window
    last = standing[-1]
    return ScoredSeries(
        author=last.author,
        question=question.id,
        kind=question.kind,
        predictions=tuple(p.id for p in standing),
        outcome=resolution.outcome,
        resolved_at=end,
        registered=first,
        brier=combined.get("brier"),
        log_score=combined.get("log_score"),
        baseline=combined.get("baseline"),
        pinball=combined.get("pinball"),
        interval=combined.get("interval"),
        crps=combined.get("crps"),
        coverage=coverage,
        last_probability=last.probability if question.kind == "binary" else None,
        tags=tuple(sorted(set(question.tags) | {t for p in standing for t in p.tags})),
    )


def build(
    registry: Registry,
    *,
    policy: str = "time-averaged",
    min_n: int = MIN_N,
    today: dt.date | None = None,
    authors: Iterable[str] | None = None,
    groups: Sequence[tuple[str, str]] = (),
    resamples: int = 200,
) -> Leaderboard:
    """Score every resolved series of the registry and rank the authors.

    ``groups`` keeps only series in every (grouping, key) given, e.g. ``[("tag", "scheming")]``.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    wanted = set(authors) if authors is not None else None
    grouped = series_of(registry)
    first_forecast: dict[str, dt.date] = {}
    for (_, qid), forecasts in grouped.items():
        first_forecast[qid] = min(first_forecast.get(qid, forecasts[0].registered), forecasts[0].registered)
    scored: list[ScoredSeries] = []
    unscored: list[Unscored] = []
    for (author, qid), forecasts in sorted(grouped.items()):
        question = registry.questions[qid]
        resolution = registry.resolution(qid)
        if resolution is None:
            continue
        if resolution.outcome in UNSCORED_OUTCOMES:
            unscored.append(Unscored(author, qid, f"question {resolution.outcome}"))
            continue
        condition = forecasts[-1].given
        if condition is not None:
            settled = registry.resolution(condition)
            if settled is None or settled.outcome != "yes":
                why = (
                    "condition not yet resolved"
                    if settled is None
                    else f"condition {condition} resolved {settled.outcome}"
                )
                unscored.append(Unscored(author, qid, why))
                continue
        if forecasts[0].registered > resolution.resolved_at.date():
            unscored.append(Unscored(author, qid, "registered after the question resolved"))
            continue
        series = score_series(forecasts, question, resolution, first_forecast[qid], policy)
        if all(key in groups_of(series, by) for by, key in groups):
            scored.append(series)
    # peers and the adjusted fit use every author; --author only narrows what is shown
    authors_scored = [
        a for a in _authors(registry, scored, unscored, today, resamples) if wanted is None or a.author in wanted
    ]
    if wanted is not None:
        scored = [s for s in scored if s.author in wanted]
        unscored = [u for u in unscored if u.author in wanted]
    ranked = sorted((a for a in authors_scored if a.n >= min_n), key=lambda a: (a.brier, a.author))
    unranked = sorted((a for a in authors_scored if a.n < min_n), key=lambda a: (-a.n, a.author))
    return Leaderboard(ranked, unranked, scored, unscored, min_n, policy)


HORIZONS = ((90, "under 3 months"), (365, "3-12 months"), (3 * 365, "1-3 years"))
GROUPINGS = ("tag", "year", "horizon")


def groups_of(series: ScoredSeries, by: str) -> tuple[str, ...]:
    """The groups a series belongs to: its tags, its year of registration, or its horizon."""
    if by == "tag":
        return series.tags
    if by == "year":
        return (str(series.registered.year),)
    days = (series.resolved_at - series.registered).days
    return (next((name for limit, name in HORIZONS if days < limit), "over 3 years"),)


def views(
    registry: Registry, board: Leaderboard, by: str, groups: Sequence[tuple[str, str]] = (), **options: Any
) -> list[tuple[str, Leaderboard]]:
    """One leaderboard per group of ``board``'s series, built with the same options."""
    keys = sorted({key for series in board.series for key in groups_of(series, by)})
    return [(key, build(registry, groups=[*groups, (by, key)], **options)) for key in keys]


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return math.fsum(present) / len(present) if present else None


def _authors(
    registry: Registry, scored: list[ScoredSeries], unscored: list[Unscored], today: dt.date, resamples: int
) -> list[AuthorScore]:
    with_brier = [s for s in scored if s.brier is not None]
    by_question: dict[str, dict[str, float]] = defaultdict(dict)
    for s in with_brier:
        by_question[s.question][s.author] = s.brier  # type: ignore[assignment]
    peers: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for briers in by_question.values():
        for author, peer in scoring.peer_scores(briers).items():
            if peer is not None:
                peers[author].append(peer)
    adjusted = (
        scoring.difficulty_adjusted(((s.author, s.question, s.brier) for s in with_brier), resamples=resamples)  # type: ignore[misc]
        if with_brier
        else None
    )
    series_by_author: dict[str, list[ScoredSeries]] = defaultdict(list)
    for s in scored:
        series_by_author[s.author].append(s)
    unscored_by_author: dict[str, int] = defaultdict(int)
    for u in unscored:
        unscored_by_author[u.author] += 1
    result = []
    for author in sorted(set(series_by_author) | set(unscored_by_author)):
        mine = [s for s in series_by_author[author] if s.brier is not None]
        numeric = [s for s in series_by_author[author] if s.pinball is not None]
        binary_due = [
            s
            for s in mine
            if s.kind == "binary"
            and s.last_probability is not None
            and registry.questions[s.question].resolve_by <= today
        ]
        probabilities = [s.last_probability for s in binary_due]
        outcomes = [s.outcome == "yes" for s in binary_due]
        peer_list = peers.get(author, [])
        result.append(
            AuthorScore(
                author=author,
                n=len(mine),
                brier=_mean(s.brier for s in mine),
                log_score=_mean(s.log_score for s in mine),
                baseline=_mean(s.baseline for s in mine),
                peer=_mean(p[0] for p in peer_list),
                peer_median=_mean(p[1] for p in peer_list),
                adjusted=adjusted.effects.get(author) if adjusted else None,
                adjusted_ci=adjusted.intervals.get(author) if adjusted else None,
                murphy=scoring.murphy(probabilities, outcomes) if probabilities else None,  # type: ignore[arg-type]
                calibration=scoring.calibration(probabilities, outcomes),  # type: ignore[arg-type]
                numeric_n=len(numeric),
                pinball=_mean(s.pinball for s in numeric),
                unscored=unscored_by_author[author],
            )
        )
    return result


def as_json(board: Leaderboard, generated_at: dt.datetime) -> dict[str, Any]:
    """The stable JSON export (schema in docs/scoring.md)."""

    def author(a: AuthorScore, ranked: bool) -> dict[str, Any]:
        return {
            "author": a.author,
            "ranked": ranked,
            "n": a.n,
            "brier": a.brier,
            "log_score": a.log_score,
            "baseline": a.baseline,
            "peer": a.peer,
            "peer_median": a.peer_median,
            "adjusted": a.adjusted,
            "adjusted_ci": list(a.adjusted_ci) if a.adjusted_ci and not math.isnan(a.adjusted_ci[0]) else None,
            "murphy": attrs.asdict(a.murphy) if a.murphy else None,
            "calibration": [
                {**attrs.asdict(b, filter=lambda f, _: f.name != "interval"), "interval": list(b.interval)}
                for b in a.calibration
            ],
            "numeric_n": a.numeric_n,
            "pinball": a.pinball,
            "unscored": a.unscored,
        }

    return {
        "generated_at": generated_at.isoformat(),
        "scale": scoring.BRIER_SCALE,
        "policy": board.policy,
        "min_n": board.min_n,
        "authors": [author(a, True) for a in board.ranked] + [author(a, False) for a in board.unranked],
        "questions": [
            {
                "question": s.question,
                "author": s.author,
                "kind": s.kind,
                "predictions": list(s.predictions),
                "outcome": s.outcome,
                "resolved_at": s.resolved_at.isoformat(),
                "brier": s.brier,
                "log_score": s.log_score,
                "baseline": s.baseline,
                "pinball": s.pinball,
                "interval": s.interval,
                "crps": s.crps,
                "coverage": s.coverage,
                "tags": list(s.tags),
            }
            for s in board.series
        ],
        "unscored": [attrs.asdict(u) for u in board.unscored],
    }
