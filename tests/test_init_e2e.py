"""From `predreg init` to a checked pull request and running hooks, with real git, real pre-commit, no network.

The story: a repository whose default branch is `trunk` (a bare `origin` beside it)
is set up by `predreg init`; two authors forecast one shared question, each on a
branch of their own; the pull-request workflow's check script, taken verbatim from
the workflow init wrote, judges those branches in a layout like the workflow's
(`base/` and `pr/` checkouts); the generated pre-commit configuration runs for real.

pre-commit installs a `language: python` hook with `pip install .` of predreg's
repository into a new virtualenv, which needs the build backend and predreg's
dependencies: here they come from a wheelhouse made once per session, and pip is
told to use nothing else (no index, a proxy on a closed loopback port for anything
that would reach out).
"""

from __future__ import annotations

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

from predreg import __version__

from .conftest import REPO

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
DEAD_PROXY = "http://127.0.0.1:9"  # the discard port: nothing listens, so any download fails at once
QUESTION = [
    *("--id", "shared-q", "--claim", "A shared yes/no question."),
    *("--criteria", "YES if it happens by the resolve-by day, NO otherwise.", "--resolve-by", "2030-12-31"),
]


def environment(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh machine: this venv first on PATH, git without user configuration."""
    config = home / "gitconfig"
    if not config.exists():
        config.write_text("[user]\n\tname = Test\n\temail = test@example.org\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_XDIST", "PIP_"))}
    env.update(
        PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}",
        GIT_CONFIG_GLOBAL=str(config),
        GIT_CONFIG_NOSYSTEM="1",
        http_proxy=DEAD_PROXY,
        https_proxy=DEAD_PROXY,
        HTTP_PROXY=DEAD_PROXY,
        HTTPS_PROXY=DEAD_PROXY,
    )
    env.update(extra)
    return env


def run(args: list[str], cwd: Path, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def predreg(*args: str) -> list[str]:
    """The installed console script (python -m predreg.cli where there is none)."""
    script = BIN / "predreg"
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "predreg.cli", *args]


@pytest.fixture(scope="session")
def predreg_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository of this checkout's predreg (as it is on disk), tagged as the running version."""
    source = tmp_path_factory.mktemp("source") / "predreg"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "predreg", source / "predreg", ignore=ignore)
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy(REPO / name, source / name)
    env = environment(source.parent)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "predreg"]):
        run(["git", *args], source, env)
    run(["git", "tag", f"v{__version__}"], source, env)
    return source


@attrs.frozen
class Story:
    root: Path
    origin: Path
    work: Path
    base: str
    """The commit on trunk that pull requests are checked against."""
    env: dict[str, str]


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory, predreg_source: Path) -> Story:
    """A registry on trunk made by `predreg init` (alice), with bob and a shared question; one forecast branch each."""
    root = tmp_path_factory.mktemp("story")
    env = environment(root)
    origin = root / "origin.git"
    run(["git", "init", "-q", "--bare", "--initial-branch=trunk", str(origin)], root, env)
    seed = root / "seed"
    run(["git", "clone", "-q", str(origin), str(seed)], root, env)
    (seed / "LICENSE").write_text("CC-BY-4.0\n")
    run(["git", "add", "-A"], seed, env)
    run(["git", "commit", "-q", "-m", "seed"], seed, env)
    run(["git", "push", "-q", "origin", "HEAD:trunk"], seed, env)
    work = root / "work"
    run(["git", "clone", "-q", str(origin), str(work)], root, env)  # origin/HEAD -> origin/trunk
    init = predreg("init", "--author", "alice", "--name", "Alice", "--github", "alice-gh")
    # pip takes a git URL only with a host (PEP 508), so a local clone is file://localhost/...
    done = run([*init, "--predreg-source", f"file://localhost{predreg_source}"], work, env)
    assert "(default branch trunk)" in done.stdout and "wrote    .github/workflows/predreg-pr.yml" in done.stdout
    run(["git", "add", "-A"], work, env)
    run(["git", "commit", "-q", "-m", "A predreg registry"], work, env)
    authors = work / "registry" / "authors.yaml"
    authors.write_text(authors.read_text() + "  bob:\n    name: Bob\n    github: [bob-gh]\n")
    asked = run(predreg("question", "new", "registry", *QUESTION), work, env).stdout
    assert asked.startswith("wrote registry/questions/shared-q.yaml"), asked
    run(["git", "add", "-A"], work, env)
    run(["git", "commit", "-q", "-m", "Bob, and a shared question"], work, env)
    run(["git", "push", "-q", "origin", "trunk"], work, env)
    base = run(["git", "rev-parse", "HEAD"], work, env).stdout.strip()
    for author, probability in (("alice", "0.6"), ("bob", "0.3")):
        forecast(Story(root, origin, work, base, env), f"{author}-forecast", author, probability)
    return Story(root, origin, work, base, env)


def forecast(story: Story, branch: str, author: str, probability: str, force: str | None = None) -> None:
    """`predreg new` on the shared question, on a branch of its own from trunk, pushed to origin."""
    run(["git", "switch", "-q", "-c", branch, "trunk"], story.work, story.env)
    new = predreg("new", "registry", "--question", "shared-q", "--author", author, "--probability", probability)
    wrote = run(new, story.work, story.env).stdout
    # named <question>-<author>: ids are unique across predictions and questions
    assert wrote.startswith(f"wrote registry/predictions/{author}/shared-q-{author}.yaml"), wrote
    run(["git", "add", "-A"], story.work, story.env)
    if force:
        run(["git", "add", "-f", force], story.work, story.env)
    run(["git", "commit", "-q", "-m", f"{author}'s forecast"], story.work, story.env)
    run(["git", "push", "-q", "origin", branch], story.work, story.env)
    run(["git", "switch", "-q", "trunk"], story.work, story.env)


def check_step(story: Story, branch: str, actor: str) -> tuple[subprocess.CompletedProcess[str], str]:
    """The PR workflow's check step, verbatim from the base branch's rendered workflow, run on ``branch``."""
    ci = story.root / f"ci-{branch}-{actor}"
    for side, ref in (("base", story.base), ("pr", f"origin/{branch}")):
        run(["git", "clone", "-q", str(story.origin), str(ci / side)], story.root, story.env)
        run(["git", "checkout", "-q", "--detach", ref], ci / side, story.env)
    document: dict[Any, Any] = yaml.safe_load((ci / "base" / ".github" / "workflows" / "predreg-pr.yml").read_text())
    [step] = [s for s in document["jobs"]["check"]["steps"] if s.get("name") == "Check the pull request"]
    assert step["working-directory"] == "pr"
    given = {"BASE_SHA": story.base, "ACTOR": actor, "APPROVED_BY": ""}  # what the workflow takes from the event
    env = {key: given.get(key, value) for key, value in step["env"].items()}
    assert all("${{" not in value for value in env.values()), env
    done = run(["bash", "--noprofile", "--norc", "-e", "-c", step["run"]], ci / "pr", {**story.env, **env}, False)
    summary = ci / "predreg-summary.md"
    return done, summary.read_text() if summary.exists() else ""


def test_init_named_trunk_everywhere(story: Story) -> None:
    workflows = story.work / ".github" / "workflows"
    assert 'branches: ["trunk"]' in (workflows / "predreg-pr.yml").read_text()
    assert 'DEFAULT_BRANCH: "trunk"' in (workflows / "predreg-resolve.yml").read_text()
    assert '"origin/trunk"' in (story.work / ".pre-commit-config.yaml").read_text()
    assert "main" not in "".join(p.read_text() for p in workflows.iterdir())


def test_the_check_script_passes_a_good_pull_request(story: Story) -> None:
    done, summary = check_step(story, "alice-forecast", "alice-gh")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 new prediction(s), ✅ ready to merge" in summary and re.search(r"^alice +shared-q-alice ", summary, re.M)
    assert "passed" in done.stdout  # the pytest line ran the registry's items


def test_the_second_authors_pull_request_passes_too(story: Story) -> None:
    done, summary = check_step(story, "bob-forecast", "bob-gh")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^bob +shared-q-bob ", summary, re.M) and "0.3" in summary


def test_the_check_script_refuses_a_forecast_opened_by_someone_else(story: Story) -> None:
    done, summary = check_step(story, "bob-forecast", "alice-gh")
    assert done.returncode == 1
    assert "`bob` is not `alice-gh`, who opened the pull request" in summary


def test_the_check_script_refuses_a_committed_index(story: Story) -> None:
    run(predreg("check", "registry", "-q"), story.work, story.env)  # writes registry/.predreg/index.sqlite
    index = story.work / "registry" / ".predreg" / "index.sqlite"
    assert index.is_file()
    status = run(["git", "status", "--porcelain", "--ignored"], story.work, story.env).stdout
    assert "!! registry/.predreg/" in status  # init's .gitignore keeps it out of `git add -A` ...
    forecast(story, "sneaky", "alice", "0.7", force="registry/.predreg/index.sqlite")  # ... but not -f
    done, summary = check_step(story, "sneaky", "alice-gh")
    assert done.returncode == 1
    assert "registry/.predreg/index.sqlite" in summary and "committed to git" in summary
    assert "git rm --cached registry/.predreg/index.sqlite" in summary


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory, predreg_source: Path) -> Path:
    """Wheels of predreg, its dependencies and its build backend, from pip's local sources only."""
    pytest.importorskip("pre_commit")
    folder = tmp_path_factory.mktemp("wheelhouse")
    env = environment(tmp_path_factory.mktemp("pip"), PIP_RETRIES="0", PIP_TIMEOUT="5")
    env.update({key: value for key, value in os.environ.items() if key.startswith("PIP_")})  # the local sources
    if os.environ.get("PREDREG_WHEELHOUSE"):  # .ci/run downloads the locked wheels there before the tests
        env.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=os.environ["PREDREG_WHEELHOUSE"])
    made = run(
        [sys.executable, "-m", "pip", "wheel", "-q", str(predreg_source), "hatchling", "-w", str(folder)],
        predreg_source,
        env,
        check=False,
    )
    if made.returncode != 0:  # pip's sources need the network here: the hooks cannot be installed offline
        errors = [line.strip() for line in made.stderr.splitlines() if "ERROR" in line or "No matching" in line]
        pytest.skip(
            "pip found no local wheels of predreg's build backend and dependencies (a wheelhouse or a"
            f" file:// index; nothing is downloaded here): {errors[0] if errors else made.stderr.strip()[-200:]}"
        )
    return folder


def pre_commit(story: Story, wheels: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **story.env,
        "PRE_COMMIT_HOME": str(story.root / "pre-commit-home"),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheels),
        "VIRTUALENV_NO_PERIODIC_UPDATE": "1",
    }
    return run([sys.executable, "-m", "pre_commit", *args], cwd or story.work, env, check=False)


def test_the_generated_pre_commit_hook_passes_then_catches_a_bad_file(story: Story, wheelhouse: Path) -> None:
    good = pre_commit(story, wheelhouse, "run", "predreg-check", "--all-files")
    assert good.returncode == 0 and "predreg check" in good.stdout and "Passed" in good.stdout, good.stdout
    question = story.work / "registry" / "questions" / "shared-q.yaml"
    written = question.read_text()
    question.write_text(written.replace("2030-12-31", "later this year"))
    try:
        bad = pre_commit(story, wheelhouse, "run", "predreg-check", "--all-files")
    finally:
        question.write_text(written)
    assert bad.returncode == 1 and "resolve_by: `later this year` is a relative date" in bad.stdout, bad.stdout


def test_the_pre_push_hook_checks_against_the_real_default_branch(story: Story, wheelhouse: Path) -> None:
    run(["git", "switch", "-q", "alice-forecast"], story.work, story.env)
    # without origin/HEAD only the branch init named can say what to compare with
    run(["git", "remote", "set-head", "origin", "--delete"], story.work, story.env)
    try:
        good = pre_commit(story, wheelhouse, "run", "predreg-check-base", "--hook-stage", "pre-push", "--all-files")
        assert good.returncode == 0, good.stdout
        edited = story.work / "registry" / "questions" / "shared-q.yaml"
        edited.write_text(edited.read_text().replace("2030-12-31", "2031-12-31"))  # a registered question never changes
        bad = pre_commit(story, wheelhouse, "run", "predreg-check-base", "--hook-stage", "pre-push", "--all-files")
        assert bad.returncode == 1 and "is a registered question and was edited" in bad.stdout, bad.stdout
    finally:
        run(["git", "checkout", "-q", "--", "."], story.work, story.env)
        run(["git", "switch", "-q", "trunk"], story.work, story.env)
        run(["git", "remote", "set-head", "origin", "trunk"], story.work, story.env)


def test_pre_commit_try_repo_against_this_checkout_runs_offline(story: Story, wheelhouse: Path) -> None:
    if not (REPO / ".git").exists():
        pytest.skip("this checkout is not a git repository (try-repo clones one)")
    tried = pre_commit(story, wheelhouse, "try-repo", str(REPO), "predreg-check", "--all-files")
    assert tried.returncode == 0 and "Passed" in tried.stdout, tried.stdout + tried.stderr


def test_the_install_step_installs_the_pinned_predreg_offline(story: Story, wheelhouse: Path) -> None:
    """The workflow's install step, verbatim, in a fresh venv: base/requirements.txt pins predreg at its tag."""
    venv = story.root / "ci-venv"
    run([sys.executable, "-m", "venv", str(venv)], story.root, story.env)  # pip from ensurepip: no download
    document: dict[Any, Any] = yaml.safe_load((story.work / ".github" / "workflows" / "predreg-pr.yml").read_text())
    [step] = [
        s for s in document["jobs"]["check"]["steps"] if s.get("name") == "Install predreg as the base branch pins it"
    ]
    assert step["working-directory"] == "base"
    env = {
        **story.env,
        "PATH": f"{venv / 'bin'}{os.pathsep}{story.env['PATH']}",
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheelhouse),
    }
    run(["bash", "--noprofile", "--norc", "-e", "-c", step["run"]], story.work, env)
    shown = run([str(venv / "bin" / "predreg"), "--version"], story.root, env).stdout
    assert shown.strip() == f"predreg {__version__}"
    scaffolded = story.root / "from-the-wheel"
    scaffolded.mkdir()
    done = run(
        [str(venv / "bin" / "predreg"), "init", "--author", "c", "--name", "C", "--github", "c"], scaffolded, env
    )
    assert "wrote    .github/workflows/predreg-pr.yml" in done.stdout  # templates found inside the installed wheel


HOSTILE = (
    *("pytest.py", "predreg/__init__.py", "predreg/plugin.py", "conftest.py", "sitecustomize.py"),
    *("registry/conftest.py", "registry/test_helpful.py"),  # pytest's own collection would import a test module
)


def test_the_check_script_runs_none_of_the_pull_requests_code(story: Story) -> None:
    """Attack: a PR of code named like what the check runs (`python -m pytest`, `-p predreg.plugin`), nothing else."""
    ran = story.root / "ran"
    ran.mkdir()
    run(["git", "switch", "-q", "-c", "hostile", "trunk"], story.work, story.env)
    for name in HOSTILE:
        path = story.work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"import pathlib\npathlib.Path({str(ran / name.replace('/', '-'))!r}).write_text('ran')\n")
    run(["git", "add", "-A"], story.work, story.env)
    run(["git", "commit", "-q", "-m", "helpful tooling"], story.work, story.env)
    run(["git", "push", "-q", "origin", "hostile"], story.work, story.env)
    run(["git", "switch", "-q", "trunk"], story.work, story.env)
    done, summary = check_step(story, "hostile", "alice-gh")
    assert sorted(path.name for path in ran.iterdir()) == [], done.stdout + done.stderr
    # --registry-only refuses every path of it before pytest; test_workflows runs the pytest line on them alone
    assert done.returncode == 1 and all(f"{name}:1:1: file: " in summary for name in HOSTILE)
