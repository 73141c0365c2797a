"""The leaderboard built from real registries, against hand-worked numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from predreg import check_registry, leaderboard
from predreg.cli import main

from .conftest import REPO, TODAY
from .test_check import resolve, write

LATER = dt.date(2026, 12, 1)


def test_the_disputed_shared_question_of_seed_row_8(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    assert main(["score", "registry", "--format", "json", "--today", TODAY.isoformat()]) == 0
    export = json.loads(capsys.readouterr().out)
    assert {"authors", "questions", "generated_at"} <= set(export)
    row8 = {q["author"]: q for q in export["questions"] if q["question"] == "empirical-scheming-report"}
    assert row8["forecaster-b"]["brier"] == pytest.approx(0.0625, abs=1e-12)  # (0.75 - 1)^2
    assert row8["forecaster-c"]["brier"] == pytest.approx(0.5625, abs=1e-12)  # (0.25 - 1)^2
    authors = {a["author"]: a for a in export["authors"]}
    assert authors["forecaster-b"]["peer"] == pytest.approx(-0.5, abs=1e-12)
    assert authors["forecaster-c"]["peer"] == pytest.approx(0.5, abs=1e-12)
    assert authors["forecaster-b"]["adjusted"] == pytest.approx(-0.25, abs=1e-12)
    assert authors["forecaster-b"]["scaled_adjusted"] == pytest.approx(-1.0, abs=1e-12)  # 0.0625 / 0.25 vs 2.25
    assert authors["forecaster-b"]["scaled_brier"] == pytest.approx(0.25, abs=1e-12)
    # one shared question: no interval (it was the zero-width [-0.25, -0.25]), so unranked, and why
    assert authors["forecaster-b"]["adjusted_ci"] is None and authors["forecaster-b"]["shared"] == 1
    assert authors["forecaster-b"]["unranked_reason"] == "fewer than 5 scored questions"
    board = leaderboard.build(check_registry("registry", today=TODAY), min_n=1, today=TODAY)
    assert board.reasons["forecaster-b"] == "shares 1 question with others (needs 2)"
    for key in ("author", "n", "brier", "log_score", "peer", "adjusted", "adjusted_ci", "calibration"):
        assert key in authors["forecaster-b"]


def _series_registry(registry: Path) -> None:
    """forecaster-a: 0.2 from Jan 1, revised to 0.8 on Jul 1; forecaster-b: 0.5 from Mar 1; yes on Nov 1."""
    base = "author: {a}\nregistered: {d}\nquestion: shared-question\nprobability: {p}\n"
    (registry / "predictions" / "forecaster-a" / "on-shared.yaml").unlink()
    write(
        registry,
        "predictions/forecaster-a/early.yaml",
        "id: early\n" + base.format(a="forecaster-a", d="2026-01-01", p=0.2),
    )
    write(
        registry,
        "predictions/forecaster-a/revised.yaml",
        "id: revised\nsupersedes: early\n" + base.format(a="forecaster-a", d="2026-07-01", p=0.8),
    )
    write(
        registry,
        "predictions/forecaster-b/middle.yaml",
        "id: middle\n" + base.format(a="forecaster-b", d="2026-03-01", p=0.5),
    )
    resolve(registry, "yes", resolved_at="2026-11-01")


def test_revisions_are_time_averaged_over_the_open_window(minimal_registry: Path) -> None:
    _series_registry(minimal_registry)
    registry = check_registry("registry", today=TODAY)
    assert registry.problems == []
    board = leaderboard.build(registry, min_n=1, today=LATER)
    series = {s.author: s for s in board.series}
    # window Jan 1 -> Nov 1 is 304 days: 181 days at 0.2 (Brier 0.64), 123 days at 0.8 (0.04)
    assert series["forecaster-a"].brier == pytest.approx((181 * 0.64 + 123 * 0.04) / 304, abs=1e-12)
    assert series["forecaster-a"].coverage == 1.0
    assert series["forecaster-a"].predictions == ("early", "revised")
    # forecaster-b forecast for 245 of the 304 days, all at 0.5
    assert series["forecaster-b"].brier == pytest.approx(0.25, abs=1e-12)
    assert series["forecaster-b"].coverage == pytest.approx(245 / 304, abs=1e-12)


def test_the_last_forecast_policy_scores_only_the_standing_forecast(minimal_registry: Path) -> None:
    _series_registry(minimal_registry)
    board = leaderboard.build(check_registry("registry", today=TODAY), min_n=1, policy="last", today=LATER)
    assert {s.author: s.brier for s in board.series}["forecaster-a"] == pytest.approx(0.04, abs=1e-12)


def test_a_conditional_forecast_is_annulled_when_its_condition_resolves_no(minimal_registry: Path) -> None:
    write(
        minimal_registry,
        "predictions/forecaster-b/if-shared.yaml",
        "id: if-shared\nauthor: forecaster-b\nregistered: 2026-11-23\ngiven: shared-question\nclaim: c\n"
        "criteria: YES if c.\nresolve_by: 2027-01-01\nresolver: {name: manual}\nkind: binary\nprobability: 0.3\n",
    )
    resolve(minimal_registry, "no")
    resolve(minimal_registry, "yes", question="if-shared")
    board = leaderboard.build(check_registry("registry", today=TODAY), min_n=1, today=LATER)
    assert [(u.author, u.question, u.reason) for u in board.unscored] == [
        ("forecaster-b", "if-shared", "condition shared-question resolved no")
    ]
    assert [s.author for s in board.series] == ["forecaster-a"]


def test_annulled_questions_are_listed_not_scored(minimal_registry: Path) -> None:
    resolve(minimal_registry, "annulled", resolved_at="2026-11-23")
    board = leaderboard.build(check_registry("registry", today=TODAY), min_n=1)
    assert board.series == []
    assert [(u.author, u.reason) for u in board.unscored] == [("forecaster-a", "question annulled")]
    assert board.unranked[0].unscored == 1 and board.unranked[0].brier is None


def test_authors_below_min_n_are_listed_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    registry = check_registry("registry", today=TODAY)
    assert leaderboard.build(registry, rank_by="brier").ranked == []
    ranked = leaderboard.build(registry, min_n=1, rank_by="brier").ranked
    assert [a.brier for a in ranked] == sorted(a.brier for a in ranked)  # type: ignore[type-var]


def test_csv_and_markdown_carry_the_same_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    out_csv, out_md = tmp_path / "board.csv", tmp_path / "board.md"
    assert main(["score", "registry", "--format", "csv", "-o", str(out_csv)]) == 0
    assert main(["score", "registry", "--format", "md", "-o", str(out_md)]) == 0
    rows = list(csv.reader(io.StringIO(out_csv.read_text())))
    md_rows = [
        line for line in out_md.read_text().splitlines() if line.startswith("| ") and not line.startswith("| rank ")
    ]
    assert len(rows) - 1 == len(md_rows) >= 4
    assert "lower is better" in out_md.read_text()
    assert not list(tmp_path.glob(".predreg-*"))  # the atomic write left no temporary file


def test_choosing_an_author_does_not_change_their_peer_score(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    registry = check_registry("registry", today=TODAY)
    board = leaderboard.build(registry, min_n=1)
    everyone = {a.author: a for a in board.ranked + board.unranked}
    chosen = leaderboard.build(registry, min_n=1, authors=["forecaster-b"])
    [alone] = chosen.ranked + chosen.unranked
    assert alone.peer == everyone["forecaster-b"].peer == pytest.approx(-0.5)
    assert alone.adjusted == everyone["forecaster-b"].adjusted


def test_a_forecast_registered_after_the_resolution_is_never_scored(minimal_registry: Path) -> None:
    resolve(minimal_registry, "yes", resolved_at="2026-11-01")
    board = leaderboard.build(check_registry("registry", today=TODAY), min_n=1)
    assert board.series == []
    assert [(u.author, u.reason) for u in board.unscored] == [
        ("forecaster-a", "registered after the question resolved")
    ]


def test_views_by_year_of_registration_and_by_horizon(minimal_registry: Path) -> None:
    _series_registry(minimal_registry)  # registered Jan 1 and Mar 1 2026, resolved Nov 1 2026
    registry = check_registry("registry", today=TODAY)
    table = leaderboard.build(registry, min_n=1).table
    row = table.authors.index("forecaster-a")
    [mine] = [i for i in range(len(table)) if table.author[i] == row]
    assert leaderboard.group_labels(table, "year")[mine] == ("2026",)
    assert leaderboard.group_labels(table, "horizon")[mine] == ("3-12 months",)  # 304 days
    within = leaderboard.build(registry, min_n=1, groups=[("horizon", "3-12 months")])
    assert {s.author for s in within.series} == {"forecaster-a", "forecaster-b"}
    assert leaderboard.build(registry, min_n=1, groups=[("horizon", "under 3 months")]).series == []
    assert leaderboard.build(registry, min_n=1, groups=[("year", "2025")]).series == []


def test_score_by_prints_one_section_per_group(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    assert main(["score", "registry", "--by", "year"]) == 0
    out = capsys.readouterr().out
    assert out.count("[year: 2026]") == 1
    assert out.count("rank  author") == 2  # the overall board, then the one year


def test_a_registry_without_predictions_has_an_empty_board(tmp_path: Path) -> None:
    (tmp_path / "predictions").mkdir()
    (tmp_path / "authors.yaml").write_text("authors:\n  forecaster-a: {name: A}\n")
    registry = check_registry(str(tmp_path), today=TODAY)
    assert registry.problems == []
    board = leaderboard.build(registry)
    assert (board.ranked, board.unranked, board.series, board.unscored) == ([], [], [], [])
    assert "Brier" in leaderboard.as_json(board, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))["scale"]


@pytest.mark.parametrize("form", ["table", "md", "csv"])
def test_the_community_forecast_is_a_marked_row_of_every_plain_board(
    form: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(REPO)
    assert main(["score", "registry", "--format", form, "--min-n", "1", "--today", TODAY.isoformat()]) == 0
    out = capsys.readouterr().out
    [line] = [line for line in out.splitlines() if "(community)" in line]
    assert "virtual entry: the community forecast, not ranked" in line
    assert line.lstrip("| ").startswith("~")  # rank '~': never a number, never among the ranked
    # it comes after every author's row
    assert out.index("(community)") > max(out.index(f"forecaster-{x}") for x in "abce")
