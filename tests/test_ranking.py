"""The ranking rules (``score --rank-by``) on small registries whose scores are worked by hand."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import numpy as np
import pytest

from predreg import check_registry, leaderboard, ranking, reports, scoring
from predreg.cli import main
from predreg.defaults import RANK_CHOICES

from .test_check import write

TODAY = dt.date(2026, 12, 1)

QUESTION = "id: {id}\nclaim: c\ncriteria: YES if c.\nresolve_by: 2026-11-30\nresolver: {{name: manual}}\nkind: {kind}\n"
RESOLVED = "question: {id}\noutcome: {outcome}\nresolved_at: 2026-11-20\nresolver: manual\nresolved_by: {by}\n"


def registry_of(root: Path, forecasts: dict[tuple[str, str], str], outcomes: dict[str, tuple[str, str]]) -> Path:
    """A registry on disk: ``forecasts[(author, question)]`` is the forecast's YAML line(s),
    ``outcomes[question]`` is (outcome, resolved_by); a question forecast with ``probabilities`` is
    categorical (outcomes a-d), with ``quantiles`` numeric, otherwise binary."""
    registry = root / "registry"
    authors = sorted({author for author, _ in forecasts} | {by for _, by in outcomes.values()})
    write(registry, "authors.yaml", "authors:\n" + "".join(f"  {a}: {{name: {a}}}\n" for a in authors))
    for qid, (outcome, by) in outcomes.items():
        stated = " ".join(f for (_, q), f in forecasts.items() if q == qid)
        kind = "categorical\noutcomes: [a, b, c, d]" if "probabilities" in stated else "binary"
        kind = "numeric\nunit: x" if "quantiles" in stated else kind
        write(registry, f"questions/{qid}.yaml", QUESTION.format(id=qid, kind=kind))
        write(registry, f"resolutions/{qid}.yaml", RESOLVED.format(id=qid, outcome=outcome, by=by))
    for (author, qid), forecast in forecasts.items():
        text = f"id: {author}-{qid}\nauthor: {author}\nregistered: 2026-11-01\nquestion: {qid}\n{forecast}\n"
        write(registry, f"predictions/{author}/{author}-{qid}.yaml", text)
    return registry


def test_the_uniform_forecasts_brier_is_a_quarter_binary_and_one_less_one_over_n_otherwise() -> None:
    assert scoring.uniform_brier("binary", 2) == scoring.brier_binary(0.5, True) == 0.25
    for n in range(2, 7):
        uniform = {str(k): 1 / n for k in range(n)}
        assert scoring.uniform_brier("categorical", n) == pytest.approx(scoring.brier_categorical(uniform, "0"))
        assert scoring.uniform_brier("categorical", n) == pytest.approx(1 - 1 / n)


def scale_registry(root: Path) -> Path:
    """binary-author gives 0.6 on a binary question that resolved yes; categorical-author gives
    {a: 0.45, b: 0.2, c: 0.2, d: 0.15} on a four-outcome question that resolved a."""
    forecasts = {
        ("binary-author", "coin"): "probability: 0.6",
        ("categorical-author", "dice"): "probabilities: {a: 0.45, b: 0.2, c: 0.2, d: 0.15}",
    }
    return registry_of(root, forecasts, {"coin": ("yes", "resolver"), "dice": ("a", "resolver")})


def test_a_binary_and_a_categorical_author_are_ranked_on_the_scaled_brier(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    board = leaderboard.build(check_registry(str(scale_registry(tmp_path)), today=TODAY), min_n=1, today=TODAY)
    scores = {a.author: a for a in board.ranked + board.unranked}
    # binary: (1 - 0.6)^2 = 0.16, over a uniform forecast's 0.25: 0.64
    assert scores["binary-author"].brier == pytest.approx(0.16)
    assert scores["binary-author"].scaled_brier == pytest.approx(0.64)
    # categorical: 0.55^2 + 0.2^2 + 0.2^2 + 0.15^2 = 0.405, over 1 - 1/4 = 0.75: 0.54
    assert scores["categorical-author"].brier == pytest.approx(0.405)
    assert scores["categorical-author"].scaled_brier == pytest.approx(0.54)
    by_raw = leaderboard.build(check_registry("registry", today=TODAY), min_n=1, today=TODAY, rank_by="brier")
    by_scaled = leaderboard.build(check_registry("registry", today=TODAY), min_n=1, today=TODAY, rank_by="scaled-brier")
    assert [a.author for a in by_raw.ranked] == ["binary-author", "categorical-author"]  # 0.16 < 0.405
    assert [a.author for a in by_scaled.ranked] == ["categorical-author", "binary-author"]  # 0.54 < 0.64


def rank_registry(root: Path) -> Path:
    """Every question resolves no, so a forecast p scores p^2.

    skilled answers the six hard questions (p 0.5, 0.6 alternately: Brier 0.25, 0.36), poor the six
    easy ones (0.4, 0.3: 0.16, 0.09) and resolves them itself; bridge answers all twelve (hard 0.6,
    0.7: 0.36, 0.49; easy 0.2, 0.1: 0.04, 0.01); lucky answers two easy ones at 0.05 (0.0025).
    """
    hard, easy = [f"hard-{k}" for k in range(6)], [f"easy-{k}" for k in range(6)]
    forecasts = {("skilled", q): f"probability: {(0.5, 0.6)[k % 2]}" for k, q in enumerate(hard)}
    forecasts |= {("bridge", q): f"probability: {(0.6, 0.7)[k % 2]}" for k, q in enumerate(hard)}
    forecasts |= {("poor", q): f"probability: {(0.4, 0.3)[k % 2]}" for k, q in enumerate(easy)}
    forecasts |= {("bridge", q): f"probability: {(0.2, 0.1)[k % 2]}" for k, q in enumerate(easy)}
    forecasts |= {("lucky", q): "probability: 0.05" for q in easy[:2]}
    outcomes = {q: ("no", "resolver") for q in hard} | {q: ("no", "poor") for q in easy}
    return registry_of(root, forecasts, outcomes)


def _board(rank_by: str, min_n: int = 1) -> leaderboard.Leaderboard:
    return leaderboard.build(check_registry("registry", today=TODAY), min_n=min_n, today=TODAY, rank_by=rank_by)


@pytest.fixture
def ranks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    registry = rank_registry(tmp_path)
    assert check_registry("registry", today=TODAY).problems == []
    return registry


def test_raw_and_scaled_brier_rank_the_lucky_and_the_easy_first(ranks: Path) -> None:
    # means of p^2: lucky 0.0025; poor (0.16 + 0.09) / 2 = 0.125; skilled (0.25 + 0.36) / 2 = 0.305;
    # bridge the mean of (0.36 + 0.49) / 2 on hard and (0.04 + 0.01) / 2 on easy: 0.225
    for rule, scale in (("brier", 1), ("scaled-brier", 4)):  # binary only: scaled = Brier / 0.25
        board = _board(rule)
        assert [a.author for a in board.ranked] == ["lucky", "poor", "bridge", "skilled"]
        key = [a.brier if rule == "brier" else a.scaled_brier for a in board.ranked]
        assert key == pytest.approx([scale * b for b in (0.0025, 0.125, 0.225, 0.305)])


def test_the_peer_score_ranks_by_the_others_on_the_same_questions(ranks: Path) -> None:
    board = _board("peer")
    # skilled: 0.25 - 0.36, 0.36 - 0.49 alternately: -0.12; lucky: 0.0025 - (0.16 + 0.04) / 2 and
    # 0.0025 - (0.09 + 0.01) / 2: -0.0725; bridge +0.0202; poor +0.10375 (worked in the test's notes)
    assert [a.author for a in board.ranked] == ["skilled", "lucky", "bridge", "poor"]
    assert [a.peer for a in board.ranked] == pytest.approx([-0.12, -0.0725, 0.2425 / 12, 0.6225 / 6])


def test_the_adjusted_rules_put_the_hard_questions_author_first_and_the_lucky_one_by_its_uncertainty(
    ranks: Path,
) -> None:
    adjusted, bound = _board("adjusted"), _board("adjusted-bound")
    scores = {a.author: a for a in adjusted.ranked}
    # against bridge, on the same questions: skilled -0.12 (hard), poor +0.10 (easy), scaled by 4
    assert scores["skilled"].scaled_adjusted - scores["bridge"].scaled_adjusted == pytest.approx(-0.48, abs=1e-6)
    assert scores["poor"].scaled_adjusted - scores["bridge"].scaled_adjusted == pytest.approx(0.40, abs=1e-6)
    assert [a.author for a in adjusted.ranked] == ["skilled", "lucky", "bridge", "poor"]
    # two questions: the widest interval, so the pessimistic bound puts lucky last
    assert [a.author for a in bound.ranked] == ["skilled", "bridge", "poor", "lucky"]
    assert [a.scaled_adjusted_ci[1] for a in bound.ranked] == sorted(a.scaled_adjusted_ci[1] for a in bound.ranked)  # type: ignore[index]
    # lucky's effect is shrunk most of the way to 0; the long records barely move
    assert abs(scores["lucky"].shrunk) < 0.5 * abs(scores["lucky"].scaled_adjusted)  # type: ignore[arg-type]
    assert scores["bridge"].shrunk == pytest.approx(scores["bridge"].scaled_adjusted, rel=0.05)


def test_with_the_default_minimum_the_two_question_author_is_unranked_and_told_why(ranks: Path) -> None:
    board = _board("adjusted", min_n=5)
    assert [a.author for a in board.ranked] == ["skilled", "bridge", "poor"]
    assert board.reasons == {"lucky": "fewer than 5 scored questions"}
    [row] = [r for r in reports.leaderboard_rows(board) if r[1] == "lucky"]
    assert row[0] == "-" and row[-1] == "fewer than 5 scored questions"


def test_shrinkage_by_hand() -> None:
    # mean square of the effects (0.09 + 0.01 + 0.04) / 3 less mean se^2 (0.01 + 0.01 + 0.04) / 3: tau^2 = 0.08 / 3
    effects, se = np.array([0.3, -0.1, -0.2, 0.5]), np.array([0.1, 0.1, 0.2, np.nan])
    tau2 = 0.08 / 3
    expected = [0.3 * tau2 / (tau2 + 0.01), -0.1 * tau2 / (tau2 + 0.01), -0.2 * tau2 / (tau2 + 0.04)]
    shrunk = ranking.shrink(effects, se)
    assert shrunk[:3] == pytest.approx(expected) and np.isnan(shrunk[3])


def test_effects_no_larger_than_their_noise_all_shrink_to_zero() -> None:
    assert ranking.shrink(np.array([0.1, -0.1]), np.array([0.2, 0.2])).tolist() == [0.0, 0.0]


def test_an_author_who_resolved_their_own_questions_is_marked(ranks: Path) -> None:
    board = _board("adjusted")
    marked = {a.author: a.self_resolved for a in board.ranked}
    assert marked == {"skilled": 0, "lucky": 0, "bridge": 0, "poor": 6}
    [row] = [r for r in reports.leaderboard_rows(board) if r[1] == "poor"]
    assert row[reports.LEADERBOARD_HEADER.index("self-resolved")] == "6"
    assert row[-1] == "resolved 6 of own questions"


def test_every_rule_is_stated_in_one_sentence_printed_under_the_board(ranks: Path) -> None:
    assert tuple(leaderboard.RANK_RULES) == RANK_CHOICES
    for name, rule in leaderboard.RANK_RULES.items():
        assert rule.sentence.count(". ") == 0 and rule.sentence.endswith(".")
        assert rule.sentence in reports.leaderboard_text(_board(name))


def test_rank_by_on_the_command_line(ranks: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", "registry", "--min-n", "1", "--rank-by", "brier", "--format", "json"]) == 0
    export = json.loads(capsys.readouterr().out)
    assert export["rank_by"] == "brier" and export["rank_rule"] == leaderboard.RANK_RULES["brier"].sentence
    assert [(a["author"], a["rank"]) for a in export["authors"]] == [
        ("lucky", 1),
        ("poor", 2),
        ("bridge", 3),
        ("skilled", 4),
    ]
    assert main(["score", "registry", "--min-n", "1", "--format", "json"]) == 0  # the default: adjusted
    assert json.loads(capsys.readouterr().out)["authors"][0]["author"] == "skilled"


def test_an_unknown_rank_rule_is_a_usage_error(ranks: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["score", "registry", "--rank-by", "luck"])
    assert exit_.value.code == 2
    assert "invalid choice: 'luck'" in capsys.readouterr().err


def numeric_registry(root: Path) -> Path:
    """gauge gives quartiles 1, 2, 3 on a numeric question that resolved 2.5, and 0.7 on a binary one (yes)."""
    forecasts = {
        ("gauge", "level"): "quantiles: {0.25: 1.0, 0.5: 2.0, 0.75: 3.0}",
        ("gauge", "coin"): "probability: 0.7",
    }
    return registry_of(root, forecasts, {"level": ("2.5", "resolver"), "coin": ("yes", "resolver")})


@pytest.mark.parametrize("form", ["table", "md", "csv"])
def test_numeric_scores_appear_in_every_plain_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], form: str
) -> None:
    monkeypatch.chdir(tmp_path)
    numeric_registry(tmp_path)
    assert main(["score", "registry", "--min-n", "1", "--format", form, "--today", TODAY.isoformat()]) == 0
    out = capsys.readouterr().out
    # pinball: (0.25 * 1.5 + 0.5 * 0.5 + 0.25 * 0.5) / 3 = 0.25; CRPS twice that; interval [1, 3] holds 2.5: width 2
    if form == "csv":
        [row] = [r for r in csv.DictReader(io.StringIO(out)) if r["author"] == "gauge"]
    else:
        [line] = [line for line in out.splitlines() if "gauge" in line]
        cells = [c.strip() for c in line.strip("| ").split("|")] if form == "md" else line.split(maxsplit=20)
        row = dict(zip(reports.LEADERBOARD_HEADER, cells, strict=True))
    assert (row["numeric n"], row["pinball"], row["crps"], row["interval score"]) == ("1", "0.2500", "0.5000", "2.0000")
    assert row["brier"] == "0.090"  # (1 - 0.7)^2, the binary question beside it


def test_the_csv_header_keeps_its_old_columns_first() -> None:
    old = ["rank", "author", "n", "brier", "log", "baseline", "peer", "adjusted", "adjusted 95% CI", "unscored"]
    assert reports.LEADERBOARD_HEADER[: len(old)] == old


OLD_AUTHOR_KEYS = {
    "author",
    "ranked",
    "n",
    "brier",
    "log_score",
    "baseline",
    "peer",
    "peer_median",
    "adjusted",
    "adjusted_ci",
    "murphy",
    "calibration",
    "numeric_n",
    "pinball",
    "unscored",
    "unrevealed",
}
NEW_AUTHOR_KEYS = {
    "rank",
    "unranked_reason",
    "scaled_brier",
    "scaled_adjusted",
    "scaled_adjusted_ci",
    "scaled_adjusted_se",
    "shrunk",
    "shared",
    "self_resolved",
    "crps",
    "interval_score",
}
OLD_TOP_KEYS = {
    "generated_at",
    "scale",
    "policy",
    "min_n",
    "authors",
    "questions",
    "unscored",
    "unrevealed",
    "invalid_resolutions",
}


def test_the_json_export_keeps_every_old_key_and_adds_the_new(ranks: Path) -> None:
    export = leaderboard.as_json(_board("adjusted"), dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    assert OLD_TOP_KEYS | {"rank_by", "rank_rule", "min_shared", "community"} == set(export)
    for entry in export["authors"]:
        assert set(entry) == OLD_AUTHOR_KEYS | NEW_AUTHOR_KEYS
        assert entry["ranked"] is (entry["rank"] is not None)
    poor = next(a for a in export["authors"] if a["author"] == "poor")
    assert poor["brier"] == pytest.approx(0.125) and poor["scaled_brier"] == pytest.approx(0.5)
    assert poor["self_resolved"] == 6 and poor["shared"] == 6 and len(poor["scaled_adjusted_ci"]) == 2
    json.dumps(export, allow_nan=False)  # every number finite


def _score(name: str, shrunk: float, bound: float) -> leaderboard.AuthorScore:
    """An author of 10 scored questions whose scaled effect and interval are given."""
    return leaderboard.AuthorScore(
        author=name,
        n=10,
        brier=0.2,
        log_score=None,
        baseline=None,
        peer=None,
        peer_median=None,
        adjusted=None,
        adjusted_ci=None,
        murphy=None,
        calibration=[],
        numeric_n=0,
        pinball=None,
        unscored=0,
        scaled_adjusted=0.0,
        scaled_adjusted_ci=(bound - 1.0, bound),
        shrunk=shrunk,
        shared=10,
    )


def test_when_every_effect_shrinks_to_zero_the_upper_bound_breaks_the_tie_not_the_name() -> None:
    authors = [_score("aaron", 0.0, 0.9), _score("zoe", 0.0, 0.3), _score("mia", 0.0, 0.6)]
    ranked, unranked, reasons = ranking.order(authors, "adjusted", min_n=5)
    assert [a.author for a in ranked] == ["zoe", "mia", "aaron"]
    assert (unranked, reasons) == ([], {})
