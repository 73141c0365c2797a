"""Every scored series of a registry, as columns: the array work under the leaderboard.

An author's forecasts on one question form a series, oldest first (a revision after
what it revises). :func:`score_table` scores each forecast standing at a question's
resolution, and each series as their time-weighted mean (or the last one's, by
policy), in numpy columns; objects are made only for the rows shown
(:meth:`Table.series`). The rules are those of ``predreg.leaderboard``, which ranks
the authors from this table.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from . import commitment, scoring
from .checks import Registry, outcome_problem
from .fields import PROBABILITY_MAX, PROBABILITY_MIN
from .model import UNSCORED_OUTCOMES, Prediction, Question, Resolution


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
class InvalidResolution:
    """A standing resolution whose outcome does not fit its question: not scored, listed."""

    path: str | None
    question: str
    outcome: str | float
    reason: str


_SCORES = ("brier", "log_score", "baseline", "pinball", "interval", "crps")


@attrs.frozen(eq=False)
class Table:
    """Every scored series of a registry as columns, one row per (author, question).

    Scoring a million forecasts is array work; objects are made only for what is shown
    (:meth:`series`). Rows are in (author, question) order. Scores are nan where none
    applies (a Brier for a numeric question, say).
    """

    policy: str
    authors: list[str]
    """Author names by code: everyone with a forecast."""
    questions: list[Question]
    """Questions by code."""
    outcomes: list[str | float | None]
    """The standing outcome of each question, by code (None while unresolved)."""
    forecasts: list[Prediction]
    order: np.ndarray
    """``forecasts[order]`` is grouped by series, oldest first: row i's are ``order[first[i]:stop[i]]``."""
    author: np.ndarray
    question: np.ndarray
    first: np.ndarray
    stop: np.ndarray
    registered: np.ndarray
    """Day ordinal of the series' first forecast."""
    resolved: np.ndarray
    """Day ordinal of the resolution."""
    scores: dict[str, np.ndarray]
    coverage: np.ndarray
    last_probability: np.ndarray
    unscored: list[Unscored]
    unrevealed: list[Unscored] = attrs.field(factory=list)
    """Commitments never revealed by their question's resolution (scored as the worst forecast)."""
    invalid_resolutions: list[InvalidResolution] = attrs.field(factory=list)
    """Resolutions whose outcome does not fit their question; those questions count as unresolved."""

    def __len__(self) -> int:
        return len(self.author)

    @functools.cached_property
    def tags(self) -> list[tuple[str, ...]]:
        """Each row's tags: its question's and those of the forecasts standing in it."""
        of_question = [tuple(sorted(set(q.tags))) for q in self.questions]
        result = [of_question[q] for q in self.question.tolist()]
        for row, (first, stop) in enumerate(zip(self.first.tolist(), self.stop.tolist(), strict=True)):
            own = {tag for i in self.order[first:stop].tolist() for tag in self.forecasts[i].tags}
            if not own.issubset(result[row]):
                result[row] = tuple(sorted(own.union(result[row])))
        return result

    def series(self, rows: np.ndarray) -> list[ScoredSeries]:
        """The rows picked by the mask ``rows``, as objects."""
        picked = np.flatnonzero(rows).tolist()
        scores = {name: optional(column[picked]) for name, column in self.scores.items()}
        last = optional(self.last_probability[picked])
        result = []
        for k, row in enumerate(picked):
            question = self.questions[self.question[row]]
            standing = [self.forecasts[i] for i in self.order[self.first[row] : self.stop[row]].tolist()]
            result.append(
                ScoredSeries(
                    author=self.authors[self.author[row]],
                    question=question.id,
                    kind=question.kind,
                    predictions=tuple(p.id for p in standing),
                    outcome=self.outcomes[self.question[row]],
                    resolved_at=dt.date.fromordinal(int(self.resolved[row])),
                    registered=dt.date.fromordinal(int(self.registered[row])),
                    coverage=float(self.coverage[row]),
                    last_probability=last[k],
                    tags=self.tags[row],
                    **{name: values[k] for name, values in scores.items()},
                )
            )
        return result


def optional(values: np.ndarray) -> list[float | None]:
    """A column as Python floats, None where it holds nan (no such score)."""
    return [None if math.isnan(v) else v for v in values.tolist()]


def score_table(registry: Registry, policy: str = "time-averaged") -> Table:
    """Score every series of the registry whose question has resolved.

    An author's forecasts on one question form a series, oldest first (a revision after
    what it revises). Each forecast standing at resolution is scored, and the series'
    score is their time-weighted mean (or the last one's, per ``policy``).
    """
    names = sorted({p.author for p in registry.predictions.values()})
    questions = [registry.questions[qid] for qid in sorted(registry.questions)]
    standing, invalid = standing_resolutions(registry)
    resolutions = [standing[q.id] for q in questions]
    outcomes = [r.outcome if r else None for r in resolutions]
    forecasts, unrevealed = _revealed(registry, standing)
    rows = _forecast_rows(forecasts, names, questions)
    per_question = _question_columns(questions, resolutions, outcomes, rows)
    series = _series(rows, per_question, names, questions, outcomes)
    weights = _weights(rows, per_question, series, policy)
    scored = weights.scored
    per_forecast = _forecast_scores(
        forecasts, rows.order[scored], rows.probability[scored], rows.question[scored], questions, outcomes
    )
    totals = {
        name: np.bincount(weights.series[scored], values * weights.weight, minlength=len(series.starts))[series.keep]
        for name, values in per_forecast.items()
    }
    keep, starts, stop = series.keep, series.starts, weights.stop
    return Table(
        policy=policy,
        authors=names,
        questions=questions,
        outcomes=outcomes,
        forecasts=forecasts,
        order=rows.order,
        author=rows.author[starts][keep],
        question=series.question[keep],
        first=starts[keep],
        stop=stop[keep],
        registered=rows.day[starts][keep],
        resolved=per_question.end_of[series.question][keep],
        scores=totals,
        coverage=weights.coverage[keep],
        last_probability=np.where(per_question.binary[series.question], rows.probability[stop - 1], np.nan)[keep],
        unscored=series.unscored,
        unrevealed=unrevealed,
        invalid_resolutions=invalid,
    )


@attrs.frozen(eq=False)
class _Rows:
    """One row per forecast, sorted into series: by author, question, date, revision, id."""

    order: np.ndarray
    """``forecasts[order]`` are the rows."""
    author: np.ndarray
    question: np.ndarray
    day: np.ndarray
    given: np.ndarray
    """The question code of the row's condition, -1 for none."""
    probability: np.ndarray
    """A binary forecast's probability, nan for the other kinds."""


def _forecast_rows(forecasts: Sequence[Prediction], names: Sequence[str], questions: Sequence[Question]) -> _Rows:
    a_of = {name: i for i, name in enumerate(names)}
    q_of = {q.id: i for i, q in enumerate(questions)}
    author = np.array([a_of[p.author] for p in forecasts], dtype=np.intp)
    question = np.array([q_of[p.question_id] for p in forecasts], dtype=np.intp)
    day = np.array([p.registered.toordinal() for p in forecasts], dtype=np.int64)
    revision = np.array([p.supersedes is not None for p in forecasts], dtype=bool)
    order = _series_order(forecasts, author, question, day, revision)
    given = np.array([q_of[p.given] if p.given else -1 for p in forecasts], dtype=np.intp)[order]
    probability = np.array([p.probability or np.nan for p in forecasts], dtype=float)[order]
    return _Rows(order, author[order], question[order], day[order], given, probability)


def _series_order(
    forecasts: Sequence[Prediction], author: np.ndarray, question: np.ndarray, day: np.ndarray, revision: np.ndarray
) -> np.ndarray:
    """The order of the rows by author, question, date and revision; forecasts equal in all four, by id."""
    order = np.lexsort((revision, day, question, author))
    keys = (author[order], question[order], day[order], revision[order])
    if np.any(np.logical_and.reduce([k[1:] == k[:-1] for k in keys])):  # same day, same kind: by id
        ids = [p.id for p in forecasts]
        id_rank = np.empty(len(ids), dtype=np.intp)
        id_rank[sorted(range(len(ids)), key=ids.__getitem__)] = np.arange(len(ids))
        order = np.lexsort((id_rank, revision, day, question, author))
    return order


@attrs.frozen(eq=False)
class _QuestionColumns:
    """Per question: resolution day (-1 while open), how it counts, and the first forecast anyone made."""

    end_of: np.ndarray
    annulled: np.ndarray
    yes: np.ndarray
    binary: np.ndarray
    window_start: np.ndarray


def _question_columns(
    questions: Sequence[Question],
    resolutions: Sequence[Resolution | None],
    outcomes: Sequence[str | float | None],
    rows: _Rows,
) -> _QuestionColumns:
    end_of = np.array([r.resolved_at.date().toordinal() if r else -1 for r in resolutions], dtype=np.int64)
    annulled = np.array([o in UNSCORED_OUTCOMES for o in outcomes], dtype=bool)
    yes = np.array([o == "yes" for o in outcomes], dtype=bool)
    binary = np.array([q.kind == "binary" for q in questions], dtype=bool)
    window_start = np.full(len(questions), np.iinfo(np.int64).max)
    np.minimum.at(window_start, rows.question, rows.day)
    return _QuestionColumns(end_of, annulled, yes, binary, window_start)


@attrs.frozen(eq=False)
class _Series:
    """Runs of rows of one author and question; only those of resolved questions count."""

    new: np.ndarray
    """Whether each row starts a series."""
    starts: np.ndarray
    """The first row of each series."""
    question: np.ndarray
    """Each series' question."""
    keep: np.ndarray
    """The series scored: resolved, not annulled, its condition met, begun before the resolution."""
    unscored: list[Unscored]
    """The resolved series that are not scored, each with why."""


def _series(
    rows: _Rows,
    per_question: _QuestionColumns,
    names: Sequence[str],
    questions: list[Question],
    outcomes: list[str | float | None],
) -> _Series:
    n = len(rows.order)
    author, question, day = rows.author, rows.question, rows.day
    new = np.r_[True, (author[1:] != author[:-1]) | (question[1:] != question[:-1])] if n else np.zeros(0, bool)
    starts = np.flatnonzero(new)
    lasts = np.r_[starts[1:], n][: len(starts)] - 1  # (no series: none)
    s_question = question[starts]
    condition = rows.given[lasts]  # the latest forecast's condition is the one that holds
    failed = (condition >= 0) & ~per_question.yes[condition]
    late = day[starts] > per_question.end_of[s_question]
    resolved = per_question.end_of[s_question] >= 0
    annulled = per_question.annulled[s_question]
    unscored = [
        Unscored(
            names[author[starts[s]]],
            questions[s_question[s]].id,
            _reason(s_question[s], condition[s], questions, outcomes),
        )
        for s in np.flatnonzero(resolved & (annulled | failed | late)).tolist()
    ]
    keep = resolved & ~annulled & ~failed & ~late
    return _Series(new, starts, s_question, keep, unscored)


@attrs.frozen(eq=False)
class _Weights:
    """How much each forecast counts in its series' score, and the series' coverage."""

    series: np.ndarray
    """Each row's series."""
    stop: np.ndarray
    """Each series' end: its forecasts standing at resolution are ``starts[s]:stop[s]``."""
    coverage: np.ndarray
    scored: np.ndarray
    """The rows that count."""
    weight: np.ndarray
    """Each counted row's share of its series' score (they sum to 1 per series)."""


def _weights(rows: _Rows, per_question: _QuestionColumns, series: _Series, policy: str) -> _Weights:
    """The forecasts standing at resolution (a prefix of each series) and the days each stood."""
    day, new, starts, keep = rows.day, series.new, series.starts, series.keep
    end_of = per_question.end_of
    of_row = np.cumsum(new) - 1
    end = end_of[rows.question]
    standing = keep[of_row] & (day <= end)
    following = np.where(np.r_[~new[1:], False], np.r_[day[1:], 0], end)
    span = np.where(standing, np.clip(np.minimum(following, end) - day, 0, None), 0).astype(float)
    stop = starts + np.bincount(of_row[standing], minlength=len(starts))
    window = (end_of - per_question.window_start)[series.question].astype(float)
    covered = np.bincount(of_row, span, minlength=len(starts))
    use_last = (window <= 0) | (covered == 0) | (policy == "last")
    weight = np.where(use_last[of_row], 0.0, span)
    weight[(stop - 1)[keep & use_last]] = 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        if policy == "last":
            coverage = np.where(window <= 0, 1.0, (end_of[series.question] - day[starts]) / window)
        else:
            coverage = np.where(window <= 0, 1.0, covered / window)
    scored = np.flatnonzero(weight > 0)
    weight = weight[scored] / np.bincount(of_row[scored], weight[scored], minlength=len(starts))[of_row[scored]]
    return _Weights(of_row, stop, coverage, scored, weight)


def standing_resolutions(registry: Registry) -> tuple[dict[str, Resolution | None], list[InvalidResolution]]:
    """Each question's standing resolution, None where there is none or its outcome does not fit.

    ``predreg check`` refuses such an outcome, but scoring also runs on what a check left
    standing (a registry with problems, merged shards, the pytest plugin): a binary
    `maybe` would be scored as no, an unknown category or a numeric `yes` would not
    score at all. The question is then scored as unresolved, and the record listed.
    """
    standing: dict[str, Resolution | None] = {}
    invalid = []
    for qid, question in registry.questions.items():
        resolution = registry.resolution(qid)
        wrong = None if resolution is None else outcome_problem(question, resolution.outcome)
        if resolution is not None and wrong is not None:
            outcome = resolution.outcome
            shown = outcome if isinstance(outcome, str) or math.isfinite(outcome) else repr(outcome)
            invalid.append(InvalidResolution(registry.resolution_file(qid), qid, shown, wrong[0]))
            resolution = None
        standing[qid] = resolution
    return standing, sorted(invalid, key=lambda r: r.question)


def _revealed(registry: Registry, standing: dict[str, Resolution | None]) -> tuple[list[Prediction], list[Unscored]]:
    """Every forecast as scored: commitments replaced by their reveal, or by the worst forecast.

    A reveal counts if it came by the question's resolution; a commitment still hidden
    when its question resolved is scored as the worst forecast allowed, and listed.
    """
    forecasts = list(registry.predictions.values())
    unrevealed = []
    for index in [i for i, p in enumerate(forecasts) if p.commitment is not None]:
        hidden = forecasts[index]
        resolution = standing[hidden.question_id]
        reveal = registry.reveals.get(hidden.id)
        if reveal is not None and (resolution is None or reveal.revealed <= resolution.resolved_at.date()):
            forecasts[index] = attrs.evolve(hidden, commitment=None, **commitment.forecast_of(reveal))
        elif resolution is not None and resolution.outcome not in UNSCORED_OUTCOMES:
            worst = _worst(registry.questions[hidden.question_id], str(resolution.outcome))
            forecasts[index] = attrs.evolve(hidden, commitment=None, **worst)
            why = f"commitment {hidden.id} not revealed by the resolution: scored as the worst forecast"
            unrevealed.append(Unscored(hidden.author, hidden.question_id, why))
    return forecasts, unrevealed


def _worst(question: Question, outcome: str) -> dict[str, Any]:
    """The worst forecast allowed of what happened: 0.001 on it, the rest on one outcome that did not."""
    if question.kind == "binary":
        return {"probability": PROBABILITY_MIN if outcome == "yes" else PROBABILITY_MAX}
    names = question.allowed_outcomes()
    other = next(name for name in names if name != outcome)
    return {
        "probabilities": {n: PROBABILITY_MIN if n == outcome else PROBABILITY_MAX if n == other else 0.0 for n in names}
    }


def _reason(question: int, condition: int, questions: list[Question], outcomes: list[str | float | None]) -> str:
    """Why a resolved series is not scored (:func:`score_table` found that it is not)."""
    if outcomes[question] in UNSCORED_OUTCOMES:
        return f"question {outcomes[question]}"
    if condition >= 0 and outcomes[condition] is None:
        return "condition not yet resolved"
    if condition >= 0 and outcomes[condition] != "yes":
        return f"condition {questions[condition].id} resolved {outcomes[condition]}"
    return "registered after the question resolved"


def _forecast_scores(
    forecasts: list[Prediction],
    index: np.ndarray,
    probability: np.ndarray,
    question: np.ndarray,
    questions: list[Question],
    outcomes: list[str | float | None],
) -> dict[str, np.ndarray]:
    """Each score of the forecasts ``forecasts[index]`` (nan where it does not apply).

    Binary forecasts, the bulk, are scored as arrays from ``probability``; the others one by one.
    """
    result = {name: np.full(len(index), np.nan) for name in _SCORES}
    binary = np.array([q.kind == "binary" for q in questions], dtype=bool)[question]
    yes = np.array([o == "yes" for o in outcomes], dtype=bool)[question][binary]
    p = probability[binary]
    p_outcome = np.where(yes, p, 1 - p)
    result["brier"][binary] = scoring.brier_binary(p, yes)
    result["log_score"][binary] = scoring.log_score(p_outcome)
    result["baseline"][binary] = scoring.baseline_score(p_outcome, 2)
    for k in np.flatnonzero(~binary).tolist():
        q = int(question[k])
        for name, value in _one_forecast(forecasts[index[k]], questions[q], outcomes[q]).items():  # type: ignore[arg-type]
            result[name][k] = np.nan if value is None else value
    return result


def _one_forecast(prediction: Prediction, question: Question, outcome: str | float) -> dict[str, float | None]:
    """Scores of one categorical, ordering or numeric forecast."""
    if question.kind == "numeric":
        quantiles = prediction.quantiles or {}
        value = float(outcome)
        interval = scoring.central_interval(quantiles)
        return {
            "pinball": scoring.pinball_loss(quantiles, value),
            "crps": scoring.crps_from_quantiles(quantiles, value),
            "interval": scoring.interval_score(*interval, value) if interval else None,
        }
    probabilities = prediction.probabilities or {}
    p_outcome = probabilities[str(outcome)]
    return {
        "brier": scoring.brier_categorical(probabilities, str(outcome)),
        "log_score": float(scoring.log_score(p_outcome)),
        "baseline": float(scoring.baseline_score(p_outcome, len(probabilities))),
    }
