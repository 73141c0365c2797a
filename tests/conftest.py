from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from predreg.cli import main

from .evidence_server import EvidenceServer, serving

# a bug raises in the tests, in-process and in every `predreg` they start, instead of
# becoming main()'s one-line "internal error" (which a test expecting exit 1 could miss)
os.environ.setdefault("PREDREG_DEBUG", "1")

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parent.parent
EXAMPLE_REGISTRY = REPO / "registry"
TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def minimal_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of tests/data/minimal as ./registry, with the working directory beside it."""
    target = tmp_path / "registry"
    shutil.copytree(DATA / "minimal", target)
    monkeypatch.chdir(tmp_path)
    return target


@pytest.fixture
def example_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the bundled example registry as ./registry."""
    target = tmp_path / "registry"
    shutil.copytree(EXAMPLE_REGISTRY, target)
    monkeypatch.chdir(tmp_path)
    return target


def check(capsys: pytest.CaptureFixture[str], registry: str = "registry", *extra: str) -> tuple[int, str]:
    """Run `predreg check` in-process; return its exit code and standard output."""
    code = main(["check", registry, "--today", TODAY.isoformat(), "-q", *extra])
    return code, capsys.readouterr().out


@pytest.fixture
def server() -> Iterator[EvidenceServer]:
    """A real HTTP server on 127.0.0.1 (loopback only) serving routes the test sets."""
    with serving() as running:
        yield running
