"""The difficulty fit's intervals mean what they say: checked by construction and by simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks import coverage
from predreg import scoring
from predreg.defaults import MIN_SHARED


def _two_authors_linked_by_one_question() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """a and b each answer 8 questions of their own and share question 0: the seed's row-8 shape."""
    rng = np.random.default_rng(3)
    authors = np.array([0, 1] + [0] * 8 + [1] * 8)
    questions = np.array([0, 0, *range(1, 9), *range(9, 17)])
    return authors, questions, rng.random(len(authors)) * 0.5


def test_an_author_linked_by_one_shared_question_gets_no_zero_width_interval() -> None:
    # Before the fix every resample gave the same two effects (the shared question drawn or,
    # when it was not, the warm start kept), so the interval was a single point.
    effects, low, high = scoring.adjusted_effects(*_two_authors_linked_by_one_question(), 2, resamples=100)
    assert not math.isnan(effects[0])  # the effect itself is still estimated
    for i in (0, 1):
        assert math.isnan(low[i]) or low[i] < high[i], (low[i], high[i])


def test_an_author_cut_off_from_the_others_in_a_resample_has_no_draw_in_it() -> None:
    authors, questions, scores = _two_authors_linked_by_one_question()
    design = scoring.TwoWay.from_rows(authors, questions, scores, 2)
    drawn = np.ones(17, dtype=np.intp)
    drawn[0] = 0  # the one shared question left out: a and b are no longer comparable
    assert np.isnan(design.resample(drawn, design.fit(), scoring.BOOTSTRAP_TOLERANCE)).all()
    drawn[0] = 2
    assert not np.isnan(design.resample(drawn, design.fit(), scoring.BOOTSTRAP_TOLERANCE)).any()


def test_an_author_outside_a_resamples_largest_group_has_no_draw_in_it() -> None:
    # authors 0-2 share questions 0-5; author 3 is linked to them only through question 6
    authors = np.array([0, 1, 2] * 6 + [2, 3, 3, 3])
    questions = np.array([q for q in range(6) for _ in range(3)] + [6, 6, 7, 8])
    scores = np.random.default_rng(5).random(len(authors))
    design = scoring.TwoWay.from_rows(authors, questions, scores, 4)
    drawn = np.ones(9, dtype=np.intp)
    drawn[6] = 0
    draw = design.resample(drawn, design.fit(), scoring.BOOTSTRAP_TOLERANCE)
    assert np.isnan(draw[3]) and not np.isnan(draw[:3]).any()


def test_an_author_sharing_fewer_than_the_minimum_gets_an_effect_but_no_interval() -> None:
    fit = scoring.fit_effects_with_intervals(*_with_lists(_two_authors_linked_by_one_question()), 2, resamples=50)[0]
    assert fit.shared.tolist() == [1, 1] and MIN_SHARED > 1
    assert fit.effects[0] == -fit.effects[1] != 0
    assert np.isnan(fit.low).all() and np.isnan(fit.se).all()


def _with_lists(rows: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    authors, questions, scores = rows
    return authors, questions, [scores]


@pytest.mark.parametrize("df", [1, 2, 3, 7, 29, 30, 31, 45, 120, 10_000])
def test_the_t_quantile_matches_scipy(df: int) -> None:
    from scipy.stats import t

    assert float(scoring.t_975(df)) == pytest.approx(t.ppf(0.975, df), abs=3e-6)


def test_nominal_95_percent_intervals_cover_the_true_effects_in_every_bucket_of_n() -> None:
    """A reduced run of benchmarks/coverage.py (fixed seed): 500 author effects per bucket."""
    buckets = {b.name: b for b in coverage.simulate(replicates=10, authors=200, resamples=100, seed=11)}
    assert buckets["1"].authors > 0 and buckets["1"].given == 0  # one shared question: no interval
    for name in ("2-4", "5-19", "20+"):
        assert buckets[name].given == buckets[name].authors
        assert 0.90 <= buckets[name].coverage <= 0.98, (name, buckets[name].coverage)  # type: ignore[operator]
    widths = [float(np.median(buckets[name].widths)) for name in ("2-4", "5-19", "20+")]
    assert widths == sorted(widths, reverse=True)  # the interval narrows as n grows


def test_the_percentile_interval_would_undercover_at_small_n() -> None:
    """Why the t quantile: the plain percentile interval of the same draws covers far less than 95% at n = 2-4."""
    [small] = [b for b in coverage.simulate(replicates=4, authors=200, resamples=100, seed=12) if b.name == "2-4"]
    assert small.percentile_coverage is not None and small.percentile_coverage < 0.88


def _bridged() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Authors 0-2 share questions 0-9; authors 3 and 4 share 10-19; 2 and 3 share question 20 alone."""
    rng = np.random.default_rng(8)
    main = [(a, q) for q in range(10) for a in (0, 1, 2)]
    pair = [(a, q) for q in range(10, 20) for a in (3, 4)]
    rows = np.array([*main, *pair, (2, 20), (3, 20)])
    return rows[:, 0], rows[:, 1], rng.random(len(rows)) * 0.5


def test_a_group_linked_to_the_rest_by_one_bridge_question_gets_no_interval() -> None:
    # 3 and 4 share 10 questions each, but every resample that compares them with 0-2 holds question 20:
    # before MIN_IDENTIFIED their intervals never saw its noise vary
    fit = scoring.fit_effects_with_intervals(*_with_lists(_bridged()), 5, resamples=200)[0]
    assert fit.shared.tolist() == [10, 10, 11, 11, 10]
    assert not np.isnan(fit.effects).any()
    assert np.isnan(fit.low[3:]).all()
    assert not np.isnan(fit.low[:3]).any() and (fit.low[:3] < fit.high[:3]).all()


@pytest.mark.parametrize("seed", range(6))
def test_a_resamples_group_is_the_largest_connected_group_of_the_questions_drawn(seed: int) -> None:
    # sparse enough that resamples often split the authors into several groups
    rng = np.random.default_rng(seed)
    authors, questions = rng.integers(0, 40, 120), rng.integers(0, 60, 120)
    design = scoring.TwoWay.from_rows(authors, questions, rng.random(120), 40)
    split = 0
    for _ in range(20):
        picked = rng.random(len(design.sizes)) < 0.6
        rows = np.repeat(picked, design.sizes)
        expected = np.zeros(len(design.sizes), dtype=bool)
        in_group = scoring.largest_connected(design.authors[rows], design.question_of_row[rows])
        expected[design.question_of_row[rows][in_group]] = True
        if len(np.unique(design.authors[rows][in_group])) < 2:
            expected[:] = False
        np.testing.assert_array_equal(design.identified(picked), expected)
        split += int((expected != picked).any())
    assert split > 0  # some resamples did cut authors off
