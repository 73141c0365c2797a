"""Numbers a hostile registry writes: only finite ones are read, scored or exported.

A plain `1e400` parses to infinity and `1e-400` to 0, so a number can be silently
changed from what was written, or make a score (and the JSON export) non-finite.
"""

from __future__ import annotations

import ast
import json
import math
from pathlib import Path
from typing import Any

import pytest

from predreg import check_registry, commitment, leaderboard, reports
from predreg.checks import outcome_problem
from predreg.cli import main
from predreg.resolve import ask

from .conftest import REPO, TODAY
from .evidence_server import EvidenceServer, body
from .resolving import NOW, session, write_registry
from .test_check import problems, resolve, write

NUMERIC_QUESTION = (
    "id: speedup\nclaim: How much faster?\ncriteria: The first published estimate.\n"
    "resolve_by: 2026-11-01\nresolver: {name: manual}\nkind: numeric\nunit: x\n"
)
HUGE_INTEGER = "1" + "0" * 400


def _numeric(registry: Path, quantiles: str, outcome: str | None = None) -> None:
    write(registry, "questions/speedup.yaml", NUMERIC_QUESTION)
    write(
        registry,
        "predictions/forecaster-a/speedup-a.yaml",
        f"id: speedup-a\nauthor: forecaster-a\nregistered: 2026-10-01\nquestion: speedup\nquantiles: {quantiles}\n",
    )
    if outcome is not None:
        resolve(registry, outcome, question="speedup", resolved_at="2026-11-02")


def _raise(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def strict_json(text: str) -> Any:
    """``text`` parsed as JSON proper: NaN, Infinity and -Infinity are refused."""
    return json.loads(text, parse_constant=_raise)


# --- reading: every number field is finite, as written -------------------------------


@pytest.mark.parametrize("written", ["1e400", "-1e400", HUGE_INTEGER, "-" + HUGE_INTEGER, "1e101"])
def test_a_quantile_beyond_the_limit_is_refused_where_it_is_written(minimal_registry: Path, written: str) -> None:
    _numeric(minimal_registry, f"{{0.05: 1, 0.5: 2, 0.95: {written}}}")
    [line] = problems(minimal_registry)
    assert line.startswith("registry/predictions/forecaster-a/speedup-a.yaml:5:")
    assert "quantiles.0.95: " in line and "is too large: a number here stays within ±1e+100" in line


@pytest.mark.parametrize("written", [".inf", "-.inf", ".nan", "nan", "inf"])
def test_a_quantile_written_as_a_yaml_infinity_or_nan_is_refused(minimal_registry: Path, written: str) -> None:
    _numeric(minimal_registry, f"{{0.05: 1, 0.5: 2, 0.95: {written}}}")
    [line] = problems(minimal_registry)
    assert f"quantiles.0.95: `{written}` is not a finite number" in line


def test_a_quantile_that_underflows_to_zero_is_refused(minimal_registry: Path) -> None:
    _numeric(minimal_registry, "{0.05: 1e-400, 0.5: 2, 0.95: 3}")
    [line] = problems(minimal_registry)
    assert "quantiles.0.05: `1e-400` is too small: floating point reads it as 0; write the number you mean" in line


def test_a_probability_that_underflows_to_zero_says_so(minimal_registry: Path) -> None:
    path = minimal_registry / "predictions" / "forecaster-a" / "on-shared.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("0.3", "3e-400"), encoding="utf-8")
    [line] = problems(minimal_registry)
    assert "probability: `3e-400` is too small: floating point reads it as 0" in line  # it said "0 is outside [...]"


def test_a_huge_number_of_digits_is_not_echoed_whole(minimal_registry: Path) -> None:
    _numeric(minimal_registry, f"{{0.05: 1, 0.5: 2, 0.95: {HUGE_INTEGER}}}")
    [line] = problems(minimal_registry)
    assert HUGE_INTEGER not in line and "a number of 401 characters" in line


@pytest.mark.parametrize("written", ["1e400", "-1e400", HUGE_INTEGER, "1e200"])
def test_a_numeric_outcome_beyond_the_limit_is_refused(minimal_registry: Path, written: str) -> None:
    _numeric(minimal_registry, "{0.05: 1, 0.5: 2, 0.95: 3}", outcome=written)
    [line] = problems(minimal_registry)
    assert line.startswith("registry/resolutions/speedup.yaml:2:10: outcome: ")
    assert "is too large: a number here stays within ±1e+100" in line


def test_a_numeric_outcome_that_underflows_to_zero_is_refused(minimal_registry: Path) -> None:
    _numeric(minimal_registry, "{0.05: 1, 0.5: 2, 0.95: 3}", outcome="-1e-400")
    [line] = problems(minimal_registry)
    assert "outcome: `-1e-400` is too small: floating point reads it as 0" in line


def test_the_largest_allowed_numbers_still_score_finitely(minimal_registry: Path) -> None:
    # a narrow interval's 2/alpha (here 1e12) times the limit, plus the width: far below float's 1.8e308
    _numeric(minimal_registry, "{0.000000000001: -1e100, 0.5: -5e99, 0.999999999999: 0}", outcome="1e100")
    registry = check_registry("registry", today=TODAY)
    assert registry.problems == []
    [series] = leaderboard.build(registry, min_n=0, today=TODAY).series
    assert series.interval is not None and math.isfinite(series.interval)
    # the 1 - 2e-12 interval [-1e100, 0] misses 1e100: width 1e100 plus 2 / 2e-12 * (1e100 - 0)
    assert series.interval == pytest.approx(1e100 + 1e112, rel=1e-9)


@pytest.mark.parametrize("written", ["1e400", HUGE_INTEGER, "-" + HUGE_INTEGER])
def test_a_resolver_setting_beyond_floats_is_refused_not_a_crash(tmp_path: Path, written: str) -> None:
    settings = f'{{name: json, url: "https://example.org/a.json", pointer: /a, op: ">=", value: {written}}}'
    write(tmp_path / "registry", "authors.yaml", "authors:\n  forecaster-a: {name: A}\n")
    write(
        tmp_path / "registry",
        "questions/big.yaml",
        f"id: big\nclaim: Big.\ncriteria: YES if so.\nresolve_by: 2027-01-01\nkind: binary\nresolver: {settings}\n",
    )
    found = [str(p) for p in check_registry(str(tmp_path / "registry"), today=TODAY).problems]
    assert len(found) == 1 and "resolver.value: " in found[0] and "is too large" in found[0]


def test_a_large_integer_setting_is_kept_exactly(tmp_path: Path) -> None:
    settings = '{name: json, url: "https://example.org/a.json", pointer: /a, value: 12345678901234567891}'
    root = write_registry(tmp_path / "registry", {})
    write(
        root,
        "questions/q.yaml",
        f"id: q\nclaim: C.\ncriteria: Y.\nresolve_by: 2027-01-01\nkind: binary\nresolver: {settings}\n",
    )
    registry = check_registry(str(root), today=TODAY)
    assert registry.problems == []
    assert registry.questions["q"].resolver.config["value"] == 12345678901234567891  # float() made ...892


# --- the export: strict JSON, whatever the registry holds -----------------------------


def _lax_json_dump(node: ast.AST) -> bool:
    """A call ``json.dump(...)`` or ``json.dumps(...)`` without ``allow_nan=False``."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    if node.func.attr not in ("dump", "dumps") or getattr(node.func.value, "id", None) != "json":
        return False
    return not any(
        k.arg == "allow_nan" and isinstance(k.value, ast.Constant) and k.value.value is False for k in node.keywords
    )


def test_every_json_dump_refuses_nan() -> None:
    """Each json.dump(s) call in predreg passes allow_nan=False: nothing non-finite is written silently."""
    lax = [
        f"{path.relative_to(REPO)}:{node.lineno}"  # type: ignore[attr-defined]
        for path in sorted((REPO / "predreg").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if _lax_json_dump(node)
    ]
    assert lax == []


def _hostile(registry: Path) -> None:
    """Every number attack at once: infinite quantiles and outcome, a binary `maybe`, a numeric `yes`."""
    _numeric(registry, "{0.05: 1, 0.5: 2, 0.95: 1e400}", outcome="1e400")
    write(registry, "questions/big.yaml", NUMERIC_QUESTION.replace("speedup", "big"))
    write(
        registry,
        "predictions/forecaster-b/big-b.yaml",
        "id: big-b\nauthor: forecaster-b\nregistered: 2026-10-01\nquestion: big\n"
        "quantiles: {0.05: -1e308, 0.5: 0, 0.95: 1e308}\n",
    )
    resolve(registry, "-1e308", question="big", resolved_at="2026-11-02")
    resolve(registry, "maybe", resolved_at="2026-11-02")


def test_the_json_export_of_a_hostile_registry_is_strict_json(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _hostile(minimal_registry)
    code = main(["score", "registry", "--format", "json", "--min-n", "0", "--today", TODAY.isoformat()])
    out, err = capsys.readouterr()
    assert code == 1 and "1e400" in err  # the problems are told, and what is valid is scored
    export = strict_json(out)
    assert [s for s in export["questions"] if s["question"] in ("speedup", "big")] == []


@pytest.mark.parametrize("forged", ["Infinity", "NaN", "1e400"])
def test_a_shard_line_holding_a_non_finite_number_is_refused(
    minimal_registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], forged: str
) -> None:
    _numeric(minimal_registry, "{0.05: 1, 0.5: 2, 0.95: 3}", outcome="2.5")
    shard = tmp_path / "one.jsonl"
    assert main(["check", "registry", "--shard", "1/1", "-o", str(shard), "--today", TODAY.isoformat()]) == 0
    text = shard.read_text(encoding="utf-8")
    assert '"0.95": 3.0' in text
    shard.write_text(text.replace('"0.95": 3.0', f'"0.95": {forged}'), encoding="utf-8")
    capsys.readouterr()
    assert main(["score", "registry", "--merge", str(shard), "--format", "json", "--today", TODAY.isoformat()]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "is not JSON" in err and len(err.strip().splitlines()) == 1


# --- scoring: an outcome that does not fit its question is left out and listed ---------


def _categorical(registry: Path, outcome: str) -> None:
    write(
        registry,
        "questions/lab.yaml",
        "id: lab\nclaim: Which lab first?\ncriteria: The first announcement.\nresolve_by: 2026-11-01\n"
        "resolver: {name: manual}\nkind: categorical\noutcomes: [alpha, beta]\n",
    )
    write(
        registry,
        "predictions/forecaster-b/on-lab.yaml",
        "id: on-lab\nauthor: forecaster-b\nregistered: 2026-10-01\nquestion: lab\n"
        "probabilities: {alpha: 0.6, beta: 0.4}\n",
    )
    resolve(registry, outcome, question="lab", resolved_at="2026-11-02")


def _shared_binary_resolved(registry: Path, outcome: str) -> None:
    """forecaster-a 0.3 on shared-question (registered 2026-10-01), resolved ``outcome``; forecaster-b on lab."""
    path = registry / "predictions" / "forecaster-a" / "on-shared.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("2026-11-23", "2026-10-01"), encoding="utf-8")
    resolve(registry, outcome, resolved_at="2026-11-02")
    _categorical(registry, "beta")


def _score_json(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any], str]:
    code = main(["score", "registry", "--format", "json", "--min-n", "0", "--today", TODAY.isoformat()])
    out, err = capsys.readouterr()
    return code, strict_json(out), err


def test_check_refuses_an_unknown_category_where_it_is_written(minimal_registry: Path) -> None:
    _categorical(minimal_registry, "gamma")
    assert problems(minimal_registry) == [
        "registry/resolutions/lab.yaml:2:1: outcome: `gamma` is not an outcome of categorical question `lab`;"
        " write one of alpha, beta, annulled, ambiguous"
    ]


def test_a_non_finite_outcome_that_did_not_come_from_yaml_does_not_fit(minimal_registry: Path) -> None:
    _numeric(minimal_registry, "{0.05: 1, 0.5: 2, 0.95: 3}")  # a plugin's or a forged shard's record may hold one
    numeric = check_registry("registry", today=TODAY).questions["speedup"]
    assert outcome_problem(numeric, 2.5) is None
    for outcome in (math.inf, -math.inf, math.nan):
        wrong = outcome_problem(numeric, outcome)
        assert wrong is not None and "is not a finite number" in wrong[0]


def test_a_binary_maybe_is_left_out_of_scoring_and_listed(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _shared_binary_resolved(minimal_registry, "maybe")
    code, export, err = _score_json(capsys)
    assert code == 1 and "`maybe` is not an outcome of binary question `shared-question`" in err
    assert {s["question"] for s in export["questions"]} == {"lab"}  # it scored `maybe` as no
    # the one question scored: forecaster-b gave 0.4 to beta, which happened: (0.6-0)^2 + (0.4-1)^2
    assert export["questions"][0]["brier"] == pytest.approx(0.72, abs=1e-12)
    assert export["invalid_resolutions"] == [
        {
            "path": "registry/resolutions/shared-question.yaml",
            "question": "shared-question",
            "outcome": "maybe",
            "reason": "`maybe` is not an outcome of binary question `shared-question`",
        }
    ]


def test_an_unknown_category_is_left_out_not_a_crash(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _shared_binary_resolved(minimal_registry, "yes")
    _categorical(minimal_registry, "gamma")  # KeyError before
    code, export, _ = _score_json(capsys)
    assert code == 1
    [series] = export["questions"]
    assert series["question"] == "shared-question" and series["brier"] == pytest.approx(0.49, abs=1e-12)  # (0.3-1)^2
    [invalid] = export["invalid_resolutions"]
    assert invalid["question"] == "lab" and invalid["outcome"] == "gamma"


def test_a_numeric_yes_is_left_out_not_a_crash(minimal_registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _numeric(minimal_registry, "{0.05: 1, 0.5: 2, 0.95: 3}", outcome="yes")  # ValueError before
    code, export, _ = _score_json(capsys)
    assert code == 1 and export["questions"] == []
    [invalid] = export["invalid_resolutions"]
    assert invalid == {
        "path": "registry/resolutions/speedup.yaml",
        "question": "speedup",
        "outcome": "yes",
        "reason": "`yes` is not a number, and `speedup` is numeric",
    }


def test_the_text_board_lists_invalid_resolutions_after_it(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _shared_binary_resolved(minimal_registry, "maybe")
    assert main(["score", "registry", "--min-n", "0", "--today", TODAY.isoformat()]) == 1
    last = capsys.readouterr().out.rstrip("\n").splitlines()[-1]
    assert last == (
        "Invalid resolutions, left out of scoring: registry/resolutions/shared-question.yaml"
        " (`maybe` is not an outcome of binary question `shared-question`)."
    )


def test_the_markdown_board_lists_invalid_resolutions_too(minimal_registry: Path) -> None:
    _shared_binary_resolved(minimal_registry, "maybe")
    board = leaderboard.build(check_registry("registry", today=TODAY), min_n=0, today=TODAY)
    assert reports.leaderboard_markdown(board).endswith(
        "Invalid resolutions, left out of scoring: registry/resolutions/shared-question.yaml"
        " (`maybe` is not an outcome of binary question `shared-question`)."
    )


def test_the_schema_holds_quantiles_within_the_limit(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "prediction"]) == 0
    quantile = strict_json(capsys.readouterr().out)["properties"]["quantiles"]["additionalProperties"]
    assert (quantile["minimum"], quantile["maximum"]) == (-1e100, 1e100)


def test_a_registry_without_invalid_resolutions_exports_an_empty_list(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _shared_binary_resolved(minimal_registry, "no")
    code, export, _ = _score_json(capsys)
    assert code == 0 and export["invalid_resolutions"] == []
    by_question = {s["question"]: s["brier"] for s in export["questions"]}
    assert by_question["shared-question"] == pytest.approx(0.09, abs=1e-12)  # (0.3-0)^2


def test_a_commitment_on_an_invalid_resolution_is_not_called_unrevealed(minimal_registry: Path) -> None:
    digest = commitment.commitment("hidden", "forecaster-b", {"probability": 0.9}, "ab" * 16)
    write(
        minimal_registry,
        "predictions/forecaster-b/hidden.yaml",
        f"id: hidden\nauthor: forecaster-b\nregistered: 2026-10-01\nquestion: shared-question\ncommitment: {digest}\n",
    )
    _shared_binary_resolved(minimal_registry, "maybe")
    board = leaderboard.build(check_registry("registry", today=TODAY), min_n=0, today=TODAY)
    assert [r.question for r in board.invalid_resolutions] == ["shared-question"]
    # the question stands unresolved, so the commitment is not yet due (it was "scored as the worst forecast")
    assert board.unrevealed == [] and board.unscored == []


# --- evidence: NaN and Infinity in fetched JSON are not values ------------------------


@pytest.mark.parametrize("document", ['{"score": NaN}', '{"score": Infinity}', '{"score": -1e400}', '{"score": [NaN]}'])
@pytest.mark.parametrize("op", ["!=", "==", ">=", "exists"])
def test_nan_in_fetched_json_does_not_resolve(server: EvidenceServer, tmp_path: Path, document: str, op: str) -> None:
    server.routes["/doc.json"] = body(document, content_type="application/json")
    spec = {"name": "json", "url": server.url("/doc.json"), "pointer": "/score", "op": op, "resolve_by": "2026-06-30"}
    if op != "exists":
        spec["value"] = 0.5
    root = write_registry(tmp_path / "registry", {"q": spec})
    registry = check_registry(str(root), today=NOW.date())
    assert registry.problems == []
    question = registry.questions["q"]
    verdict = ask(question.resolver, question, session(server), NOW)  # past resolve_by: it would say yes or no
    assert (verdict.status, verdict.outcome) == ("error", None)
    assert "not a finite number: the question does not resolve from it" in verdict.reason
