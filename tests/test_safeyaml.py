"""The safe YAML reader: what it refuses, how fast, and that both parsers agree."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from predreg import safeyaml
from predreg.problems import Problems

from .conftest import DATA


@pytest.fixture(params=["libyaml", "pure-python"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with libyaml's C parser and with PyYAML's pure-Python one."""
    if request.param == "pure-python":
        monkeypatch.setattr(safeyaml, "_Loader", yaml.SafeLoader)
    return str(request.param)


def parse(text: str) -> tuple[safeyaml.Node | None, list[str]]:
    problems = Problems("f.yaml")
    node = safeyaml.parse(text, problems)
    return node, [str(p) for p in problems.items]


def read(path: Path) -> tuple[safeyaml.Node | None, list[str]]:
    problems = Problems(str(path))
    text = safeyaml.read_text(path, problems)
    node = safeyaml.parse(text, problems) if text is not None else None
    return node, [str(p) for p in problems.items]


def test_nodes_keep_text_plainness_and_position(parser: str) -> None:
    node, problems = parse("a: 0.7\nb: '0.7'\nc: [x, y]\n")
    assert problems == []
    assert isinstance(node, safeyaml.Mapping)
    a, b, c = node["a"], node["b"], node["c"]
    assert isinstance(a, safeyaml.Scalar) and (a.text, a.plain, a.at) == ("0.7", True, (1, 4))
    assert isinstance(b, safeyaml.Scalar) and (b.text, b.plain) == ("0.7", False)
    assert isinstance(c, safeyaml.Sequence) and [s.text for s in c] == ["x", "y"]  # type: ignore[union-attr]
    assert node.key_at == {"a": (1, 1), "b": (2, 1), "c": (3, 1)}


def test_keys_stay_text_even_when_yaml_1_1_would_make_them_booleans(parser: str) -> None:
    node, _ = parse("yes: 0.5\nno: 0.5\n")
    assert isinstance(node, safeyaml.Mapping) and list(node) == ["yes", "no"]


@pytest.mark.parametrize("name", ["alias-bomb", "deep-nesting"])
def test_hostile_files_are_refused_before_they_are_expanded(name: str, parser: str) -> None:
    # a guard against a hang, not a timing: expanded, the bomb would take minutes and gigabytes;
    # refused at its first alias or 33rd level it takes milliseconds (benchmarks/ has the figures)
    start = time.perf_counter()
    node, problems = read(DATA / "invalid" / f"{name}.yaml")
    assert time.perf_counter() - start < 20
    assert node is None
    assert len(problems) == 1 and "yaml:" in problems[0]


def test_an_alias_is_refused_even_when_its_anchor_is_missing(parser: str) -> None:
    _, problems = parse("a: [1, 2]\nb: *a\n")
    assert problems == [
        "f.yaml:2:4: yaml: uses the alias *a; aliases are not allowed in a registry; write the value out in full"
    ]


def test_alias_is_refused_even_after_a_harmless_anchor_is_refused_first(parser: str) -> None:
    _, problems = parse("a: &x 1\nb: *x\n")
    assert problems == [
        "f.yaml:1:4: yaml: uses the anchor &x; anchors and aliases are not allowed in a registry; write each value out"
    ]


def test_thirty_two_levels_are_allowed_and_thirty_three_are_not(parser: str) -> None:
    node, problems = parse("[" * 32 + "]" * 32)
    assert problems == [] and node is not None
    _, problems = parse("[" * 33 + "]" * 33)
    assert problems == [
        "f.yaml:1:33: yaml: nests deeper than 32 levels; a prediction needs two or three levels; flatten the file"
    ]


def test_a_file_of_exactly_64_kib_is_read_and_one_byte_more_is_not(tmp_path: Path) -> None:
    exact = tmp_path / "exact.yaml"
    exact.write_bytes(b"a: " + b"x" * (64 * 1024 - 4) + b"\n")
    assert read(exact)[1] == []
    exact.write_bytes(b"a: " + b"x" * (64 * 1024 - 3) + b"\n")
    assert read(exact)[1] == [
        f"{exact}:1:1: file: is over 64 KiB; a prediction is a few hundred bytes; move long text to a linked page"
    ]


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfclaim: caf\xc3\xa9\n")
    node, problems = read(path)
    assert problems == [] and isinstance(node, safeyaml.Mapping)
    assert node["claim"].text == "café"  # type: ignore[union-attr]


def test_a_control_character_is_refused_with_its_position(parser: str) -> None:
    _, problems = parse("a: 1\nb: x\x07y\n")
    assert problems == ["f.yaml:2:5: yaml: contains the control character U+0007; remove it"]


def test_a_syntax_error_names_line_and_column(parser: str) -> None:
    _, problems = parse("a: 1\n  b: 2\n")
    # libyaml and pure-Python PyYAML word this one differently; the place is the same
    assert len(problems) == 1 and problems[0].startswith("f.yaml:2:4: yaml: mapping values are not allowed")


def test_a_mapping_as_a_key_is_refused(parser: str) -> None:
    _, problems = parse("? {a: 1}\n: 2\n")
    assert problems == ["f.yaml:1:3: yaml: a key must be a plain word; write `name: value`"]


def test_a_duplicate_key_keeps_the_first_value_and_is_reported(parser: str) -> None:
    node, problems = parse("p: 1\np: 2\n")
    assert isinstance(node, safeyaml.Mapping) and node["p"].text == "1"  # type: ignore[union-attr]
    assert problems == ["f.yaml:2:1: p: duplicate key (first written on line 1); keep one of the two"]


def test_both_parsers_give_identical_problems_for_every_invalid_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    fixtures = sorted((DATA / "invalid").glob("*.yaml"))
    with_libyaml = [read(path)[1] for path in fixtures]
    monkeypatch.setattr(safeyaml, "_Loader", yaml.SafeLoader)
    assert [read(path)[1] for path in fixtures] == with_libyaml


class _ShallowLibyaml(yaml.CSafeLoader):  # type: ignore[misc]
    """A libyaml build with a low nesting limit of its own, refusing in its scanner as PyYAML 6.0.4's does."""

    def get_event(self) -> yaml.Event:
        if self.check_token(yaml.FlowSequenceStartToken) and self.peek_token().start_mark.column > 8:
            raise yaml.scanner.ScannerError(
                "while increasing flow level", None, "exceeded maximum nesting depth", self.peek_token().start_mark
            )
        return super().get_event()


def test_deep_nesting_gets_predregs_message_whatever_libyaml_stops_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """A libyaml that refuses deep nesting in its own words, before predreg sees the 33rd level."""
    text = "id: deep\nrationale: " + "[" * 40 + "]" * 40 + "\n"
    monkeypatch.setattr(safeyaml, "_Loader", _ShallowLibyaml)
    node, problems = parse(text)
    assert node is None
    assert problems == [
        "f.yaml:2:43: yaml: nests deeper than 32 levels; a prediction needs two or three levels; flatten the file"
    ]


def test_problems_found_before_libyaml_refused_are_not_reported_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "p: 1\np: 2\nq: [\n"
    _, with_libyaml = parse(text)
    monkeypatch.setattr(safeyaml, "_Loader", yaml.SafeLoader)
    assert parse(text)[1] == with_libyaml
    assert sum("duplicate key" in line for line in with_libyaml) == 1


def test_libyamls_nesting_limit_is_answered_without_the_slow_pure_python_parser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Attack: files of 2,000 open brackets, which cost the pure-Python scanner a quarter of a second each."""

    class Refused(yaml.SafeLoader):
        def __init__(self, text: str) -> None:
            raise AssertionError("the pure-Python parser was asked")

    monkeypatch.setattr(yaml, "SafeLoader", Refused)
    for loader in (yaml.CSafeLoader, _LimitedLibyaml):
        monkeypatch.setattr(safeyaml, "_Loader", loader)
        node, problems = read(DATA / "invalid" / "deep-nesting.yaml")
        assert (
            node is None
            and len(problems) == 1
            and problems[0].endswith(
                ":2:43: yaml: nests deeper than 32 levels; a prediction needs two or three levels; flatten the file"
            )
        )


class _LimitedLibyaml(yaml.CSafeLoader):  # type: ignore[misc]
    """libyaml as PyYAML 6.0.4 builds it, whatever is installed: flow nesting stops at 1,000 levels, in the scanner."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._text = text

    def get_event(self) -> yaml.Event:
        lines = self._text.split("\n")
        for number, line in enumerate(lines):
            if line.count("[") > 1000:
                column = [i for i, c in enumerate(line) if c == "["][1000]
                mark = yaml.Mark("<text>", 0, number, column, None, None)
                raise yaml.scanner.ScannerError(
                    "while increasing flow level", mark, "exceeded maximum nesting depth", mark
                )
        return super().get_event()


# Positions are where an editor shows them: lines end at \n, \r\n or \r only, and a
# column counts characters, not bytes. YAML 1.1 parsers (libyaml, PyYAML) also end a
# line at U+0085, U+2028 and U+2029, which an editor shows inside a line; libyaml
# gives the place of a bad character as a byte offset.


def test_a_control_character_after_non_ascii_text_is_placed_by_characters(parser: str) -> None:
    _, problems = parse("é: 1\nclaim: café 😀\x07\n")
    assert problems == ["f.yaml:2:14: yaml: contains the control character U+0007; remove it"]


def test_a_control_character_in_a_file_of_carriage_returns_is_on_its_line(parser: str) -> None:
    _, problems = parse("a: 1\rb: x\x07y\r")
    assert problems == ["f.yaml:2:5: yaml: contains the control character U+0007; remove it"]


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"], ids=["U+2028", "U+2029", "U+0085"])
def test_a_unicode_line_separator_does_not_shift_the_lines_after_it(parser: str, separator: str) -> None:
    node, problems = parse(f"a: 'x{separator}y'\nb: \"x{separator}y\"\np: 1\np: 2\n")
    assert problems == ["f.yaml:4:1: p: duplicate key (first written on line 3); keep one of the two"]
    assert isinstance(node, safeyaml.Mapping) and node.key_at == {"a": (1, 1), "b": (2, 1), "p": (3, 1)}
    assert node["b"].at == (2, 4)  # type: ignore[union-attr]


@pytest.mark.parametrize("separator", ["\u2028", "\x85"], ids=["U+2028", "U+0085"])
def test_a_syntax_error_after_a_unicode_line_separator_is_placed_as_an_editor_shows_it(
    parser: str, separator: str
) -> None:
    _, problems = parse(f"a: 'x{separator}y'\nb: 1\n  c: 2\n")
    assert len(problems) == 1 and problems[0].startswith("f.yaml:3:4: yaml: mapping values are not allowed")


def test_carriage_returns_end_lines_as_newlines_do(parser: str) -> None:
    _, problems = parse("a: 1\r\np: 1\rp: 2\r")
    assert problems == ["f.yaml:3:1: p: duplicate key (first written on line 2); keep one of the two"]


def test_a_byte_that_is_not_utf8_after_non_ascii_text_is_placed_by_characters(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes("a: 1\rclaim: café 😀 ".encode() + b"\xff")
    _, problems = read(path)
    assert problems == [f"{path}:2:15: file: is not UTF-8 (byte 0xff); save the file as UTF-8"]


def test_deep_nesting_after_unicode_line_separators_is_refused_not_a_crash(parser: str) -> None:
    """libyaml stops at its own nesting limit on a line it numbers past the text's last newline."""
    _, problems = parse("a: '\u2028\u2028\u2028'\nb: " + "[" * 1100)
    assert problems == [
        "f.yaml:2:" + str(4 + safeyaml.MAX_DEPTH - 1) + ": yaml: nests deeper than 32 levels;"
        " a prediction needs two or three levels; flatten the file"
    ]
