"""Every command, given bad arguments or run in a bad environment, fails in one clear line.

The commands are read from the CLI's own parser, so a command added later is covered
by the matrix without a line here. Each case runs ``python -m predreg.cli`` as a real
process (real file descriptors, locale and PATH) and asks for the contract: exit 1 or
2 (0 where nothing is wrong), one line on stderr for a usage error, and never a
traceback.
"""

from __future__ import annotations

import argparse
import ctypes
import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from predreg import arguments, cli
from predreg.files import WriteError, create_many, write_atomic
from predreg.registry import SHARD_FORMAT

from .conftest import DATA, TODAY
from .evidence_server import EvidenceServer
from .resolving import serve_recorded, write_registry

COMMANDS: dict[str, argparse.ArgumentParser] = next(
    action.choices for action in cli._parser()._actions if isinstance(action, argparse._SubParsersAction)
)
READERS = sorted(cli.READS_REGISTRY & COMMANDS.keys())

BAD_VALUES: dict[Callable[[str], Any], list[str]] = {
    int: ["1e400", "-1", "x"],
    float: ["1e400", "nan", "-1"],
    cli._count: ["1e400", "-1", "x"],
    cli._jobs: ["0", "-1", "1e400"],
    cli._seconds: ["1e400", "nan", "-1"],
    arguments.iso_date: ["2026-02-30", "tomorrow"],
    cli._moment: ["2026-13-01T00:00:00Z", "x"],
    cli._shard: ["0/0", "2/1", "x"],
}
"""The values each kind of option must refuse (or take and refuse later, as a problem)."""

OTHER_VALUES = ["", "not-a-registry/below-a-file"]
"""For options without a value type: empty, and a path under a regular file."""


@attrs.frozen
class Case:
    args: list[str]
    cwd: str = "."
    env: dict[str, str] = attrs.field(factory=dict)
    read_only: bool = False
    stdout_full: bool = False
    """Standard output is /dev/full, as on a disk that filled up under ``> out.txt``."""


@attrs.frozen
class Ran:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.err.splitlines()


def _positionals(command: str, registry: str | None = "registry") -> list[str]:
    """The positional arguments a command needs, made up from its parser: a registry, an id, a choice."""
    args = []
    for action in COMMANDS[command]._actions:
        if action.option_strings:
            continue
        if action.dest == "registry":
            args += [] if registry is None else [registry]
        elif action.nargs is None:
            args.append(sorted(action.choices)[0] if action.choices else "no-such-id")
    return [command, *args]


def _options(command: str) -> list[argparse.Action]:
    return [a for a in COMMANDS[command]._actions if a.option_strings and a.nargs != 0 and a.dest != "help"]


def _values(action: argparse.Action) -> list[str]:
    if action.choices:
        return ["no-such-choice"]
    return BAD_VALUES.get(action.type, OTHER_VALUES) if callable(action.type) else OTHER_VALUES


def _drop_override() -> None:
    """In the child, before exec: root without the capabilities that ignore file permissions."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        libc.prctl(24, capability, 0, 0, 0)  # PR_CAPBSET_DROP: gone from what exec grants


def run(case: Case, world: Path) -> Ran:
    env = {**os.environ, "PREDREG_AUTHOR": "forecaster-a", "PREDREG_KEEP": str(world / "keep"), **case.env}
    env = {key: value for key, value in env.items() if value != "<unset>"}
    as_root = case.read_only and os.geteuid() == 0
    if case.stdout_full and not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here (a full disk, cheaply): Linux has one")
    with open("/dev/full" if case.stdout_full else os.devnull, "wb") as full:
        result = subprocess.run(
            [sys.executable, "-m", "predreg.cli", *case.args],
            cwd=world / case.cwd,
            env=env,
            stdout=full if case.stdout_full else subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            timeout=120,
            preexec_fn=_drop_override if as_root else None,
        )
    # decoded leniently: what is asserted is the absence of a traceback, whatever the bytes
    out = (result.stdout or b"").decode(errors="replace")
    return Ran(result.returncode, out, result.stderr.decode(errors="replace"))


def _no_traceback(ran: Ran) -> None:
    assert "Traceback" not in ran.out + ran.err, ran.err
    assert "internal error" not in ran.err, ran.err


def _one_line(ran: Ran) -> None:
    _no_traceback(ran)
    assert len(ran.lines) == 1 and ran.lines[0].startswith("predreg"), ran.err


UNICODE_PREDICTION = """\
id: zoës-forecast
author: zoë
registered: 2026-11-23
claim: "Zoë’s “model” passes the test — ✓"
criteria: YES if ✓, NO if ✗
resolve_by: 2027-12-31
resolver: {name: manual}
kind: binary
probability: 0.7
tags: [ünïcode]
"""


def _make_world(root: Path) -> Path:
    """The folders every case runs in: registries good, unicode, read-only; a file; an empty folder."""
    registry = root / "registry"
    shutil.copytree(DATA / "minimal", registry)
    with (registry / "authors.yaml").open("a", encoding="utf-8") as authors:
        authors.write("  zoë: {name: Zoë Ünïcode}\n")
    (registry / "predictions" / "zoë").mkdir()
    (registry / "predictions" / "zoë" / "zoës-forecast.yaml").write_text(UNICODE_PREDICTION, encoding="utf-8")
    broken = root / "unicode-problems"
    shutil.copytree(registry, broken)
    bad = UNICODE_PREDICTION.replace("zoës-forecast", "zoës-other").replace("probability: 0.7", 'probability: "0.7✓"')
    (broken / "predictions" / "zoë" / "zoës-other.yaml").write_text(bad, encoding="utf-8")
    shutil.copytree(registry, root / "state-is-a-file")
    (root / "state-is-a-file" / ".predreg").write_text("where the local state folder belongs\n", encoding="utf-8")
    shutil.copytree(registry, root / "index-is-garbage")
    (root / "index-is-garbage" / ".predreg").mkdir()
    (root / "index-is-garbage" / ".predreg" / "index.sqlite").write_bytes(b"SQLite format 3\0" + bytes(range(256)) * 8)
    (root / "not-a-registry").write_text("a file, not a folder\n", encoding="utf-8")
    (root / "empty").mkdir()
    (root / "full").symlink_to("/dev/full")  # a symlink: a regression replaces it, never the device
    read_only = root / "read-only"
    shutil.copytree(registry, read_only / "registry")
    for folder, _, names in os.walk(read_only, topdown=False):
        for name in names:
            os.chmod(os.path.join(folder, name), 0o444)
        os.chmod(folder, 0o555)
    return root


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = _make_world(tmp_path_factory.mktemp("world"))
    yield root
    for folder, _, _ in os.walk(root / "read-only"):
        os.chmod(folder, 0o755)


@pytest.fixture(scope="module")
def read_only(world: Path) -> Path:
    """The read-only registry's folder, if this machine can make one (as root: without its override)."""
    attempt = subprocess.run(
        [sys.executable, "-c", "open('read-only/registry/probe', 'w')"],
        cwd=world,
        capture_output=True,
        preexec_fn=_drop_override if os.geteuid() == 0 else None,
    )
    if attempt.returncode == 0:
        pytest.skip("cannot make a read-only folder here (root whose capabilities cannot be dropped)")
    return world / "read-only"


def _no_git(world: Path) -> dict[str, str]:
    """PATH holding only the interpreter's folder: python stays reachable (it is run by path), git is not."""
    path = str(Path(sys.executable).parent)
    if shutil.which("git", path=path):
        pytest.skip(f"git is in {path}")
    return {"PATH": path}


C_LOCALE = {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONIOENCODING": "<unset>"}


def _matrix() -> list[Any]:
    cases = []
    for command in sorted(COMMANDS):
        cases.append(pytest.param([*_positionals(command), "--no-such-flag"], True, id=f"{command}-unknown-flag"))
        for action in _options(command):
            flag = action.option_strings[-1]
            for value in _values(action):
                # a value of a type (a date, a number, a choice) is wrong; a bare string may be fine
                wrong = bool(action.choices) or action.type in BAD_VALUES
                args = [*_positionals(command), flag, value]
                cases.append(pytest.param(args, wrong, id=f"{command}-{flag}={value!r}"))
    return cases


@pytest.mark.parametrize(("args", "wrong"), _matrix())
def test_a_bad_argument_is_refused_in_one_line(world: Path, args: list[str], wrong: bool) -> None:
    ran = run(Case(args), world)
    _no_traceback(ran)
    allowed = (cli.EXIT_PROBLEMS, cli.EXIT_USAGE) if wrong else (cli.EXIT_OK, cli.EXIT_PROBLEMS, cli.EXIT_USAGE)
    assert ran.code in allowed, (ran.code, ran.err)
    if ran.code == cli.EXIT_USAGE:
        _one_line(ran)


ENVIRONMENTS = [
    "no-registry",
    "registry-is-a-file",
    "inside-the-registry",
    "no-git",
    "read-only",
    "c-locale",
    "stdout-full",
    "state-is-a-file",
    "index-is-garbage",
]


def _environment(name: str, command: str, world: Path) -> Case:
    if name == "no-registry":
        return Case(_positionals(command), cwd="empty")
    if name == "registry-is-a-file":
        return Case(_positionals(command, "not-a-registry"))
    if name == "inside-the-registry":
        return Case(_positionals(command, None), cwd="registry")
    if name == "no-git":
        return Case(_positionals(command), env=_no_git(world))
    if name == "read-only":
        return Case(_positionals(command), cwd="read-only", read_only=True)
    if name == "stdout-full":
        return Case(_positionals(command), stdout_full=True)
    if name in ("state-is-a-file", "index-is-garbage"):  # registry/.predreg: a file, or a corrupt index
        return Case(_positionals(command, name))
    return Case(_positionals(command, "unicode-problems"), env=C_LOCALE)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_in_a_bad_environment_fails_in_one_line(
    world: Path, request: pytest.FixtureRequest, command: str, environment: str
) -> None:
    if environment == "read-only":
        request.getfixturevalue("read_only")
    ran = run(_environment(environment, command, world), world)
    _no_traceback(ran)
    assert ran.code in (cli.EXIT_OK, cli.EXIT_PROBLEMS, cli.EXIT_USAGE), (ran.code, ran.err)
    if ran.code == cli.EXIT_USAGE:
        _one_line(ran)
    if command in READERS and environment in ("no-registry", "registry-is-a-file", "inside-the-registry"):
        assert ran.code == cli.EXIT_USAGE


def _outputs() -> list[Any]:
    cases = []
    for command in sorted(COMMANDS):
        flags = {flag for action in _options(command) for flag in action.option_strings}
        if "-o" in flags:
            shard = ["--shard", "1/1"] if command == "check" else []
            full = "is a file" if command == "site" else "no space left on device"  # (site: -o names a folder)
            for target, cause in (("full", full), ("not-a-registry/out", "is a file")):
                args = [*_positionals(command), *shard, "-o", target]
                cases.append(pytest.param(args, cause, id=f"{command}-o-{target}"))
    return cases


@pytest.mark.parametrize(("args", "cause"), _outputs())
def test_an_output_that_cannot_be_written_is_one_line_naming_it_and_why(
    world: Path, args: list[str], cause: str
) -> None:
    if args[-1] == "full" and not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here (a full disk, cheaply): Linux has one")
    ran = run(Case(args), world)
    assert ran.code == cli.EXIT_USAGE
    _one_line(ran)
    assert args[-1] in ran.err and cause in ran.err
    assert os.readlink(world / "full") == "/dev/full"


# the defects, one test each


@pytest.mark.parametrize("existing", [True, False])
def test_html_output_naming_a_file_says_it_names_a_folder(tmp_path: Path, existing: bool) -> None:
    _make_world(tmp_path)
    (tmp_path / "site").mkdir()
    if existing:
        (tmp_path / "site" / "index.html").write_text("old page", encoding="utf-8")
    ran = run(Case(["score", "registry", "--format", "html", "-o", "site/index.html"]), tmp_path)
    assert ran.code == cli.EXIT_USAGE
    _one_line(ran)
    assert ran.lines == ["predreg: -o site/index.html: for the site, -o names a folder; try -o site"]
    assert existing == (tmp_path / "site" / "index.html").is_file()


@pytest.mark.parametrize("args", [["schema"], ["check", "registry"], ["score", "registry", "--format", "json"]])
def test_a_full_standard_output_is_one_line(world: Path, args: list[str]) -> None:
    ran = run(Case(args, stdout_full=True), world)
    assert ran.code == cli.EXIT_USAGE
    _one_line(ran)
    assert "predreg: standard output: cannot write: no space left on device" in ran.err


def test_html_output_that_is_a_file_is_refused(world: Path) -> None:
    ran = run(Case(["score", "registry", "--format", "html", "-o", "not-a-registry"]), world)
    assert ran.lines == ["predreg: -o not-a-registry: is a file; for the site, -o names a folder; choose one"]


def test_a_file_output_naming_a_folder_is_refused_before_any_work(world: Path) -> None:
    ran = run(Case(["score", "registry", "-o", "empty"]), world)
    assert ran.code == cli.EXIT_USAGE
    _one_line(ran)
    assert "-o empty: is a folder; for --format table, -o names a file" in ran.err
    assert ran.out == ""  # nothing was scored, or printed
    assert list((world / "empty").iterdir()) == []


def test_check_output_without_a_shard_is_a_usage_error(world: Path) -> None:
    ran = run(Case(["check", "registry", "-o", "records.jsonl"]), world)
    assert ran.code == cli.EXIT_USAGE
    _one_line(ran)
    assert not (world / "records.jsonl").exists()


def test_inside_the_registry_predreg_says_to_pass_dot(world: Path) -> None:
    ran = run(Case(["check"], cwd="registry"), world)
    assert ran.code == cli.EXIT_USAGE
    _one_line(ran)
    assert "pass `.` (predreg check .) or run from the repository root" in ran.err
    assert run(Case(["check", "."], cwd="registry"), world).code == cli.EXIT_OK


def test_an_output_that_is_a_device_is_written_through(world: Path) -> None:
    (world / "stdout").symlink_to("/dev/stdout")
    ran = run(Case(["score", "registry", "--format", "csv", "-o", "stdout"]), world)
    assert ran.code == cli.EXIT_OK, ran.err
    assert ran.out.startswith("rank,author,")
    assert (world / "stdout").is_symlink()


@pytest.mark.parametrize(
    "args",
    [
        ["resolve", "registry", "--jobs", "-1"],
        ["resolve", "registry", "--jobs", "0"],
        ["resolve", "registry", "--deadline", "nan"],
        ["resolve", "registry", "--deadline", "1e400"],
        ["score", "registry", "--min-n", "-5"],
        ["check", "registry", "--tolerance-days", "-1"],
    ],
)
def test_a_number_outside_its_range_is_a_usage_error(world: Path, args: list[str]) -> None:
    ran = run(Case(args), world)
    assert ran.code == cli.EXIT_USAGE
    _one_line(ran)
    assert args[-2] in ran.err


def test_an_argparse_error_is_one_line_pointing_to_help(world: Path) -> None:
    ran = run(Case(["check", "registry", "--today", "tomorrow"]), world)
    assert ran.lines == [
        "predreg check: argument --today: 'tomorrow' is not a date; write YYYY-MM-DD; see `predreg check --help`"
    ]


def test_without_git_the_pull_request_check_says_so(tmp_path: Path) -> None:
    _make_world(tmp_path)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    ran = run(Case(["check", "registry", "--base", "HEAD"], env=_no_git(tmp_path)), tmp_path)
    assert ran.code == cli.EXIT_USAGE
    _one_line(ran)
    assert "git is not installed, or not on PATH" in ran.err


def test_a_non_utf8_locale_prints_non_ascii_content_escaped(world: Path) -> None:
    ran = run(Case(["check", "unicode-problems", "--today", TODAY.isoformat()], env=C_LOCALE), world)
    assert ran.code == cli.EXIT_PROBLEMS
    _no_traceback(ran)
    assert 'is the quoted string "0.7\\u2713"' in ran.out
    summary = run(Case(["summary", "registry"], env=C_LOCALE), world)
    assert summary.code == cli.EXIT_OK, summary.err
    assert "zo\\xeb" in summary.out


def test_a_file_name_that_is_not_utf8_is_checked_sharded_and_merged(tmp_path: Path) -> None:
    _make_world(tmp_path)
    odd = os.fsdecode(b"registry/predictions/forecaster-a/\xff.yaml")
    shutil.copy(tmp_path / "registry" / "predictions" / "forecaster-a" / "on-shared.yaml", tmp_path / odd)
    check = run(Case(["check", "registry", "--today", TODAY.isoformat()]), tmp_path)
    assert check.code == cli.EXIT_PROBLEMS
    _no_traceback(check)
    assert "\\udcff.yaml" in check.out
    shard = run(Case(["check", "registry", "--shard", "1/1", "-o", "shard.jsonl", "-q"]), tmp_path)
    _no_traceback(shard)
    merged = run(Case(["score", "registry", "--merge", "shard.jsonl"]), tmp_path)
    assert merged.code == cli.EXIT_PROBLEMS
    _no_traceback(merged)


@pytest.mark.parametrize(("content", "why"), [("not json\n", "no shard header"), (b"\xff\n", "not UTF-8")])
def test_merging_a_file_that_is_not_a_shard_names_it(world: Path, content: str | bytes, why: str) -> None:
    path = world / f"bad-shard-{why.replace(' ', '-')}.jsonl"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    ran = run(Case(["score", "registry", "--merge", path.name]), world)
    assert ran.code == cli.EXIT_USAGE
    _one_line(ran)
    assert f"--merge {path.name}: is not a shard's file ({why}" in ran.err


def test_a_shard_line_that_no_shard_wrote_is_refused_by_number(world: Path) -> None:
    path = world / "half-shard.jsonl"
    path.write_text(json.dumps({"format": SHARD_FORMAT, "shard": "1/1"}) + '\n{"path": "x"}\n', encoding="utf-8")
    ran = run(Case(["score", "registry", "--merge", path.name]), world)
    assert ran.code == cli.EXIT_USAGE
    _one_line(ran)
    assert "line 2 is not a line of a shard's file" in ran.err


@pytest.mark.parametrize(
    ("args", "path"),
    [
        (["resolve", "registry"], "registry/.predreg/resolve.lock"),
        (
            [
                "new",
                "registry",
                "--claim",
                "c",
                "--criteria",
                "c",
                "--resolve-by",
                "2030-01-01",
                "--probability",
                "0.5",
            ],
            "registry/predictions/forecaster-a/c.yaml",
        ),
        (["score", "registry", "-o", "registry/leaderboard.txt"], "registry/leaderboard.txt"),
    ],
)
def test_a_read_only_registry_is_one_line_naming_the_file_and_nothing_is_left(
    read_only: Path, world: Path, args: list[str], path: str
) -> None:
    before = sorted(read_only.rglob("*"))
    ran = run(Case(args, cwd="read-only", read_only=True), world)
    assert ran.code == cli.EXIT_USAGE
    _one_line(ran)
    assert path in ran.err and ("permission denied" in ran.err or "not writable" in ran.err)
    assert sorted(read_only.rglob("*")) == before


def test_an_unreadable_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    _make_world(tmp_path)
    locked = tmp_path / "registry" / "predictions" / "forecaster-a" / "on-shared.yaml"
    locked.chmod(0)
    probe = subprocess.run(
        [sys.executable, "-c", f"open({str(locked)!r}).read()"],
        capture_output=True,
        preexec_fn=_drop_override if os.geteuid() == 0 else None,
    )
    if probe.returncode == 0:
        pytest.skip("cannot make an unreadable file here")
    ran = run(Case(["check", "registry", "--today", TODAY.isoformat()], read_only=True), tmp_path)
    assert ran.code == cli.EXIT_PROBLEMS
    _no_traceback(ran)
    assert "on-shared.yaml:1:1: file: cannot be read; check its permissions" in ran.out


PLUGIN_OPTIONS = [
    "--predreg-today=tomorrow",
    "--predreg-today=2026-02-30",
    "--predreg-shard=0/0",
    "--predreg-shard=x",
    "--predreg-allow-loopback=10.0.0.1:80",
]


@pytest.mark.parametrize(
    ("option", "workers"),
    [*((option, []) for option in PLUGIN_OPTIONS), ("--predreg-today=tomorrow", ["-n", "2"])],
)
def test_a_bad_plugin_option_is_one_usage_error(world: Path, option: str, workers: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "registry", "-p", "no:cacheprovider", "-q", option, *workers],
        cwd=world,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout[-2000:]
    assert "Traceback" not in result.stdout + result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"ERROR: {option.split('=')[0]}")


# the last resort, and what the files module promises


def test_an_internal_error_is_one_line_and_a_traceback_in_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.delenv("PREDREG_DEBUG", raising=False)
    monkeypatch.setattr(cli, "walk", broken)  # the first step of the check: nothing is read, no index made
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    monkeypatch.chdir(DATA)
    assert cli.main(["check", "minimal"]) == 4  # its own code: not "problems found" (1)
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("predreg: internal error: RuntimeError: a bug; please report it with this command")
    [log] = tmp_path.glob("predreg-crash-*.txt")
    assert "predreg check minimal" in log.read_text() and 'raise RuntimeError("a bug")' in log.read_text()


def test_ctrl_c_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "walk", interrupted)
    monkeypatch.chdir(DATA)
    assert cli.main(["check", "minimal"]) == 130
    assert capsys.readouterr().err == "predreg: interrupted\n"


def _full_after(limit: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """os.write as on a disk with ``limit`` bytes free: a short write, then ENOSPC."""
    real = os.write
    left = [limit]

    def write(handle: int, data: Any) -> int:
        if left[0] <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written = real(handle, bytes(data[: left[0]]))
        left[0] -= written
        return written

    monkeypatch.setattr(os, "write", write)


def test_a_full_disk_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out" / "leaderboard.txt"
    _full_after(10, monkeypatch)
    with pytest.raises(WriteError) as raised:
        write_atomic(target, "x" * 100)
    assert str(raised.value) == f"{target}: cannot write: no space left on device"
    assert list(target.parent.iterdir()) == []


def test_a_full_disk_in_a_batch_leaves_only_whole_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = [(tmp_path / "a.yaml", "a" * 50), (tmp_path / "b.yaml", "b" * 50)]
    _full_after(60, monkeypatch)
    with pytest.raises(WriteError) as raised:
        create_many(files)
    assert raised.value.path == str(tmp_path / "b.yaml")
    assert list(tmp_path.iterdir()) == []


def test_a_write_error_survives_the_trip_from_the_helper_process() -> None:
    import pickle

    error = WriteError("registry/resolutions/q.yaml", "no space left on device", errno.ENOSPC)
    assert str(pickle.loads(pickle.dumps(error))) == str(error)


def test_under_a_non_utf8_locale_names_are_written_in_utf8(tmp_path: Path) -> None:
    script = tmp_path / "write.py"
    script.write_text(
        "from pathlib import Path\n"
        "from predreg.files import create_many, write_atomic\n"
        "write_atomic('zo\\u00eb/a.yaml', 'a')\n"
        "create_many([(Path('zo\\u00eb/b\\u00eb.yaml'), 'b')])\n",
        encoding="ascii",
    )
    env = {key: value for key, value in {**os.environ, **C_LOCALE}.items() if value != "<unset>"}
    subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, check=True)
    assert sorted(os.listdir(os.fsencode(tmp_path / "zoë"))) == [b"a.yaml", "bë.yaml".encode()]


def test_a_local_state_folder_that_is_a_file_is_named(world: Path) -> None:
    ran = run(Case(["resolve", "state-is-a-file"]), world)
    assert ran.code == cli.EXIT_USAGE
    _one_line(ran)
    assert "state-is-a-file/.predreg is a file, not a folder" in ran.err


def test_a_resolve_run_that_cannot_write_its_records_is_one_line(
    server: EvidenceServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_recorded(server)
    root = write_registry(
        tmp_path / "registry",
        {"card": {"name": "http", "url": f"http://{server.origin}/card", "contains": "sandbagging evaluations"}},
    )
    (root / "evidence").write_text("a file where the evidence folder belongs\n", encoding="utf-8")
    args = ["resolve", str(root), "--now", "2026-11-23T12:00:00Z", "--allow-loopback", server.origin]
    assert cli.main(args) == cli.EXIT_USAGE  # the writes happen in a helper process: the error comes back
    [line] = capsys.readouterr().err.splitlines()[-1:]
    assert line.startswith(f"predreg: {root / 'evidence'}") and "is a file, not a folder" in line
    assert not (root / "resolutions").exists() or list((root / "resolutions").iterdir()) == []


def test_the_plugin_under_a_non_utf8_locale_passes_a_unicode_registry(world: Path) -> None:
    env = {key: value for key, value in {**os.environ, **C_LOCALE}.items() if value != "<unset>"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "registry", "-p", "no:cacheprovider", "-q", f"--predreg-today={TODAY}"],
        cwd=world,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:]


@pytest.mark.parametrize("kept", ["not json\n", "{}\n"])
def test_a_corrupt_kept_commitment_is_one_line(tmp_path: Path, kept: str) -> None:
    _make_world(tmp_path)
    (tmp_path / "keep").mkdir()
    (tmp_path / "keep" / "hidden.json").write_text(kept, encoding="utf-8")
    ran = run(Case(["reveal", "hidden", "registry"]), tmp_path)
    assert ran.code == cli.EXIT_USAGE
    _one_line(ran)


def test_a_keep_folder_under_a_file_is_one_line(world: Path) -> None:
    args = ["commit", "registry", "--question", "shared-question", "--probability", "0.4", "--today", str(TODAY)]
    ran = run(Case([*args, "--keep", "not-a-registry/keep"]), world)
    assert ran.code == cli.EXIT_USAGE
    _one_line(ran)


RESOLVE_WORKFLOW = Path(cli.__file__).parent / "templates" / "github" / "workflows" / "predreg-resolve.yml"


def _resolve_step() -> str:
    """The resolve workflow's step that runs `predreg resolve`, as the template has it."""
    import yaml

    document = yaml.safe_load(RESOLVE_WORKFLOW.read_text(encoding="utf-8"))
    steps = [s for job in document["jobs"].values() for s in job["steps"] if "predreg resolve" in s.get("run", "")]
    [step] = steps
    return str(step["run"])


def _predreg_on_path(folder: Path, crash: bool) -> dict[str, str]:
    """An environment whose `predreg` is the real command line, or one with a bug of predreg's own in resolve."""
    folder.mkdir()
    bug = (
        "from predreg import resolve\n"
        "def broken(*args, **kwargs):\n"
        "    raise RuntimeError('a bug of predreg own')\n"
        "resolve.resolve_registry = broken\n"
    )
    script = folder / "predreg"
    script.write_text(
        f"#!{sys.executable}\nimport sys\n{bug if crash else ''}from predreg import cli\nsys.exit(cli.main())\n"
    )
    script.chmod(0o755)
    env = {key: value for key, value in os.environ.items() if key != "PREDREG_DEBUG"}
    return {**env, "PATH": f"{folder}{os.pathsep}{env.get('PATH', '')}"}


@pytest.mark.parametrize(("crash", "green"), [(True, False), (False, True)], ids=["crash", "resolver-error"])
def test_the_resolve_workflow_step_fails_on_a_crash_and_not_on_a_resolver_error(
    tmp_path: Path, crash: bool, green: bool
) -> None:
    # a loopback URL without --allow-loopback: refused before connecting, an ordinary resolver error (exit 1)
    write_registry(tmp_path / "registry", {"q": {"name": "http", "url": "http://127.0.0.1:9/", "contains": "x"}})
    env = _predreg_on_path(tmp_path / "bin", crash)
    step = subprocess.run(  # as GitHub runs a step's script: bash --noprofile --norc -eo pipefail
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", _resolve_step()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (step.returncode == 0) == green, (step.returncode, step.stderr)
    assert "Traceback" not in step.stderr
    if crash:
        assert "predreg: internal error: RuntimeError" in step.stderr
    else:
        assert json.loads((tmp_path / "resolve.json").read_text())["results"][0]["status"] == "error"


# the local state folder and a full disk, for resolve


@pytest.mark.parametrize("command", ["check", "score", "summary"])
def test_a_local_state_folder_that_is_a_file_leaves_the_readers_working(world: Path, command: str) -> None:
    ran = run(Case([command, "state-is-a-file"]), world)  # the index is a cache: it is skipped, not needed
    assert ran.code == cli.EXIT_OK, ran.err
    _no_traceback(ran)
    assert (world / "state-is-a-file" / ".predreg").read_text() == "where the local state folder belongs\n"


def _registry_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_lock_that_is_a_folder_is_one_line_naming_it(tmp_path: Path) -> None:
    _make_world(tmp_path)
    (tmp_path / "registry" / ".predreg" / "resolve.lock").mkdir(parents=True)
    before = _registered(tmp_path / "registry")
    ran = run(Case(["resolve", "registry"]), tmp_path)
    assert ran.code == cli.EXIT_USAGE
    _one_line(ran)
    assert ran.lines[0].startswith("predreg: registry/.predreg/resolve.lock: cannot write: is a directory;")
    assert "remove it" in ran.lines[0]
    assert _registered(tmp_path / "registry") == before


def _can_mount_in_a_namespace() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", "mount -t tmpfs tmpfs /mnt"]
    return subprocess.run(probe, capture_output=True).returncode == 0


MOUNTED = (
    'mkdir "$SAVED" && cp -a "$1/." "$SAVED/" && mount -t tmpfs -o "size=$2" tmpfs "$1" && cp -a "$SAVED/." "$1/" '
    "|| exit 99; "
    'folder=$1; shift 2; "$@"; code=$?; '
    '(cd "$folder" && find . -type f -exec sha256sum {} + | sort -k 2) > "$LISTING"; '
    "exit $code"
)
"""The folder copied onto a tmpfs just big enough for it (the full disk), the command, then what the tmpfs holds."""


def _registered(root: Path) -> dict[str, bytes]:
    return {name: data for name, data in _registry_files(root).items() if not name.startswith(".predreg")}


def _pages(folder: Path, spare: int) -> int:
    """The bytes of a tmpfs that holds ``folder``'s files and ``spare`` pages more."""
    page = 4096
    used = sum(-(-p.stat().st_size // page) or 1 for p in folder.rglob("*") if p.is_file())
    return (used + len([p for p in folder.rglob("*") if p.is_dir()]) + spare) * page


def _listing(folder: Path) -> str:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  ./{p.relative_to(folder)}\n" for p in files)


@pytest.mark.parametrize("full", ["evidence", "resolutions", ".predreg"])
def test_a_full_disk_during_resolve_is_one_line_and_loses_nothing(
    server: EvidenceServer, tmp_path: Path, full: str
) -> None:
    if not _can_mount_in_a_namespace():
        pytest.skip("cannot mount a small tmpfs here (no user namespaces): it stands for the full disk")
    from .evidence_server import body

    server.routes["/small"] = body("<p>passed</p>")
    server.routes["/big"] = body("<p>passed</p>" + "<!-- padding -->" * 1000)  # 16 KB: more than is left
    done = {"a-done": {"name": "http", "url": server.url("/small"), "contains": "passed"}}
    root = write_registry(tmp_path / "registry", done)
    assert cli.main(["resolve", str(root), "--allow-loopback", server.origin]) == cli.EXIT_OK
    write_registry(root, {**done, "b-new": {"name": "http", "url": server.url("/big"), "contains": "passed"}})
    before = _registered(root)
    held = _listing(root / full)
    listing = tmp_path / "listing"
    size = str(_pages(root / full, spare=0))
    command = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", MOUNTED, "sh", str(root / full), size]
    command += [sys.executable, "-m", "predreg.cli", "resolve", str(root), "--allow-loopback", server.origin]
    env = {key: value for key, value in os.environ.items() if key != "PREDREG_DEBUG"}
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**env, "LISTING": str(listing), "SAVED": str(tmp_path / "saved")},
        timeout=120,
    )
    ran = Ran(result.returncode, result.stdout, result.stderr)
    assert ran.code == cli.EXIT_USAGE, ran.err
    _no_traceback(ran)
    assert ran.lines[-1].startswith("predreg: ") and "no space left on device; free some space" in ran.lines[-1]
    after = listing.read_text()
    assert ".tmp" not in after  # on the full disk: nothing half-written left behind
    if full == ".predreg":  # local state: the lock and the index may change, but stay
        assert {line.split()[1] for line in held.splitlines()} <= {line.split()[1] for line in after.splitlines()}
    else:
        assert sorted(after.splitlines()) == sorted(held.splitlines())  # nothing registered lost or changed
    registered = _registered(root)
    assert {name: registered.get(name) for name in before} == before  # nothing registered lost or changed
    if full == ".predreg":  # the records were written; only the run's summary could not be kept
        assert "resolutions/b-new.yaml" in registered and "last-run.json: cannot write" in ran.lines[-1]
        assert "resolved 1" in ran.out


def test_a_full_disk_taking_the_resolve_lock_is_a_write_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from predreg.files import locked

    _full_after(0, monkeypatch)
    with pytest.raises(WriteError) as raised, locked(tmp_path / ".predreg" / "resolve.lock"):
        pass
    assert str(raised.value) == f"{tmp_path / '.predreg' / 'resolve.lock'}: cannot write: no space left on device"
