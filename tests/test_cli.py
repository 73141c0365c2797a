"""The `predreg` command: exit codes, output, and the README's promises."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from predreg.cli import main

from .conftest import DATA, EXAMPLE_REGISTRY, REPO, TODAY, check


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "predreg.cli", *args], cwd=cwd, capture_output=True, text=True)


def test_the_example_registry_checks_clean_from_the_command_line() -> None:
    result = run("check", "registry")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.match(r"registry: OK: \d+ predictions by \d+ authors on \d+ questions", result.stdout)


def test_an_invalid_registry_exits_1_with_one_line_per_problem(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE_REGISTRY, tmp_path / "registry")
    for name in ("probability-yes", "seed-07-risk-share"):
        shutil.copy(DATA / "invalid" / f"{name}.yaml", tmp_path / "registry" / "predictions" / "forecaster-a")
    result = run("check", "registry", "--today", TODAY.isoformat(), cwd=tmp_path)
    assert result.returncode == 1
    assert len(result.stdout.splitlines()) == 3
    assert "3 problem(s)" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "args",
    [["check", "no-such-folder"], ["check", "registry", "--today", "tomorrow"], ["frobnicate"], []],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_json_output_lists_problems_as_records(minimal_registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(DATA / "invalid" / "probability-nan.yaml", minimal_registry / "predictions" / "forecaster-a")
    code, out = check(capsys, "registry", "--format", "json")
    assert code == 1
    assert json.loads(out) == [
        {
            "path": "registry/predictions/forecaster-a/probability-nan.yaml",
            "line": 9,
            "col": 14,
            "field": "probability",
            "message": "`nan` is not a finite number",
            "hint": "write a number, e.g. `probability: 0.7`",
        }
    ]


def _kind_of(record: dict[str, object]) -> str:
    """A prediction's kind, read straight from the YAML files (independently of predreg)."""
    if "kind" in record:
        return str(record["kind"])
    [path] = EXAMPLE_REGISTRY.rglob(f"{record['question']}.yaml")
    return _kind_of(yaml.safe_load(path.read_text()))


def test_summary_counts_predictions_per_author_and_kind(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    assert main(["summary", "registry"]) == 0
    header, _, *lines = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: dict(zip(header.split()[1:], line.split()[1:], strict=True)) for line in lines}
    kinds = {"binary": 0, "categorical": 0, "numeric": 0, "ordering": 0}
    for path in (EXAMPLE_REGISTRY / "predictions" / "forecaster-a").glob("*.yaml"):
        kinds[_kind_of(yaml.safe_load(path.read_text()))] += 1
    assert {kind: int(rows["forecaster-a"][kind]) for kind in kinds} == kinds
    assert int(rows["all"]["total"]) == len(list((EXAMPLE_REGISTRY / "predictions").rglob("*.yaml")))


@pytest.mark.parametrize("kind", ["prediction", "question", "resolution", "authors"])
def test_schema_is_valid_json_schema(kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", kind]) == 0
    schema = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator.check_schema(schema)


def _as_json(value: object) -> object:
    """What an editor's YAML reader hands a schema validator: dates as strings."""
    return json.loads(json.dumps(value, default=str))


def test_schema_accepts_every_example_file_and_rejects_bad_ones(capsys: pytest.CaptureFixture[str]) -> None:
    validators = {}
    for kind in ("prediction", "question", "resolution", "authors"):
        main(["schema", kind])
        validators[kind] = jsonschema.Draft202012Validator(json.loads(capsys.readouterr().out))
    folders = {"predictions": "prediction", "questions": "question", "resolutions": "resolution"}
    for path in EXAMPLE_REGISTRY.rglob("*.yaml"):
        kind = "authors" if path.name == "authors.yaml" else folders[path.relative_to(EXAMPLE_REGISTRY).parts[0]]
        errors = list(validators[kind].iter_errors(_as_json(yaml.safe_load(path.read_text()))))
        assert errors == [], (path, errors)
    for name in ("probabilty-typo", "probability-one", "probability-quoted", "seed-07-risk-share"):
        document = _as_json(yaml.safe_load((DATA / "invalid" / f"{name}.yaml").read_text()))
        assert not validators["prediction"].is_valid(document), name


def test_readme_starts_with_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```(?:sh|bash|console)\n(.*?)\n```", readme, re.S)[:2]
    assert len(commands) == 2
    demo, tests = commands
    assert "predreg check registry" in demo and "predreg resolve registry --offline" in demo
    assert "pytest" in tests
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert tests.strip() in ci


def test_every_message_in_the_readme_catalogue_is_one_predreg_gives() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Error catalogue") : readme.index("Registry-wide rules:")]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| input")]
    given = "".join(path.read_text(encoding="utf-8") for path in (DATA / "invalid").glob("*.expected"))
    assert len(rows) >= 19
    for row in rows:
        message = row.split(" | ")[1].removesuffix(" |")
        assert f": {message}\n" in given, message
