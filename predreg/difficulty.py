"""The difficulty-adjusted fit: ``score = a_author + b_question + e``, with question-bootstrap intervals.

Pure functions on arrays. Only authors linked through shared questions are comparable,
so only the largest connected group is fitted, in the full sample and again in each
resample; intervals are t-based on the bootstrap standard error (coverage checked by
simulation in ``benchmarks/coverage.py``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence

import attrs
import numpy as np
import numpy.typing as npt

from . import parallel
from .defaults import MIN_IDENTIFIED, MIN_SHARED


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
        self.question_of_row = np.repeat(np.arange(len(sizes)), sizes)
        # per row, the first author of its question: the edges that link a question's authors
        self.first_author = np.repeat(authors[self.starts], sizes) if len(authors) else authors
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
        copies' own effects would be equal). Questions not drawn are left out, and so
        are those outside the resample's own largest connected group: an author cut off
        from the others in this resample is not identified by it, and gets nan.
        """
        kept = self.identified(drawn > 0)
        return self.subset(kept).fit_weighted(drawn[kept], start, tol)

    def identified(self, picked: np.ndarray) -> np.ndarray:
        """Of the questions ``picked``, those in the largest group of authors they link (none if it has one author)."""
        rows = np.repeat(picked, self.sizes)
        authors = self.authors[rows]
        # first one link per question (its first two authors), which joins most of the graph cheaply;
        # then every link, of which only those still apart are looked at again
        paired = self.starts[picked & (self.sizes > 1)]
        sketch = component_labels(self.authors[paired], self.authors[paired + 1], self.n_authors)
        label = component_labels(self.first_author[rows], authors, self.n_authors, sketch)
        component = label[self.authors[self.starts]]  # each question's: all its authors share it
        largest = int(np.argmax(np.bincount(component[picked], self.sizes[picked], minlength=self.n_authors)))
        kept = picked & (component == largest)  # the most rows, as in largest_connected; ties: smallest label
        if np.count_nonzero(label == largest) < 2:
            kept[:] = False
        return kept

    def subset(self, kept: np.ndarray) -> TwoWay:
        """The design of the questions ``kept`` alone."""
        rows = np.repeat(kept, self.sizes)
        return TwoWay(self.authors[rows], self.scores[rows], self.sizes[kept], self.n_authors)

    def shared(self) -> np.ndarray:
        """Per author, how many of their questions another author also answered."""
        on_shared = np.repeat(self.sizes > 1, self.sizes)
        return np.bincount(self.authors[on_shared], minlength=self.n_authors)

    def fit_weighted(self, weights: np.ndarray, start: np.ndarray | None, tol: float) -> np.ndarray:
        """Least squares with a weight per question; ``start`` warm-starts the author effects.

        Stops when one more backfitting sweep from the current effects would move no author
        by ``tol`` or more (each author's residual over its weight).
        """
        weights = weights.astype(float)
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


@attrs.frozen(eq=False)
class EffectFit:
    """Author effects of one score with their question-bootstrap 95% intervals, as arrays over author codes.

    nan where there is none: an author outside the largest connected group has no
    effect; one who shares fewer than ``MIN_SHARED`` questions with the others, or was
    identified in fewer than two resamples, has an effect but no interval.
    """

    effects: np.ndarray
    low: np.ndarray
    high: np.ndarray
    se: np.ndarray
    """The standard error the interval implies: its half-width over 1.96 (see :func:`intervals`)."""
    shared: np.ndarray
    """Per author, the questions they share with another author of the connected group."""

    def times(self, factor: float) -> EffectFit:
        """The fit of the scores times ``factor``: least squares is linear in the scores, and so is every draw."""
        return attrs.evolve(
            self, effects=self.effects * factor, low=self.low * factor, high=self.high * factor, se=self.se * factor
        )


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
    """(effects, low, high) of :func:`fit_effects_with_intervals` for one score."""
    [fit] = fit_effects_with_intervals(authors, questions, [scores], n_authors, resamples, seed, mapper=mapper)
    return fit.effects, fit.low, fit.high


def fit_effects_with_intervals(
    authors: np.ndarray,
    questions: np.ndarray,
    columns: Sequence[np.ndarray],
    n_authors: int,
    resamples: int = 200,
    seed: int = 0,
    *,
    mapper: parallel.Mapper = parallel.serial,
) -> list[EffectFit]:
    """Author effects of each score column, with question-bootstrap 95% intervals.

    Effects are only comparable between authors linked through shared questions, so
    only the largest such connected group is fitted; the other authors (and everyone,
    when the group has one author) get nan. Every column is refitted on the same
    resamples, and each resample keeps only its own largest connected group. A large
    fit's resamples are refitted in pieces through ``mapper`` (the caller's choice of
    :func:`parallel.split_map` puts them on the machine's cores).
    """
    nothing = np.full(n_authors, np.nan)
    keep = largest_connected(authors, questions)
    if len(np.unique(authors[keep])) < 2:  # one author alone has nobody to be compared with
        none = EffectFit(nothing, nothing, nothing, nothing, np.zeros(n_authors, dtype=np.intp))
        return [none for _ in columns]
    designs = [TwoWay.from_rows(authors[keep], questions[keep], column[keep], n_authors) for column in columns]
    effects = [design.fit() for design in designs]
    draws = _bootstrap(designs, effects, resamples, seed, mapper)
    shared = designs[0].shared()
    return [EffectFit(e, *intervals(e, d, shared), shared) for e, d in zip(effects, draws, strict=True)]


def intervals(effects: np.ndarray, draws: np.ndarray, shared: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(low, high, se): ``effect +- t(0.975, m - 1) * sd`` for an author sharing m questions.

    ``sd`` is the standard deviation of the author's bootstrap draws (those of the
    resamples that identify them). With few questions the normal quantile is too small
    (the percentile interval covered about 75% at m = 2-4 in simulation); the t
    quantile on m - 1 degrees of freedom, as for a mean of m values, holds coverage
    near 95% at every m (docs/scoring.md, "Interval coverage"). Resampling the whole
    registry's questions already varies how many of the author's own are drawn, which
    widens the draws about as much as the usual ``sqrt(m / (m - 1))`` correction would,
    so none is applied (with it the intervals overcovered at small m). ``se`` is the
    standard error the interval implies, its half-width over 1.96, so that what shrinks
    an effect (``ranking.shrink``) is the same uncertainty the interval shows. Below
    ``MIN_SHARED`` shared questions, or identified in fewer than ``MIN_IDENTIFIED`` of
    the resamples (linked to the others through one question), or with fewer than two
    draws: nan.
    """
    present = ~np.isnan(draws)
    count = present.sum(axis=0)
    values = np.where(present, draws, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = values.sum(axis=0) / count
        sd = np.sqrt(np.where(present, (values - mean) ** 2, 0.0).sum(axis=0) / (count - 1))
    given = (shared >= MIN_SHARED) & (count >= max(2, MIN_IDENTIFIED * len(draws))) & ~np.isnan(effects)
    half = np.where(given, t_975(np.maximum(shared - 1, 1)) * sd, np.nan)
    return effects - half, effects + half, half / _Z_975


_Z_975 = 1.959963984540054
"""The normal 97.5% quantile."""

_T_975 = np.array(
    [
        *(12.706204736, 4.302652730, 3.182446305, 2.776445105, 2.570581836, 2.446911851, 2.364624252, 2.306004135),
        *(2.262157163, 2.228138852, 2.200985160, 2.178812830, 2.160368656, 2.144786688, 2.131449546, 2.119905299),
        *(2.109815578, 2.100922040, 2.093024054, 2.085963447, 2.079613845, 2.073873068, 2.068657610, 2.063898562),
        *(2.059538553, 2.055529439, 2.051830516, 2.048407142, 2.045229642, 2.042272456),
    ]
)
"""Student's t 97.5% quantiles for 1 to 30 degrees of freedom (scipy.stats.t.ppf, to 9 decimals)."""


def t_975(df: npt.ArrayLike) -> np.ndarray:
    """Student's t 97.5% quantile: tabled to 30 degrees of freedom, then the Cornish-Fisher expansion.

    The expansion (Abramowitz and Stegun 26.7.5, three terms) is within 3e-6 of the
    exact quantile from 30 degrees of freedom on; numpy has no t distribution, and
    scipy is not a dependency.
    """
    v = np.asarray(df, dtype=float)
    z = _Z_975
    g1, g2 = (z**3 + z) / 4, (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    with np.errstate(divide="ignore", invalid="ignore"):
        expansion = z + g1 / v + g2 / v**2 + g3 / v**3
    tabled = _T_975[np.clip(v, 1, 30).astype(np.intp) - 1]
    return np.where(v <= 30, tabled, expansion)


PARALLEL_ROWS = 200_000
"""From this many rows, bootstrap resamples are refitted in pieces through the mapper (smaller fits: here)."""


def _refit(designs: list[TwoWay], effects: list[np.ndarray], seeds: list[np.random.SeedSequence]) -> np.ndarray:
    """Per seed, one question draw and each design refitted on it, warm-started at its ``effects``.

    Returns draws indexed (design, seed, author); nan where the author is not identified.
    """
    first = designs[0]
    count = len(first.sizes)
    draws = np.empty((len(designs), len(seeds), first.n_authors))
    for k, seed in enumerate(seeds):
        drawn = np.bincount(np.random.default_rng(seed).integers(0, count, count), minlength=count)
        kept = first.identified(drawn > 0)  # the same rows and questions in every design
        for d, design in enumerate(designs):
            draws[d, k] = design.subset(kept).fit_weighted(drawn[kept], effects[d], BOOTSTRAP_TOLERANCE)
    return draws


def _bootstrap(
    designs: list[TwoWay], effects: list[np.ndarray], resamples: int, seed: int, mapper: parallel.Mapper
) -> np.ndarray:
    """``resamples`` question-bootstrap refits of each design: draws indexed (design, resample, author).

    Each resample has its own seed, so the draws are the same however the work is split.
    The designs travel with the function (a partial, pickled by a mapper that needs it),
    not in a module global.
    """
    seeds = np.random.SeedSequence(seed).spawn(resamples)
    refit = functools.partial(_refit, designs, effects)
    if len(designs[0].authors) < PARALLEL_ROWS:
        return refit(seeds)
    return np.concatenate(mapper(refit, seeds), axis=1)


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
    """Mask of the rows in the largest group of authors linked through shared questions (the most rows)."""
    if len(authors) == 0:
        return np.zeros(0, dtype=bool)
    order = np.argsort(questions, kind="stable")
    q = questions[order]
    first = np.flatnonzero(np.r_[True, q[1:] != q[:-1]])
    # link every author of a question to that question's first author
    u = np.repeat(authors[order][first], np.diff(np.r_[first, len(q)]))
    return _largest(authors, component_labels(u, authors[order], int(authors.max()) + 1))


def _largest(authors: np.ndarray, label: np.ndarray) -> np.ndarray:
    roots = label[authors]
    return roots == int(np.argmax(np.bincount(roots)))  # ties go to the smallest label


def component_labels(u: np.ndarray, v: np.ndarray, size: int, start: np.ndarray | None = None) -> np.ndarray:
    """Each of ``size`` nodes' component, named by its smallest node, for the edges ``u[k] - v[k]``.

    ``start`` continues from the labels of a subset of these edges.

    Label propagation with pointer jumping: each round every node takes the smallest
    label among its neighbours', and labels are followed to their roots, so rounds grow
    with the log of the graph's size. An edge whose ends share a label keeps sharing
    it (labels only merge), so each round looks only at the edges still apart.
    """
    label = np.arange(size) if start is None else start
    apart = label[u] != label[v]
    while apart.any():
        u, v = u[apart], v[apart]
        lu, lv = label[u], label[v]
        np.minimum.at(label, np.maximum(lu, lv), np.minimum(lu, lv))
        while True:  # follow every label to its root
            jumped = label[label]
            if np.array_equal(jumped, label):
                break
            label = jumped
        apart = label[u] != label[v]
    return label
