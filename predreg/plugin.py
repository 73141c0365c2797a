"""The pytest plugin: every registry file is a test item; a bad file is a failing item.

Installed through the ``pytest11`` entry point as ``predreg``; switch it off with
``-p no:predreg``. ``pytest registry/`` collects ``authors.yaml``, each question, each
prediction and each resolution as an item with node id ``<path>::<id>``. The registry
is checked once per process (the same ``check_registry`` the CLI runs) and each item
reports the problems of its own file, one line each, exactly as ``predreg check``.

With ``--predreg-resolve`` each question's item also resolves it, as ``predreg
resolve`` would, and reports RESOLVED-YES / RESOLVED-NO / PENDING / OVERDUE (or fails
with the resolver's error). Under pytest-xdist the process that runs a question's
item is its one owner: it alone writes that question's record.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import attrs
import pytest

from . import leaderboard, plugins
from .checks import check_registry
from .parallel import collector_paused
from .problems import Problem
from .registry import Layout, Registry, locate, parse_shard, walk
from .reports import leaderboard_text
from .shard import check_shard, shard_of

_registries_key = pytest.StashKey[dict[Path, Registry]]()
_problems_key = pytest.StashKey[dict[Path, dict[Path, list[str]]]]()
_roots_key = pytest.StashKey[dict[Path, bool]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("predreg", "prediction registry")
    group.addoption(
        "--predreg-today",
        metavar="YYYY-MM-DD",
        help="check the registry as of this UTC date (default: today)",
    )
    group.addoption(
        "--predreg-shard",
        metavar="I/N",
        help="collect only the registry files of shard I of N (chosen by a hash of each path, before parsing)",
    )
    group.addoption(
        "--predreg-resolve",
        action="store_true",
        help="also resolve each unresolved question through its resolver, writing the records",
    )
    group.addoption(
        "--predreg-allow-loopback",
        action="append",
        default=[],
        metavar="HOST:PORT",
        help="with --predreg-resolve: also fetch from this loopback origin (a local test server)",
    )


def pytest_configure(config: pytest.Config) -> None:
    _check_options(config)
    config.stash[_problems_key] = {}
    config.stash[_registries_key] = {}
    config.stash[_roots_key] = {}


def _check_options(config: pytest.Config) -> None:
    """Refuse a bad option once, at the start, as ``predreg`` would: not as an error in every item."""
    from .fetch import loopback_origin

    today = config.getoption("predreg_today")
    if today:
        try:
            dt.date.fromisoformat(today)
        except ValueError:
            raise pytest.UsageError(f"--predreg-today: {today!r} is not a date; write YYYY-MM-DD") from None
    _shard(config)
    for origin in config.getoption("predreg_allow_loopback"):
        try:
            loopback_origin(origin)
        except ValueError as error:
            raise pytest.UsageError(f"--predreg-allow-loopback {error}") from None


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Any:
    """Collection builds an item per registry file: with the collector paused, as the CLI loads them."""
    with collector_paused():
        return (yield)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    found = locate(file_path)
    if found is None:
        return None
    root, kind = found
    roots = parent.config.stash[_roots_key]
    if root not in roots:  # a registry has a predictions folder; other YAML is not ours
        roots[root] = (root / "predictions").is_dir()
    if not roots[root] or _behind_a_link(file_path, root):
        return None
    shard = _shard(parent.config)
    if shard is not None and shard_of(os.path.relpath(file_path, root), shard[1]) != shard[0]:
        return None
    return RegistryFile.from_parent(parent, path=file_path, root=root, kind=kind)


def _behind_a_link(path: Path, root: Path) -> bool:
    """Whether a folder between ``root`` and ``path`` is a symbolic link: pytest walks into one, predreg does not.

    The files behind it live outside the registry; ``predreg check`` reports the link, on the run's first item.
    """
    return any(folder.is_symlink() for folder in path.parents[: len(path.relative_to(root).parts) - 1])


def _shard(config: pytest.Config) -> tuple[int, int] | None:
    option = config.getoption("predreg_shard")
    if not option:
        return None
    try:
        return parse_shard(option)
    except ValueError:
        raise pytest.UsageError(f"--predreg-shard: {option!r}: write I/N with 1 <= I <= N, e.g. 2/7") from None


class RegistryFile(pytest.File):
    """One registry file, holding one item named after the record's id."""

    def __init__(self, *, root: Path, kind: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.root = root
        self.kind = kind

    def collect(self) -> list[RegistryItem]:
        name = "authors" if self.kind == "authors" else self.path.name.removesuffix(".yaml")
        return [RegistryItem.from_parent(self, name=name)]


class RegistryProblems(Exception):
    """Raised by an item whose file has problems."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


class RegistryItem(pytest.Item):
    """A registry record that passes when its file has no problems."""

    parent: RegistryFile

    def runtest(self) -> None:
        lines = _problems_by_file(self.config, self.parent.root).get(self.path)
        if lines:
            raise RegistryProblems(lines)
        if self.config.getoption("predreg_resolve") and self.parent.kind in ("question", "prediction"):
            self._resolve()

    def _resolve(self) -> None:
        from .resolve import resolve_question

        registry = _checked(self.config, self.parent.root)
        question = registry.questions.get(self.name)
        if question is None:  # a prediction on a shared question: that question's own item resolves it
            return
        recorded = registry.resolution(question.id)
        if recorded is not None:
            self.user_properties.append(("predreg", f"RESOLVED-{str(recorded.outcome).upper()}"))
            return
        now = dt.datetime.now(dt.UTC)
        result = resolve_question(self.parent.root, question, _session(self.config, self.parent.root), now, False)
        if result.status == "error":
            raise RegistryProblems([f"{os.path.relpath(self.path)}: {question.resolver.name}: {result.verdict.reason}"])
        word = (
            f"RESOLVED-{str(result.verdict.outcome).upper()}" if result.status == "resolved" else result.status.upper()
        )
        self.user_properties.append(("predreg", word))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, RegistryProblems):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.parent.kind} {self.name}"


def _problems_by_file(config: pytest.Config, root: Path) -> dict[Path, list[str]]:
    """Check a registry once per process; its problems as lines, per file.

    Problems of files that are not items (a missing authors.yaml, a stray ``.yml``, a
    FIFO or a dangling link named like a record) go to the registry's first item,
    so that pytest fails whenever ``predreg check`` does.
    """
    cache = config.stash[_problems_key]
    if root not in cache:
        registry = _checked(config, root)
        # pytest collects what is a file once links are followed: not a FIFO, a folder or a dangling link
        files = [path for path in map(Path, registry.paths) if path.is_file()]
        items = set(files)
        by_file: dict[Path, list[str]] = {}
        for problem in registry.problems:
            path = Path(problem.path)
            owner = path if path in items or not files else files[0]
            by_file.setdefault(owner, []).append(_shown(problem))
        cache[root] = by_file
    return cache[root]


_sessions_key = pytest.StashKey[dict[Path, Any]]()


def _session(config: pytest.Config, root: Path) -> Any:
    """One fetch session per registry and process, so each URL is fetched once per process."""
    from .fetch import Session, loopback_origin

    sessions = config.stash.setdefault(_sessions_key, {})
    if root not in sessions:
        origins = [loopback_origin(origin) for origin in config.getoption("predreg_allow_loopback")]
        sessions[root] = Session(allow_loopback=origins, cache=Layout(str(root)).local("http"))
    return sessions[root]


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> tuple[str, str, str] | None:
    """RESOLVED-YES, PENDING, OVERDUE ... instead of PASSED for a question that --predreg-resolve asked about."""
    if report.when != "call" or not report.passed:
        return None
    word = dict(report.user_properties).get("predreg")
    if not isinstance(word, str):
        return None
    return (
        word.split("-")[0].lower(),
        {"RESOLVED": "R", "PENDING": "p", "OVERDUE": "o"}.get(word.split("-")[0], "."),
        word,
    )


def _checked(config: pytest.Config, root: Path) -> Registry:
    """The registry at ``root``, checked once per process."""
    cache = config.stash[_registries_key]
    if root not in cache:
        option = config.getoption("predreg_today")
        today = dt.date.fromisoformat(option) if option else dt.datetime.now(dt.UTC).date()
        shard = _shard(config)
        if shard is None:
            cache[root] = check_registry(walk(str(root)), today=today, resolvers=plugins.catalogue())
        else:  # this shard's files, checked with what they refer to; problems of other files are theirs
            part = check_shard(str(root), *shard, today=today)
            cache[root] = attrs.evolve(
                part.registry, problems=part.problems, paths=tuple(item.path for item in part.files)
            )
    return cache[root]


def _shown(problem: Problem) -> str:
    """The CLI's line, with the path relative to where pytest was started."""
    path = os.path.relpath(problem.path)
    return str(Problem(path, problem.line, problem.col, problem.field, problem.message, problem.hint))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Print each tested registry's leaderboard once, on the controller.

    Under pytest-xdist the controller collects nothing itself, so the registries are
    found from the node ids of the reports the workers sent back. Scores are a
    reduce step over the whole registry, never computed per worker.
    """
    if hasattr(config, "workerinput"):
        return
    roots = set()
    for reports in terminalreporter.stats.values():
        for report in reports:
            nodeid = getattr(report, "nodeid", "")
            if "::" not in nodeid:
                continue
            found = locate(config.rootpath / nodeid.split("::", 1)[0])
            if found is not None and (found[0] / "predictions").is_dir():
                roots.add(found[0])
    option = config.getoption("predreg_today")
    today = dt.date.fromisoformat(option) if option else None
    if _shard(config) is not None:
        if roots:
            terminalreporter.write_line("predreg: one shard of the registry; merge the shards to score them")
        return
    for root in sorted(roots):
        if config.getoption("predreg_resolve"):  # the run may have added resolutions: score what is there now
            config.stash[_registries_key].pop(root, None)
        board = leaderboard.build(_checked(config, root), today=today)
        terminalreporter.write_sep("=", f"predreg leaderboard: {os.path.relpath(root)}")
        terminalreporter.write_line(leaderboard_text(board))
