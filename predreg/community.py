"""The community forecast: the authors' standing forecasts pooled per question and day, scored like an author.

On each day, each author's standing forecast on a question is their latest one
registered by that day (a revision replaces what it revises). A withdrawn forecast
stops standing on the day of its withdrawal; a hidden one (``commitment:``) is not
known until its reveal, and counts from the reveal's day; a conditional one
(``given:``) forecasts another thing, and is left out (so is its author, while it is
their latest). The pool, by the question's kind:

- binary: the geometric mean of the odds (Satopää et al. 2014, "Combining multiple
  probability predictions using a simple logit model"), or the median probability;
  either extremised by raising the odds to a factor ``d`` (``d = 1`` leaves it be);
- categorical and ordering: the geometric mean of each outcome's probability,
  normalised to sum to 1 (with ``d``: each raised to ``d`` before normalising);
- numeric: quantile averaging, the mean value of each quantile level that every
  standing forecast gives.

The pooled history becomes the forecasts of a virtual author, :data:`COMMUNITY` (not a
valid handle, so no author can be it), one revising the other on each day the pool
changes; they are scored by the leaderboard's own rules on a copy of the registry
that holds them alone, so they enter no author's peer score and no difficulty fit.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import numpy as np

from . import leaderboard, parallel
from .checks import Registry
from .fieldtypes import PROBABILITY_MAX, PROBABILITY_MIN
from .leaderboard import AuthorScore
from .model import Prediction, Question
from .table import ScoredSeries, Table

COMMUNITY = "(community)"
"""The virtual entry's name: parentheses are not allowed in a handle, so no author's forecast is taken for it."""
JSON_KEY = "community"
"""Its key in the JSON export (``leaderboard.as_json``), beside ``authors``."""
METHODS = ("geo-mean-odds", "median")
"""How binary forecasts are pooled (``--community``)."""

Forecast = float | dict[str, float] | dict[float, float]
"""p(yes), outcome -> probability, or quantile level -> value."""
_FOREVER = dt.date.max.toordinal()


@attrs.frozen
class Point:
    """The community forecast from ``day`` until the next point."""

    day: dt.date
    forecast: Forecast | None
    """None: no pooled forecast from this day (nothing stands, or numeric forecasts share no quantile level)."""
    forecasters: int
    """How many authors' forecasts are pooled."""


def _positive(instance: Any, attribute: Any, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"extremise must be a positive, finite number, not {value!r}")


def _known(instance: Any, attribute: Any, value: str) -> None:
    if value not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {value!r}")


@attrs.frozen
class Method:
    """How the forecasts are pooled: ``name`` for binary ones, and the extremising factor ``d``."""

    name: str = attrs.field(default="geo-mean-odds", validator=_known)
    extremise: float = attrs.field(default=1.0, converter=float, validator=_positive)

    def sentence(self) -> str:
        """The rule in one sentence, for a page or a report."""
        if self.name == "median":
            binary = "the median of the authors' probabilities"
        else:
            binary = "the geometric mean of the authors' odds (Satopää et al. 2014)"
        shaped = "" if self.extremise == 1 else f", extremised by raising the odds to the power {self.extremise:g}"
        return (
            f"The community forecast pools each author's standing forecast: on binary questions {binary}{shaped};"
            " on categorical and ordering questions the normalised geometric mean of the probabilities; on numeric"
            " questions the mean of each quantile level. Hidden forecasts count from their reveal; conditional"
            " ones are left out."
        )


@attrs.frozen
class CommunityScore(AuthorScore):
    """The community's scores, as an author's, with the method that pooled them."""

    method: str = "geo-mean-odds"
    extremise: float = 1.0
    series: tuple[ScoredSeries, ...] = ()
    """Its scored forecasts, one series per question; ``coverage`` is of the question's whole window."""


def histories(registry: Registry, method: Method = Method()) -> dict[str, list[Point]]:
    """Every question id -> the community forecast's points over time, oldest first (none: no forecast)."""
    by_question: dict[str, list[Prediction]] = defaultdict(list)
    for prediction in registry.predictions.values():
        by_question[prediction.question_id].append(prediction)
    return {
        qid: _history(question, by_question.get(qid, []), registry, method)
        for qid, question in sorted(registry.questions.items())
    }


def _history(question: Question, forecasts: list[Prediction], registry: Registry, method: Method) -> list[Point]:
    """One question's points: a sweep over the days its authors' standing forecasts start and stop."""
    events: dict[int, list[tuple[bool, str, Any]]] = defaultdict(list)
    for start, stop, author, value in _standing(question, forecasts, registry):
        events[start].append((True, author, value))
        if stop != _FOREVER:
            events[stop].append((False, author, value))
    active: dict[str, Any] = {}
    points: list[Point] = []
    for day in sorted(events):
        for adds, author, value in sorted(events[day], key=lambda e: e[0]):  # the day's ends, then its starts
            if adds:
                active[author] = value
            else:
                del active[author]
        values = [active[author] for author in sorted(active)]
        pooled = _pool(question, values, method) if values else None
        count = 0 if pooled is None else len(values)
        if not points or (pooled, count) != (points[-1].forecast, points[-1].forecasters):
            points.append(Point(dt.date.fromordinal(day), pooled, count))
    return points


def _standing(
    question: Question, forecasts: list[Prediction], registry: Registry
) -> Iterable[tuple[int, int, str, Any]]:
    """(first day, day it stops, author, forecast) of each forecast while it is its author's known, standing one."""
    by_author: dict[str, list[Prediction]] = defaultdict(list)
    for prediction in forecasts:
        by_author[prediction.author].append(prediction)
    for author, series in sorted(by_author.items()):
        # the table's order of a series: by date, a revision after what it revises, then by id
        series.sort(key=lambda p: (p.registered, p.supersedes is not None, p.id))
        for k, prediction in enumerate(series):
            start = prediction.registered.toordinal()
            stop = series[k + 1].registered.toordinal() if k + 1 < len(series) else _FOREVER
            withdrawal = registry.withdrawals.get(prediction.id)
            if withdrawal is not None:
                stop = min(stop, withdrawal.withdrawn.toordinal())
            source: Any = prediction
            if prediction.commitment is not None:
                reveal = registry.reveals.get(prediction.id)
                if reveal is None:
                    continue
                start, source = max(start, reveal.revealed.toordinal()), reveal
            value = None if prediction.given is not None else _forecast_of(question, source)
            if value is not None and start < stop:
                yield start, stop, author, value


def _forecast_of(question: Question, record: Any) -> Forecast | None:
    if question.kind == "binary":
        return record.probability
    if question.kind == "numeric":
        return getattr(record, "quantiles", None)  # (a reveal carries no quantiles)
    return record.probabilities


def _pool(question: Question, values: Sequence[Any], method: Method) -> Forecast | None:
    if question.kind == "binary":
        return pool_binary(values, method)
    if question.kind == "numeric":
        return pool_quantiles(values)
    return pool_probabilities(values, question.allowed_outcomes(), method.extremise)


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _expit(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def pool_binary(probabilities: Sequence[float], method: Method = Method()) -> float:
    """p(yes) of the pooled forecast: the geometric mean of the odds (or the median), odds raised to ``d``.

    Held within the range a forecast may take, which a large ``d`` would leave (and a
    certain forecast would score minus infinity).
    """
    if method.name == "median":
        log_odds = _logit(statistics.median(probabilities))
    else:
        log_odds = math.fsum(_logit(p) for p in probabilities) / len(probabilities)
    return min(max(_expit(method.extremise * log_odds), PROBABILITY_MIN), PROBABILITY_MAX)


def pool_probabilities(
    forecasts: Sequence[dict[str, float]], outcomes: Sequence[str], extremise: float = 1.0
) -> dict[str, float]:
    """The normalised geometric mean of each outcome's probability (each raised to ``extremise``).

    An outcome a large ``extremise`` pushes below the least probability a forecast may
    give gets that least, taken from the most likely outcome.
    """
    logs = {name: math.fsum(math.log(f[name]) for f in forecasts) / len(forecasts) for name in outcomes}
    top = max(logs.values())  # scaled by the largest, so that no term underflows
    weights = {name: math.exp(extremise * (value - top)) for name, value in logs.items()}
    total = math.fsum(weights.values())
    pooled = {name: weight / total for name, weight in weights.items()}
    short = math.fsum(PROBABILITY_MIN - p for p in pooled.values() if p < PROBABILITY_MIN)
    if short > 0:
        likeliest = max(pooled, key=lambda name: (pooled[name], name))
        pooled = {name: max(p, PROBABILITY_MIN) for name, p in pooled.items()}
        pooled[likeliest] -= short
    return pooled


def pool_quantiles(forecasts: Sequence[dict[float, float]]) -> dict[float, float] | None:
    """The mean value of each quantile level every forecast gives (None: no level in common)."""
    levels = set(forecasts[0]).intersection(*forecasts[1:])
    if not levels:
        return None
    return {level: math.fsum(f[level] for f in forecasts) / len(forecasts) for level in sorted(levels)}


def virtual_forecasts(points: dict[str, list[Point]], questions: Iterable[str] | None = None) -> dict[str, Prediction]:
    """The community's forecasts as predictions of :data:`COMMUNITY`: one per change, each revising the one before.

    A day on which nothing stands adds none: the last pooled forecast stands on, as an
    author's withdrawn forecast is still scored.
    """
    wanted = set(points) if questions is None else set(questions)
    result: dict[str, Prediction] = {}
    for qid in sorted(wanted & set(points)):
        before: Prediction | None = None
        for point in points[qid]:
            if point.forecast is None or (before is not None and _same(before, point.forecast)):
                continue
            prediction = Prediction(
                id=f"{qid}@{point.day.isoformat()}",
                author=COMMUNITY,
                registered=point.day,
                question=qid,
                supersedes=None if before is None else before.id,
                **_fields(point.forecast),
            )
            result[prediction.id] = before = prediction
    return result


def _fields(forecast: Forecast) -> dict[str, Any]:
    if isinstance(forecast, float):
        return {"probability": forecast}
    first = next(iter(forecast))
    return {"quantiles": forecast} if isinstance(first, float) else {"probabilities": forecast}


def _same(prediction: Prediction, forecast: Forecast) -> bool:
    return forecast in (prediction.probability, prediction.probabilities, prediction.quantiles)


def score(
    registry: Registry,
    table: Table,
    today: dt.date,
    method: Method = Method(),
    *,
    rows: np.ndarray | None = None,
    points: dict[str, list[Point]] | None = None,
) -> CommunityScore | None:
    """The community's scores, as an author's, on the questions of ``table``'s ``rows`` (all: every row).

    The policy is the table's. ``points`` reuses a :func:`histories` of the same
    registry and method. None when the community has no scored question.
    """
    rows = np.ones(len(table), dtype=bool) if rows is None else rows
    wanted = {table.questions[q].id for q in np.unique(table.question[rows]).tolist()}
    forecasts = virtual_forecasts(histories(registry, method) if points is None else points, wanted)
    alone = attrs.evolve(registry, predictions=forecasts, reveals={}, withdrawals={})
    board = leaderboard.build(alone, policy=table.policy, min_n=0, today=today, resamples=0, mapper=parallel.serial)
    found = [a for a in board.ranked + board.unranked if a.author == COMMUNITY]
    if not found or found[0].n + found[0].numeric_n == 0:
        return None
    peer, peer_median = _versus_authors(table, rows, board.table)
    fields = {**attrs.asdict(found[0], recurse=False), "peer": peer, "peer_median": peer_median}
    opened = _opening_days(registry, wanted)
    series = tuple(_covering(s, opened.get(s.question, s.registered)) for s in board.series)
    return CommunityScore(**fields, method=method.name, extremise=method.extremise, series=series)


def _opening_days(registry: Registry, questions: set[str]) -> dict[str, dt.date]:
    """The day each question's window opens: the first forecast anyone made on it, hidden or conditional too."""
    opened: dict[str, dt.date] = {}
    for prediction in registry.predictions.values():
        qid = prediction.question_id
        if qid in questions and (qid not in opened or prediction.registered < opened[qid]):
            opened[qid] = prediction.registered
    return opened


def _covering(series: ScoredSeries, opened: dt.date) -> ScoredSeries:
    """The series with its coverage of the question's window, which opens at anyone's first forecast.

    The copy of the registry holds the community's forecasts alone, so its window opens
    at the community's first; they differ when the first forecasts were hidden or conditional.
    """
    window = (series.resolved_at - opened).days
    covered = (series.resolved_at - series.registered).days
    return attrs.evolve(series, coverage=1.0 if window <= 0 else covered / window)


def _versus_authors(table: Table, rows: np.ndarray, crowd: Table) -> tuple[float | None, float | None]:
    """The community's Brier minus the mean (and the median) of the authors' on each question, averaged."""
    brier = table.scores["brier"]
    kept = rows & ~np.isnan(brier)
    by_question: dict[str, list[float]] = defaultdict(list)
    for q, value in zip(table.question[kept].tolist(), brier[kept].tolist(), strict=True):
        by_question[table.questions[q].id].append(value)
    gaps: list[tuple[float, float]] = []
    for q, value in zip(crowd.question.tolist(), crowd.scores["brier"].tolist(), strict=True):
        others = by_question.get(crowd.questions[q].id)
        if others and not math.isnan(value):
            gaps.append((value - math.fsum(others) / len(others), value - statistics.median(others)))
    if not gaps:
        return None, None
    return math.fsum(g for g, _ in gaps) / len(gaps), math.fsum(g for _, g in gaps) / len(gaps)


@attrs.define(eq=False)
class Community:
    """What :func:`leaderboard.build` is given as ``community``: ``(registry, table, today, rows=...)`` -> scores.

    It pools a registry once for all the views built from it.
    """

    method: Method = Method()
    _pooled: tuple[Registry, dict[str, list[Point]]] | None = attrs.field(default=None, init=False, repr=False)

    def histories(self, registry: Registry) -> dict[str, list[Point]]:
        if self._pooled is None or self._pooled[0] is not registry:
            self._pooled = (registry, histories(registry, self.method))
        return self._pooled[1]

    def __call__(
        self, registry: Registry, table: Table, today: dt.date, *, rows: np.ndarray | None = None
    ) -> CommunityScore | None:
        return score(registry, table, today, self.method, rows=rows, points=self.histories(registry))
