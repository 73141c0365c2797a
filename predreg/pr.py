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
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath
from typing import Any

import attrs

from . import change_rules, trust
from .change_rules import PullRequest, RegistryChange, confined_to_registry
from .changes import Change, Diff, GitError, changes, git, git_all, parse_changes
from .checks import Registry, check_registry, normalised
from .comment import forecast_text, render
from .load import AUTHORS_FILE, Layout, Loaded, load_file, load_text
from .model import Author, Prediction, Question, Resolution, Reveal, Withdrawal
from .problems import Problem

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


def kind_of(relative: str) -> str | None:
    """The record kind of a path inside a registry ("evidence" for stored bodies), or None."""
    parts = relative.split("/")
    if parts == [AUTHORS_FILE]:
        return "authors"
    if len(parts) == 2 and parts[0] == "evidence":
        return "evidence"
    if not relative.endswith(".yaml"):
        return None
    if len(parts) == 2 and parts[0] in ("questions", "resolutions", "reveals", "withdrawals"):
        return parts[0][:-1]
    if len(parts) == 3 and parts[0] == "predictions":
        return "prediction"
    return None


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
    edits = [_in_registry(change, diff) for change in data]
    problems += change_rules.judge(edits, pull)

    present = _present_after(diff.registered, edits)
    stems = Stems(present)
    to_load = [edit.path for edit in edits if _is_read(edit)]
    checked, loaded, own = check_with_references(registry, to_load, stems, present, today)
    mine = {os.path.join(registry, path) for path in to_load}
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


class Stems:
    """Question and prediction files by normalised record id (the file name), looked up on demand.

    A check looks up a few ids among a registry's many names. When every name is ASCII
    (the usual case) a lookup searches one lower-cased listing of them, which costs far
    less than filing 100,000 names by id first; a single non-ASCII name means filing them
    all, since NFKC can make different spellings equal.
    """

    def __init__(self, paths: Iterable[str]) -> None:
        self.listing = "\0" + "\0".join(paths) + "\0"
        self.lowered = self.listing.lower() if self.listing.isascii() else None
        self.filed: dict[str, list[str]] | None = None if self.lowered is not None else self._file_all()

    def of(self, identifier: str) -> list[str]:
        """The question and prediction files whose id is ``identifier``, once both are normalised."""
        key = normalised(identifier)
        if self.filed is not None:
            return self.filed.get(key, [])
        assert self.lowered is not None
        found, needle, at = [], f"/{key}.yaml\0", 0
        while (at := self.lowered.find(needle, at)) >= 0:
            start = self.lowered.rfind("\0", 0, at) + 1
            path = self.listing[start : at + len(needle) - 1]
            if path.startswith(("questions/", "predictions/")):
                found.append(path)
            at += len(needle) - 1
        return found

    def _file_all(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = defaultdict(list)
        for path in self.listing.split("\0"):
            if path.endswith(".yaml") and path.startswith(("questions/", "predictions/")):
                found[normalised(path[path.rindex("/") + 1 : -5])].append(path)
        return dict(found)


def check_with_references(
    root: str,
    mine: Sequence[str],
    stems: Stems,
    present: set[str],
    today: dt.date | None,
    new: Loaded | None = None,
) -> tuple[Registry, list[Loaded], list[Problem]]:
    """Check the files ``mine`` (and a ``new`` record not yet written) with only what they refer to.

    Loads them, authors.yaml and the records they refer to, and what those refer to;
    runs the registry-wide rules on that set. Gives the registry it makes, every file
    loaded, and the problems of ``mine`` and ``new`` alone.
    """
    referred = [p for ref in _references(new.record) for p in stems.of(ref)] if new else []
    loaded = load_closure(root, [AUTHORS_FILE, *mine, *referred], stems, present)
    if new is not None:
        loaded = [item for item in loaded if item.path != new.path] + [new]
    registry = check_registry(root, today=today, files=loaded, layout=Layout(root, [], []))
    own = {os.path.join(root, path) for path in mine} | ({new.path} if new else set())
    return registry, loaded, [p for p in registry.problems if p.path in own]


def _references(record: Any) -> list[str]:
    """The ids a record refers to (its question, condition, revised prediction, revealed prediction)."""
    refs = [getattr(record, name, None) for name in ("question", "given", "supersedes", "prediction")]
    return [ref for ref in refs if isinstance(ref, str)]


def load_closure(registry: str, first: list[str], stems: Stems, present: set[str]) -> list[Loaded]:
    """Load ``first`` and every record they refer to, and what those refer to."""
    loaded: dict[str, Loaded] = {}
    resolutions_of: dict[str, list[str]] = defaultdict(list)
    for path in present:
        if path.startswith("resolutions/"):
            resolutions_of[_resolution_of(path)].append(path)
    queue = list(first)
    while queue:
        relative = queue.pop()
        # lexists, not is_file: a FIFO, a folder or a dangling link there is loaded, to be refused by name
        if relative in loaded or not os.path.lexists(os.path.join(registry, relative)):
            continue
        kind = kind_of(relative)
        if kind is None or kind == "evidence":
            continue
        item = load_file(os.path.join(registry, relative), kind)
        loaded[relative] = item
        record = item.record
        refs: list[str] = []
        if isinstance(record, Prediction):
            refs = [r for r in (record.question, record.given, record.supersedes) if r]
        elif isinstance(record, Reveal | Withdrawal):
            refs = [record.prediction]
        elif isinstance(record, Resolution):
            refs = [record.question]
            queue += resolutions_of.get(record.question, [])
        if isinstance(record, Prediction | Question):  # files sharing its id: the duplicate rule names both
            queue += stems.of(PurePosixPath(relative).name.removesuffix(".yaml"))
            if isinstance(record, Question) or record.question is None:  # it states a question: its resolutions
                queue += resolutions_of.get(record.id, [])
        for ref in refs:
            queue += stems.of(ref)
    return [loaded[path] for path in sorted(loaded)]


def _resolution_of(path: str) -> str:
    """The question id of a resolution file: `<qid>.yaml` or `<qid>.<n>.yaml`."""
    stem = path[path.rfind("/") + 1 :].removesuffix(".yaml")
    head, _, tail = stem.rpartition(".")
    return head if head and tail.isdigit() else stem


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
