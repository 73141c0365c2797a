"""Hidden forecasts (commit-reveal) and `predreg new`: written, checked, revealed, scored."""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path

import pytest

from predreg import check_registry, commitment, leaderboard
from predreg.cli import main

from .conftest import TODAY
from .test_check import resolve

LATER = TODAY + dt.timedelta(days=30)


@pytest.fixture
def keep(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "kept-salts"
    monkeypatch.setenv("PREDREG_KEEP", str(folder))
    return folder


def commit(probability: float = 0.35, pid: str = "hidden") -> int:
    return main(
        ["commit", "registry", "--author", "forecaster-b", "--question", "shared-question", "--id", pid,
         "--probability", str(probability), "--today", str(TODAY)]
    )  # fmt: skip


def problems(today: dt.date = LATER) -> list[str]:
    return [f"{p.field}: {p.message}" for p in check_registry("registry", today=today).problems]


def test_commit_hides_the_forecast_and_keeps_the_salt_outside(minimal_registry: Path, keep: Path) -> None:
    assert commit() == 0
    text = (minimal_registry / "predictions" / "forecaster-b" / "hidden.yaml").read_text()
    assert 'commitment: "sha256:' in text and "probability" not in text and "0.35" not in text
    kept = json.loads((keep / "hidden.json").read_text())
    assert commitment.salt_bits(kept["salt"]) == 256
    assert stat.S_IMODE((keep / "hidden.json").stat().st_mode) == 0o600
    assert problems() == []


def test_a_reveal_that_matches_is_scored_as_revealed(minimal_registry: Path, keep: Path) -> None:
    assert commit(0.35) == 0
    assert main(["reveal", "hidden", "registry", "--today", str(TODAY + dt.timedelta(days=3))]) == 0
    assert problems() == []
    resolve(minimal_registry, "yes", resolved_at=str(TODAY + dt.timedelta(days=10)))
    board = leaderboard.build(check_registry("registry", today=LATER), min_n=1, today=LATER, policy="last")
    by = {(s.author, tuple(s.predictions)): s for s in board.series}
    hidden = next(s for (author, ids), s in by.items() if "hidden" in ids)
    assert hidden.brier == pytest.approx((1 - 0.35) ** 2, abs=1e-12)
    assert board.unrevealed == []


def test_a_mismatching_reveal_is_refused(minimal_registry: Path, keep: Path) -> None:
    assert commit(0.35) == 0
    assert main(["reveal", "hidden", "registry", "--today", str(TODAY)]) == 0
    revealed = minimal_registry / "reveals" / "hidden.yaml"
    revealed.write_text(revealed.read_text().replace("probability: 0.35", "probability: 0.95"))
    assert problems() == ["salt: with this forecast does not hash to the commitment of hidden"]


def test_a_short_salt_is_refused_because_a_binary_forecast_could_be_brute_forced(minimal_registry: Path) -> None:
    # with a short salt, trying every salt and every allowed probability finds the forecast at once
    short = "a3"
    target = commitment.commitment("hidden", "forecaster-a", {"probability": 0.35}, short)
    found = [
        (salt, k / 1000)
        for salt in (f"{n:02x}" for n in range(256))
        for k in range(1, 1000)
        if commitment.commitment("hidden", "forecaster-a", {"probability": k / 1000}, salt) == target
    ]
    assert found == [(short, 0.35)]  # 256 x 999 hashes: well under a second
    folder = minimal_registry / "predictions" / "forecaster-a"
    (folder / "hidden.yaml").write_text(
        f"id: hidden\nauthor: forecaster-a\nregistered: {TODAY}\nquestion: shared-question\ncommitment: {target}\n"
    )
    (minimal_registry / "reveals").mkdir()
    (minimal_registry / "reveals" / "hidden.yaml").write_text(
        f"prediction: hidden\nrevealed: {TODAY}\nsalt: {short}\nprobability: 0.35\n"
    )
    assert problems() == ["salt: has 8 bits; a commitment's salt needs at least 128"]
    # 128 bits is the floor: 2**128 salts times 999 forecasts is out of reach by construction
    assert commitment.SALT_BITS == 128 and commitment.salt_bits(commitment.new_salt()) >= 128


def test_a_commitment_never_revealed_scores_as_the_worst_forecast(
    minimal_registry: Path, keep: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert commit(0.9) == 0  # a good forecast, but never shown
    resolve(minimal_registry, "yes", resolved_at=str(TODAY + dt.timedelta(days=10)))
    board = leaderboard.build(check_registry("registry", today=LATER), min_n=1, today=LATER, policy="last")
    [unrevealed] = board.unrevealed
    assert (unrevealed.author, unrevealed.question) == ("forecaster-b", "shared-question")
    mine = next(a for a in board.ranked + board.unranked if a.author == "forecaster-b")
    assert mine.unrevealed == 1
    series = next(s for s in board.series if "hidden" in s.predictions)
    assert series.brier == pytest.approx((1 - 0.001) ** 2, abs=1e-12)  # 0.001 on what happened
    capsys.readouterr()
    assert main(["score", "registry", "--today", str(LATER), "--min-n", "1", "--format", "json"]) == 0
    export = json.loads(capsys.readouterr().out)
    assert export["unrevealed"][0]["author"] == "forecaster-b"
    assert main(["score", "registry", "--today", str(LATER), "--min-n", "1"]) == 0
    assert "Unrevealed commitments, scored as the worst forecast: forecaster-b on shared-question." in (
        capsys.readouterr().out
    )


def test_a_reveal_after_the_resolution_comes_too_late(minimal_registry: Path, keep: Path) -> None:
    assert commit(0.9) == 0
    resolve(minimal_registry, "yes", resolved_at=str(TODAY + dt.timedelta(days=2)))
    assert main(["reveal", "hidden", "registry", "--today", str(TODAY + dt.timedelta(days=5))]) == 0
    board = leaderboard.build(check_registry("registry", today=LATER), min_n=1, today=LATER, policy="last")
    assert len(board.unrevealed) == 1


def test_a_commitment_beside_the_forecast_hides_nothing(minimal_registry: Path) -> None:
    folder = minimal_registry / "predictions" / "forecaster-a"
    digest = "sha256:" + "0" * 64
    (folder / "leaky.yaml").write_text(
        f"id: leaky\nauthor: forecaster-a\nregistered: {TODAY}\nquestion: shared-question\n"
        f"commitment: {digest}\nprobability: 0.4\n"
    )
    assert problems() == ["probability: is written beside a commitment, so the forecast is not hidden"]


def test_new_writes_a_checked_prediction_with_a_unique_id(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["new", "registry", "--author", "forecaster-a", "--claim", "On shared", "--criteria", "YES if so.",
            "--resolve-by", "2027-12-31", "--probability", "0.6", "--today", str(TODAY)]  # fmt: skip
    assert main(args) == 0
    assert "on-shared-2.yaml" in capsys.readouterr().out  # `on-shared` is taken
    assert problems(TODAY) == []
    late = [a if a != "2027-12-31" else "2026-01-01" for a in args]
    assert main(late) == 1  # resolve_by before registered: reported, nothing written
    assert "nothing written" in capsys.readouterr().err
    assert sorted(p.name for p in (minimal_registry / "predictions" / "forecaster-a").iterdir()) == [
        "on-shared-2.yaml", "on-shared.yaml"
    ]  # fmt: skip


def test_new_without_a_terminal_names_what_is_missing(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new", "registry", "--author", "forecaster-a", "--claim", "Something."]) == 2
    assert "missing --criteria, --resolve-by, --probability" in capsys.readouterr().err


def test_the_salt_may_not_be_kept_in_the_registry(minimal_registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["commit", "registry", "--author", "forecaster-a", "--question", "shared-question", "--probability", "0.3",
         "--keep", "registry/salts", "--today", str(TODAY)]
    )  # fmt: skip
    assert code == 2 and "inside the registry" in capsys.readouterr().err
    assert not (minimal_registry / "salts").exists()
    assert not list((minimal_registry / "predictions" / "forecaster-a").glob("shared-question*"))
