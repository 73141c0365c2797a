"""The persistent index never serves stale data: files modified, added, renamed and deleted between runs."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from benchmarks.synthetic import make_registry
from predreg import check_registry, load, parallel
from predreg import index as index_module

from .conftest import DATA

TODAY = dt.date(2026, 11, 23)


def same(root: Path) -> None:
    """The check through the index equals the check that parses every file."""
    fresh = check_registry(str(root), today=TODAY)
    through = check_registry(str(root), today=TODAY, index=True)
    assert through.problems == fresh.problems
    assert through.predictions == fresh.predictions
    assert through.questions == fresh.questions
    assert through.resolutions == fresh.resolutions


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "registry"
    make_registry(root, 120, authors=6)
    shutil.copy(DATA / "invalid" / "probability-yes.yaml", root / "predictions" / "author-0001")
    return root


def file(root: Path, n: int) -> Path:
    return root / "predictions" / f"author-{n % 6:04d}" / f"synthetic-{n:07d}.yaml"


@pytest.mark.parametrize("racy", [True, False], ids=["within-the-clock", "rows-old-enough-to-trust-stat"])
def test_changes_between_runs_are_always_seen(registry: Path, monkeypatch: pytest.MonkeyPatch, racy: bool) -> None:
    if not racy:  # rows count as written long after the files: the stat fast path is taken
        monkeypatch.setattr(index_module, "RACY_NS", -(10**18))
    same(registry)  # builds the index
    same(registry)  # served from it
    # a same-size edit, with the mtime put back: only the content (and ctime) tell
    target = file(registry, 7)
    stat = target.stat()
    text = target.read_text()
    start = text.index("registered: ")
    edited = text[:start] + "registered: 2099-01-01" + text[start + len("registered: 2026-11-23") :]
    assert len(edited) == len(text)
    target.write_text(edited)
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert target.stat().st_size == stat.st_size and target.stat().st_mtime_ns == stat.st_mtime_ns
    same(registry)
    assert any(p.field == "registered" for p in check_registry(str(registry), today=TODAY, index=True).problems)
    # an added file, a deleted file, a renamed file, a file made unreadable as YAML
    shutil.copy(file(registry, 8), file(registry, 8).with_name("synthetic-9999999.yaml"))
    file(registry, 9).unlink()
    file(registry, 10).rename(file(registry, 10).with_name("renamed.yaml"))
    file(registry, 11).write_bytes(b"id: [unclosed\n")
    same(registry)
    # a fixed file comes back clean
    file(registry, 11).write_text("id: synthetic-0000011\n")
    same(registry)


def test_a_broken_index_is_rebuilt_or_ignored(registry: Path) -> None:
    same(registry)
    database = registry / ".predreg" / "index.sqlite"
    database.write_bytes(b"this is not a database")
    same(registry)
    shutil.rmtree(registry / ".predreg")
    same(registry)  # deleting it only costs time


def test_an_index_copied_in_from_elsewhere_is_not_believed(registry: Path) -> None:
    same(registry)  # builds the index; the invalid file's row records its problem
    database = registry / ".predreg" / "index.sqlite"
    bad = next((registry / "predictions").rglob("probability-yes.yaml"))
    with sqlite3.connect(database) as db:  # a forged row: the right blob, no problems
        (loaded,) = db.execute("SELECT loaded FROM files WHERE path = ?", (str(bad),)).fetchone()
        forged = json.dumps({**json.loads(loaded), "problems": []})
        db.execute("UPDATE files SET loaded = ? WHERE path = ?", (forged, str(bad)))
    db.close()
    # as a committed index arrives: the same bytes in a file of its own
    copy = database.with_name("copy.sqlite")
    shutil.copyfile(database, copy)
    os.replace(copy, database)
    assert any(p.path == str(bad) for p in check_registry(str(registry), today=TODAY, index=True).problems)
    same(registry)


def test_unchanged_files_are_not_read_again(registry: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_module, "RACY_NS", -(10**18))
    check_registry(str(registry), today=TODAY, index=True)
    opened: list[str] = []
    real_open = open

    def counting_open(path: object, *args: object, **kwargs: object) -> object:
        opened.append(str(path))
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", counting_open)
    check_registry(str(registry), today=TODAY, index=True)
    assert [p for p in opened if p.endswith(".yaml")] == []


def test_parsing_on_every_core_gives_what_one_process_gives(registry: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if parallel.cores() < 2:
        pytest.skip("one core: nothing is parsed in worker processes")
    one = check_registry(str(registry), today=TODAY)
    monkeypatch.setattr(load, "PARALLEL_FILES", 1)  # worker processes even for this small registry
    pieces: list[int] = []
    split_map = parallel.split_map

    def counted(*args: Any) -> Any:
        results = split_map(*args)
        pieces.append(len(results))
        return results

    monkeypatch.setattr(parallel, "split_map", counted)
    for index in (False, True, True):  # no index; index built (parsed in workers); index served
        every = check_registry(str(registry), today=TODAY, index=index)
        assert every.problems == one.problems
        assert every.predictions == one.predictions
        assert every.questions == one.questions
        assert every.resolutions == one.resolutions
    assert pieces == [2 * load.PIECES_PER_CORE] * 2  # the first two parsed in pieces; the third parsed nothing
