"""Scoring rules and calibration: pure functions on numbers, no I/O.

Scales, stated once here and in every report:

- Brier: binary ``(p - o)^2`` in [0, 1]; categorical (and ordering) the sum over
  outcomes of ``(p_k - o_k)^2`` in [0, 2]. Lower is better.
- Log score: ``ln p(outcome)``, at most 0. Higher is better.
- Baseline score: ``100 * (ln p - ln(1/N)) / ln N`` for N outcomes, 0 for a uniform
  forecast, 100 for certainty on what happened. Higher is better.
- Pinball loss and interval score for numeric (quantile) forecasts, in the
  question's unit. Lower is better.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from statistics import median

import attrs
import numpy as np
import numpy.typing as npt

BRIER_SCALE = "Brier: binary 0-1, categorical/ordering 0-2 (sum over outcomes); lower is better"

CALIBRATION_EDGES: tuple[float, ...] = (0.0, 0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95, 1.0)
"""Calibration bins, 10 points wide in the middle and 5 at the extremes."""


def brier_binary(probability: float, happened: bool) -> float:
    """``(p - o)^2``: 0 for certainty on what happened, 1 for certainty on what did not."""
    return (probability - (1.0 if happened else 0.0)) ** 2


def brier_categorical(probabilities: Mapping[str, float], outcome: str) -> float:
    """Sum over outcomes of ``(p_k - o_k)^2``, in [0, 2]."""
    return math.fsum((p - (1.0 if name == outcome else 0.0)) ** 2 for name, p in probabilities.items())


def log_score(probability_of_outcome: float) -> float:
    """Natural log of the probability given to what happened (at most 0)."""
    return math.log(probability_of_outcome)


def baseline_score(probability_of_outcome: float, options: int) -> float:
    """Metaculus-style score against a uniform forecast over ``options`` outcomes."""
    return 100 * (math.log(probability_of_outcome) - math.log(1 / options)) / math.log(options)


def pinball_loss(quantiles: Mapping[float, float], value: float) -> float:
    """Mean over the quantile levels of the pinball (quantile) loss."""
    losses = [max(level * (value - q), (level - 1) * (value - q)) for level, q in quantiles.items()]
    return math.fsum(losses) / len(losses)


def crps_from_quantiles(quantiles: Mapping[float, float], value: float) -> float | None:
    """CRPS approximated as twice the mean pinball loss (Berrisch and Ziel, 2023).

    The approximation stands for the integral of the pinball loss over all levels, so
    it is given only where the levels allow it: evenly spaced and symmetric about the
    median (0.1, 0.2, ..., 0.9, say). Otherwise None.
    """
    levels = sorted(quantiles)
    if len(levels) < 3 or abs(levels[0] + levels[-1] - 1) > 1e-9:
        return None
    steps = [b - a for a, b in itertools.pairwise(levels)]
    if max(steps) - min(steps) > 1e-9 or abs(levels[0] - steps[0]) > 1e-9:
        return None
    return 2 * pinball_loss(quantiles, value)


def interval_score(lower: float, upper: float, alpha: float, value: float) -> float:
    """Interval score of a central (1 - alpha) interval (Gneiting and Raftery, 2007)."""
    penalty = 0.0
    if value < lower:
        penalty = 2 / alpha * (lower - value)
    elif value > upper:
        penalty = 2 / alpha * (value - upper)
    return (upper - lower) + penalty


def central_interval(quantiles: Mapping[float, float]) -> tuple[float, float, float] | None:
    """The widest symmetric interval the quantiles give: (lower, upper, alpha), if any."""
    for level in sorted(quantiles):
        mirror = round(1 - level, 12)
        if level < 0.5 and mirror in quantiles:
            return quantiles[level], quantiles[mirror], 2 * level
    return None


def peer_scores(briers: Mapping[str, float]) -> dict[str, tuple[float, float] | None]:
    """Each author's Brier minus the mean and the median of the others' on one question.

    Negative is better than the others. None when the author is alone on the question.
    """
    result: dict[str, tuple[float, float] | None] = {}
    for author, score in briers.items():
        others = [s for a, s in briers.items() if a != author]
        result[author] = (score - math.fsum(others) / len(others), score - median(others)) if others else None
    return result


@attrs.frozen
class Murphy:
    """Murphy's decomposition of a binary Brier score: reliability - resolution + uncertainty."""

    reliability: float
    resolution: float
    uncertainty: float

    @property
    def brier(self) -> float:
        return self.reliability - self.resolution + self.uncertainty


def murphy(probabilities: Sequence[float], outcomes: Sequence[bool]) -> Murphy:
    """Decompose the mean binary Brier score, grouping forecasts by their exact value.

    Grouping by exact value (rather than by bins) makes the three terms sum to the
    Brier score exactly.
    """
    n = len(probabilities)
    base_rate = sum(outcomes) / n
    groups: dict[float, list[bool]] = {}
    for p, o in zip(probabilities, outcomes, strict=True):
        groups.setdefault(p, []).append(o)
    reliability = math.fsum(len(g) * (p - sum(g) / len(g)) ** 2 for p, g in groups.items()) / n
    resolution = math.fsum(len(g) * (sum(g) / len(g) - base_rate) ** 2 for g in groups.values()) / n
    return Murphy(reliability, resolution, base_rate * (1 - base_rate))


def wilson_interval(successes: int, trials: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (95% by default)."""
    if trials == 0:
        return (0.0, 1.0)
    share = successes / trials
    denominator = 1 + z * z / trials
    centre = (share + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


@attrs.frozen
class CalibrationBin:
    """Forecasts whose probability fell in [low, high): how often they came true."""

    low: float
    high: float
    count: int
    mean_forecast: float | None
    observed: float | None
    interval: tuple[float, float]


def calibration(
    probabilities: Sequence[float], outcomes: Sequence[bool], edges: Sequence[float] = CALIBRATION_EDGES
) -> list[CalibrationBin]:
    """Calibration table: per bin, count, mean forecast, observed frequency, Wilson 95% interval."""
    bins = []
    for index, (low, high) in enumerate(itertools.pairwise(edges)):
        last = index == len(edges) - 2
        members = [
            (p, o) for p, o in zip(probabilities, outcomes, strict=True) if low <= p < high or (last and p == high)
        ]
        hits = sum(o for _, o in members)
        count = len(members)
        bins.append(
            CalibrationBin(
                low=low,
                high=high,
                count=count,
                mean_forecast=math.fsum(p for p, _ in members) / count if count else None,
                observed=hits / count if count else None,
                interval=wilson_interval(hits, count),
            )
        )
    return bins


@attrs.frozen
class Adjusted:
    """Difficulty-adjusted author effects, with question-level bootstrap intervals."""

    effects: dict[str, float]
    """Author effect a_i, centred so that the authors' mean is 0; lower is better."""
    intervals: dict[str, tuple[float, float]]


def fit_effects(
    authors: npt.ArrayLike,
    questions: npt.ArrayLike,
    scores: npt.ArrayLike,
    n_authors: int,
    n_questions: int,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Least-squares author effects of ``score = a_author + b_question + e``.

    Solved by alternating projections (backfitting), which is exact least squares for
    this two-way layout and costs O(rows) per sweep, so it scales to millions of rows
    where a dense solver would not. Effects are centred to mean 0 over authors.
    ``start`` warm-starts the author effects (the bootstrap starts from the full fit).
    """
    a_index = np.asarray(authors)
    q_index = np.asarray(questions)
    y = np.asarray(scores, dtype=float)
    a_count = np.maximum(np.bincount(a_index, minlength=n_authors), 1)
    q_count = np.maximum(np.bincount(q_index, minlength=n_questions), 1)
    a = np.zeros(n_authors) if start is None else start.copy()
    b = np.zeros(n_questions)
    for _ in range(500):
        b = np.bincount(q_index, y - a[a_index], minlength=n_questions) / q_count
        new_a = np.bincount(a_index, y - b[q_index], minlength=n_authors) / a_count
        change = float(np.max(np.abs(new_a - a))) if n_authors else 0.0
        a = new_a
        if change < 1e-12:
            break
    return a - a.mean()


def difficulty_adjusted(rows: Iterable[tuple[str, str, float]], resamples: int = 200, seed: int = 0) -> Adjusted:
    """Author effects from (author, question, Brier) rows, with a question bootstrap 95% CI.

    Effects are only comparable between authors linked through shared questions, so
    only the largest such connected group is fitted; the others get no effect.
    """
    rows = _largest_connected(list(rows))
    author_names = sorted({author for author, _, _ in rows})
    if len(author_names) < 2:  # one author alone has nobody to be compared with
        return Adjusted({}, {})
    question_names = sorted({question for _, question, _ in rows})
    a_of = {name: i for i, name in enumerate(author_names)}
    q_of = {name: i for i, name in enumerate(question_names)}
    authors = np.array([a_of[a] for a, _, _ in rows], dtype=int)
    questions = np.array([q_of[q] for _, q, _ in rows], dtype=int)
    scores = np.array([s for _, _, s in rows], dtype=float)
    effects = fit_effects(authors, questions, scores, len(author_names), len(question_names))

    rng = np.random.default_rng(seed)
    # rows grouped by question, so a resample's rows are built with offsets, not searches
    order = np.argsort(questions, kind="stable")
    counts = np.bincount(questions, minlength=len(question_names))
    offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))
    draws = np.full((resamples, len(author_names)), np.nan)
    for r in range(resamples):
        picked = rng.integers(0, len(question_names), len(question_names))
        sizes = counts[picked]
        total = int(sizes.sum())
        # position within each picked question's block, then the block's offset
        within = np.arange(total) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        index = order[np.repeat(offsets[picked], sizes) + within]
        copies = np.repeat(np.arange(len(picked)), sizes)  # each drawn copy is a new question
        present = np.unique(authors[index])
        fitted = fit_effects(authors[index], copies, scores[index], len(author_names), len(picked), start=effects)
        # authors absent from a resample have no estimate in it; recentre on those present
        draws[r, present] = fitted[present] - fitted[present].mean()
    intervals = {}
    for i, name in enumerate(author_names):
        column = draws[:, i][~np.isnan(draws[:, i])]
        low, high = np.percentile(column, [2.5, 97.5]) if len(column) else (math.nan, math.nan)
        intervals[name] = (float(low), float(high))
    return Adjusted({name: float(effects[i]) for i, name in enumerate(author_names)}, intervals)


def _largest_connected(rows: list[tuple[str, str, float]]) -> list[tuple[str, str, float]]:
    """The rows of the largest group of authors connected through shared questions."""
    parent: dict[str, str] = {}

    def root(node: str) -> str:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for author, question, _ in rows:
        parent[root("a:" + author)] = root("q:" + question)
    sizes: dict[str, int] = {}
    for author, _, _ in rows:
        key = root("a:" + author)
        sizes[key] = sizes.get(key, 0) + 1
    if not sizes:
        return rows
    biggest = max(sorted(sizes), key=lambda key: sizes[key])
    return [row for row in rows if root("a:" + row[0]) == biggest]
