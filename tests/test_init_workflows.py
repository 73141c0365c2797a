"""The workflows `predreg init` writes: installing the pinned predreg, and checking the resolve job's pull requests."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from predreg import init

from .conftest import REPO

INSTALL = {
    "predreg-pr.yml": ("check", "Install predreg as the base branch pins it"),
    "predreg-resolve.yml": ("resolve", "Install predreg as the default branch pins it"),
    "predreg-sharded.yml": ("shard", "Install predreg as the branch pins it, and pytest-xdist"),
    "predreg-pages.yml": ("build", "Install predreg as the default branch pins it"),
}


def rendered(name: str, branch: str = "trunk") -> dict[Any, Any]:
    text = init.render(init.template("github", "workflows", name), branch=branch, source=init.PREDREG_SOURCE)
    document: dict[Any, Any] = yaml.safe_load(text)
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads the key `on` as true
    return document


def step(document: dict[Any, Any], job: str, name: str) -> dict[str, Any]:
    [found] = [s for s in document["jobs"][job]["steps"] if s.get("name") == name]
    return found


def pip_arguments(tmp_path: Path, script: str, requirements: str) -> list[str]:
    """What the step passes to `pip` (a stand-in that writes its arguments down) for this requirements.txt."""
    (tmp_path / "requirements.txt").write_text(requirements)
    stand_in = tmp_path / "bin" / "pip"
    stand_in.parent.mkdir(exist_ok=True)
    stand_in.write_text('#!/bin/sh\nprintf "%s\\n" "$@" >> "$PIP_ARGUMENTS"\n')
    stand_in.chmod(0o755)
    log = tmp_path / "pip-arguments"
    log.unlink(missing_ok=True)
    env = {**os.environ, "PATH": f"{stand_in.parent}{os.pathsep}{os.environ['PATH']}", "PIP_ARGUMENTS": str(log)}
    subprocess.run(["bash", "--noprofile", "--norc", "-e", "-c", script], cwd=tmp_path, env=env, check=True)
    return log.read_text().split("\n")[:4]


GIT_PIN = init.render(init.template("requirements.txt"), branch="main", source=init.PREDREG_SOURCE)
HASHED = "predreg==0.1.0 \\\n    --hash=sha256:" + "0" * 64 + "\nattrs==25.1.0 --hash=sha256:" + "1" * 64 + "\n"


@pytest.mark.parametrize("name", sorted(INSTALL))
@pytest.mark.parametrize(
    ("requirements", "hashes"),
    [(GIT_PIN, False), (HASHED, True), ("predreg==0.1.0  # no --hash=sha256 here, only in a comment\n", False)],
    ids=["git-pin", "hashed", "hash-in-a-comment"],
)
def test_the_install_step_requires_hashes_exactly_when_the_pins_carry_them(
    tmp_path: Path, name: str, requirements: str, hashes: bool
) -> None:
    job, title = INSTALL[name]
    arguments = pip_arguments(tmp_path, step(rendered(name), job, title)["run"], requirements)
    expected = (
        ["install", "--quiet", "--require-hashes", "-r"] if hashes else ["install", "--quiet", "-r", "requirements.txt"]
    )
    assert arguments == expected


def test_the_pr_workflow_installs_from_the_base_branchs_requirements() -> None:
    install = step(rendered("predreg-pr.yml"), "check", "Install predreg as the base branch pins it")
    assert install["working-directory"] == "base" and "-r requirements.txt" in install["run"]
    assert not any(
        "pip install --quiet predreg" in s.get("run", "") for s in rendered("predreg-pr.yml")["jobs"]["check"]["steps"]
    )


def test_the_pr_workflow_runs_on_pull_requests_to_the_default_branch_and_on_dispatch() -> None:
    document = rendered("predreg-pr.yml", "trunk")
    assert document["on"]["pull_request_target"]["branches"] == ["trunk"]
    assert document["on"]["workflow_dispatch"]["inputs"]["pr"]["required"] is True
    found = step(document, "check", "Find the pull request")
    assert "github.event.pull_request.number || inputs.pr" in found["env"]["NUMBER"]
    assert "*[!0-9]*" in found["run"]  # a dispatched number is checked before it is used


def test_a_dispatched_number_that_is_not_a_number_stops_the_job(tmp_path: Path) -> None:
    script = step(rendered("predreg-pr.yml"), "check", "Find the pull request")["run"]
    env = {**os.environ, "NUMBER": "1; echo pwned", "GITHUB_OUTPUT": str(tmp_path / "out")}
    done = subprocess.run(["bash", "-e", "-c", script], env=env, capture_output=True, text=True)
    assert done.returncode == 1 and "not a pull request number" in done.stdout
    assert not (tmp_path / "out").exists()  # nothing reached gh or the step's outputs


def test_the_pr_workflow_sets_the_status_branch_protection_requires() -> None:
    document = rendered("predreg-pr.yml")
    assert document["jobs"]["check"]["permissions"]["statuses"] == "write"
    status = step(document, "check", "Set the commit status `predreg` on the pull request")
    assert status["if"].startswith("always()") and "context=predreg" in status["run"]
    assert status["env"]["HEAD_SHA"] == "${{ steps.pr.outputs.head }}"
    assert status["env"]["OUTCOME"] == "${{ steps.predreg.outcome }}"


def test_the_resolve_workflow_dispatches_the_check_on_its_own_pull_request() -> None:
    document = rendered("predreg-resolve.yml", "trunk")
    assert document["jobs"]["resolve"]["permissions"]["actions"] == "write"
    propose = step(document, "resolve", "Propose the new resolutions as a pull request")
    assert propose["env"]["DEFAULT_BRANCH"] == "trunk"
    assert 'gh workflow run predreg-pr.yml --ref "$DEFAULT_BRANCH" -f pr="${url##*/}"' in propose["run"]
    assert propose["run"].index("gh pr create") < propose["run"].index("gh workflow run")


def test_the_sharded_workflow_runs_on_pushes_to_the_default_branch() -> None:
    assert rendered("predreg-sharded.yml", "trunk")["on"]["push"]["branches"] == ["trunk"]


def test_the_pre_push_hook_hard_codes_no_branch() -> None:
    hooks = {hook["id"]: hook for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert "main" not in hooks["predreg-check-base"]["entry"]
    assert hooks["predreg-check-base"]["args"] == ["--base", "origin/HEAD"]  # git's name for origin's default branch
    config = init.render(init.template("pre-commit-config.yaml"), branch="trunk", source=init.PREDREG_SOURCE)
    [repo] = yaml.safe_load(config)["repos"]
    assert {h["id"] for h in repo["hooks"]} == set(hooks)
    assert [h.get("args") for h in repo["hooks"]] == [None, ["--base", "origin/trunk"]]


def test_the_pr_workflow_rechecks_what_is_pushed_to_the_default_branch() -> None:
    document = rendered("predreg-pr.yml", "trunk")
    assert document["on"]["push"]["branches"] == ["trunk"]
    assert document["jobs"]["merged"]["if"] == "github.event_name == 'push'"
    # a review of a pull request to another branch starts no check (that trigger takes no branch filter)
    assert "github.event.pull_request.base.ref == 'trunk'" in document["jobs"]["check"]["if"]


def test_zizmor_finds_nothing_above_low_in_the_workflows_init_writes(tmp_path: Path) -> None:
    zizmor = shutil.which("zizmor", path=str(Path(sys.executable).parent)) or shutil.which("zizmor")
    if zizmor is None:
        pytest.skip("zizmor is not installed (pip install zizmor; .ci/run runs it)")
    for name in init.WORKFLOWS:
        text = init.render(init.template("github", "workflows", name), branch="trunk", source=init.PREDREG_SOURCE)
        (tmp_path / name).write_text(text)
    written = sorted(str(path) for path in tmp_path.iterdir())
    done = subprocess.run([zizmor, "--offline", "--min-severity", "medium", *written], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def uses_lines(name: str) -> list[tuple[str, str]]:
    """(action@ref, the comment after it) of every `uses:` line of a rendered workflow."""
    text = init.render(init.template("github", "workflows", name), branch="trunk", source=init.PREDREG_SOURCE)
    found = re.findall(r"^\s*(?:- )?uses: (\S+)(.*)$", text, flags=re.MULTILINE)
    return [(action, comment.strip()) for action, comment in found]


def test_init_writes_the_pages_workflow() -> None:
    assert "predreg-pages.yml" in init.WORKFLOWS
    assert (".github/workflows/predreg-pages.yml", ("github", "workflows", "predreg-pages.yml")) in init.RENDERED


def test_the_pages_workflow_publishes_after_every_push_to_the_default_branch() -> None:
    document = rendered("predreg-pages.yml", "trunk")
    assert document["on"]["push"]["branches"] == ["trunk"]
    assert "workflow_dispatch" in document["on"] and "pull_request" not in document["on"]
    assert "pull_request_target" not in document["on"]
    assert document["concurrency"] == {"group": "pages", "cancel-in-progress": False}


def test_the_pages_workflow_builds_with_a_read_only_token_and_only_the_deploy_job_may_publish() -> None:
    document = rendered("predreg-pages.yml")
    assert document["permissions"] == {}
    assert document["jobs"]["build"]["permissions"] == {"contents": "read"}
    deploy = document["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    [checkout] = [s for s in document["jobs"]["build"]["steps"] if s.get("uses", "").startswith("actions/checkout@")]
    assert checkout["with"]["persist-credentials"] is False
    assert all("uses" in s for s in deploy["steps"])  # the deploy job runs no command of its own


def test_the_pages_workflow_uploads_the_built_site_and_deploys_it() -> None:
    document = rendered("predreg-pages.yml")
    build = document["jobs"]["build"]["steps"]
    names = [s.get("uses", s.get("name", "")).split("@")[0] for s in build]
    assert names.index("Build the site") < names.index("actions/upload-pages-artifact")
    [upload] = [s for s in build if s.get("uses", "").startswith("actions/upload-pages-artifact@")]
    assert upload["with"]["path"] == "_site"
    assert "predreg site registry -o _site" in step(document, "build", "Build the site")["run"]
    [deploy] = document["jobs"]["deploy"]["steps"]
    assert deploy["uses"].startswith("actions/deploy-pages@") and deploy["id"] == "deployment"
    assert document["jobs"]["deploy"]["environment"]["url"] == "${{ steps.deployment.outputs.page_url }}"


@pytest.mark.parametrize("name", init.WORKFLOWS)
def test_every_action_of_a_workflow_is_pinned_to_a_commit_with_its_version_named(name: str) -> None:
    pins = uses_lines(name)
    assert pins
    for action, comment in pins:
        assert PINNED.match(action), action
        assert re.fullmatch(r"# v\d+\.\d+\.\d+", comment), f"{action}: {comment!r}"


def test_the_pages_workflow_pins_the_pages_actions() -> None:
    pins = dict(uses_lines("predreg-pages.yml"))
    assert pins["actions/upload-pages-artifact@fc324d3547104276b827a68afc52ff2a11cc49c9"] == "# v5.0.0"
    assert pins["actions/deploy-pages@cd2ce8fcbc39b97be8ca5fce6e763baed58fa128"] == "# v5.0.0"


def run_build_step(
    tmp_path: Path, repository: str, site_url: str = "", exit_code: int = 0
) -> subprocess.CompletedProcess[str]:
    """The build step run with a stand-in `predreg` that writes its arguments down and exits ``exit_code``."""
    script = step(rendered("predreg-pages.yml"), "build", "Build the site")["run"]
    stand_in = tmp_path / "bin" / "predreg"
    stand_in.parent.mkdir(exist_ok=True)
    stand_in.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "$PREDREG_ARGUMENTS"\nexit {exit_code}\n')
    stand_in.chmod(0o755)
    log = tmp_path / "predreg-arguments"
    env = {
        **os.environ,
        "PATH": f"{stand_in.parent}{os.pathsep}{os.environ['PATH']}",
        "PREDREG_ARGUMENTS": str(log),
        "GITHUB_REPOSITORY": repository,
        "GITHUB_REPOSITORY_OWNER": repository.split("/")[0],
        "SITE_URL": site_url,
    }
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )


def site_arguments(tmp_path: Path, repository: str, site_url: str = "") -> list[str]:
    """What the build step passes to `predreg`."""
    assert run_build_step(tmp_path, repository, site_url).returncode == 0
    return (tmp_path / "predreg-arguments").read_text().splitlines()


def test_a_registry_with_problems_is_published_with_a_warning(tmp_path: Path) -> None:
    done = run_build_step(tmp_path, "ada/forecasts", exit_code=1)
    assert done.returncode == 0 and "::warning title=predreg::the registry has problems" in done.stdout


@pytest.mark.parametrize("exit_code", [2, 3, 4])
def test_a_site_that_could_not_be_built_stops_the_workflow(tmp_path: Path, exit_code: int) -> None:
    assert run_build_step(tmp_path, "ada/forecasts", exit_code=exit_code).returncode == exit_code


@pytest.mark.parametrize(
    ("repository", "site_url", "base_url"),
    [
        ("Ada-Org/forecasts", "", "https://ada-org.github.io/forecasts/"),
        ("Ada-Org/Ada-Org.github.io", "", "https://ada-org.github.io/"),
        ("ada/forecasts", "https://forecasts.example.org/", "https://forecasts.example.org/"),
    ],
    ids=["project-site", "user-site", "custom-domain"],
)
def test_the_pages_workflow_gives_the_site_its_published_address(
    tmp_path: Path, repository: str, site_url: str, base_url: str
) -> None:
    arguments = site_arguments(tmp_path, repository, site_url)
    assert arguments == ["site", "registry", "-o", "_site", "--base-url", base_url]


def test_a_site_url_variable_holding_shell_syntax_reaches_predreg_as_one_argument(tmp_path: Path) -> None:
    hostile = 'https://x.org/"; touch pwned; echo "$(id)'
    assert site_arguments(tmp_path, "ada/forecasts", hostile)[-1] == hostile
    assert not (tmp_path / "pwned").exists()
    assert "${{" not in step(rendered("predreg-pages.yml"), "build", "Build the site")["run"]


def test_the_pages_workflows_build_step_builds_the_site_with_the_real_predreg(tmp_path: Path) -> None:
    shutil.copytree(REPO / "registry", tmp_path / "registry")
    script = step(rendered("predreg-pages.yml"), "build", "Build the site")["run"]
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_REPOSITORY": "Ada-Org/forecasts",
        "GITHUB_REPOSITORY_OWNER": "Ada-Org",
        "SITE_URL": "",
    }
    done = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    site = tmp_path / "_site"
    assert (site / "index.html").is_file() and (site / "api" / "leaderboard.json").is_file()
    feed = (site / "feeds" / "predictions.xml").read_text()
    assert 'href="https://ada-org.github.io/forecasts/questions/' in feed
