"""docs/security.md claims a test for each defence: every test it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "security.md"


def named_tests() -> list[tuple[str, str]]:
    """(test file, test function) for each test named in a table row; a bare `::name` is in the row's last file."""
    found = []
    for line in DOC.read_text().splitlines():
        if not line.startswith("|"):
            continue
        current = None
        for file, name in re.findall(r"`(?:(test_\w+\.py))?(?:::(test_\w+))?`", line):
            if file:
                current = file
            if name:
                assert current, f"`::{name}` names no file before it: {line}"
                found.append((current, name))
    return found


def test_every_test_the_security_page_names_exists() -> None:
    named = named_tests()
    assert len(named) > 30
    missing = [
        f"{file}::{name}"
        for file, name in named
        if not re.search(rf"^(async )?def {name}\(", (ROOT / "tests" / file).read_text(), re.M)
    ]
    assert missing == []


def test_every_test_file_the_security_page_names_exists() -> None:
    files = set(re.findall(r"`(test_\w+\.py)", DOC.read_text()))
    assert files and sorted(f for f in files if not (ROOT / "tests" / f).exists()) == []
