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
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from .difficulty import (  # the difficulty fit, still importable from here
    BOOTSTRAP_TOLERANCE,
    PARALLEL_ROWS,
    Adjusted,
    EffectFit,
    TwoWay,
    adjusted_effects,
    difficulty_adjusted,
    fit_effects,
    fit_effects_with_intervals,
    intervals,
    largest_connected,
    t_975,
)

CALIBRATION_EDGES: tuple[float, ...] = (0.0, 0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95, 1.0)
"""Calibration bins, 10 points wide in the middle and 5 at the extremes."""


def brier_binary(probability: Any, happened: Any) -> Any:
    """``(p - o)^2``: 0 for certainty on what happened, 1 for certainty on what did not.

    Takes numbers or numpy arrays alike.
    """
    return (probability - np.multiply(happened, 1.0)) ** 2


def brier_categorical(probabilities: Mapping[str, float], outcome: str) -> float:
    """Sum over outcomes of ``(p_k - o_k)^2``, in [0, 2]."""
    return math.fsum((p - (1.0 if name == outcome else 0.0)) ** 2 for name, p in probabilities.items())


def log_score(probability_of_outcome: Any) -> Any:
    """Natural log of the probability given to what happened (at most 0)."""
    return np.log(probability_of_outcome)


def baseline_score(probability_of_outcome: Any, options: Any) -> Any:
    """Metaculus-style score against a uniform forecast over ``options`` outcomes."""
    return 100 * (np.log(probability_of_outcome) + np.log(options)) / np.log(options)


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
    scores = np.array(list(briers.values()), dtype=float)
    mean, middle = peer_scores_grouped(np.zeros(len(scores), dtype=np.intp), scores)
    return {
        author: None if math.isnan(m) else (float(m), float(d))
        for author, m, d in zip(briers, mean, middle, strict=True)
    }


def peer_scores_grouped(groups: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, its score minus the mean and the median of the other rows of its group (nan when alone)."""
    order = np.lexsort((scores, groups))
    group, score = groups[order], scores[order]
    n = len(score)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if n else np.zeros(0, dtype=np.intp)
    sizes = np.diff(np.r_[starts, n])
    start, others = np.repeat(starts, sizes), np.repeat(sizes, sizes) - 1
    rank = np.arange(n) - start  # position of the row within its sorted group
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = score - (np.repeat(np.add.reduceat(score, starts), sizes) - score) / others if n else score

    def other(k: np.ndarray) -> np.ndarray:
        """The k-th smallest of the others: skip the row itself."""
        return score[np.clip(start + k + (k >= rank), 0, max(n - 1, 0))]

    median_of_others = (other((others - 1) // 2) + other(others // 2)) / 2
    middle = np.where(others > 0, score - median_of_others, np.nan)
    mean = np.where(others > 0, mean, np.nan)
    result = (np.empty(n), np.empty(n))
    result[0][order], result[1][order] = mean, middle
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
    p = np.asarray(probabilities, dtype=float)
    result = murphy_grouped(p, np.asarray(outcomes, dtype=bool), np.zeros(len(p), dtype=np.intp), 1)[0]
    assert result is not None, "murphy() needs at least one forecast"
    return result


def murphy_grouped(
    probabilities: np.ndarray, outcomes: np.ndarray, groups: np.ndarray, n_groups: int
) -> list[Murphy | None]:
    """:func:`murphy` for each group of forecasts (None for a group without any)."""
    order = np.lexsort((probabilities, groups))
    group, p, hit = groups[order], probabilities[order], outcomes[order].astype(float)
    new_cell = np.r_[True, (group[1:] != group[:-1]) | (p[1:] != p[:-1])] if len(p) else np.zeros(0, dtype=bool)
    cell = np.cumsum(new_cell) - 1  # one cell per (group, exact probability)
    cell_group, cell_p = group[new_cell], p[new_cell]
    cell_n = np.bincount(cell).astype(float)
    cell_rate = np.bincount(cell, hit) / np.maximum(cell_n, 1)
    n = np.bincount(group, minlength=n_groups).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        base = np.bincount(group, hit, minlength=n_groups) / n
        reliability = np.bincount(cell_group, cell_n * (cell_p - cell_rate) ** 2, minlength=n_groups) / n
        resolution = np.bincount(cell_group, cell_n * (cell_rate - base[cell_group]) ** 2, minlength=n_groups) / n
    return [
        Murphy(float(reliability[g]), float(resolution[g]), float(base[g] * (1 - base[g]))) if n[g] else None
        for g in range(n_groups)
    ]


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
    p = np.asarray(probabilities, dtype=float)
    groups = np.zeros(len(p), dtype=np.intp)
    return calibration_grouped(p, np.asarray(outcomes, dtype=bool), groups, 1, edges)[0]


def calibration_grouped(
    probabilities: np.ndarray,
    outcomes: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
    edges: Sequence[float] = CALIBRATION_EDGES,
) -> list[list[CalibrationBin]]:
    """:func:`calibration` for each group of forecasts. A bin holds [low, high); the last also its high."""
    n_bins = len(edges) - 1
    bins = np.clip(np.searchsorted(edges, probabilities, side="right") - 1, 0, n_bins - 1)
    cells = groups * n_bins + bins
    size = n_groups * n_bins
    counts = np.bincount(cells, minlength=size).reshape(n_groups, n_bins)
    sums = np.bincount(cells, probabilities, minlength=size).reshape(n_groups, n_bins)
    hits = np.bincount(cells, outcomes.astype(float), minlength=size).reshape(n_groups, n_bins).round().astype(int)
    # an empty bin is the same for every group (the bins are frozen): made once, not once per author and board
    empty = [CalibrationBin(edges[b], edges[b + 1], 0, None, None, wilson_interval(0, 0)) for b in range(n_bins)]
    filled = (counts.sum(axis=1) > 0).tolist()
    return [
        [
            CalibrationBin(
                low=edges[b],
                high=edges[b + 1],
                count=int(counts[g, b]),
                mean_forecast=float(sums[g, b] / counts[g, b]),
                observed=float(hits[g, b] / counts[g, b]),
                interval=wilson_interval(int(hits[g, b]), int(counts[g, b])),
            )
            if counts[g, b]
            else empty[b]
            for b in range(n_bins)
        ]
        if filled[g]
        else list(empty)
        for g in range(n_groups)
    ]


def uniform_brier(kind: str, outcomes: int) -> float:
    """The Brier score of a uniform forecast: 0.25 binary; ``1 - 1/N`` over N outcomes; nan for numeric.

    Dividing by it puts every kind on one scale, where 1.0 is no better than uniform
    (the ranking's "scaled Brier"): the sum over N outcomes of ``(1/N - o_k)^2`` is
    ``(1 - 1/N)^2 + (N - 1)/N^2 = 1 - 1/N``.
    """
    if kind == "binary":
        return 0.25
    if kind == "numeric" or outcomes < 2:
        return math.nan
    return 1 - 1 / outcomes


__all__ = [
    "BOOTSTRAP_TOLERANCE",
    "CALIBRATION_EDGES",
    "PARALLEL_ROWS",
    "Adjusted",
    "CalibrationBin",
    "EffectFit",
    "Murphy",
    "TwoWay",
    "adjusted_effects",
    "baseline_score",
    "brier_binary",
    "brier_categorical",
    "calibration",
    "calibration_grouped",
    "central_interval",
    "crps_from_quantiles",
    "difficulty_adjusted",
    "fit_effects",
    "fit_effects_with_intervals",
    "interval_score",
    "intervals",
    "largest_connected",
    "log_score",
    "murphy",
    "murphy_grouped",
    "peer_scores",
    "peer_scores_grouped",
    "pinball_loss",
    "t_975",
    "uniform_brier",
    "wilson_interval",
]
