"""User text in messages: one line, nothing a terminal, a job log or a PR comment would act on.

A registry's keys, values and file names are written by whoever opens a pull request;
each attack below puts something in them that predreg used to print as it was.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from predreg import comment, pr
from predreg.load import load_text
from predreg.problems import Problem, one_line

from .conftest import TODAY
from .test_pr import add_prediction, commit, git, repo  # noqa: F401  (repo is a fixture)

SUITE = Path(__file__).resolve().parents[2] / "shared" / "yaml-test-suite"
COMMANDS = ("::", "##[")
"""How a GitHub Actions workflow command starts, once the runner has trimmed the line's leading space."""


def predreg(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "predreg.cli", *args], cwd=cwd, capture_output=True, text=True)


def lines_of(*outputs: str) -> list[str]:
    return [line for output in outputs for line in output.split("\n")]


def assert_no_workflow_command(*outputs: str) -> None:
    for line in lines_of(*outputs):
        assert not line.lstrip().startswith(COMMANDS), line


def test_a_key_holding_a_newline_is_reported_on_one_line() -> None:
    item = load_text("registry/questions/q.yaml", "question", '"block key\\n::error::pwned": 1\n')
    text = [str(problem) for problem in item.problems]
    assert any("block key\\n::error::pwned" in line for line in text)
    assert all("\n" not in line and line.isprintable() for line in text)


def test_control_characters_are_escaped_visibly() -> None:
    assert one_line("a\nb\r\tc") == "a\\nb\\r\\tc"
    assert one_line("red \x1b[31m") == "red \\x1b[31m"
    assert one_line("line\u2028sep\u2029par\x85nel") == "line\\u2028sep\\u2029par\\x85nel"
    assert one_line("bidi \u202eevil") == "bidi \\u202eevil"  # Trojan Source: text that reads backwards
    assert one_line("not utf-8 \udcff") == "not utf-8 \\udcff"  # a file name's byte, as surrogateescape keeps it
    assert one_line("forecaster-a, Ελλάδα, ｆｕｌｌ") == "forecaster-a, Ελλάδα, ｆｕｌｌ"


def test_every_field_of_a_problem_is_one_line() -> None:
    problem = Problem("registry/x\n.yaml", 1, 1, "a\nb", "is `x\ny`", "write\n`z`")
    assert str(problem) == "registry/x\\n.yaml:1:1: a\\nb: is `x\\ny`; write\\n`z`"
    assert "\n" not in json.dumps(attrs.asdict(problem)).replace("\\\\n", "")


@pytest.mark.skipif(not SUITE.is_dir(), reason="the yaml-test-suite is not beside this checkout")
def test_every_yaml_test_suite_case_reports_one_line_problems() -> None:
    cases = sorted(SUITE.rglob("in.yaml"))
    assert len(cases) >= 400
    for case in cases:
        text = case.read_bytes().decode("utf-8", "surrogateescape")
        for kind in ("prediction", "question", "authors"):
            for problem in load_text("registry/questions/case.yaml", kind, text).problems:
                line = str(problem)
                assert "\n" not in line and line.isprintable(), (str(case.relative_to(SUITE)), line)


def test_a_file_name_starting_like_a_workflow_command_cannot_start_a_line() -> None:
    problem = Problem("::error::pwned.py", 1, 1, "file", "changes code", "split it")
    assert str(problem).startswith("./::error::pwned.py:1:1: ")
    assert str(Problem(" ##[error]x.py", 1, 1, "file", "m")).startswith("./ ##[error]x.py:")


HOSTILE_KEY = '"fine\\n::error file=README.md::ready to merge\\n::add-mask::x": 1\n'


def hostile_pull_request(repo: Path) -> None:  # noqa: F811
    """A PR whose code file is named like a workflow command, with a record whose key holds commands."""
    add_prediction(repo, "new-forecast")
    (repo / "::error::pwned.py").write_text("print('hi')\n")
    question = repo / "registry" / "questions" / "hostile\n::stop-commands::tok.yaml"
    question.write_text(HOSTILE_KEY, encoding="utf-8")
    commit(repo)


@pytest.mark.parametrize("form", ["text", "json", "md"])
def test_no_line_of_a_pr_check_starts_a_workflow_command(repo: Path, form: str) -> None:  # noqa: F811
    hostile_pull_request(repo)
    args = ["check", "registry", "--base", "main", "--actor", "forecaster-a-gh", "--today", str(TODAY)]
    run = predreg(repo, *args, "--format", form)
    assert run.returncode == 1, run.stderr
    assert "pwned.py" in run.stdout and "add-mask" in run.stdout
    assert_no_workflow_command(run.stdout, run.stderr)


def test_json_problems_decode_to_one_line_each(repo: Path) -> None:  # noqa: F811
    hostile_pull_request(repo)
    args = ["check", "registry", "--base", "main", "--actor", "forecaster-a-gh", "--today", str(TODAY)]
    run = predreg(repo, *args, "--format", "json")
    for problem in json.loads(run.stdout):
        for value in problem.values():
            assert "\n" not in str(value) and str(value).isprintable()


# --- the pull-request comment (--format md) -------------------------------------------------

FAKE_VERDICT = "x\n\n### predreg: 0 new prediction(s), ✅ ready to merge\n<!--"
ATTACKER_MARKDOWN = [
    "### ✅ ready to merge",
    "@octocat @org/team",
    "![pixel](https://tracker.example/p.png)",
    "<!-- the rest is hidden",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "`` ` ``` ```` break out",
    "| a | b |",
]


def fenced_blocks(markdown: str) -> tuple[list[str], list[str]]:
    """The lines inside fenced code blocks and the lines outside them, as CommonMark splits them."""
    inside: list[str] = []
    outside: list[str] = []
    fence = ""
    for line in markdown.split("\n"):
        if fence:
            if re.fullmatch(rf"\s{{0,3}}{fence[0]}{{{len(fence)},}}\s*", line):
                fence = ""
            else:
                inside.append(line)
            continue
        opening = re.match(r"\s{0,3}(`{3,}|~{3,})", line)
        if opening:
            fence = opening.group(1)
        else:
            outside.append(line)
    assert not fence, "a fence was left open"
    return inside, outside


def review_with(repo: Path) -> pr.Review:  # noqa: F811
    add_prediction(repo, "new-forecast")
    commit(repo)
    return pr.review(str(repo / "registry"), "main", actor="forecaster-a-gh", today=TODAY)


@pytest.mark.parametrize("attack", [*ATTACKER_MARKDOWN, FAKE_VERDICT])
def test_attacker_markdown_in_a_problem_stays_inside_a_code_fence(repo: Path, attack: str) -> None:  # noqa: F811
    result = review_with(repo)
    hostile = Problem("registry/questions/q.yaml", 1, 1, "claim", f"is `{attack}`", "write `claim: ...`")
    text = comment.render(attrs.evolve(result, problems=[hostile]))
    inside, outside = fenced_blocks(text)
    assert any("is `" in line for line in inside)
    for line in outside[1:]:  # the first is the verdict, predreg's own
        assert not any(piece in line for piece in ("@", "<", "![", "ready to merge", "`")), line
    assert text.split("\n")[0] == "### predreg: 1 new prediction(s), ❌ 1 problem(s)"


@pytest.mark.parametrize("attack", [*ATTACKER_MARKDOWN, FAKE_VERDICT])
def test_attacker_markdown_in_a_claim_stays_inside_a_code_fence(repo: Path, attack: str) -> None:  # noqa: F811
    result = review_with(repo)
    prediction, _ = result.added[0]
    text = comment.render(attrs.evolve(result, added=[(prediction, attack)]))
    inside, outside = fenced_blocks(text)
    assert any(one_line(attack) in line for line in inside)
    for line in outside[1:]:  # the first is the verdict, predreg's own
        assert not any(piece in line for piece in ("@", "<", "![", "ready to merge", "`")), line


def test_a_fence_is_longer_than_any_run_of_backticks_inside_it(repo: Path) -> None:  # noqa: F811
    result = review_with(repo)
    prediction, _ = result.added[0]
    text = comment.render(attrs.evolve(result, added=[(prediction, "````````` nine")]))
    fences = [line for line in text.split("\n") if line.startswith("`")]
    assert fences and all(len(line) >= 10 for line in fences)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_a_huge_pull_request_comment_is_cut_under_githubs_limit(repo: Path) -> None:  # noqa: F811
    result = review_with(repo)
    many = [
        Problem(f"registry/notes/𝔣𝔦𝔩𝔢-{n:05d}.txt", 1, 1, "file", "is not a registry file", "registries hold YAML")
        for n in range(20_000)
    ]
    text = comment.render(attrs.evolve(result, problems=many))
    assert utf16_length(text) < 65_536
    inside, outside = fenced_blocks(text)
    shown = [line for line in inside if line.startswith("registry/notes/")]
    assert 100 < len(shown) < 20_000
    assert all(line.endswith("; registries hold YAML") for line in shown)  # cut between problems only
    left_out = 20_000 - len(shown)
    assert any(f"{left_out} more problem(s)" in line and "job log" in line for line in outside)
    assert text.split("\n")[0] == "### predreg: 1 new prediction(s), ❌ 20000 problem(s)"


def test_many_new_predictions_are_cut_too(repo: Path) -> None:  # noqa: F811
    result = review_with(repo)
    prediction, _ = result.added[0]
    added = [(attrs.evolve(prediction, id=f"p-{n:05d}"), "a claim " * 20) for n in range(5_000)]
    text = comment.render(attrs.evolve(result, added=added))
    assert utf16_length(text) < 65_536
    assert "more new prediction(s)" in text


def test_a_cut_comment_lists_every_problem_in_the_job_log(repo: Path) -> None:  # noqa: F811
    add_prediction(repo, "new-forecast")
    notes = repo / "registry" / "notes"
    notes.mkdir()
    for n in range(700):
        (notes / f"{'n' * 120}-{n:04d}.txt").write_text("x\n")
    commit(repo)
    args = ["check", "registry", "--base", "main", "--actor", "forecaster-a-gh", "--today", str(TODAY)]
    run = predreg(repo, *args, "--format", "md")
    assert run.returncode == 1, run.stderr
    assert utf16_length(run.stdout) < 65_536
    assert "more problem(s)" in run.stdout
    logged = [line for line in run.stderr.split("\n") if "/notes/" in line]
    assert len(logged) == 700


def test_the_comment_still_names_each_new_prediction(repo: Path) -> None:  # noqa: F811
    result = review_with(repo)
    text = comment.render(result)
    inside, _ = fenced_blocks(text)
    row = next(line for line in inside if "new-forecast" in line)
    assert "forecaster-a" in row and "A shared yes/no question." in row and "0.4" in row and "2027-06-30" in row
