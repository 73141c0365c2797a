"""The shipped GitHub workflows and pre-commit hooks: their shape, and the PR check run for real."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from .conftest import REPO
from .test_pr import add_prediction, commit, git, repo  # noqa: F401 (the fixture)

WORKFLOWS = REPO / "predreg" / "templates" / "github" / "workflows"
BIN = Path(sys.executable).parent


def workflow(name: str) -> dict[str, Any]:
    document: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads the key `on` as true
    return document


def step(document: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [s for s in document["jobs"][next(iter(document["jobs"]))]["steps"] if s.get("name") == name]
    return found


def test_the_pr_workflow_judges_with_the_base_branchs_code() -> None:
    document = workflow("predreg-pr.yml")
    assert "pull_request_target" in document["on"]
    base = step(document, "Check out the base branch (the code that judges)")
    head = step(document, "Check out the pull request (read as data, never run)")
    assert base["with"]["ref"] == "${{ steps.pr.outputs.base }}"
    assert '"base=\\(.base.sha)"' in step(document, "Find the pull request")["run"]  # the pull request's base
    assert head["with"]["persist-credentials"] is False
    check = step(document, "Check the pull request")
    assert "--noconftest" in check["run"] and "-c /dev/null" in check["run"] and "--base" in check["run"]
    assert check["env"]["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] == "1"
    assert "${{" not in check["run"]  # event fields reach the script through env, never pasted into it


def test_the_resolve_workflow_catches_up_and_never_pushes_to_main() -> None:
    document = workflow("predreg-resolve.yml")
    assert "schedule" in document["on"] and "workflow_dispatch" in document["on"]
    assert document["concurrency"]["group"] == "predreg-resolve"
    text = (WORKFLOWS / "predreg-resolve.yml").read_text()
    assert "--force" not in text and "push -f" not in text
    propose = step(document, "Propose the new resolutions as a pull request")["run"]
    assert 'git push --quiet origin "HEAD:refs/heads/$branch"' in propose and "gh pr create" in propose
    assert 'branch="predreg/resolve-' in propose
    assert "overdue_manual" in step(document, "One issue per overdue manual question")["run"]


def test_the_sharded_workflow_runs_every_shard_and_merges_them() -> None:
    document = workflow("predreg-sharded.yml")
    shards = document["jobs"]["shard"]["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, int(document["env"]["SHARDS"]) + 1))
    run = step(document, "Check this shard (pytest-xdist inside it)")["run"]
    assert "--shard" in run and "--predreg-shard" in run and "-n auto" in run and "--noconftest" in run
    assert document["jobs"]["merge"]["needs"] == "shard"
    merge = next(s for s in document["jobs"]["merge"]["steps"] if s.get("name") == "One leaderboard from every shard")
    assert "--merge shard-*.jsonl" in merge["run"]


def test_pre_commit_hooks_run_predreg() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert {h["id"] for h in hooks} == {"predreg-check", "predreg-check-base"}
    assert all(h["entry"].startswith("predreg check registry") and h["pass_filenames"] is False for h in hooks)


PASS_EVERYTHING = """
def pytest_collection_modifyitems(items):
    for item in items:
        item.runtest = lambda: None  # every registry item passes, whatever the data says
"""


def _run_check_step(repo: Path, base: str) -> subprocess.CompletedProcess[str]:  # noqa: F811
    script = step(workflow("predreg-pr.yml"), "Check the pull request")["run"]
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "BASE_SHA": base,
        "ACTOR": "forecaster-a-gh",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    env.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.run(["bash", "-e", "-c", script], cwd=repo, env=env, capture_output=True, text=True)


def test_a_pr_shipping_a_conftest_that_passes_everything_is_still_rejected(repo: Path) -> None:  # noqa: F811
    git(repo, "remote", "add", "origin", str(repo))
    base = git(repo, "rev-parse", "main").strip()
    bad = add_prediction(repo, "sure-thing")
    bad.write_text(bad.read_text().replace("probability: 0.4", "probability: yes"))
    (repo / "registry" / "conftest.py").write_text(PASS_EVERYTHING)
    commit(repo)
    # the trick is real: a plain pytest run that honours conftest.py passes the bad file
    plain = subprocess.run(
        [sys.executable, "-m", "pytest", "registry", "-q", "-p", "no:cacheprovider", "--predreg-today=2026-11-23"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert plain.returncode == 0, plain.stdout
    result = _run_check_step(repo, base)
    assert result.returncode != 0
    summary = (repo.parent / "predreg-summary.md").read_text()
    assert "changes code or configuration" in summary and "probability" in summary


def test_the_check_step_passes_a_good_pr(repo: Path) -> None:  # noqa: F811
    git(repo, "remote", "add", "origin", str(repo))
    base = git(repo, "rev-parse", "main").strip()
    add_prediction(repo, "fine-forecast", registered=dt.datetime.now(dt.UTC).date())
    commit(repo)
    good = _run_check_step(repo, base)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "1 new prediction(s), ✅ ready to merge" in (repo.parent / "predreg-summary.md").read_text()


def test_the_steps_pytest_line_ignores_a_conftest_already_in_the_repository(repo: Path) -> None:  # noqa: F811
    (repo / "registry" / "conftest.py").write_text(PASS_EVERYTHING)
    bad = repo / "registry" / "predictions" / "forecaster-a" / "on-shared.yaml"
    bad.write_text(bad.read_text().replace("probability: 0.3", "probability: yes"))
    [line] = [
        x for x in step(workflow("predreg-pr.yml"), "Check the pull request")["run"].splitlines() if "pytest" in x
    ]
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    as_shipped = subprocess.run(["bash", "-c", line], cwd=repo, env=env, capture_output=True, text=True)
    assert as_shipped.returncode == 1 and "probability: is the boolean `yes`" in as_shipped.stdout
    honoured = line.replace("--noconftest ", "")
    fooled = subprocess.run(["bash", "-c", honoured], cwd=repo, env=env, capture_output=True, text=True)
    assert fooled.returncode == 0  # the same line without --noconftest would be fooled
