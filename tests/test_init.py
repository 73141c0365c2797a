"""`predreg init`: what it writes, what it never touches, and which branch it names (real git, real files)."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from predreg import __version__, init
from predreg.cli import _parser, main
from predreg.load import load_file

from .conftest import REPO

FLAGS = ["--author", "ada", "--name", "Ada Lovelace", "--github", "ada-gh"]
SCAFFOLD = [
    "registry/authors.yaml",
    "requirements.txt",
    ".github/workflows/predreg-pr.yml",
    ".github/workflows/predreg-resolve.yml",
    ".github/workflows/predreg-sharded.yml",
    ".github/workflows/predreg-pages.yml",
    ".pre-commit-config.yaml",
    "README.md",
    ".gitignore",
]


@pytest.fixture(autouse=True)
def quiet_git(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """git as on a fresh machine: no user or system configuration but a name to commit with."""
    config = tmp_path_factory.mktemp("home") / "gitconfig"
    config.write_text("[user]\n\tname = Test\n\temail = test@example.org\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    return config


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True).stdout


def repository(path: Path, branch: str = "main") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", f"--initial-branch={branch}")
    return path


def files_of(top: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(top)): p.read_bytes() for p in sorted(top.rglob("*")) if p.is_file() and ".git" not in p.parts
    }


def workflow(top: Path, name: str) -> dict[Any, Any]:
    document: dict[Any, Any] = yaml.safe_load((top / ".github" / "workflows" / name).read_text())
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads the key `on` as true
    return document


def branches_named(top: Path) -> dict[str, Any]:
    """Every place a scaffold names the default branch."""
    pr, resolve, sharded, pages = (workflow(top, name) for name in init.WORKFLOWS)
    [propose] = [s for s in resolve["jobs"]["resolve"]["steps"] if s.get("name", "").startswith("Propose")]
    [hooks] = yaml.safe_load((top / ".pre-commit-config.yaml").read_text())["repos"]
    [base_hook] = [h for h in hooks["hooks"] if h["id"] == "predreg-check-base"]
    return {
        "pr": pr["on"]["pull_request_target"]["branches"],
        "resolve": propose["env"]["DEFAULT_BRANCH"],
        "sharded": sharded["on"]["push"]["branches"],
        "pages": pages["on"]["push"]["branches"],
        "pre-push": base_hook["args"],
    }


def expect_branch(branch: str) -> dict[str, Any]:
    return {
        "pr": [branch],
        "resolve": branch,
        "sharded": [branch],
        "pages": [branch],
        "pre-push": ["--base", f"origin/{branch}"],
    }


def test_init_writes_a_registry_that_checks_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    top = repository(tmp_path / "reg")
    assert main(["init", str(top), *FLAGS]) == 0
    out = capsys.readouterr().out
    for path in SCAFFOLD:
        assert (top / path).is_file() and f"wrote    {path}" in out
    assert (top / ".gitignore").read_text() == ".predreg/\nsite/\n.venv/\n" and "next:" in out
    authors = load_file(str(top / "registry" / "authors.yaml"), "authors")
    assert authors.problems == () and authors.record.authors["ada"].github == ("ada-gh",)
    assert main(["check", str(top / "registry"), "-q"]) == 0


def test_requirements_pin_the_running_predreg_from_its_source(tmp_path: Path) -> None:
    top = repository(tmp_path / "reg")
    assert main(["init", str(top), *FLAGS, "--predreg-source", "https://example.org/mirror/predreg"]) == 0
    lines = [x for x in (top / "requirements.txt").read_text().splitlines() if x and not x.startswith("#")]
    assert lines == [f"predreg @ git+https://example.org/mirror/predreg@v{__version__}"]
    [repo] = yaml.safe_load((top / ".pre-commit-config.yaml").read_text())["repos"]
    assert (repo["repo"], repo["rev"]) == ("https://example.org/mirror/predreg", f"v{__version__}")


@pytest.mark.parametrize(
    "source",
    [
        *("/home/me/predreg", "file:///home/me/predreg", "predreg", "ftp://x.org/p"),
        "https://h.example/p#frag",  # attack: the fragment swallows @v<version>, so pip takes the default branch
        "https://h.example/p?x=1&--hash=sha256:00",
        "http://h.example/p",  # the code that judges pull requests, over plain http
    ],
)
def test_a_source_pip_cannot_fetch_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str
) -> None:
    top = repository(tmp_path / "reg")
    assert main(["init", str(top), *FLAGS, "--predreg-source", source]) == 2
    assert "file://localhost/path/to/predreg" in capsys.readouterr().err and files_of(top) == {}


def test_the_default_source_is_the_one_constant(tmp_path: Path) -> None:
    top = repository(tmp_path / "reg")
    assert main(["init", str(top), *FLAGS]) == 0
    assert f"git+{init.PREDREG_SOURCE}@v{__version__}" in (top / "requirements.txt").read_text()


def test_init_never_overwrites_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    top = repository(tmp_path / "reg")
    mine = {
        "README.md": b"# Our registry\n",
        "requirements.txt": b"predreg==9.9.9\n",
        ".github/workflows/predreg-pr.yml": b"name: our own check\n",
        ".pre-commit-config.yaml": b"repos: []\n",
        "registry/authors.yaml": b"authors:\n  grace: {name: Grace}\n",
    }
    for path, data in mine.items():
        (top / path).parent.mkdir(parents=True, exist_ok=True)
        (top / path).write_bytes(data)
    assert main(["init", str(top)]) == 0  # authors.yaml is there: no author needed
    assert {path: (top / path).read_bytes() for path in mine} == mine
    out = capsys.readouterr().out
    assert all(f"kept     {path}" in out for path in mine)
    assert "wrote    .github/workflows/predreg-resolve.yml" in out


def test_gitignore_gets_the_missing_lines_appended_and_keeps_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    top = repository(tmp_path / "reg")
    (top / ".gitignore").write_bytes(b"node_modules/\nsite\n*.log")  # no newline at the end; site/ is there
    assert main(["init", str(top), *FLAGS]) == 0
    assert ".gitignore: added .predreg/, .venv/ (the rest of the file is as it was)" in capsys.readouterr().out
    text = (top / ".gitignore").read_text()
    assert text.startswith("node_modules/\nsite\n*.log\n")
    assert text.endswith("# predreg: local state, the leaderboard page, a virtual environment\n.predreg/\n.venv/\n")
    assert text.count("site") == 1
    (top / "registry" / ".predreg").mkdir()
    (top / "registry" / ".predreg" / "index.sqlite").write_bytes(b"x")
    assert git(top, "check-ignore", "registry/.predreg/index.sqlite").strip() == "registry/.predreg/index.sqlite"


def test_a_second_run_writes_nothing_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    top = repository(tmp_path / "reg")
    assert main(["init", str(top), *FLAGS]) == 0
    before = files_of(top)
    capsys.readouterr()
    assert main(["init", str(top)]) == 0
    assert files_of(top) == before
    out = capsys.readouterr().out
    assert "nothing written: everything init makes was there already" in out and "wrote" not in out


def test_a_folder_that_is_no_repository_gets_git_init(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    top = tmp_path / "reg"
    top.mkdir()
    assert main(["init", str(top), *FLAGS, "--branch", "trunk"]) == 0
    assert "ran git init" in capsys.readouterr().out
    assert git(top, "symbolic-ref", "HEAD").strip() == "refs/heads/trunk"
    assert branches_named(top) == expect_branch("trunk")


def test_a_folder_inside_a_repository_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    top = repository(tmp_path / "reg")
    (top / "sub").mkdir()
    assert main(["init", str(top / "sub"), *FLAGS]) == 2
    assert "is inside the git repository" in capsys.readouterr().err
    assert files_of(top) == {}


def test_the_default_branch_is_origins_head_first(tmp_path: Path) -> None:
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "--initial-branch=trunk", str(origin))
    seed = repository(tmp_path / "seed", "trunk")
    (seed / "LICENSE").write_text("MIT\n")
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "seed")
    git(seed, "push", "-q", str(origin), "trunk")
    git(tmp_path, "clone", "-q", str(origin), "work")
    top = tmp_path / "work"
    git(top, "switch", "-q", "-c", "setting-up")  # the current branch is not where pull requests go
    assert init.default_branch(top) == "trunk"
    assert main(["init", str(top), *FLAGS]) == 0
    assert branches_named(top) == expect_branch("trunk")


def test_without_origin_the_current_branch_is_the_default(tmp_path: Path) -> None:
    top = repository(tmp_path / "reg", "develop")  # unborn: no commit yet
    assert init.default_branch(top) == "develop"
    assert main(["init", str(top), *FLAGS]) == 0
    assert branches_named(top) == expect_branch("develop")


def test_outside_a_repository_git_configs_default_branch_is_used(tmp_path: Path, quiet_git: Path) -> None:
    (tmp_path / "plain").mkdir()
    assert init.default_branch(tmp_path / "plain") == "main"
    quiet_git.write_text(quiet_git.read_text() + "[init]\n\tdefaultBranch = stable\n")
    assert init.default_branch(tmp_path / "plain") == "stable"


def test_branch_flag_overrides_and_is_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    top = repository(tmp_path / "reg", "develop")
    assert main(["init", str(top), *FLAGS, "--branch", 'x"; rm -rf ~']) == 2
    assert "not a branch name" in capsys.readouterr().err and files_of(top) == {}
    assert main(["init", str(top), *FLAGS, "--branch", "release/2027"]) == 0
    assert branches_named(top) == expect_branch("release/2027")


def test_every_template_renders_to_yaml_with_no_placeholder_left() -> None:
    for name in init.WORKFLOWS:
        text = init.render(init.template("github", "workflows", name), branch="trunk", source="https://x.org/p")
        assert "__" not in text.replace("__version__", "")
        assert yaml.safe_load(text)["jobs"]
    with pytest.raises(ValueError, match="__NOPE__"):
        init.render("a __NOPE__ b", branch="main", source="s")


def test_without_a_terminal_missing_author_flags_are_a_usage_error(tmp_path: Path) -> None:
    top = repository(tmp_path / "reg")
    done = subprocess.run(
        [sys.executable, "-m", "predreg.cli", "init", str(top), "--name", "Ada"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert (
        done.stderr
        == "predreg init: missing --author, --github for registry/authors.yaml (or run on a terminal to be asked)\n"
    )
    assert files_of(top) == {}


def test_a_bad_handle_flag_gets_the_checkers_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    top = repository(tmp_path / "reg")
    assert main(["init", str(top), "--author", "ada lovelace", "--name", "Ada", "--github", "ada"]) == 2
    err = capsys.readouterr().err
    assert "--author 'ada lovelace': `ada lovelace` is not a valid author handle; use letters" in err
    assert files_of(top) == {}


def answers(*replies: str | type[BaseException]) -> Iterator[str]:
    for reply in replies:
        if isinstance(reply, type):
            raise reply
        yield reply


def ask_with(*replies: str | type[BaseException]) -> Any:
    stream = answers(*replies)
    return lambda prompt: next(stream)


def test_on_a_terminal_a_bad_answer_is_asked_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    top = repository(tmp_path / "reg")
    args = _parser().parse_args(["init", str(top)])
    ask = ask_with("ada lovelace", "ada", "", "Ada Lovelace", "ada-gh")
    assert init.run(args, ask=ask, terminal=True) == 0
    err = capsys.readouterr().err
    assert "  the handle: `ada lovelace` is not a valid author handle; use letters" in err
    assert "  the name: is empty; write `name: Forecaster A`" in err
    assert load_file(str(top / "registry" / "authors.yaml"), "authors").record.authors["ada"].name == "Ada Lovelace"


@pytest.mark.parametrize(("key", "code", "line"), [(KeyboardInterrupt, 130, "interrupted"), (EOFError, 1, "no answer")])
def test_ctrl_c_and_ctrl_d_stop_cleanly_having_written_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], key: type[BaseException], code: int, line: str
) -> None:
    top = repository(tmp_path / "reg")
    args = _parser().parse_args(["init", str(top)])
    assert init.run(args, ask=ask_with("ada", key), terminal=True) == code
    err = capsys.readouterr().err.strip()
    assert err == f"predreg init: {line}{'' if code == 130 else ' (end of input)'}; nothing written"
    assert files_of(top) == {}


class Screen:
    """What a pseudo-terminal has shown so far, read as the child writes it."""

    def __init__(self, terminal: int) -> None:
        self.terminal = terminal
        self.shown = b""

    def wait(self, text: bytes, times: int = 1, seconds: float = 30) -> bool:
        """Read until ``text`` has been shown ``times`` times; False on a timeout or when the child closes it."""
        deadline = time.monotonic() + seconds
        while self.shown.count(text) < times:
            ready, _, _ = select.select([self.terminal], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                return False
            try:
                chunk = os.read(self.terminal, 1024)
            except OSError:  # EIO: the child has closed the terminal
                chunk = b""
            if not chunk:
                return False
            self.shown += chunk
        return True


@contextlib.contextmanager
def predreg_on_a_terminal(*args: str) -> Iterator[tuple[int, Screen]]:
    """``python -m predreg.cli ARGS`` on a new pseudo-terminal: its pid, and its screen; killed if left waiting."""
    pid, terminal = pty.fork()
    if pid == 0:  # the child
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # a background job's caller may ignore it, and exec keeps that
        os.execv(sys.executable, [sys.executable, "-m", "predreg.cli", *args])
    try:
        yield pid, Screen(terminal)
    finally:
        try:
            if os.waitpid(pid, os.WNOHANG) == (0, 0):  # still running: a failed test left it waiting for input
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        except ChildProcessError:  # the test reaped it
            pass
        os.close(terminal)


def test_ctrl_c_on_a_real_terminal_exits_130_without_a_traceback(tmp_path: Path) -> None:
    top = repository(tmp_path / "reg")
    with predreg_on_a_terminal("init", str(top)) as (pid, screen):
        assert screen.wait(b"author handle"), screen.shown
        for _ in range(20):
            # Ctrl-C, which the terminal turns into SIGINT. One that lands between the prompt
            # and the read that waits for the answer is noted but read only after it (CPython's
            # own window, far too short for a hand): then the next Ctrl-C interrupts the read
            os.write(screen.terminal, b"\x03")
            if screen.wait(b"nothing written", seconds=1):
                break
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 130
    assert b"Traceback" not in screen.shown and b"predreg init: interrupted; nothing written" in screen.shown
    assert files_of(top) == {}


def test_on_a_real_terminal_init_asks_and_asks_again(tmp_path: Path) -> None:
    top = repository(tmp_path / "reg")
    with predreg_on_a_terminal("init", str(top), "--name", "Ada") as (pid, screen):
        assert screen.wait(b"Your author handle"), screen.shown
        os.write(screen.terminal, b"ada lovelace\n")
        assert screen.wait(b"Your author handle", times=2), screen.shown  # asked again, after the problem
        assert b"the handle: `ada lovelace` is not a valid author handle" in screen.shown
        os.write(screen.terminal, b"ada\n")
        assert screen.wait(b"GitHub login"), screen.shown
        assert b"Your name" not in screen.shown  # --name was given
        os.write(screen.terminal, b"ada-gh\n")
        assert screen.wait(b"next:"), screen.shown
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert load_file(str(top / "registry" / "authors.yaml"), "authors").record.authors["ada"].github == ("ada-gh",)


def test_templates_come_through_importlib_resources_even_from_a_zip(tmp_path: Path) -> None:
    archive = tmp_path / "predreg.zip"  # no file paths inside: only importlib.resources finds templates there
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in (REPO / "predreg").rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                zipped.write(path, path.relative_to(REPO).as_posix())
    top = repository(tmp_path / "reg", "trunk")
    code = f"import sys; sys.path.insert(0, {str(archive)!r}); import predreg.cli; sys.exit(predreg.cli.main())"
    done = subprocess.run(
        [sys.executable, "-c", code, "init", str(top), *FLAGS],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert (
        "predreg.zip"
        in subprocess.run(
            [
                sys.executable,
                "-c",
                f"import sys; sys.path.insert(0, {str(archive)!r}); import predreg; print(predreg.__file__)",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        ).stdout
    )
    assert branches_named(top) == expect_branch("trunk")


@pytest.mark.parametrize("where", ["bare", "git-dir"])
def test_a_bare_repository_or_a_git_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    if where == "bare":
        top = tmp_path / "bare.git"
        git(tmp_path, "init", "-q", "--bare", str(top))
    else:
        top = repository(tmp_path / "reg") / ".git"
    before = sorted(p.name for p in top.iterdir())
    assert main(["init", str(top), *FLAGS]) == 2
    assert "bare repository or a .git folder" in capsys.readouterr().err
    assert sorted(p.name for p in top.iterdir()) == before


def test_a_gitignore_that_is_not_utf8_gets_its_lines_all_the_same(tmp_path: Path) -> None:
    top = repository(tmp_path / "reg")
    (top / ".gitignore").write_bytes(b"caf\xe9/\n\xef\xbb\xbfsite/\n")
    assert main(["init", str(top), *FLAGS]) == 0
    text = (top / ".gitignore").read_bytes()
    assert text.startswith(b"caf\xe9/\n\xef\xbb\xbfsite/\n") and text.count(b"site/") == 1
    assert text.endswith(b".predreg/\n.venv/\n")


@pytest.mark.parametrize("linked", [".github", ".github/workflows", "registry"])
def test_a_folder_that_is_a_symbolic_link_is_refused_not_written_through(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], linked: str
) -> None:
    """Attack: `.github -> /elsewhere`, so init writes outside the repository and says it wrote the workflows."""
    top = repository(tmp_path / "reg")
    outside = tmp_path / "outside"
    outside.mkdir()
    (top / linked).parent.mkdir(parents=True, exist_ok=True)
    (top / linked).symlink_to(outside)
    assert main(["init", str(top), *FLAGS]) == 2
    assert "is a symbolic link" in capsys.readouterr().err
    assert list(outside.iterdir()) == []


def test_a_file_given_as_the_folder_is_named_as_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("x")
    assert main(["init", str(tmp_path / "notes.txt"), *FLAGS]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
