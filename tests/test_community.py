"""The community forecast: pooled per question and day, scored like an author, against hand-worked numbers."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import attrs
import pytest
from scipy.special import expit, logit
from scipy.stats import gmean

from predreg import check_registry, commitment, community, leaderboard
from predreg.checks import Registry
from predreg.cli import main
from predreg.community import COMMUNITY, Method, Point

from .conftest import TODAY
from .test_check import resolve, write

LATER = dt.date(2026, 12, 1)
_BINARY = "id: {id}\nauthor: {author}\nregistered: {day}\nquestion: shared-question\nprobability: {p}\n"


def _forecast(registry: Path, author: str, ident: str, day: str, p: float, extra: str = "") -> None:
    text = _BINARY.format(id=ident, author=author, day=day, p=p) + extra
    write(registry, f"predictions/{author}/{ident}.yaml", text)


def _joining_revising_withdrawing(registry: Path) -> None:
    """a: 0.2 from Jan 1, revised to 0.8 on Jul 1; b: 0.5 from Mar 1, withdrawn Sep 1; yes on Nov 1."""
    (registry / "predictions" / "forecaster-a" / "on-shared.yaml").unlink()
    _forecast(registry, "forecaster-a", "early", "2026-01-01", 0.2)
    _forecast(registry, "forecaster-a", "revised", "2026-07-01", 0.8, "supersedes: early\n")
    _forecast(registry, "forecaster-b", "middle", "2026-03-01", 0.5)
    write(registry, "withdrawals/middle.yaml", "prediction: middle\nwithdrawn: 2026-09-01\nreason: changed my mind.\n")
    resolve(registry, "yes", resolved_at="2026-11-01")


def _checked() -> Registry:
    registry = check_registry("registry", today=TODAY)
    assert registry.problems == []
    return registry


def _score_json(capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    assert main(["score", "registry", "--format", "json", "--today", TODAY.isoformat(), *extra]) == 0
    export: dict[str, Any] = json.loads(capsys.readouterr().out)
    return export


# --- the pools, by hand ---------------------------------------------------------------


def test_the_geometric_mean_of_odds_of_three_forecasts() -> None:
    # odds 1/4, 1 and 9: their geometric mean is 2.25 ** (1/3)
    odds = 2.25 ** (1 / 3)
    assert community.pool_binary([0.2, 0.5, 0.9]) == pytest.approx(odds / (1 + odds), abs=1e-12)
    assert community.pool_binary([0.2, 0.5, 0.9]) == pytest.approx(expit(logit([0.2, 0.5, 0.9]).mean()), abs=1e-12)


def test_the_geometric_mean_of_odds_of_opposite_forecasts_is_even() -> None:
    assert community.pool_binary([0.75, 0.25]) == pytest.approx(0.5, abs=1e-15)  # odds 3 and 1/3


def test_the_median_takes_the_middle_forecast() -> None:
    assert community.pool_binary([0.2, 0.5, 0.9], Method("median")) == pytest.approx(0.5, abs=1e-15)
    assert community.pool_binary([0.2, 0.4, 0.9, 0.95], Method("median")) == pytest.approx(0.65, abs=1e-12)


def test_extremising_raises_the_pooled_odds_to_the_factor() -> None:
    # geometric mean of odds 2.25 ** (1/3), squared: 2.25 ** (2/3)
    odds = 2.25 ** (2 / 3)
    assert community.pool_binary([0.2, 0.5, 0.9], Method(extremise=2)) == pytest.approx(odds / (1 + odds), abs=1e-12)
    # the median 0.6 has odds 1.5; squared 2.25, so p = 2.25 / 3.25
    pooled = community.pool_binary([0.2, 0.6, 0.9], Method("median", 2))
    assert pooled == pytest.approx(2.25 / 3.25, abs=1e-12)


def test_the_categorical_pool_is_the_normalised_geometric_mean() -> None:
    forecasts = [{"low": 0.5, "mid": 0.3, "high": 0.2}, {"low": 0.2, "mid": 0.3, "high": 0.5}]
    pooled = community.pool_probabilities(forecasts, ["low", "mid", "high"])
    # geometric means sqrt(0.1), 0.3, sqrt(0.1), over their sum
    total = 2 * math.sqrt(0.1) + 0.3
    assert pooled == pytest.approx({"low": math.sqrt(0.1) / total, "mid": 0.3 / total, "high": math.sqrt(0.1) / total})
    by_scipy = gmean([[f[k] for k in ("low", "mid", "high")] for f in forecasts], axis=0)
    assert list(pooled.values()) == pytest.approx(list(by_scipy / by_scipy.sum()), abs=1e-12)
    assert math.fsum(pooled.values()) == pytest.approx(1.0, abs=1e-15)


def test_the_categorical_pool_extremised_raises_each_mean_to_the_factor() -> None:
    forecasts = [{"a": 0.6, "b": 0.4}, {"a": 0.9, "b": 0.1}]
    pooled = community.pool_probabilities(forecasts, ["a", "b"], extremise=2)
    # geometric means sqrt(0.54) and sqrt(0.04), squared: 0.54 and 0.04
    assert pooled == pytest.approx({"a": 0.54 / 0.58, "b": 0.04 / 0.58}, abs=1e-12)


def test_a_strongly_extremised_pool_stays_within_the_range_a_forecast_may_take() -> None:
    assert community.pool_binary([0.999, 0.99], Method(extremise=10)) == 0.999
    assert community.pool_binary([0.001, 0.01], Method(extremise=1e300)) == 0.001
    pooled = community.pool_probabilities([{"a": 0.998, "b": 0.001, "c": 0.001}], "abc", extremise=50)
    assert pooled == pytest.approx({"a": 0.998, "b": 0.001, "c": 0.001}, abs=1e-15)
    assert math.fsum(pooled.values()) == pytest.approx(1.0, abs=1e-15)


def test_quantiles_are_averaged_level_by_level_over_the_levels_all_give() -> None:
    forecasts = [{0.1: 1.0, 0.5: 2.0, 0.9: 4.0}, {0.1: 2.0, 0.25: 2.5, 0.5: 3.0, 0.9: 8.0}]
    assert community.pool_quantiles(forecasts) == {0.1: 1.5, 0.5: 2.5, 0.9: 6.0}  # 0.25: only one gives it
    assert community.pool_quantiles([{0.1: 1.0}, {0.9: 2.0}]) is None


@pytest.mark.parametrize(("name", "extremise"), [("mean", 1.0), ("median", 0.0), ("median", math.inf)])
def test_a_method_out_of_range_is_refused(name: str, extremise: float) -> None:
    with pytest.raises(ValueError, match=r"method|extremise"):
        Method(name, extremise)


def test_the_method_sentence_states_the_extremising_factor() -> None:
    assert "Satopää" in Method().sentence() and "power" not in Method().sentence()
    assert "raising the odds to the power 1.5" in Method("median", 1.5).sentence()


# --- the history of a question ----------------------------------------------------------


def test_the_history_steps_when_authors_join_revise_and_withdraw(minimal_registry: Path) -> None:
    _joining_revising_withdrawing(minimal_registry)
    points = community.histories(_checked())["shared-question"]
    assert [(p.day.isoformat(), p.forecasters) for p in points] == [
        ("2026-01-01", 1),
        ("2026-03-01", 2),
        ("2026-07-01", 2),
        ("2026-09-01", 1),
    ]
    # odds 1/4 alone; 1/4 and 1 (mean 1/2); 4 and 1 (mean 2); 4 alone
    expected = [0.2, 1 / 3, 2 / 3, 0.8]
    assert [p.forecast for p in points] == pytest.approx(expected, abs=1e-12)


def test_the_community_is_time_averaged_over_the_open_window(minimal_registry: Path) -> None:
    _joining_revising_withdrawing(minimal_registry)
    registry = _checked()
    board = leaderboard.build(registry, min_n=1, today=LATER, community=community.Community())
    crowd = board.community
    assert isinstance(crowd, community.CommunityScore) and crowd.author == COMMUNITY
    # Jan 1 -> Mar 1: 59 days at 0.2; -> Jul 1: 122 at 1/3; -> Sep 1: 62 at 2/3; -> Nov 1: 61 at 0.8
    expected = (59 * 0.64 + 122 * (2 / 3) ** 2 + 62 * (1 / 3) ** 2 + 61 * 0.04) / 304
    assert crowd.n == 1 and crowd.brier == pytest.approx(expected, abs=1e-12)
    (series,) = crowd.series
    assert series.coverage == 1.0 and len(series.predictions) == 4
    # against the authors: a's Brier (181 * 0.64 + 123 * 0.04) / 304, b's 0.25
    authors = ((181 * 0.64 + 123 * 0.04) / 304 + 0.25) / 2
    assert crowd.peer == pytest.approx(expected - authors, abs=1e-12)


def test_the_community_has_a_calibration_and_murphys_terms_once_the_question_is_due(minimal_registry: Path) -> None:
    _joining_revising_withdrawing(minimal_registry)  # resolve_by 2027-06-30
    board = leaderboard.build(_checked(), min_n=1, today=dt.date(2027, 7, 1), community=community.Community())
    assert board.community is not None and board.community.murphy is not None
    # one forecast standing at resolution, 0.8, on a yes: reliability (0.8 - 1)^2, no resolution, no uncertainty
    murphy = board.community.murphy
    assert (murphy.reliability, murphy.resolution, murphy.uncertainty) == pytest.approx((0.04, 0.0, 0.0), abs=1e-12)
    assert [(b.low, b.count) for b in board.community.calibration if b.count] == [(0.75, 1)]


def test_the_last_policy_scores_the_community_forecast_standing_at_resolution(minimal_registry: Path) -> None:
    _joining_revising_withdrawing(minimal_registry)
    board = leaderboard.build(_checked(), min_n=1, policy="last", today=LATER, community=community.Community())
    assert board.community is not None and board.community.brier == pytest.approx(0.04, abs=1e-12)  # 0.8 alone


def _hidden_then_revealed(registry: Path) -> None:
    """b: hidden 0.8 from Jan 1, revealed Mar 1; a: 0.2 from Feb 1; yes on May 1."""
    (registry / "predictions" / "forecaster-a" / "on-shared.yaml").unlink()
    _forecast(registry, "forecaster-a", "open", "2026-02-01", 0.2)
    salt = "ab" * 16
    digest = commitment.commitment("hidden", "forecaster-b", {"probability": 0.8}, salt)
    text = (
        f"id: hidden\nauthor: forecaster-b\nregistered: 2026-01-01\nquestion: shared-question\ncommitment: {digest}\n"
    )
    write(registry, "predictions/forecaster-b/hidden.yaml", text)
    write(
        registry, "reveals/hidden.yaml", f"prediction: hidden\nrevealed: 2026-03-01\nsalt: {salt}\nprobability: 0.8\n"
    )
    resolve(registry, "yes", resolved_at="2026-05-01")


def test_a_hidden_forecast_is_pooled_from_its_reveal(minimal_registry: Path) -> None:
    _hidden_then_revealed(minimal_registry)
    points = community.histories(_checked())["shared-question"]
    # a's 0.2 alone until the reveal, then odds 1/4 and 4: even
    assert points == [Point(dt.date(2026, 2, 1), 0.2, 1), Point(dt.date(2026, 3, 1), pytest.approx(0.5), 2)]


def test_the_community_covers_less_of_the_window_when_the_first_forecast_was_hidden(minimal_registry: Path) -> None:
    _hidden_then_revealed(minimal_registry)
    board = leaderboard.build(_checked(), min_n=1, today=LATER, community=community.Community())
    assert board.community is not None
    (series,) = board.community.series
    # the window opens Jan 1 with b's hidden forecast; the community's on Feb 1: 89 of 120 days
    assert series.coverage == pytest.approx(89 / 120, abs=1e-12)
    # Feb 1 -> Mar 1: 28 days at 0.2; -> May 1: 61 days at 0.5
    assert series.brier == pytest.approx((28 * 0.64 + 61 * 0.25) / 89, abs=1e-12)


def test_an_unrevealed_or_conditional_forecast_is_left_out(minimal_registry: Path) -> None:
    digest = commitment.commitment("hidden", "forecaster-b", {"probability": 0.9}, "ab" * 16)
    text = (
        f"id: hidden\nauthor: forecaster-b\nregistered: 2026-10-01\nquestion: shared-question\ncommitment: {digest}\n"
    )
    write(minimal_registry, "predictions/forecaster-b/hidden.yaml", text)
    write(
        minimal_registry,
        "questions/condition.yaml",
        (minimal_registry / "questions/shared-question.yaml").read_text().replace("shared-question", "condition"),
    )
    _forecast(minimal_registry, "forecaster-b", "if-so", "2026-10-01", 0.99, "given: condition\n")
    points = community.histories(_checked())["shared-question"]
    assert points == [Point(TODAY, 0.3, 1)]  # forecaster-a's on-shared alone


def test_an_author_whose_latest_forecast_is_conditional_leaves_the_pool(minimal_registry: Path) -> None:
    write(
        minimal_registry,
        "questions/condition.yaml",
        (minimal_registry / "questions/shared-question.yaml").read_text().replace("shared-question", "condition"),
    )
    _forecast(minimal_registry, "forecaster-b", "plain", "2026-11-01", 0.6)
    _forecast(minimal_registry, "forecaster-b", "if-so", "2026-11-10", 0.9, "supersedes: plain\ngiven: condition\n")
    points = community.histories(_checked())["shared-question"]
    assert points == [Point(dt.date(2026, 11, 1), 0.6, 1), Point(dt.date(2026, 11, 10), None, 0), Point(TODAY, 0.3, 1)]


# --- scored like an author, on the example registry -------------------------------------


def test_the_community_forecast_on_seed_row_8_is_even_and_its_brier_is_exported(
    example_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crowd = _score_json(capsys)["community"]
    assert crowd["author"] == COMMUNITY and crowd["virtual"] is True
    assert (crowd["method"], crowd["extremise"]) == ("geo-mean-odds", 1.0)
    row8 = {q["question"]: q for q in crowd["questions"]}["empirical-scheming-report"]
    # forecaster-b 0.75 and forecaster-c 0.25: odds 3 and 1/3, geometric mean 1, p = 0.5
    assert row8["forecast"] == pytest.approx(0.5, abs=1e-12)
    # a window of zero days (both registered on the day it resolved yes): the last forecast, (0.5 - 1)^2
    assert row8["brier"] == pytest.approx(0.25, abs=1e-12) and row8["coverage"] == 1.0


def test_the_median_and_extremising_options_reach_the_export(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _forecast(minimal_registry, "forecaster-b", "b-view", "2026-11-23", 0.6)
    write(minimal_registry, "authors.yaml", "authors:\n  forecaster-a: {}\n  forecaster-b: {}\n  forecaster-c: {}\n")
    _forecast(minimal_registry, "forecaster-c", "c-view", "2026-11-23", 0.9)
    resolve(minimal_registry, "no")
    crowd = _score_json(capsys, "--community", "median", "--extremise", "2")["community"]
    # 0.3, 0.6, 0.9: the median 0.6 has odds 1.5, squared 2.25; Brier of no: p^2
    assert (crowd["method"], crowd["extremise"]) == ("median", 2.0)
    assert crowd["questions"][0]["forecast"] == pytest.approx(2.25 / 3.25, abs=1e-12)
    assert crowd["brier"] == pytest.approx((2.25 / 3.25) ** 2, abs=1e-12)


def test_a_huge_extremising_factor_still_exports_finite_numbers(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    resolve(minimal_registry, "yes")
    crowd = _score_json(capsys, "--extremise", "1e300")["community"]  # (the export is written with allow_nan=False)
    assert crowd["questions"][0]["forecast"] == 0.001  # 0.3 pushed to the least a forecast may say
    assert crowd["log_score"] == pytest.approx(math.log(0.001), abs=1e-12)


def test_a_registry_with_nothing_resolved_exports_a_null_community(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _score_json(capsys)["community"] is None


def test_a_negative_extremising_factor_is_a_usage_error(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["score", "registry", "--extremise", "-1"])
    assert exit_info.value.code == 2
    assert "not a positive, finite number" in capsys.readouterr().err


def test_the_community_changes_no_authors_peer_or_adjusted_score(example_registry: Path) -> None:
    registry = check_registry("registry", today=TODAY)
    alone = leaderboard.build(registry, min_n=1, today=TODAY, resamples=50)
    beside = leaderboard.build(registry, min_n=1, today=TODAY, resamples=50, community=community.Community())
    assert alone.community is None and beside.community is not None
    moment = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    without, with_it = leaderboard.as_json(alone, moment), leaderboard.as_json(beside, moment)
    assert [a for a in with_it["authors"] if a["peer"] is not None]  # (there are peers to change)
    assert {**with_it, "community": None} == without
    assert COMMUNITY not in {a["author"] for a in with_it["authors"]}


def test_narrowing_the_board_to_one_author_leaves_the_community_on_every_question(example_registry: Path) -> None:
    registry = check_registry("registry", today=TODAY)
    board = leaderboard.build(registry, min_n=0, today=TODAY, authors=["forecaster-b"], community=community.Community())
    assert [(a.author, a.n) for a in board.ranked] == [("forecaster-b", 1)]
    assert board.community is not None and board.community.n == 3  # the three resolved questions


def test_a_tag_view_scores_the_community_on_that_tags_questions(example_registry: Path) -> None:
    registry = check_registry("registry", today=TODAY)
    board = leaderboard.build(
        registry, groups=[("tag", "scheming")], min_n=1, today=TODAY, community=community.Community()
    )
    assert board.community is not None
    assert [s.question for s in board.community.series] == ["empirical-scheming-report"]


# --- hostile ----------------------------------------------------------------------------


def test_an_author_called_community_cannot_impersonate_the_virtual_entry(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(minimal_registry, "authors.yaml", "authors:\n  forecaster-a: {}\n  community: {name: The Community}\n")
    _forecast(minimal_registry, "community", "crowd-says", "2026-11-23", 0.999)
    resolve(minimal_registry, "yes")
    export = _score_json(capsys, "--min-n", "1")
    impostor = {a["author"]: a for a in export["authors"]}["community"]
    assert impostor["brier"] == pytest.approx(0.001**2, abs=1e-12)  # an author like any other
    crowd = export["community"]
    assert crowd["author"] == COMMUNITY != "community" and crowd["virtual"] is True
    # odds 3/7 and 999 pooled: the impostor's forecast is one of two, not the community's own
    assert crowd["questions"][0]["forecast"] == pytest.approx(float(expit(logit([0.3, 0.999]).mean())), abs=1e-12)


def test_a_forecast_in_the_virtual_entrys_name_is_refused_and_not_pooled(minimal_registry: Path) -> None:
    _forecast(minimal_registry, COMMUNITY, "forged", "2026-11-23", 0.999)
    registry = check_registry("registry", today=TODAY)
    assert any("author" in str(p) for p in registry.problems)
    assert all(p.author != COMMUNITY for p in registry.predictions.values())
    assert community.histories(registry)["shared-question"] == [Point(TODAY, 0.3, 1)]


def test_the_history_is_the_same_built_twice(minimal_registry: Path) -> None:
    _joining_revising_withdrawing(minimal_registry)
    first, second = community.histories(_checked()), community.histories(_checked())
    assert first == second and attrs.asdict(first["shared-question"][0])["forecasters"] == 1
