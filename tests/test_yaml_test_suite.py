"""Every `in.yaml` of the official yaml-test-suite (MIT), read as a prediction by the real loader.

The suite holds 402 inputs that stretch YAML every way it can be stretched, valid and
not. As a prediction each must give a record or problems that are each one line,
located inside the file, with no control character, and never a traceback. In CI the
suite sits at ``../shared/yaml-test-suite/`` beside the repository; elsewhere the
test is skipped.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from predreg import safeyaml
from predreg.load import load_file

from .conftest import REPO, check

SUITE = REPO.parent / "shared" / "yaml-test-suite"
CASES = sorted(SUITE.glob("**/in.yaml")) if SUITE.is_dir() else []

pytestmark = pytest.mark.skipif(not CASES, reason=f"the yaml-test-suite is not at {SUITE}")

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
EDITOR_LINES = re.compile("\r\n|[\r\n]")


def case_id(path: Path) -> str:
    return path.parent.relative_to(SUITE).as_posix()


def cases() -> list[object]:
    """Every case with each parser."""
    return [
        pytest.param(parser, path, id=f"{parser}-{case_id(path)}")
        for parser in ("libyaml", "pure-python")
        for path in CASES
    ]


def located_one_line(line: str, path: str, text: str | None) -> str | None:
    """What is wrong with a problem's line, or None: located in the file, one line, no control character."""
    if not line.startswith(f"{path}:"):
        return "does not start with the file's path"
    place = re.match(r"(\d+):(\d+): ", line[len(path) + 1 :])
    if place is None:
        return "has no line:col"
    if CONTROL.search(line):
        return "holds a control character or a line break"
    if text is not None and int(place[1]) > len(EDITOR_LINES.split(text)):
        return "names a line past the end of the file"
    return None


@pytest.mark.parametrize(("parser", "case"), cases())
def test_each_input_is_a_record_or_one_line_located_problems(
    parser: str, case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if parser == "pure-python":
        monkeypatch.setattr(safeyaml, "_Loader", yaml.SafeLoader)
    loaded = load_file(str(case), "prediction")
    assert loaded.record is not None or loaded.problems
    try:
        text: str | None = case.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        text = None
    wrong = {str(p): located_one_line(str(p), str(case), text) for p in loaded.problems}
    assert {line: why for line, why in wrong.items() if why} == {}


SAMPLE = ["2JQS", "4ABK", "6BCT", "6CK3", "9MMA", "CVW2", "H7TQ", "J7PZ", "RZP5", "X4QW", "ZXT5", "U3C3"]
"""A few of the suite's cases (duplicate and empty keys, tabs, a tag, a comment, flow, several documents)."""


def test_a_registry_of_suite_inputs_is_checked_line_by_line(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = minimal_registry / "predictions" / "forecaster-a"
    for name in SAMPLE:
        shutil.copy(SUITE / name / "in.yaml", folder / f"suite-{name.lower()}.yaml")
    code, out = check(capsys)
    assert code == 1
    lines = out.splitlines()
    assert {line.split(":", 1)[0] for line in lines} == {
        f"registry/predictions/forecaster-a/suite-{name.lower()}.yaml" for name in SAMPLE
    }
    assert [line for line in lines if located_one_line(line, line.split(":", 1)[0], None)] == []
