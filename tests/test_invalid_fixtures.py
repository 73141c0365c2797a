"""Each file in tests/data/invalid is refused with exactly the message beside it.

The fixtures are the error catalogue of the README: seed rows 7, 11 and 12 (claims
that cannot be registered as stated) and every kind of bad input the loader refuses.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import DATA, check

FIXTURES = sorted((DATA / "invalid").glob("*.yaml"))


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_invalid_fixture_gives_its_documented_message(
    fixture: Path, minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(fixture, minimal_registry / "predictions" / "forecaster-a")
    code, out = check(capsys)
    assert code == 1
    assert out == fixture.with_suffix(".expected").read_text(encoding="utf-8")
    assert "Traceback" not in out


def test_every_message_names_file_line_and_field() -> None:
    for expected in (DATA / "invalid").glob("*.expected"):
        for line in expected.read_text(encoding="utf-8").splitlines():
            path, row, col, field, message = line.split(":", 4)
            assert path.endswith(".yaml")
            assert int(row) >= 1 and int(col) >= 1
            assert field.strip() and message.strip()


def test_the_minimal_registry_alone_is_valid(minimal_registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check(capsys) == (0, "")
