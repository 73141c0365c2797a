"""Scores against independent references: scikit-learn, SciPy, and values worked by hand."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binomtest
from sklearn.metrics import brier_score_loss, mean_pinball_loss

from predreg import difficulty, scoring

probability = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


def test_binary_brier_matches_sklearn() -> None:
    rng = random.Random(3)
    p = [rng.random() for _ in range(500)]
    o = [rng.random() < 0.4 for _ in range(500)]
    ours = math.fsum(scoring.brier_binary(pi, oi) for pi, oi in zip(p, o, strict=True)) / len(p)
    assert ours == pytest.approx(brier_score_loss(o, p), abs=1e-12)


def test_categorical_brier_matches_sklearns_multiclass_sum_over_classes() -> None:
    rng = np.random.default_rng(4)
    labels = ["competent", "derpy", "neither"]  # sklearn orders columns alphabetically
    raw = rng.random((400, 3))
    proba = raw / raw.sum(axis=1, keepdims=True)
    truth = rng.choice(labels, 400)
    ours = (
        math.fsum(
            scoring.brier_categorical(dict(zip(labels, row, strict=True)), outcome)
            for row, outcome in zip(proba, truth, strict=True)
        )
        / 400
    )
    assert ours == pytest.approx(brier_score_loss(truth, proba, labels=labels, scale_by_half=False), abs=1e-12)


def test_categorical_brier_of_certainty_on_the_wrong_outcome_is_two() -> None:
    assert scoring.brier_categorical({"a": 1.0, "b": 0.0, "c": 0.0}, "b") == 2.0


def test_log_and_baseline_scores_by_hand() -> None:
    assert scoring.log_score(0.25) == pytest.approx(-2 * math.log(2), abs=1e-15)
    # binary: 100 * log2(p / 0.5); p = 0.75 gives 100 * log2(1.5)
    assert scoring.baseline_score(0.75, 2) == pytest.approx(100 * math.log2(1.5), abs=1e-12)
    assert scoring.baseline_score(0.5, 2) == 0.0
    # three options, p = 1/3 is the uniform forecast; p = 1 is 100
    assert scoring.baseline_score(1 / 3, 3) == pytest.approx(0.0, abs=1e-12)
    assert scoring.baseline_score(1.0, 3) == pytest.approx(100.0, abs=1e-12)
    assert scoring.baseline_score(0.5, 3) == pytest.approx(100 * math.log(1.5) / math.log(3), abs=1e-12)


def test_peer_scores_on_the_disputed_shared_question() -> None:
    # seed row 8: 0.75 against 0.25, resolved yes
    briers = {"forecaster-b": scoring.brier_binary(0.75, True), "forecaster-c": scoring.brier_binary(0.25, True)}
    assert briers == {"forecaster-b": 0.0625, "forecaster-c": 0.5625}
    peers = scoring.peer_scores(briers)
    assert peers == {"forecaster-b": (-0.5, -0.5), "forecaster-c": (0.5, 0.5)}


def test_peer_score_is_mean_and_median_of_the_others_and_none_when_alone() -> None:
    peers = scoring.peer_scores({"a": 0.1, "b": 0.2, "c": 0.6, "d": 0.7})
    assert peers["a"] == pytest.approx((0.1 - 0.5, 0.1 - 0.6), abs=1e-15)
    assert scoring.peer_scores({"a": 0.3}) == {"a": None}


def test_pinball_loss_matches_sklearn() -> None:
    quantiles = {0.05: 1.1, 0.25: 1.35, 0.5: 1.6, 0.75: 2.0, 0.95: 3.0}
    for value in (0.9, 1.5, 1.7, 4.2):
        reference = np.mean([mean_pinball_loss([value], [q], alpha=level) for level, q in quantiles.items()])
        assert scoring.pinball_loss(quantiles, value) == pytest.approx(reference, abs=1e-12)


def test_interval_score_by_hand() -> None:
    assert scoring.interval_score(1.0, 3.0, 0.1, 2.0) == 2.0
    assert scoring.interval_score(1.0, 3.0, 0.1, 4.0) == pytest.approx(2.0 + 20 * 1.0)
    assert scoring.interval_score(1.0, 3.0, 0.1, 0.5) == pytest.approx(2.0 + 20 * 0.5)
    assert scoring.central_interval({0.05: 1.1, 0.5: 1.6, 0.95: 3.0}) == (1.1, 3.0, 0.1)
    assert scoring.central_interval({0.5: 1.6, 0.9: 3.0}) is None


@pytest.mark.parametrize(("hits", "n"), [(8, 10), (0, 7), (7, 7), (31, 120)])
def test_wilson_interval_matches_scipy(hits: int, n: int) -> None:
    reference = binomtest(hits, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert scoring.wilson_interval(hits, n) == pytest.approx((reference.low, reference.high), abs=1e-12)


def test_calibration_bins_are_finer_at_the_extremes_and_count_every_forecast() -> None:
    p = [0.01, 0.04, 0.1, 0.5, 0.96, 1.0, 0.3]
    o = [False, False, True, True, True, True, False]
    bins = scoring.calibration(p, o)
    assert (bins[0].low, bins[0].high, bins[-1].low, bins[-1].high) == (0.0, 0.05, 0.95, 1.0)
    assert sum(b.count for b in bins) == len(p)
    assert (bins[0].count, bins[0].observed, bins[0].mean_forecast) == (2, 0.0, pytest.approx(0.025))
    assert (bins[-1].count, bins[-1].observed) == (2, 1.0)


@given(st.lists(st.tuples(probability, st.booleans()), min_size=1, max_size=60))
def test_murphy_terms_sum_to_the_brier_score(pairs: list[tuple[float, bool]]) -> None:
    p = [x for x, _ in pairs]
    o = [y for _, y in pairs]
    brier = math.fsum(scoring.brier_binary(x, y) for x, y in pairs) / len(pairs)
    assert scoring.murphy(p, o).brier == pytest.approx(brier, abs=1e-12)


@given(st.lists(st.booleans(), min_size=1, max_size=30))
def test_a_perfect_forecaster_scores_zero(outcomes: list[bool]) -> None:
    assert all(scoring.brier_binary(1.0 if o else 0.0, o) == 0 for o in outcomes)
    assert scoring.brier_categorical({"a": 1.0, "b": 0.0}, "a") == 0


@given(probability, probability)
def test_brier_is_minimised_in_expectation_by_the_true_probability(truth: float, forecast: float) -> None:
    def expected(p: float) -> float:
        return truth * scoring.brier_binary(p, True) + (1 - truth) * scoring.brier_binary(p, False)

    assert expected(truth) <= expected(forecast) + 1e-15


def test_difficulty_adjustment_recovers_known_author_effects() -> None:
    """30 authors of known skill answer different, overlapping subsets of 300 questions."""
    rng = np.random.default_rng(7)
    skill = rng.normal(0, 0.05, 30)
    difficulty = rng.uniform(0.05, 0.4, 300)
    rows = []
    for i in range(30):
        # each author answers a different slice, biased towards some questions
        chosen = rng.choice(300, size=rng.integers(40, 120), replace=False)
        for j in chosen:
            rows.append((f"author-{i:02d}", f"q-{j:03d}", float(skill[i] + difficulty[j] + rng.normal(0, 0.02))))
    adjusted = scoring.difficulty_adjusted(rows, resamples=50)
    truth = skill - skill.mean()
    estimate = np.array([adjusted.effects[f"author-{i:02d}"] for i in range(30)])
    error = np.abs(estimate - truth)
    assert error.max() < 0.01  # noise sd is 0.02 per answer, 40-120 answers per author
    covered = sum(
        adjusted.intervals[f"author-{i:02d}"][0] <= truth[i] <= adjusted.intervals[f"author-{i:02d}"][1]
        for i in range(30)
    )
    assert covered >= 24  # about 95% expected; allow for 50 resamples


def test_raw_means_would_be_misled_by_difficulty_where_the_fit_is_not() -> None:
    # a skilled author who answers only hard questions, a poor one only easy ones, a bridge author both
    rows = [("skilled", f"hard-{k}", 0.30) for k in range(10)] + [("poor", f"easy-{k}", 0.15) for k in range(10)]
    rows += [("bridge", f"hard-{k}", 0.40) for k in range(10)] + [("bridge", f"easy-{k}", 0.05) for k in range(10)]
    effects = scoring.difficulty_adjusted(rows, resamples=20).effects
    assert effects["skilled"] < effects["poor"]  # raw means say the opposite (0.30 > 0.15)
    assert effects["poor"] - effects["skilled"] == pytest.approx(0.2, abs=1e-9)


def test_crps_from_evenly_spaced_quantiles_matches_scoringrules() -> None:
    import scoringrules

    levels = [k / 10 for k in range(1, 10)]
    values = [1.0, 1.2, 1.35, 1.5, 1.6, 1.75, 2.0, 2.4, 3.1]
    quantiles = dict(zip(levels, values, strict=True))
    for observed in (0.5, 1.55, 2.2, 5.0):
        reference = float(scoringrules.crps_quantile(observed, np.array(values), np.array(levels), backend="numpy"))
        assert scoring.crps_from_quantiles(quantiles, observed) == pytest.approx(reference, abs=1e-12)


def test_crps_is_not_given_where_the_levels_do_not_cover_the_distribution_evenly() -> None:
    assert scoring.crps_from_quantiles({0.05: 1.1, 0.25: 1.35, 0.5: 1.6, 0.75: 2.0, 0.95: 3.0}, 1.6) is None
    assert scoring.crps_from_quantiles({0.1: 1.0, 0.5: 1.5}, 1.6) is None
    assert scoring.crps_from_quantiles({0.25: 1.0, 0.5: 1.5, 0.75: 2.0}, 1.6) is not None


def test_grouped_peer_scores_match_mean_and_median_of_the_others_worked_out_directly() -> None:
    rng = np.random.default_rng(11)
    groups = rng.integers(0, 40, 300)
    scores = rng.choice([0.01, 0.04, 0.09, 0.25, 0.36], 300)  # ties, as real Brier scores have
    mean, middle = scoring.peer_scores_grouped(groups, scores)
    for row in range(300):
        others = [scores[k] for k in range(300) if groups[k] == groups[row] and k != row]
        if not others:
            assert math.isnan(mean[row]) and math.isnan(middle[row])
            continue
        assert mean[row] == pytest.approx(scores[row] - sum(others) / len(others), abs=1e-12)
        assert middle[row] == pytest.approx(scores[row] - float(np.median(others)), abs=1e-12)


def test_grouped_calibration_and_murphy_are_those_of_each_group_alone() -> None:
    rng = np.random.default_rng(12)
    p = rng.choice([0.02, 0.1, 0.3, 0.5, 0.8, 0.97, 1.0], 400)
    o = rng.random(400) < p
    groups = rng.integers(0, 5, 400)
    murphy = scoring.murphy_grouped(p, o, groups, 6)
    calibration = scoring.calibration_grouped(p, o, groups, 6)
    assert murphy[5] is None and all(b.count == 0 for b in calibration[5])  # group 5 has no forecasts
    for g in range(5):
        mine = groups == g
        brier = brier_score_loss(o[mine], p[mine])
        assert murphy[g] is not None and murphy[g].brier == pytest.approx(brier, abs=1e-12)
        for b in calibration[g]:
            inside = mine & (p >= b.low) & ((p < b.high) | ((b.high == 1.0) & (p == 1.0)))
            assert b.count == inside.sum()
            if b.count:
                assert b.observed == pytest.approx(o[inside].mean(), abs=1e-12)


def _components_by_search(authors: list[int], questions: list[int]) -> list[set[int]]:
    """Connected groups of authors through shared questions, by plain graph search."""
    seen: set[int] = set()
    groups = []
    for start in sorted(set(authors)):
        if start in seen:
            continue
        group, todo = set(), [start]
        while todo:
            author = todo.pop()
            if author in group:
                continue
            group.add(author)
            shared = {q for a, q in zip(authors, questions, strict=True) if a == author}
            todo += [a for a, q in zip(authors, questions, strict=True) if q in shared]
        seen |= group
        groups.append(group)
    return groups


@pytest.mark.parametrize("seed", range(6))
def test_largest_connected_group_matches_a_plain_graph_search(seed: int) -> None:
    rng = random.Random(seed)
    authors, questions = [], []
    for q in range(rng.randint(5, 60)):  # sparse: several groups, some long chains
        for a in rng.sample(range(50), rng.choice([1, 1, 2, 2, 3])):
            authors.append(a)
            questions.append(q)
    mask = scoring.largest_connected(np.array(authors), np.array(questions))
    groups = _components_by_search(authors, questions)
    size = {frozenset(g): sum(a in g for a in authors) for g in groups}  # rows, as the fit counts them
    biggest = max(size.values())
    assert frozenset({a for a, m in zip(authors, mask, strict=True) if m}) in [g for g in size if size[g] == biggest]


def test_a_chain_of_authors_is_one_connected_group() -> None:
    # author k shares question k with author k + 1: 300 links end to end
    authors = np.array([k for k in range(300) for _ in range(2)]) + np.tile([0, 1], 300)
    questions = np.repeat(np.arange(300), 2)
    assert scoring.largest_connected(authors, questions).all()


def _least_squares_effects(authors: np.ndarray, questions: np.ndarray, scores: np.ndarray, n: int) -> np.ndarray:
    """The reference: a dense dummy-variable least-squares solve, centred like the fit."""
    design = np.zeros((len(scores), n + int(questions.max()) + 1))
    design[np.arange(len(scores)), authors] = 1.0
    design[np.arange(len(scores)), n + questions] = 1.0
    solution = np.linalg.lstsq(design, scores, rcond=None)[0][:n]
    return solution - solution.mean()


def test_a_sparsely_linked_registry_is_fitted_exactly() -> None:
    # 60 authors in a ring, each question shared by two neighbours only: the slowest case to mix
    rng = np.random.default_rng(21)
    pairs = [(k, (k + 1) % 60) for k in range(60) for _ in range(3)]
    authors = np.array([a for pair in pairs for a in pair])
    questions = np.repeat(np.arange(len(pairs)), 2)
    scores = rng.random(len(authors)) * 0.5
    reference = _least_squares_effects(authors, questions, scores, 60)
    np.testing.assert_allclose(scoring.fit_effects(authors, questions, scores, 60), reference, atol=1e-9)
    design = scoring.TwoWay.from_rows(authors, questions, scores, 60)
    refit = design.fit_weighted(np.ones(len(pairs)), np.zeros(60), scoring.BOOTSTRAP_TOLERANCE)
    np.testing.assert_allclose(refit, reference, atol=1e-6)  # the bootstrap's stopping rule is close enough


def test_a_weighted_resample_is_the_fit_on_copies_of_the_drawn_questions() -> None:
    rng = np.random.default_rng(13)
    authors = rng.integers(0, 8, 200)
    questions = rng.integers(0, 40, 200)
    scores = rng.random(200) * 0.4
    design = scoring.TwoWay.from_rows(authors, questions, scores, 8)
    drawn = np.bincount(rng.integers(0, 40, 40), minlength=40)
    weighted = design.resample(drawn, design.fit(), tol=1e-13)
    # the same resample spelled out: question j copied drawn[j] times, each copy its own question
    copies = [(a, (j, c), s) for a, j, s in zip(authors, questions, scores, strict=True) for c in range(drawn[j])]
    names = {key: i for i, key in enumerate(sorted({key for _, key, _ in copies}))}
    explicit = scoring.fit_effects(
        [a for a, _, _ in copies], [names[k] for _, k, _ in copies], [s for *_, s in copies], 8
    )
    np.testing.assert_allclose(weighted, explicit, atol=1e-10)


def test_bootstrap_draws_do_not_depend_on_how_the_work_is_split(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(14)
    authors, questions, scores = rng.integers(0, 20, 3000), rng.integers(0, 300, 3000), rng.random(3000)
    inline = scoring.adjusted_effects(authors, questions, scores, 20, resamples=30)
    monkeypatch.setattr(difficulty, "PARALLEL_ROWS", 0)  # worker processes, even for this small fit
    pooled = scoring.adjusted_effects(authors, questions, scores, 20, resamples=30)
    for ours, theirs in zip(inline, pooled, strict=True):
        np.testing.assert_array_equal(ours, theirs)
