"""Registry-wide rules of `predreg check`, each on a small real registry."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from predreg import check_registry
from predreg.checks import normalised

from .conftest import TODAY, check

BINARY = """\
id: {id}
author: {author}
registered: 2026-11-23
claim: Something testable happens.
criteria: YES if it happens, NO otherwise.
resolve_by: 2027-12-31
resolver: {{name: manual}}
kind: binary
probability: 0.4
"""


def write(registry: Path, relative: str, text: str) -> Path:
    path = registry / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def add_binary(registry: Path, author: str, ident: str, folder: str | None = None) -> Path:
    return write(registry, f"predictions/{folder or author}/{ident}.yaml", BINARY.format(id=ident, author=author))


def problems(registry: Path) -> list[str]:
    return [str(p) for p in check_registry("registry", today=TODAY).problems]


def test_ids_that_differ_only_by_unicode_form_collide(minimal_registry: Path) -> None:
    add_binary(minimal_registry, "forecaster-a", "file-safety")
    add_binary(minimal_registry, "forecaster-b", "\ufb01le-safety")  # the "fi" ligature
    found = problems(minimal_registry)
    assert len(found) == 2
    assert all("ids are compared ignoring case and Unicode form" in line for line in found)


def test_normalised_ids_fold_case_and_compatibility_forms() -> None:
    assert normalised("Scheming") == normalised("scheming") == normalised("ｓｃｈｅｍｉｎｇ")
    assert normalised("scheming-a") != normalised("scheming-b")


def test_a_prediction_id_may_not_reuse_a_shared_question_id(minimal_registry: Path) -> None:
    add_binary(minimal_registry, "forecaster-a", "Shared-Question")
    found = problems(minimal_registry)
    assert any("questions/shared-question.yaml" in line and line.startswith("registry/predictions") for line in found)


def test_author_must_match_the_folder(minimal_registry: Path) -> None:
    add_binary(minimal_registry, "forecaster-b", "in-wrong-folder", folder="forecaster-a")
    assert problems(minimal_registry) == [
        "registry/predictions/forecaster-a/in-wrong-folder.yaml:2:1: author: `forecaster-b` does not match the folder "
        "`predictions/forecaster-a/`; move the file to predictions/forecaster-b/ or write `author: forecaster-a`"
    ]


def test_a_missing_authors_file_is_reported(minimal_registry: Path) -> None:
    (minimal_registry / "authors.yaml").unlink()
    assert problems(minimal_registry) == [
        "registry/authors.yaml:1:1: file: is missing; list the authors: `authors: {forecaster-a: {name: ...}}`"
    ]


def test_a_yml_file_is_not_silently_ignored(minimal_registry: Path) -> None:
    write(minimal_registry, "predictions/forecaster-a/typo.yml", BINARY.format(id="typo", author="forecaster-a"))
    assert problems(minimal_registry) == [
        "registry/predictions/forecaster-a/typo.yml:1:1: file: is not read: registry files end in `.yaml`; "
        "rename it to typo.yaml"
    ]


def test_a_prediction_outside_an_author_folder_is_reported(minimal_registry: Path) -> None:
    write(minimal_registry, "predictions/loose.yaml", BINARY.format(id="loose", author="forecaster-a"))
    assert problems(minimal_registry) == [
        "registry/predictions/loose.yaml:1:1: file: is not where this kind of file belongs; "
        "move it to predictions/<author>/<id>.yaml"
    ]


def test_registration_one_day_ahead_of_utc_is_allowed_but_two_are_not(minimal_registry: Path) -> None:
    add_binary(minimal_registry, "forecaster-a", "dated-today")
    assert check_registry("registry", today=TODAY - dt.timedelta(days=1)).ok
    assert not check_registry("registry", today=TODAY - dt.timedelta(days=2)).ok


def test_a_revision_of_someone_elses_prediction_is_refused(minimal_registry: Path) -> None:
    write(
        minimal_registry,
        "predictions/forecaster-b/hijack.yaml",
        "id: hijack\nauthor: forecaster-b\nregistered: 2026-11-23\nquestion: shared-question\n"
        "supersedes: on-shared\nprobability: 0.9\n",
    )
    assert problems(minimal_registry) == [
        "registry/predictions/forecaster-b/hijack.yaml:5:1: supersedes: `on-shared` is by forecaster-a; "
        "you can only revise your own predictions; register a new prediction instead"
    ]


def test_a_revision_must_forecast_the_same_question(minimal_registry: Path) -> None:
    text = BINARY.format(id="restated", author="forecaster-a") + "supersedes: on-shared\n"
    write(minimal_registry, "predictions/forecaster-a/restated.yaml", text)
    [line] = problems(minimal_registry)
    assert "a revision forecasts the same question: write `question: shared-question`" in line


def test_a_valid_revision_passes(minimal_registry: Path) -> None:
    write(
        minimal_registry,
        "predictions/forecaster-a/on-shared-revised.yaml",
        "id: on-shared-revised\nauthor: forecaster-a\nregistered: 2026-11-23\nquestion: shared-question\n"
        "supersedes: on-shared\nprobability: 0.2\n",
    )
    assert problems(minimal_registry) == []


def test_a_condition_must_be_a_binary_question(minimal_registry: Path) -> None:
    write(
        minimal_registry,
        "questions/which-lab.yaml",
        "id: which-lab\nclaim: Which lab first?\ncriteria: The first to publish.\nresolve_by: 2027-01-01\n"
        "resolver: {name: manual}\nkind: categorical\noutcomes: [lab-a, lab-b]\n",
    )
    text = BINARY.format(id="conditional", author="forecaster-a") + "given: which-lab\n"
    write(minimal_registry, "predictions/forecaster-a/conditional.yaml", text)
    [line] = problems(minimal_registry)
    assert "given: `which-lab` is categorical; a condition must be a binary question" in line


def test_forecasts_on_a_shared_categorical_question_must_cover_its_outcomes(minimal_registry: Path) -> None:
    write(
        minimal_registry,
        "questions/which-lab.yaml",
        "id: which-lab\nclaim: Which lab first?\ncriteria: The first to publish.\nresolve_by: 2027-01-01\n"
        "resolver: {name: manual}\nkind: categorical\noutcomes: [lab-a, lab-b, lab-c]\n",
    )
    write(
        minimal_registry,
        "predictions/forecaster-a/lab.yaml",
        "id: lab\nauthor: forecaster-a\nregistered: 2026-11-23\nquestion: which-lab\n"
        "probabilities: {lab-a: 0.5, lab-d: 0.5}\n",
    )
    [line] = problems(minimal_registry)
    assert line.endswith(
        "probabilities: lacks lab-b, lab-c and has unknown lab-d; give a probability to each of lab-a, lab-b, lab-c"
    )


def test_probabilities_may_miss_one_by_at_most_1e_9(minimal_registry: Path) -> None:
    base = "id: {id}\nauthor: forecaster-a\nregistered: 2026-11-23\nclaim: c\ncriteria: c\nresolve_by: 2027-01-01\n"
    base += "resolver: {{name: manual}}\nkind: categorical\nprobabilities: {{a: 0.5, b: {b}}}\n"
    write(minimal_registry, "predictions/forecaster-a/close.yaml", base.format(id="close", b="0.5000000009"))
    assert problems(minimal_registry) == []
    write(minimal_registry, "predictions/forecaster-a/far.yaml", base.format(id="far", b="0.500000002"))
    [line] = problems(minimal_registry)
    assert "far.yaml" in line and "sum to 1.000000002, not 1" in line


RESOLUTION = "question: {question}\noutcome: {outcome}\nresolved_at: {resolved_at}\nresolver: manual\n"


def resolve(
    registry: Path,
    outcome: str,
    name: str | None = None,
    corrects: str | None = None,
    question: str = "shared-question",
    resolved_at: str = "2026-11-23",
) -> None:
    """Write resolutions/<name>.yaml (default: the question's id); a correction if ``corrects`` is given."""
    text = RESOLUTION.format(question=question, outcome=outcome, resolved_at=resolved_at)
    write(registry, f"resolutions/{name or question}.yaml", text + (f"corrects: {corrects}\n" if corrects else ""))


@pytest.mark.parametrize(
    ("outcome", "accepted"),
    [("yes", True), ("no", True), ("annulled", True), ("ambiguous", True), ("maybe", False), ("0.5", False)],
)
def test_a_binary_resolution_takes_yes_no_annulled_or_ambiguous(
    minimal_registry: Path, outcome: str, accepted: bool
) -> None:
    resolve(minimal_registry, outcome)
    found = problems(minimal_registry)
    assert (found == []) is accepted
    if not accepted:
        assert found[0].endswith("write one of yes, no, annulled, ambiguous")


def test_a_resolution_of_an_unknown_question_is_refused(minimal_registry: Path) -> None:
    resolve(minimal_registry, "yes", question="ghost")
    assert problems(minimal_registry) == [
        "registry/resolutions/ghost.yaml:1:1: question: no question `ghost` exists; "
        "give the id of a question or of a prediction that states one"
    ]


def test_a_correction_chain_gives_the_standing_resolution(minimal_registry: Path) -> None:
    resolve(minimal_registry, "yes")
    resolve(minimal_registry, "no", name="shared-question.2", corrects="shared-question")
    registry = check_registry("registry", today=TODAY)
    assert registry.problems == []
    standing = registry.resolution("shared-question")
    assert standing is not None and standing.outcome == "no"
    assert [r.outcome for r in registry.resolutions["shared-question"]] == ["yes", "no"]


def test_two_corrections_of_one_record_are_refused(minimal_registry: Path) -> None:
    resolve(minimal_registry, "yes")
    for n in (2, 3):
        resolve(minimal_registry, "no", name=f"shared-question.{n}", corrects="shared-question")
    [line] = problems(minimal_registry)
    assert line.startswith(
        "registry/resolutions/shared-question.3.yaml:5:1: corrects: `shared-question` is already corrected"
    )


def test_a_second_resolution_without_corrects_is_refused(minimal_registry: Path) -> None:
    resolve(minimal_registry, "yes")
    resolve(minimal_registry, "no", name="shared-question.2")
    [line] = problems(minimal_registry)
    assert "the first resolution of `shared-question` must be the file resolutions/shared-question.yaml" in line


def test_a_numeric_question_is_resolved_with_a_number(minimal_registry: Path) -> None:
    write(
        minimal_registry,
        "questions/speedup.yaml",
        "id: speedup\nclaim: How much?\ncriteria: The first estimate.\nresolve_by: 2027-01-01\n"
        "resolver: {name: manual}\nkind: numeric\nunit: x\n",
    )
    resolve(minimal_registry, "1.7", question="speedup")
    registry = check_registry("registry", today=TODAY)
    assert registry.problems == [] and registry.resolution("speedup").outcome == 1.7  # type: ignore[union-attr]
    resolve(minimal_registry, "yes", question="speedup")
    [line] = problems(minimal_registry)
    assert "`yes` is not a number, and `speedup` is numeric" in line


def test_every_problem_in_every_file_is_reported(minimal_registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(minimal_registry, "predictions/forecaster-a/one.yaml", "id: one\nprobability: yes\nregistered: 2025-02-30\n")
    write(minimal_registry, "predictions/forecaster-b/two.yaml", "id: two\nprobabilty: 0.3\n")
    code, out = check(capsys)
    assert code == 1
    lines = out.splitlines()
    assert sum("one.yaml" in line for line in lines) == 3  # probability, registered, author missing
    assert sum("two.yaml" in line for line in lines) == 3  # typo, author and registered missing


# Registry files that are not regular files. Each attack puts something other than a
# regular file where a record's name is, as a pull request or a checkout can: git keeps
# symbolic links, and a FIFO or socket can be made in the working tree of the machine
# that runs the check. None of them is read (a FIFO would hang the open), and no
# error shows what a target holds.

NAMED = "predictions/forecaster-a/x.yaml"
LINK = "file: is a symbolic link: the file it points to could change without this one changing"
REGULAR = "commit the record itself, a regular file"


def _link_to(target: str) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.symlink_to(target)

    return make


def _socket(path: Path) -> None:
    here = os.getcwd()
    os.chdir(path.parent)  # an AF_UNIX name is at most 107 bytes: bind the short relative one
    try:
        with socket.socket(socket.AF_UNIX) as server:
            server.bind(path.name)
    finally:
        os.chdir(here)


def _folder(path: Path) -> None:
    path.mkdir()
    (path / "inner.yaml").write_text(BINARY.format(id="inner", author="forecaster-a"), encoding="utf-8")


NOT_REGULAR: dict[str, tuple[Callable[[Path], None], str]] = {
    "link-to-etc-passwd": (_link_to("/etc/passwd"), f"{LINK}; {REGULAR}"),
    "link-to-dev-zero": (_link_to("/dev/zero"), f"{LINK}; {REGULAR}"),
    "dangling-link": (_link_to("no-such-file.yaml"), f"{LINK}; {REGULAR}"),
    "link-to-a-file-inside-the-registry": (_link_to("../../questions/shared-question.yaml"), f"{LINK}; {REGULAR}"),
    "fifo": (os.mkfifo, f"file: is a named pipe (FIFO), not a regular file; {REGULAR}"),
    "socket": (_socket, f"file: is a socket, not a regular file; {REGULAR}"),
    "folder-named-like-a-record": (_folder, f"file: is a folder, not a regular file; {REGULAR}"),
}
"""attack -> (how it is made at a record's path, the problem after `path:1:1: `)."""


def plant(registry: Path, attack: str) -> str:
    """Make ``attack`` at ``registry/predictions/forecaster-a/x.yaml``; the one line it must give."""
    make, problem = NOT_REGULAR[attack]
    make(registry / NAMED)
    return f"registry/{NAMED}:1:1: {problem}"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``predreg`` in a process of its own, so that a hang fails the test instead of stopping the suite."""
    command = [sys.executable, "-m", "predreg.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("attack", NOT_REGULAR)
@pytest.mark.parametrize("command", [["check"], ["check", "--no-index"], ["score"], ["summary"]], ids=" ".join)
def test_a_record_that_is_not_a_regular_file_is_refused_unread(
    minimal_registry: Path, attack: str, command: list[str]
) -> None:
    """Attack: a link (to a secret, an endless device, nothing, another record), a FIFO, a socket, a folder."""
    expected = plant(minimal_registry, attack)
    ran = run_cli(*command, "registry", "--today", TODAY.isoformat())
    assert ran.returncode == 1
    shown = ran.stdout if command[0] == "check" else ran.stderr
    assert [line for line in shown.splitlines() if line.startswith("registry/")] == [expected]
    assert "root:" not in ran.stdout + ran.stderr
    assert "Traceback" not in ran.stderr


def test_a_record_that_is_a_link_is_refused_by_the_index_after_it_held_the_file(minimal_registry: Path) -> None:
    """Attack: a record indexed as a regular file is replaced by a link; the index's row is not believed."""
    path = add_binary(minimal_registry, "forecaster-a", "x")
    assert run_cli("check", "registry", "--today", TODAY.isoformat()).returncode == 0
    (minimal_registry / "elsewhere.txt").write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to("../../elsewhere.txt")
    ran = run_cli("check", "registry", "--today", TODAY.isoformat(), "-q")
    assert ran.stdout.splitlines() == [f"registry/{NAMED}:1:1: {LINK}; {REGULAR}"]


@pytest.mark.parametrize("folder", ["predictions/forecaster-b", "resolutions"])
def test_a_folder_that_is_a_link_is_not_walked_into(minimal_registry: Path, tmp_path: Path, folder: str) -> None:
    """Attack: `predictions/forecaster-b -> /somewhere` brings in records that live outside the registry."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    (minimal_registry / folder).symlink_to(outside)
    ran = run_cli("check", "registry", "--today", TODAY.isoformat(), "-q")
    assert ran.returncode == 1
    assert ran.stdout.splitlines() == [
        f"registry/{folder}:1:1: folder: is a symbolic link, which is not followed;"
        " make it a folder of the registry itself, holding the records"
    ]


def test_an_authors_file_that_is_a_link_is_refused_not_missing(minimal_registry: Path) -> None:
    """Attack: authors.yaml links to a file outside the registry, which a later change edits unseen."""
    authors = minimal_registry / "authors.yaml"
    (minimal_registry.parent / "people.yaml").write_bytes(authors.read_bytes())
    authors.unlink()
    authors.symlink_to("../people.yaml")
    assert f"registry/authors.yaml:1:1: {LINK}; {REGULAR}" in problems(minimal_registry)


def _index_path(registry: Path) -> Path:
    (registry / ".predreg").mkdir()
    return registry / ".predreg" / "index.sqlite"


LOCAL_STATE_IN_THE_WAY: dict[str, Callable[[Path], object]] = {
    "predreg-folder-is-a-file": lambda registry: (registry / ".predreg").write_text("not a folder\n"),
    "index-is-a-folder": lambda registry: _index_path(registry).mkdir(),
    "index-is-a-fifo": lambda registry: os.mkfifo(_index_path(registry)),
    "index-links-to-dev-zero": lambda registry: _index_path(registry).symlink_to("/dev/zero"),
}


@pytest.mark.parametrize("command", ["check", "score"])
@pytest.mark.parametrize("attack", LOCAL_STATE_IN_THE_WAY)
def test_local_state_in_the_way_only_costs_the_index(minimal_registry: Path, attack: str, command: str) -> None:
    """Attack: `registry/.predreg` is a file, or its index is a folder, a FIFO or a link to an endless device."""
    LOCAL_STATE_IN_THE_WAY[attack](minimal_registry)
    ran = run_cli(command, "registry", "--today", TODAY.isoformat())
    assert (ran.returncode, ran.stderr) == (0, "")


@pytest.mark.parametrize("attack", ["fifo", "dangling-link", "folder-named-like-a-record"])
def test_a_shard_refuses_a_record_that_is_not_a_regular_file(minimal_registry: Path, attack: str) -> None:
    """Attack: what is not a file (once links are followed) was skipped by a shard's check, which then passed."""
    expected = plant(minimal_registry, attack)
    ran = run_cli("check", "registry", "--shard", "1/1", "--today", TODAY.isoformat(), "-q")
    assert (ran.returncode, ran.stdout.splitlines()) == (1, [expected])
