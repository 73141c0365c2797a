"""``predreg check --base REF``: what a pull request may change in a registry.

The change is what ``git`` reports between the merge base with REF and the working
tree (added, modified, renamed and deleted files, untracked ones included). Only the
changed files are parsed, plus the few records they refer to, so a 10-file pull
request on a registry of 100,000 files reads a handful of files; ids are compared
with the names of every registered file, which git lists without reading them.

What it refuses, beyond everything ``predreg check`` refuses in those files:

- a registered question, prediction or resolution modified, renamed or deleted
  (revisions are new files with ``supersedes:``; corrections new files with
  ``corrects:``); a stored evidence body changed; an author removed, or an author's
  entry changed by someone who is not that author;
- a new prediction whose ``registered`` is not the date of the check (UTC, within
  ``tolerance`` days): git's author and committer dates are never read;
- a new prediction whose author is not the pull request's author (``--actor``) or
  one of the GitHub logins listed for them in ``authors.yaml``;
- a resolution added by someone with a stake in it (a forecast of the question, or
  one ``given:`` it) without an approver; an ``approved_by`` handle that is no
  listed author, has no approving review (``--approved-by``, the GitHub logins whose
  latest review approves), or is the actor or has a stake; ``resolved_by:
  predreg-resolve`` from anyone but the resolve job (:mod:`predreg.trust`);
- a new reveal, withdrawal or resolution not dated the day of the check, a
  resolution dated before a forecast or reveal it would then leave out, a new
  forecast on a question already resolved;
- a change to registry data together with code or configuration that runs
  (``predreg/``, any ``conftest.py``, workflows, ``pyproject.toml``,
  ``requirements.txt`` ...);
- a file under a ``.predreg/`` folder (predreg's local state: the index, the HTTP
  cache, the last run), committed or merely not ignored (``change_rules.local_state``);
- with ``--registry-only`` (the pull-request workflow), any change outside the registry
  folder, or of code and configuration inside it (:func:`confined_to_registry`).

The check is a pipeline of three stages, each a table of rules named for what they
hold to, ``(change, context) -> Iterable[Problem]``:

1. the changes: git's diff, renames across the registry's edge split, and the paths
   refused as they stand (:mod:`predreg.changes`, ``change_rules.PATH_RULES``);
2. what each change does to a registry file (``change_rules.CHANGE_RULES``);
3. the records added and changed, checked together with what they refer to (the rules
   of ``predreg check``), then each record added judged by its kind
   (``trust.ADDED_RULES``), and every id and handle added (:func:`_lookalike_ids`,
   :func:`_lookalike_handles`).

The problems are sorted once all are found, so the order the rules run in changes nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from collections.abc import Iterable, Sequence

import attrs

from . import change_rules, plugins, trust
from .change_rules import PullRequest, RegistryChange, confined_to_registry
from .changes import Change, Diff, GitError, changes, git, git_all, parse_changes
from .checks import check_registry
from .comment import forecast_text, render
from .load import Loaded, load_file, load_text
from .model import Author, Prediction, Resolution, Reveal
from .problems import Problem
from .registry import AUTHORS_FILE, Registry, Stems, closure, kind_of, normalised

__all__ = [
    "Change",
    "GitError",
    "Review",
    "changes",
    "confined_to_registry",
    "forecast_text",
    "git",
    "git_all",
    "markdown",
    "parse_changes",
    "review",
]
"""What callers import from here, though the git plumbing, the comment and the rules on changed paths have
modules of their own (predreg.changes, predreg.comment, predreg.change_rules)."""


@attrs.frozen
class Review:
    """The verdict on a pull request: its problems and the predictions it registers."""

    base: str
    changes: list[Change]
    problems: list[Problem]
    added: list[tuple[Prediction, str]]
    """New valid predictions, with the claim they forecast."""
    registry: Registry


def review(
    registry: str,
    base: str,
    *,
    actor: str | None = None,
    today: dt.date | None = None,
    tolerance: int = 1,
    approved_by: Sequence[str] = (),
) -> Review:
    """Check the change a pull request makes to the registry at ``registry`` against ``base``.

    The three stages of the module's docstring, in order: the changes git reports, the
    rules on each change, then the closure of what was added, checked, and the rules on
    each record added. Raises GitError when git cannot say what changed.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    diff = Diff.of(registry, base)
    data, problems = change_rules.judged_changes(diff)
    pull = PullRequest(diff, actor, _authors_before(diff))
    edits = _renamed_into_records([_in_registry(change, diff) for change in data])
    problems += change_rules.judge(edits, pull)

    present = _present_after(diff.registered, edits)
    stems = Stems(present)
    to_load = [edit.path for edit in edits if _is_read(edit)]
    records = closure(registry, to_load, present, stems)
    checked = check_registry(records, today=today, resolvers=plugins.catalogue())
    loaded = list(records.loaded)
    mine = {os.path.join(registry, path) for path in to_load}
    own = checked.problems_in(mine)
    added = [item for item in loaded if item.path in mine and item.record is not None]
    people = trust.People.of(actor, approved_by, checked.authors, _authors_of(pull.authors_before))
    context = trust.Context(
        registry=registry,
        today=today,
        tolerance=tolerance,
        people=people,
        checked=checked,
        loaded=loaded,
        registered=diff.registered,
        same_id=stems.of,
        stakes=_stakes(registry, added, people, present),
    )
    problems += own + _lookalike_ids(pull, edits, loaded, present) + _lookalike_handles(pull, edits, loaded)
    problems += trust.judge(added, context)

    return Review(
        base, list(diff.changed), sorted(set(problems)), _valid_predictions(added, problems, checked), checked
    )


def _valid_predictions(
    added: Sequence[Loaded], problems: Sequence[Problem], checked: Registry
) -> list[tuple[Prediction, str]]:
    """The new predictions that have no problem, each with the claim it forecasts."""
    refused = {problem.path for problem in problems}
    return [
        (item.record, _claim(item.record, checked))
        for item in added
        if item.kind == "prediction" and item.path not in refused
    ]


def _in_registry(change: Change, diff: Diff) -> RegistryChange:
    """A change inside the registry folder in the registry's terms: its paths from the folder, their kinds."""
    path, old = diff.relative(change.path), diff.relative(change.old or change.path)
    return RegistryChange(change.status, path, old, kind_of(path), kind_of(old))


def _renamed_into_records(edits: Sequence[RegistryChange]) -> list[RegistryChange]:
    """A file that held no record, renamed to a record's (or stored evidence's) path, as a deletion and an addition.

    Such a file's text is never judged (a README may say anything), so a rename would
    otherwise bring a record in that met no rule for a new one: backdated, in anyone's name.
    """
    split: list[RegistryChange] = []
    for edit in edits:
        if edit.status == "R" and edit.old_kind is None and edit.kind is not None:
            split += [
                RegistryChange("D", edit.old, edit.old, None, None),
                RegistryChange("A", edit.path, edit.path, edit.kind, edit.kind),
            ]
        else:
            split.append(edit)
    return split


def _is_read(change: RegistryChange) -> bool:
    """Whether the check reads the file: a record added, or authors.yaml edited (evidence is only hashed)."""
    if change.status == "A":
        return change.kind not in (None, "evidence")
    return change.status == "M" and change.old_kind == "authors"


def _present_after(registered: Iterable[str], changes: Sequence[RegistryChange]) -> set[str]:
    """Every registry file once the pull request is merged, registry-relative."""
    present = set(registered) | {change.path for change in changes if change.status in "AR"}
    present -= {change.path for change in changes if change.status == "D"}
    present -= {change.old for change in changes if change.status == "R"}
    return present


def _authors_before(diff: Diff) -> Loaded | None:
    """authors.yaml as the merge base has it, loaded; None if the base has none."""
    if AUTHORS_FILE not in diff.registered:
        return None
    path = diff.prefix + AUTHORS_FILE
    return load_text(path, "authors", git(diff.top, "show", f"{diff.merge_base}:{path}"))


def _authors_of(authors: Loaded | None) -> dict[str, Author] | None:
    """The authors an authors.yaml lists (none if it does not load); None for no authors.yaml."""
    if authors is None:
        return None
    return dict(authors.record.authors) if authors.record is not None else {}


def _stakes(registry: str, added: Sequence[Loaded], people: trust.People, present: set[str]) -> dict[str, trust.Stake]:
    """The stake in each resolution added, by its path (the rules on approvers and dates read it)."""
    stakes = {}
    for item in added:
        if item.kind != "resolution":
            continue
        resolution: Resolution = item.record
        if trust.is_job_record(resolution, people):
            # the job's own record: written by no one with a stake, so no need to look for one
            stakes[item.path] = trust.Stake(resolution.question, (), {})
        else:
            handles = people.actors_handles() | set(resolution.approved_by)
            stakes[item.path] = _stake(registry, resolution.question, handles, present)
    return stakes


def _lookalike_ids(
    pull: PullRequest, changes: Sequence[RegistryChange], loaded: Sequence[Loaded], present: set[str]
) -> list[Problem]:
    """Rule: an id the pull request adds does not look like another one (predreg.lookalike)."""
    from .lookalike import new_ids

    registry = pull.diff.registry
    added = {os.path.join(registry, change.path) for change in changes if change.status == "A"}
    records = [i for i in loaded if i.path in added and i.kind in ("question", "prediction") and i.record is not None]
    return new_ids(records, present, registry)


def _lookalike_handles(pull: PullRequest, changes: Sequence[RegistryChange], loaded: Sequence[Loaded]) -> list[Problem]:
    """Rule: a handle the pull request adds to authors.yaml does not look like another one (predreg.lookalike)."""
    from .lookalike import new_handles

    after = next((i for i in loaded if i.kind == "authors" and i.record is not None), None)
    if after is None or not any(c.path == AUTHORS_FILE and c.status in "AM" for c in changes):
        return []
    before = _handles_before(pull)
    return new_handles(after, before) if before is not None else []


def _handles_before(pull: PullRequest) -> Iterable[str] | None:
    """The handles authors.yaml lists at the merge base (none in a new registry); None if it does not load."""
    if pull.authors_before is not None:
        record = pull.authors_before.record
        return record.authors if record is not None else None
    if any(path.startswith(AUTHORS_FILE + "/") for path in pull.diff.registered):
        return None  # a folder in its place at the base loads no more than a broken file
    return ()  # a new registry's authors are all new


def _stake(registry: str, question: str, handles: Iterable[str], present: set[str]) -> trust.Stake:
    """The forecasts on ``question`` or given it, with their reveals: all that name it, and any of ``handles``'.

    git grep finds the files that spell the id (fast on 100,000 files); a file of the
    actor or an approver is read whatever it spells, since one of theirs that hid the
    id in a YAML escape would hide their stake.
    """
    folders = tuple(f"predictions/{handle}/" for handle in handles)
    candidates = set(_mentioning(registry, question)) | {path for path in present if path.startswith(folders)}
    key = normalised(question)
    forecasts = []
    for path in sorted(candidates & present):
        if kind_of(path) != "prediction":
            continue
        record = load_file(os.path.join(registry, path), "prediction").record
        if record is not None and key in (normalised(record.question_id), normalised(record.given or "")):
            forecasts.append(record)
    return trust.Stake(question, tuple(forecasts), _reveals(registry, forecasts, present))


def _reveals(registry: str, forecasts: Sequence[Prediction], present: set[str]) -> dict[str, Reveal]:
    """The valid reveals of those ``forecasts`` that are commitments, by prediction id."""
    reveals = {}
    for forecast in forecasts:
        path = f"reveals/{forecast.id}.yaml"
        if forecast.commitment is not None and path in present:
            reveal = load_file(os.path.join(registry, path), "reveal").record
            if reveal is not None:
                reveals[forecast.id] = reveal
    return reveals


def _mentioning(registry: str, word: str) -> list[str]:
    """The prediction files (registry-relative, untracked ones too) in which ``word`` appears as a word."""
    command = ["git", "grep", "--untracked", "-z", "-l", "-I", "-F", "-w", "-i", "-e", word, "--", "predictions"]
    found = subprocess.run(command, cwd=registry, capture_output=True, encoding="utf-8", errors="surrogateescape")
    if found.returncode not in (0, 1):  # 1: no file names it
        raise GitError(f"git grep: {found.stderr.strip() or 'failed'}")
    return [path for path in found.stdout.split("\0") if path]


def _claim(prediction: Prediction, registry: Registry) -> str:
    question = registry.questions.get(prediction.question_id)
    return question.claim if question else (prediction.claim or prediction.question_id)


def markdown(result: Review) -> str:
    """A pull-request comment: the new predictions, then every problem (:mod:`predreg.comment`)."""
    return render(result)
