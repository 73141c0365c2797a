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

import functools
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from . import parallel

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


@attrs.frozen
class Adjusted:
    """Difficulty-adjusted author effects, with question-level bootstrap intervals."""

    effects: dict[str, float]
    """Author effect a_i, centred so that the authors' mean is 0; lower is better."""
    intervals: dict[str, tuple[float, float]]


class TwoWay:
    """Rows of ``score = a_author + b_question + e``, grouped by question, fitted by least squares.

    Solved on the authors' reduced normal equations (the question effects eliminated) by
    conjugate gradients with each author's weight as preconditioner. One product with
    the reduced matrix costs two contiguous reductions and one scatter over the rows, so
    this scales to millions of rows where a dense solver would not, and it converges in
    a few products where authors share many questions and in tens where they share few.
    (Plain backfitting, which was used before, needed hundreds of sweeps on a sparsely
    linked registry and then stopped short of the solution.)
    """

    def __init__(self, authors: np.ndarray, scores: np.ndarray, sizes: np.ndarray, n_authors: int):
        """Rows already grouped by question: ``sizes`` rows of the first question, and so on."""
        self.authors, self.scores, self.sizes, self.n_authors = authors, scores, sizes, n_authors
        self.starts = np.cumsum(sizes) - sizes
        self.question_sums = np.add.reduceat(scores, self.starts) if len(scores) else np.zeros(0)

    @classmethod
    def from_rows(
        cls, authors: npt.ArrayLike, questions: npt.ArrayLike, scores: npt.ArrayLike, n_authors: int
    ) -> TwoWay:
        q = np.asarray(questions, dtype=np.intp)
        order = np.argsort(q, kind="stable")
        q = q[order]
        starts = np.flatnonzero(np.r_[True, q[1:] != q[:-1]]) if len(q) else np.zeros(0, dtype=np.intp)
        authors = np.asarray(authors, dtype=np.intp)[order]
        return cls(authors, np.asarray(scores, dtype=float)[order], np.diff(np.r_[starts, len(q)]), n_authors)

    def fit(self, start: np.ndarray | None = None, tol: float = 1e-12) -> np.ndarray:
        """Author effects centred to mean 0 over the authors present; nan for the others."""
        return self.fit_weighted(np.ones(len(self.sizes)), start, tol)

    def resample(self, drawn: np.ndarray, start: np.ndarray, tol: float) -> np.ndarray:
        """The fit on a question bootstrap resample: ``drawn[j]`` copies of question j.

        A question drawn twice counts twice, exactly as two copies of it would (the
        copies' own effects would be equal); questions not drawn are left out.
        """
        picked = drawn > 0
        rows = np.repeat(picked, self.sizes)
        subset = TwoWay(self.authors[rows], self.scores[rows], self.sizes[picked], self.n_authors)
        return subset.fit_weighted(drawn[picked].astype(float), start, tol)

    def fit_weighted(self, weights: np.ndarray, start: np.ndarray | None, tol: float) -> np.ndarray:
        """Least squares with a weight per question; ``start`` warm-starts the author effects.

        Stops when one more backfitting sweep from the current effects would move no author
        by ``tol`` or more (each author's residual over its weight).
        """
        row_weights = np.repeat(weights, self.sizes)
        weight_of_author = np.bincount(self.authors, row_weights, minlength=self.n_authors)
        present = weight_of_author > 0
        if not present.any():
            return np.full(self.n_authors, np.nan)
        weight_of_author[~present] = 1.0
        centred = self.scores - np.repeat(self.question_sums / self.sizes, self.sizes)
        target = np.bincount(self.authors, row_weights * centred, minlength=self.n_authors)

        def product(v: np.ndarray) -> np.ndarray:  # the reduced matrix times v
            means = np.add.reduceat(v.take(self.authors), self.starts) / self.sizes
            scattered = np.bincount(self.authors, np.repeat(weights * means, self.sizes), self.n_authors)
            return np.where(present, weight_of_author * v - scattered, 0.0)

        a = np.zeros(self.n_authors) if start is None else np.where(np.isnan(start), 0.0, start)
        residual = target - product(a)
        step = residual / weight_of_author
        direction = step.copy()
        along = float(residual @ step)
        for _ in range(1000):
            if float(np.max(np.abs(step))) < tol:
                break
            image = product(direction)
            curvature = float(direction @ image)
            if curvature <= 0:  # nothing left to fit but the free constant
                break
            length = along / curvature
            a += length * direction
            residual -= length * image
            step = residual / weight_of_author
            along, before = float(residual @ step), along
            direction = step + (along / before) * direction
        return np.where(present, a - a[present].mean(), np.nan)


def fit_effects(authors: npt.ArrayLike, questions: npt.ArrayLike, scores: npt.ArrayLike, n_authors: int) -> np.ndarray:
    """Least-squares author effects of ``score = a_author + b_question + e``, centred to mean 0."""
    return TwoWay.from_rows(authors, questions, scores, n_authors).fit()


BOOTSTRAP_TOLERANCE = 1e-6
"""A bootstrap refit stops when one more backfitting sweep would move no effect by this much (Brier units).

Its effects are then within about 1e-7 of the exact solution (measured on densely and on
sparsely linked registries): far below the three decimals shown and the bootstrap's own
sampling error.
"""


def adjusted_effects(
    authors: np.ndarray,
    questions: np.ndarray,
    scores: np.ndarray,
    n_authors: int,
    resamples: int = 200,
    seed: int = 0,
    *,
    mapper: parallel.Mapper = parallel.serial,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Author effects with question-bootstrap 95% intervals, as arrays over author codes.

    Effects are only comparable between authors linked through shared questions, so
    only the largest such connected group is fitted; the other authors (and everyone,
    when the group has one author) get nan. Returns (effects, low, high). A large fit's
    resamples are refitted in pieces through ``mapper`` (the caller's choice of
    :func:`parallel.split_map` puts them on the machine's cores).
    """
    nothing = np.full(n_authors, np.nan)
    keep = largest_connected(authors, questions)
    if len(np.unique(authors[keep])) < 2:  # one author alone has nobody to be compared with
        return nothing, nothing.copy(), nothing.copy()
    design = TwoWay.from_rows(authors[keep], questions[keep], scores[keep], n_authors)
    effects = design.fit()
    draws = _bootstrap(design, effects, resamples, seed, mapper)
    low, high = nothing.copy(), nothing.copy()
    for i in np.flatnonzero(~np.isnan(effects)):
        column = draws[:, i][~np.isnan(draws[:, i])]  # an author absent from a resample has no draw in it
        if len(column):
            low[i], high[i] = np.percentile(column, [2.5, 97.5])
    return effects, low, high


PARALLEL_ROWS = 200_000
"""From this many rows, bootstrap resamples are refitted in pieces through the mapper (smaller fits: here)."""


def _refit(design: TwoWay, effects: np.ndarray, seeds: list[np.random.SeedSequence]) -> np.ndarray:
    """One refit per seed of ``design``, each from its own question draw, warm-started at ``effects``."""
    count = len(design.sizes)
    draws = np.empty((len(seeds), design.n_authors))
    for k, seed in enumerate(seeds):
        drawn = np.bincount(np.random.default_rng(seed).integers(0, count, count), minlength=count)
        draws[k] = design.resample(drawn, effects, BOOTSTRAP_TOLERANCE)
    return draws


def _bootstrap(design: TwoWay, effects: np.ndarray, resamples: int, seed: int, mapper: parallel.Mapper) -> np.ndarray:
    """``resamples`` question-bootstrap refits, one row of author effects each.

    Each resample has its own seed, so the draws are the same however the work is split.
    The design travels with the function (a partial, pickled by a mapper that needs it),
    not in a module global.
    """
    seeds = np.random.SeedSequence(seed).spawn(resamples)
    refit = functools.partial(_refit, design, effects)
    if len(design.authors) < PARALLEL_ROWS:
        return refit(seeds)
    return np.concatenate(mapper(refit, seeds))


def difficulty_adjusted(rows: Iterable[tuple[str, str, float]], resamples: int = 200, seed: int = 0) -> Adjusted:
    """Author effects from (author, question, Brier) rows, with a question bootstrap 95% CI."""
    rows = list(rows)
    author_names = sorted({author for author, _, _ in rows})
    a_of = {name: i for i, name in enumerate(author_names)}
    q_of: dict[str, int] = {}
    authors = np.array([a_of[a] for a, _, _ in rows], dtype=np.intp)
    questions = np.array([q_of.setdefault(q, len(q_of)) for _, q, _ in rows], dtype=np.intp)
    scores = np.array([s for _, _, s in rows], dtype=float)
    effects, low, high = adjusted_effects(authors, questions, scores, len(author_names), resamples, seed)
    fitted = [i for i in range(len(author_names)) if not math.isnan(effects[i])]
    return Adjusted(
        {author_names[i]: float(effects[i]) for i in fitted},
        {author_names[i]: (float(low[i]), float(high[i])) for i in fitted},
    )


def largest_connected(authors: np.ndarray, questions: np.ndarray) -> np.ndarray:
    """Mask of the rows in the largest group of authors linked through shared questions.

    Connected components by label propagation with pointer jumping: each round every
    author takes the smallest label among the authors it shares a question with, and
    labels are followed to their roots, so rounds grow with log of the graph's size.
    """
    if len(authors) == 0:
        return np.zeros(0, dtype=bool)
    order = np.argsort(questions, kind="stable")
    q = questions[order]
    first = np.flatnonzero(np.r_[True, q[1:] != q[:-1]])
    # link every author of a question to that question's first author
    u = np.repeat(authors[order][first], np.diff(np.r_[first, len(q)]))
    v = authors[order]
    label = np.arange(int(authors.max()) + 1)
    while True:
        lu, lv = label[u], label[v]
        apart = lu != lv
        if not apart.any():
            break
        np.minimum.at(label, np.maximum(lu, lv)[apart], np.minimum(lu, lv)[apart])
        while True:  # follow every label to its root
            jumped = label[label]
            if np.array_equal(jumped, label):
                break
            label = jumped
    roots = label[authors]
    sizes = np.bincount(roots)
    return roots == int(np.argmax(sizes))  # ties go to the smallest label
