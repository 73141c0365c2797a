"""The pull-request rules by name: each is a function in a table, and each alone refuses its case.

The cases run the whole check in real temporary git repositories; a rule is switched off
by taking it out of its table, and the problems it alone finds are what goes missing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from predreg import change_rules, pr, trust
from predreg.change_rules import PullRequest, RegistryChange
from predreg.changes import Change, Diff, split_crossing
from predreg.problems import Problem

from .conftest import TODAY
from .test_pr import PREDICTION, RESOLUTION, add_prediction, commit, on_main, repo  # noqa: F401  (repo is a fixture)

RULE_MODULES = (change_rules, trust)
SET_RULES = {"code_with_data", "confined_to_registry"}
"""Rules on the pull request as a whole, not on one change or record: run by name, listed in no table."""


def tabled() -> list[Callable[..., Any]]:
    """Every rule in a table, in table order, each once."""
    rules = [*change_rules.PATH_RULES, *change_rules.CHANGE_RULES]
    rules += [rule for kind_rules in trust.ADDED_RULES.values() for rule in kind_rules]
    return list(dict.fromkeys(rules))


def test_every_rule_in_a_table_is_a_function_of_its_module_found_by_its_name() -> None:
    for rule in tabled():
        module = inspect.getmodule(rule)
        assert module in RULE_MODULES, rule
        assert getattr(module, rule.__name__) is rule
        assert (rule.__doc__ or "").startswith("Rule:"), rule.__name__


def test_every_function_documented_as_a_rule_is_in_a_table_or_runs_on_the_whole_pull_request() -> None:
    documented = {
        name
        for module in RULE_MODULES
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if inspect.getmodule(function) is module and (function.__doc__ or "").startswith("Rule:")
    }
    assert documented - SET_RULES == {rule.__name__ for rule in tabled()}


def test_the_rules_on_added_records_are_listed_under_record_kinds() -> None:
    """A misspelt kind would switch its rules off without a word."""
    assert set(trust.ADDED_RULES) <= {"question", "prediction", "reveal", "withdrawal", "resolution"}


# --- each rule alone refuses its case ------------------------------------------------------

WITHDRAWAL = "prediction: on-shared\nwithdrawn: {day}\nreason: no.\n"


def write(root: Path, relative: str, text: str) -> None:
    path = root / "registry" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def resolution(root: Path, by: str, *extra: str, resolved_at: dt.date = TODAY) -> None:
    text = RESOLUTION.format(by=by).replace(f"resolved_at: {TODAY}", f"resolved_at: {resolved_at}")
    write(root, "resolutions/shared-question.yaml", text + "".join(line + "\n" for line in extra))
    commit(root)


def untracked_local_state(root: Path) -> None:
    write(root, ".predreg/index.sqlite", "a machine's cache\n")


def twin_folder(root: Path) -> None:
    (root / "Registry").mkdir()
    (root / "Registry" / "notes.yaml").write_text("id: x\n")
    commit(root)


def linked_record(root: Path) -> None:
    (root / "registry" / "predictions" / "forecaster-a" / "linked.yaml").symlink_to(root / "README.md")
    commit(root)


def text_file(root: Path) -> None:
    write(root, "notes.txt", "not a record\n")
    commit(root)


def misnamed_evidence(root: Path) -> None:
    write(root, "evidence/" + "0" * 64, "a page\n")
    commit(root)


def edited_forecast(root: Path) -> None:
    path = root / "registry" / "predictions" / "forecaster-a" / "on-shared.yaml"
    path.write_text(path.read_text().replace("probability: 0.3", "probability: 0.9"))
    commit(root)


def edited_evidence(root: Path) -> None:
    body = "the page as it was\n"
    name = "evidence/" + hashlib.sha256(body.encode()).hexdigest()
    on_main(root, {name: body})
    write(root, name, "the page, improved\n")
    commit(root)


def deleted_authors(root: Path) -> None:
    (root / "registry" / "authors.yaml").unlink()
    commit(root)


def someone_elses_entry(root: Path) -> None:
    authors = root / "registry" / "authors.yaml"
    authors.write_text(authors.read_text().replace("{name: Forecaster B}", "{name: B, github: [forecaster-a-gh]}"))
    commit(root)


def duplicate_id(root: Path) -> None:
    add_prediction(root, "On-Shared", author="forecaster-b")
    commit(root)


def backdated_forecast(root: Path) -> None:
    add_prediction(root, "backdated", registered=dt.date(2026, 1, 1))
    commit(root)


def forecast_for_another(root: Path) -> None:
    add_prediction(root, "impostor")
    commit(root)


def forecast_on_a_resolved_question(root: Path) -> None:
    on_main(root, {"resolutions/shared-question.yaml": RESOLUTION.format(by="forecaster-b")})
    add_prediction(root, "late", author="forecaster-b")
    commit(root)


def withdrawal_by_another(root: Path) -> None:
    write(root, "withdrawals/on-shared.yaml", WITHDRAWAL.format(day=TODAY))
    commit(root)


def withdrawal_dated_earlier(root: Path) -> None:
    write(root, "withdrawals/on-shared.yaml", WITHDRAWAL.format(day=TODAY - dt.timedelta(days=5)))
    commit(root)


def signed_as_the_job(root: Path) -> None:
    resolution(root, "predreg-resolve")


def approver_who_is_no_author(root: Path) -> None:
    resolution(root, "forecaster-b", "approved_by: [nobody-at-all]")


def resolved_by_its_forecaster(root: Path) -> None:
    resolution(root, "forecaster-a")


def resolved_before_a_forecast(root: Path) -> None:
    text = PREDICTION.format(id="b-on-shared", author="forecaster-b", registered=TODAY)
    on_main(root, {"predictions/forecaster-b/b-on-shared.yaml": text})
    resolution(root, "forecaster-a", resolved_at=TODAY - dt.timedelta(days=1))


CASES: dict[str, tuple[Callable[[Path], None], str, str]] = {
    # rule: (the pull request, its actor, the problem the rule alone finds)
    "local_state": (
        untracked_local_state,
        "forecaster-a-gh",
        "file: is predreg's local state, and git does not ignore it: `git add -A` would commit it",
    ),
    "registry_twin": (
        twin_folder,
        "forecaster-a-gh",
        "file: is in a folder spelled like `registry/` but for case: on macOS or Windows it is the registry",
    ),
    "not_regular": (
        linked_record,
        "forecaster-a-gh",
        "file: is a symbolic link: the file it points to could change without this one changing",
    ),
    "registry_file": (text_file, "forecaster-a-gh", "file: is not a registry file"),
    "evidence_named_by_hash": (misnamed_evidence, "forecaster-a-gh", "file: is not named by the sha256 of its bytes"),
    "registered_is_final": (
        edited_forecast,
        "forecaster-a-gh",
        "file: is a registered prediction and was edited: registered records never change",
    ),
    "evidence_is_final": (edited_evidence, "forecaster-a-gh", "file: is stored evidence and was changed"),
    "authors_file_kept": (deleted_authors, "forecaster-a-gh", "file: authors.yaml was deleted"),
    "own_author_entries": (
        someone_elses_entry,
        "forecaster-a-gh",
        "authors.forecaster-b: was changed by forecaster-a-gh, not by forecaster-b",
    ),
    "unique_id": (
        duplicate_id,
        "forecaster-b",
        "id: `On-Shared` is already registered as predictions/forecaster-a/on-shared.yaml",
    ),
    "registered_today": (
        backdated_forecast,
        "forecaster-a-gh",
        "registered: is 2026-01-01, but the pull request is checked on 2026-11-23 (UTC)",
    ),
    "own_prediction": (
        forecast_for_another,
        "mallory",
        "author: `forecaster-a` is not `mallory`, who opened the pull request",
    ),
    "after_resolution": (
        forecast_on_a_resolved_question,
        "forecaster-b",
        "question: `shared-question` is already resolved (2026-11-23): a forecast merged after the resolution is not"
        " judged by the day it was written",
    ),
    "own_commitment": (withdrawal_by_another, "forecaster-b", "prediction: is forecaster-a's, not `forecaster-b`'s"),
    "dated_today": (
        withdrawal_dated_earlier,
        "forecaster-a-gh",
        "withdrawn: is 2026-11-18, but the pull request is checked on 2026-11-23 (UTC)",
    ),
    "automatic_record": (
        signed_as_the_job,
        "forecaster-b",
        "resolved_by: `predreg-resolve` is the resolve job's name, and `forecaster-b` opened this pull request",
    ),
    "approvals": (
        approver_who_is_no_author,
        "forecaster-b",
        "approved_by: `nobody-at-all` is no author in authors.yaml",
    ),
    "self_resolution": (
        resolved_by_its_forecaster,
        "forecaster-a-gh",
        "approved_by: `forecaster-a-gh` (forecaster-a) forecast this question and resolves it without a second"
        " approver",
    ),
    "backdated": (
        resolved_before_a_forecast,
        "forecaster-b",
        "resolved_at: 2026-11-22 is before forecaster-b's forecast b-on-shared was registered (2026-11-23), which"
        " would then go unscored",
    ),
}


def test_every_rule_in_a_table_has_its_case() -> None:
    assert sorted(CASES) == sorted(rule.__name__ for rule in tabled())


def switch_off(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Take the rule called ``name`` out of every table that lists it."""

    def kept(rules: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(rule for rule in rules if rule.__name__ != name)

    monkeypatch.setattr(change_rules, "PATH_RULES", kept(change_rules.PATH_RULES))
    monkeypatch.setattr(change_rules, "CHANGE_RULES", kept(change_rules.CHANGE_RULES))
    monkeypatch.setattr(trust, "ADDED_RULES", {kind: kept(rules) for kind, rules in trust.ADDED_RULES.items()})


def reviewed(root: Path, actor: str) -> set[Problem]:
    return set(pr.review(str(root / "registry"), "main", actor=actor, today=TODAY).problems)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_rule_alone_refuses_its_case(repo: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:  # noqa: F811
    make, actor, expected = CASES[name]
    make(repo)
    found = reviewed(repo, actor)
    switch_off(monkeypatch, name)
    its_own = found - reviewed(repo, actor)
    assert expected in [f"{problem.field}: {problem.message}" for problem in its_own]


# --- a rule is a function of its change and context: called by name, with no pull request ----


def diff_of() -> Diff:
    """What git would say of a repository at /nowhere whose registry is its folder registry/."""
    return Diff("registry", "/nowhere", "registry", "0" * 40, (), frozenset(), frozenset())


@pytest.mark.parametrize(("status", "verb"), [("M", "edited"), ("D", "deleted"), ("R", "renamed")])
def test_registered_is_final_names_what_was_done_to_a_question(status: str, verb: str) -> None:
    old = "questions/q.yaml"
    path = "questions/moved.yaml" if status == "R" else old
    change = RegistryChange(status, path, old, "question", "question")
    [problem] = change_rules.registered_is_final(change, PullRequest(diff_of(), None, None))
    assert problem.path == os.path.join("registry", path if status != "D" else old)
    assert problem.message == f"is a registered question and was {verb}: registered records never change"


def test_registered_is_final_lets_a_new_record_be_added() -> None:
    change = RegistryChange("A", "questions/q.yaml", "questions/q.yaml", "question", None)
    assert list(change_rules.registered_is_final(change, PullRequest(diff_of(), None, None))) == []


def test_registry_file_refuses_an_added_file_of_no_kind_and_nothing_else() -> None:
    pull = PullRequest(diff_of(), None, None)
    stray = RegistryChange("A", "questions/q.txt", "questions/q.txt", None, None)
    record = RegistryChange("A", "questions/q.yaml", "questions/q.yaml", "question", None)
    edited = RegistryChange("M", "notes.txt", "notes.txt", None, None)
    assert [p.message for p in change_rules.registry_file(stray, pull)] == ["is not a registry file"]
    assert list(change_rules.registry_file(record, pull)) == list(change_rules.registry_file(edited, pull)) == []


# --- stage 1's plumbing: what git says changed -----------------------------------------------


def test_the_diff_names_registered_files_from_the_registry_folder(repo: Path) -> None:  # noqa: F811
    add_prediction(repo, "new-forecast")
    diff = Diff.of(str(repo / "registry"), "main")
    assert (diff.inside, diff.prefix) == ("registry", "registry/")
    assert "predictions/forecaster-a/on-shared.yaml" in diff.registered
    assert "predictions/forecaster-a/new-forecast.yaml" not in diff.registered  # not at the merge base
    assert [(c.status, c.path) for c in diff.changed] == [("A", "registry/predictions/forecaster-a/new-forecast.yaml")]
    assert diff.untracked == {"registry/predictions/forecaster-a/new-forecast.yaml"}


def test_a_rename_across_the_registrys_edge_is_a_deletion_and_an_addition() -> None:
    inward = Change("R", "registry/predictions/a/x.yaml", "docs/x.yaml")
    outward = Change("R", "docs/y.yaml", "registry/predictions/a/y.yaml")
    within = Change("R", "registry/questions/b.yaml", "registry/questions/a.yaml")
    assert split_crossing([inward, outward, within], "registry/") == [
        Change("D", "docs/x.yaml"),
        Change("A", "registry/predictions/a/x.yaml"),
        Change("D", "registry/predictions/a/y.yaml"),
        Change("A", "docs/y.yaml"),
        within,
    ]
