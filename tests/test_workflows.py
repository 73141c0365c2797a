"""The shipped GitHub workflows and pre-commit hooks: their shape, and the PR check run for real."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest
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
    assert "[.number, .base.sha, .head.sha, .user.login]" in step(document, "Find the pull request")["run"]
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
    assert 'push --quiet origin "HEAD:refs/heads/$branch"' in propose and "gh pr create" in propose
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


# --- the workflows as GitHub runs them: pinned, least privilege, no expression pasted into a script

EVERY_WORKFLOW = sorted(WORKFLOWS.glob("*.yml")) + sorted((REPO / ".github" / "workflows").glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def loaded(path: Path) -> dict[str, Any]:
    document: dict[Any, Any] = yaml.safe_load(path.read_text())
    document["on"] = document.pop(True, document.get("on"))
    return document


def every_step(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for job in document["jobs"].values() for s in job.get("steps", [])]


def job_step(document: dict[str, Any], job: str, name: str) -> dict[str, Any]:
    [found] = [s for s in document["jobs"][job]["steps"] if s.get("name") == name]
    return found


@pytest.mark.parametrize("path", EVERY_WORKFLOW, ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_full_commit_sha_with_its_version_beside_it(path: Path) -> None:
    """Attack: a moved tag (`@v4`) runs whatever its owner, or whoever took the account, pushes next."""
    uses = [s["uses"] for s in every_step(loaded(path)) if "uses" in s]
    assert uses and all(PINNED.match(used) for used in uses), uses
    lines = [line for line in path.read_text().splitlines() if re.match(r"\s*(- )?uses:", line)]
    assert len(lines) == len(uses)
    assert all(re.search(r"@[0-9a-f]{40}\s+# v\d+\.\d+\.\d+$", line) for line in lines), lines


@pytest.mark.parametrize("path", EVERY_WORKFLOW, ids=lambda path: path.name)
def test_no_workflow_grants_a_permission_at_the_top_and_each_job_names_its_own(path: Path) -> None:
    """Attack: a token with every job's rights in every step, the one that reads the pull request included."""
    document = loaded(path)
    assert document["permissions"] == {}
    assert all("permissions" in job for job in document["jobs"].values())


@pytest.mark.parametrize("path", EVERY_WORKFLOW, ids=lambda path: path.name)
def test_no_script_has_an_expression_pasted_into_it(path: Path) -> None:
    """Attack: a login or branch name like `$(curl ...)` becomes shell once `${{ }}` pastes it into `run:`."""
    assert all("${{" not in s["run"] for s in every_step(loaded(path)) if "run" in s)


def test_zizmor_finds_nothing_above_low_in_the_workflows() -> None:
    zizmor = shutil.which("zizmor", path=str(BIN)) or shutil.which("zizmor")
    if zizmor is None:
        pytest.skip("zizmor is not installed (pip install zizmor; .ci/run runs it)")
    done = subprocess.run(
        [zizmor, "--offline", "--min-severity", "medium", *map(str, EVERY_WORKFLOW)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# --- the stand-ins: `gh` answers from files; `predreg` writes its arguments down, then runs

GH = """#!{python}
import json, os, subprocess, sys
args = sys.argv[1:]
entry = {{"args": args}}
if "--body-file" in args:
    entry["body"] = open(args[args.index("--body-file") + 1]).read()
with open(os.environ["GH_LOG"], "a") as log:
    log.write(json.dumps(entry) + "\\n")
if args[0] == "api":
    route = next(a for a in args[1:] if a.startswith("repos/"))
    stem = os.path.join(os.environ["GH_ANSWERS"], route.replace("/", "_"))
    pages = []
    while os.path.exists(f"{{stem}}.{{len(pages) + 1}}.json"):
        pages.append(open(f"{{stem}}.{{len(pages) + 1}}.json").read())
    if not pages:
        sys.exit(0 if "POST" in args else f"gh: {{route}}: HTTP 404")
    for page in pages if "--paginate" in args else pages[:1]:
        if "--jq" in args:
            expression = args[args.index("--jq") + 1]
            out = subprocess.run(["jq", "-r", expression], input=page, capture_output=True, text=True, check=True)
            sys.stdout.write(out.stdout)
        else:
            sys.stdout.write(page)
"""


@attrs.frozen
class Runner:
    """Where a workflow step runs: stand-ins first on PATH, the runner's variables set."""

    root: Path

    @property
    def answers(self) -> Path:
        return self.root / "gh-answers"

    def answer(self, route: str, *pages: Any) -> None:
        """What `gh api ROUTE` returns, page by page."""
        for number, page in enumerate(pages, 1):
            (self.answers / f"{route.replace('/', '_')}.{number}.json").write_text(json.dumps(page))

    def gh_calls(self) -> list[dict[str, Any]]:
        log = self.root / "gh-log"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    def outputs(self) -> dict[str, str]:
        out = self.root / "github-output"
        lines = out.read_text().splitlines() if out.exists() else []
        return dict(line.split("=", 1) for line in lines)

    def predreg_arguments(self) -> list[str]:
        return (self.root / "predreg-arguments").read_text().splitlines()

    def run(self, script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
        environment = {
            **os.environ,
            "PATH": f"{self.root / 'bin'}{os.pathsep}{BIN}{os.pathsep}{os.environ['PATH']}",
            "GITHUB_REPOSITORY": "owner/registry",
            "GITHUB_OUTPUT": str(self.root / "github-output"),
            "RUNNER_TEMP": str(self.root / "runner-temp"),
            "GH_LOG": str(self.root / "gh-log"),
            "GH_ANSWERS": str(self.answers),
            "PREDREG_ARGUMENTS": str(self.root / "predreg-arguments"),
            "GIT_CONFIG_GLOBAL": os.devnull,
            **env,
        }
        environment.pop("PYTEST_XDIST_WORKER", None)
        return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=environment, capture_output=True, text=True)


@pytest.fixture
def runner(tmp_path: Path) -> Runner:
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed (gh's --jq is jq; the stand-in runs jq itself)")
    root = tmp_path / "runner"
    for folder in ("bin", "gh-answers", "runner-temp"):
        (root / folder).mkdir(parents=True)
    gh = root / "bin" / "gh"
    gh.write_text(GH.format(python=sys.executable))
    predreg = root / "bin" / "predreg"
    predreg.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "$PREDREG_ARGUMENTS"\nexec {BIN / "predreg"} "$@"\n')
    for script in (gh, predreg):
        script.chmod(0o755)
    return Runner(root)


def pr_step(name: str) -> dict[str, Any]:
    return job_step(workflow("predreg-pr.yml"), "check", name)


def merged_step(name: str) -> dict[str, Any]:
    return job_step(workflow("predreg-pr.yml"), "merged", name)


# --- item 1: the pull request checked out sparse, and refused if it changes anything but the registry

HOSTILE_CODE = ("pytest.py", "conftest.py", "sitecustomize.py", "predreg/__init__.py", "predreg/plugin.py")


def sparse_checkout(source: Path, head: str, into: Path) -> None:
    """What the workflow's checkout step does, with its own inputs: a partial clone, sparse, at ``head``."""
    inputs = pr_step("Check out the pull request (read as data, never run)")["with"]
    assert inputs["sparse-checkout-cone-mode"] is False
    git(source, "config", "uploadpack.allowFilter", "true")
    git(into.parent, "clone", "-q", "--no-checkout", f"--filter={inputs['filter']}", f"file://{source}", into.name)
    git(into, "sparse-checkout", "set", "--no-cone", *inputs["sparse-checkout"].split())
    git(into, "checkout", "-q", "--detach", head)


def test_the_pull_request_is_checked_out_sparse_to_the_registry_alone() -> None:
    inputs = pr_step("Check out the pull request (read as data, never run)")["with"]
    assert inputs["sparse-checkout"].split() == ["/registry/"] and inputs["sparse-checkout-cone-mode"] is False
    assert inputs["persist-credentials"] is False and inputs["fetch-depth"] == 0


def test_a_hostile_pr_checked_out_sparse_has_no_code_on_disk_and_is_refused(repo: Path, tmp_path: Path) -> None:  # noqa: F811
    """Attack: a PR of `pytest.py`, `conftest.py`, `sitecustomize.py`, `predreg/*` next to a valid forecast."""
    ran = tmp_path / "ran"
    ran.mkdir()
    base = git(repo, "rev-parse", "main").strip()
    add_prediction(repo, "cover-forecast", registered=dt.datetime.now(dt.UTC).date())
    for name in HOSTILE_CODE:
        path = repo / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"import pathlib\npathlib.Path({str(ran / name.replace('/', '-'))!r}).write_text('ran')\n")
    commit(repo)
    checkout = tmp_path / "ci" / "pr"
    checkout.parent.mkdir()
    sparse_checkout(repo, git(repo, "rev-parse", "HEAD").strip(), checkout)
    assert [p.name for p in checkout.iterdir() if p.name != ".git"] == ["registry"]
    done = _run_check_step(checkout, base)
    assert done.returncode == 1 and sorted(ran.iterdir()) == [], done.stdout + done.stderr
    summary = (checkout.parent / "predreg-summary.md").read_text()
    for name in HOSTILE_CODE:  # seen from git's objects, though not on disk
        assert f"{name}:1:1: file: " in summary


def test_the_pytest_line_runs_none_of_a_full_checkouts_code(repo: Path, tmp_path: Path) -> None:  # noqa: F811
    """Depth under the sparse checkout and --registry-only: were the code on disk, pytest would not import it."""
    ran = tmp_path / "ran"
    ran.mkdir()
    for name in (*HOSTILE_CODE, "registry/conftest.py", "registry/test_helpful.py"):
        (repo / name).parent.mkdir(exist_ok=True)
        (repo / name).write_text(
            f"import pathlib\npathlib.Path({str(ran / name.replace('/', '-'))!r}).write_text('ran')\n"
        )
    [line] = [x for x in pr_step("Check the pull request")["run"].splitlines() if "pytest" in x and "-m" in x]
    env = {
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "PYTHONSAFEPATH": "1",
    }
    done = subprocess.run(["bash", "-c", line], cwd=repo, env={**os.environ, **env}, capture_output=True, text=True)
    assert sorted(ran.iterdir()) == [], done.stdout + done.stderr
    assert done.returncode == 0 and " passed" in done.stdout  # the real pytest, on the registry's one forecast


def test_the_check_step_asks_for_registry_data_only() -> None:
    assert "predreg check registry --registry-only --base" in pr_step("Check the pull request")["run"]


def check_base(top: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    command = ["predreg", "check", "registry", "--base", "main", "--actor", "forecaster-a-gh", *extra]
    return subprocess.run(command, cwd=top, env=env, capture_output=True, text=True)


def test_registry_only_refuses_a_pull_request_of_code_alone(repo: Path) -> None:  # noqa: F811
    """Attack: a PR that adds only `pytest.py` passes `check --base`, which refuses code only *with* data."""
    for name in HOSTILE_CODE:
        (repo / name).parent.mkdir(exist_ok=True)
        (repo / name).write_text("raise SystemExit('ran')\n")
    commit(repo)
    assert check_base(repo).returncode == 0  # without the flag, as before: a code PR is the maintainers' call
    done = check_base(repo, "--registry-only")
    assert done.returncode == 1
    named = sorted(line.split(":")[0] for line in done.stdout.splitlines())
    assert named == sorted(HOSTILE_CODE)
    assert "file: is outside the registry (registry/), and this check takes registry data only" in done.stdout


def test_registry_only_refuses_code_and_configuration_inside_the_registry(repo: Path) -> None:  # noqa: F811
    """Attack: `registry/.gitattributes` alone (re-encodes an author's files on every fresh clone) passes."""
    (repo / "registry" / ".gitattributes").write_text("predictions/forecaster-a/** working-tree-encoding=UTF-16LE\n")
    (repo / "registry" / "conftest.py").write_text("raise SystemExit('ran')\n")
    commit(repo)
    assert check_base(repo).returncode == 0
    done = check_base(repo, "--registry-only")
    assert done.returncode == 1
    assert sorted(line.split(":")[0] for line in done.stdout.splitlines()) == [
        "registry/.gitattributes",
        "registry/conftest.py",
    ]
    assert "is code or configuration inside the registry" in done.stdout


def test_registry_only_refuses_a_file_renamed_into_the_registry_from_outside(repo: Path) -> None:  # noqa: F811
    """Attack: a rename from outside is not an added file, so none of the added-file rules look at it."""
    git(repo, "mv", "README.md", "registry/README.md")
    commit(repo)
    done = check_base(repo, "--registry-only")
    assert done.returncode == 1
    assert done.stdout.startswith("README.md:1:1: file: is outside the registry (registry/)")


# --- item 5: approvals are the pull request's reviews, each reviewer's latest verdict on the commit checked

HEAD = "a" * 40
EARLIER = "b" * 40


def review(number: int, login: str, state: str, commit_id: str = HEAD) -> dict[str, Any]:
    return {"id": number, "user": {"login": login}, "state": state, "commit_id": commit_id}


def approvers(runner: Runner, *pages: list[dict[str, Any]]) -> list[str]:
    runner.answer("repos/owner/registry/pulls/7/reviews", *pages)
    step = pr_step("Read the approving reviews")
    done = runner.run(step["run"], runner.root, NUMBER="7", REVIEWED=HEAD)
    assert done.returncode == 0, done.stderr
    [call] = runner.gh_calls()
    assert call["args"][:3] == ["api", "repos/owner/registry/pulls/7/reviews", "--paginate"]
    return runner.outputs()["approvers"].split()


def test_a_later_change_request_cancels_an_approval_even_on_the_next_page(runner: Runner) -> None:
    first = [review(1, "forecaster-b-gh", "APPROVED"), review(2, "carol", "APPROVED")]
    second = [review(3, "forecaster-b-gh", "CHANGES_REQUESTED")]
    assert approvers(runner, first, second) == ["carol"]


def test_a_comment_after_an_approval_leaves_it_standing(runner: Runner) -> None:
    assert approvers(runner, [review(1, "carol", "APPROVED"), review(2, "carol", "COMMENTED")]) == ["carol"]


def test_an_approval_of_an_earlier_commit_or_a_dismissed_one_does_not_count(runner: Runner) -> None:
    """Attack: get a harmless resolution approved, then push another one under the same approval."""
    page = [review(1, "carol", "APPROVED", EARLIER), review(2, "dave", "DISMISSED"), review(3, "erin", "APPROVED")]
    assert approvers(runner, page) == ["erin"]


def test_the_check_step_passes_each_approver_as_one_argument(runner: Runner, repo: Path) -> None:  # noqa: F811
    """Attack: a login like `$(touch pwned)` reaching the script as shell, or splitting into options."""
    base = git(repo, "rev-parse", "main").strip()
    add_prediction(repo, "fine-forecast", registered=dt.datetime.now(dt.UTC).date())
    commit(repo)
    step = pr_step("Check the pull request")
    assert step["env"]["APPROVED_BY"] == "${{ steps.reviews.outputs.approvers }}"
    env = {"BASE_SHA": base, "ACTOR": "forecaster-a-gh", "APPROVED_BY": "carol $(touch${IFS}pwned) erin"}
    done = runner.run(step["run"], repo, **env, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTHONSAFEPATH="1")
    assert done.returncode == 0, done.stdout + done.stderr
    arguments = runner.predreg_arguments()
    assert [a for a in arguments if a.startswith("--approved-by")] == [
        "--approved-by=carol",
        "--approved-by=$(touch${IFS}pwned)",
        "--approved-by=erin",
    ]
    assert not (repo / "pwned").exists()


def test_the_push_job_reads_the_reviews_as_the_check_does() -> None:
    assert merged_step("Read the approving reviews")["run"] == pr_step("Read the approving reviews")["run"].replace(
        "# each reviewer's latest verdict, in the order given (review ids grow); a comment\n"
        "# changes no verdict, and an approval of an earlier commit approved something else\n",
        "# as in the check job: each reviewer's latest verdict on the commit merged\n",
    )


def test_the_pr_workflow_runs_again_on_reviews_in_the_merge_queue_and_on_push() -> None:
    triggers = workflow("predreg-pr.yml")["on"]
    assert triggers["pull_request_review"]["types"] == ["submitted", "dismissed"]
    assert triggers["merge_group"]["types"] == ["checks_requested"]
    assert triggers["push"]["branches"] == ["__DEFAULT_BRANCH__"]


def test_the_merge_queue_checks_its_own_commit_with_the_queued_pull_requests_author(runner: Runner) -> None:
    pull = {"number": 7, "base": {"sha": "1" * 40}, "head": {"sha": HEAD}, "user": {"login": "forecaster-a-gh"}}
    runner.answer("repos/owner/registry/pulls/7", pull)
    queue = {
        "EVENT": "merge_group",
        "NUMBER": "",
        "QUEUE_REF": f"refs/heads/gh-readonly-queue/main/pr-7-{'c' * 40}",
        "QUEUE_BASE": "2" * 40,
        "QUEUE_HEAD": "3" * 40,
    }
    done = runner.run(pr_step("Find the pull request")["run"], runner.root, **queue)
    assert done.returncode == 0, done.stdout + done.stderr
    assert runner.outputs() == {
        "number": "7",
        "base": "2" * 40,
        "head": "3" * 40,  # the queue's commit is what is checked, and gets the status
        "reviewed": HEAD,  # the reviews approved the pull request's own head
        "actor": "forecaster-a-gh",
    }


# --- item 11: what reaches the default branch is checked again, on the day it arrives


def merge(repo: Path, branch: str = "pr") -> tuple[str, str]:  # noqa: F811
    """Merge ``branch`` into main as a pull request would; (the commit before, the merge commit)."""
    git(repo, "checkout", "-q", "main")
    before = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "merge", "-q", "--no-ff", "-m", f"Merge {branch}", branch)
    return before, git(repo, "rev-parse", "HEAD").strip()


def resolve_on_main(top: Path, resolved_at: dt.date) -> None:
    git(top, "checkout", "-q", "main")
    (top / "registry" / "resolutions").mkdir(exist_ok=True)
    (top / "registry" / "resolutions" / "shared-question.yaml").write_text(
        f"question: shared-question\noutcome: yes\nresolved_at: {resolved_at}\nresolver: manual\n"
        "resolved_by: forecaster-b\n"
    )
    commit(top, "resolve shared-question")
    git(top, "checkout", "-q", "pr")


def recheck(runner: Runner, repo: Path, before: str, sha: str, actor: str) -> subprocess.CompletedProcess[str]:  # noqa: F811
    step = merged_step("Check what the push changed")
    assert step["env"]["BEFORE"] == "${{ github.event.before }}"
    env = {"BEFORE": before, "ACTOR": actor, "APPROVED_BY": "", "GITHUB_SHA": sha}
    return runner.run(step["run"], repo, **env)


def test_a_forecast_merged_after_its_question_was_resolved_fails_the_push_and_opens_an_issue(
    runner: Runner,
    repo: Path,  # noqa: F811
) -> None:
    """Attack: a forecast in a PR opened before the resolution, green then, merged once the outcome is known."""
    today = dt.datetime.now(dt.UTC).date()
    add_prediction(repo, "late-forecast", registered=today - dt.timedelta(days=5))  # checked green that day
    commit(repo)
    resolve_on_main(repo, today - dt.timedelta(days=3))
    before, sha = merge(repo)
    done = recheck(runner, repo, before, sha, "forecaster-a-gh")
    assert done.returncode == 1
    assert f"::error title=predreg::the push of {sha} breaks the registry's rules" in done.stdout
    assert "late-forecast.yaml:" in done.stdout and ": registered: " in done.stdout
    assert f"--today\n{today}" in "\n".join(runner.predreg_arguments())
    issue = merged_step("Open an issue about the push")
    assert issue["if"] == "failure() && steps.recheck.outcome == 'failure'"
    env = {"BEFORE": before, "RUN_URL": "https://github.example/run/1", "GITHUB_SHA": sha, "GITHUB_REF_NAME": "main"}
    opened = runner.run(issue["run"], repo, **env)
    assert opened.returncode == 0, opened.stderr
    [call] = runner.gh_calls()
    assert call["args"][:2] == ["issue", "create"]
    assert call["args"][call["args"].index("--title") + 1] == f"predreg: the push of {sha} breaks the registry's rules"
    assert call["body"].startswith(f"The push of {sha} to main (from {before}) breaks predreg's rules")
    assert "late-forecast.yaml" in call["body"] and ": registered: " in call["body"]


def test_a_forecast_merged_the_day_it_was_registered_passes_the_push_check(runner: Runner, repo: Path) -> None:  # noqa: F811
    add_prediction(repo, "fresh-forecast", registered=dt.datetime.now(dt.UTC).date())
    commit(repo)
    before, sha = merge(repo)
    done = recheck(runner, repo, before, sha, "forecaster-a-gh")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 new prediction(s), ✅ ready to merge" in done.stdout


def test_a_direct_push_is_checked_without_an_author(runner: Runner, repo: Path) -> None:  # noqa: F811
    add_prediction(repo, "pushed-forecast", registered=dt.datetime.now(dt.UTC).date())
    commit(repo)
    before, sha = merge(repo)
    runner.answer(f"repos/owner/registry/commits/{sha}/pulls", [])
    found = runner.run(merged_step("Find the merged pull request")["run"], repo, SHA=sha)
    assert found.returncode == 0 and runner.outputs() == {}, found.stderr
    done = recheck(runner, repo, before, sha, "")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"no pull request merged {sha}: checked without an author" in done.stdout
    assert "--actor" not in runner.predreg_arguments()


def test_the_push_is_held_to_the_author_of_the_pull_request_it_merged(runner: Runner) -> None:
    merged = {"number": 9, "merged_at": "2026-11-23T10:00:00Z", "user": {"login": "bob"}, "head": {"sha": HEAD}}
    unmerged = {"number": 8, "merged_at": None, "user": {"login": "mallory"}, "head": {"sha": EARLIER}}
    runner.answer("repos/owner/registry/commits/abc/pulls", [unmerged, merged])
    done = runner.run(merged_step("Find the merged pull request")["run"], runner.root, SHA="abc")
    assert done.returncode == 0, done.stderr
    assert runner.outputs() == {"number": "9", "actor": "bob", "reviewed": HEAD}
