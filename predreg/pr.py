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
  cache, the last run), committed or merely not ignored (:func:`local_state`);
- with ``--registry-only`` (the pull-request workflow), any change outside the registry
  folder, or of code and configuration inside it (:func:`confined_to_registry`).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import os
import stat
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import attrs

from . import trust
from .checks import check_registry
from .files import NotRegular, sha256_of_regular
from .load import Loaded, load_file, load_text
from .model import Author, Prediction, Resolution
from .problems import Problem
from .registry import AUTHORS_FILE, LOCAL_STATE, Registry, Stems, closure, kind_of, normalised

CODE = (
    "predreg/*",
    "*conftest.py",
    ".github/*",
    "templates/*",
    ".ci/*",
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "pytest.ini",
    "tox.ini",
    ".pre-commit-config.yaml",
    ".pre-commit-hooks.yaml",
    ".gitattributes",  # can re-encode an author's files on every fresh clone
    "*/.gitattributes",
    ".gitmodules",
    "requirements*.txt",  # pins the predreg that judges the next pull requests
    "requirements/*",
    "*.py",
)
"""Paths (from the repository's top) that run or configure what runs: never in a data pull request."""


FINAL = {
    "question": (
        "is a registered {kind} and was {verb}: registered records never change",
        "restore it; to revise a forecast add a new file with `supersedes: <id>`, which is scored after it",
    ),
    "reveal": ("is a registered {kind} and was changed: registered records never change", "restore it"),
    "resolution": (
        "is a resolution and was {verb}: resolutions are final",
        "restore it and add a correction, `resolutions/<question>.<n>.yaml` with `corrects: <file name>`",
    ),
}
"""What a pull request may not do to each kind of registered record, and what to do instead."""
FINAL["prediction"] = FINAL["question"]
FINAL["withdrawal"] = FINAL["reveal"]


class GitError(Exception):
    """git could not answer: not a repository, an unknown ref, no merge base."""


def git(top: str | Path, *args: str) -> str:
    return git_all(top, args)[0]


def git_all(top: str | Path, *commands: Sequence[str]) -> list[str]:
    """The output of each git command, all run at once (each waits on the disk in its own process)."""
    # git writes paths as bytes: UTF-8 where they are, kept byte for byte (surrogates) where not,
    # whatever the locale says (under LC_ALL=C the default would refuse any non-ASCII name)
    try:
        running = [
            (
                args,
                subprocess.Popen(
                    ["git", *args],
                    cwd=top,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    encoding="utf-8",
                    errors="surrogateescape",
                ),
            )
            for args in commands
        ]
    except FileNotFoundError:
        raise GitError("git is not installed, or not on PATH; install git (pull-request mode runs it)") from None
    outputs = []
    for args, process in running:
        out, err = process.communicate()
        if process.returncode != 0:
            for _, other in running:
                other.kill()
                other.wait()
            raise GitError(f"git {' '.join(args)}: {err.strip() or 'failed'}")
        outputs.append(out)
    return outputs


@attrs.frozen
class Change:
    status: str
    """A added, M modified, D deleted, R renamed (T, a type change, counts as M)."""
    path: str
    """Repository-relative, as git writes it (the new path of a rename)."""
    old: str | None = None


DIFF = ("diff", "--name-status", "-z", "-M")
UNTRACKED = ("ls-files", "--others", "--exclude-standard", "-z")


def changes(top: str | Path, base: str) -> list[Change]:
    """What the working tree changes relative to the commit ``base``, untracked files included."""
    return parse_changes(*git_all(top, (*DIFF, base), UNTRACKED))


def parse_changes(diff: str, untracked: str) -> list[Change]:
    """The changes in the output of ``git diff --name-status -z -M`` and ``git ls-files --others -z``."""
    fields = diff.split("\0")
    found = []
    index = 0
    while index < len(fields) - 1:
        status = fields[index][:1]
        if status == "R" or status == "C":
            found.append(Change("R" if status == "R" else "A", fields[index + 2], fields[index + 1]))
            index += 3
        else:
            found.append(Change("M" if status == "T" else status, fields[index + 1]))
            index += 2
    for path in untracked.split("\0"):
        if path:
            found.append(Change("A", path))
    return sorted(found, key=lambda change: change.path)


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
    """Check the change a pull request makes to the registry at ``registry`` against ``base``."""
    today = today or dt.datetime.now(dt.UTC).date()
    if os.path.islink(os.path.abspath(registry)):  # git, run in it, would judge the tree the link leads to
        raise GitError(f"{registry} is a symbolic link; a registry is a folder of the repository itself")
    top = git(registry, "rev-parse", "--show-toplevel").strip()
    inside = PurePosixPath(os.path.relpath(os.path.realpath(registry), os.path.realpath(top))).as_posix()
    prefix = "" if inside == "." else inside + "/"
    merge_base = git(top, "merge-base", base, "HEAD").strip()
    diff, untracked, tree = git_all(
        top, (*DIFF, merge_base), UNTRACKED, ("ls-tree", "-r", "--name-only", "-z", merge_base, "--", inside)
    )
    changed = parse_changes(diff, untracked)
    problems = local_state(top, changed, {path for path in untracked.split("\0") if path})
    problems += _registry_twins(top, changed, inside)
    irregular = not_regular(top, [c for c in changed if c.path.startswith(prefix) and not _is_local_state(c.path)])
    problems += irregular.values()
    # the rules above have said all about these: never read them
    judged = _split_crossing([c for c in changed if not _is_local_state(c.path) and c.path not in irregular], prefix)

    def refuse(path: str, field: str, message: str, hint: str) -> None:
        problems.append(Problem(os.path.join(registry, path), 1, 1, field, message, hint))

    data = [c for c in judged if c.path.startswith(prefix) and not _is_code(c.path)]
    code = [c for c in judged if _is_code(c.path)]
    if data and code:
        for change in code:
            problems.append(
                Problem(
                    os.path.relpath(os.path.join(top, change.path)),
                    1,
                    1,
                    "file",
                    "changes code or configuration in a pull request that changes registry data",
                    "split it: registry data alone in one pull request, code in another",
                )
            )

    registered = {path[len(prefix) :] for path in tree.split("\0") if path}
    now_present = registered | {c.path[len(prefix) :] for c in data if c.status in "AR"}
    now_present -= {c.path[len(prefix) :] for c in data if c.status == "D"}
    now_present -= {c.old[len(prefix) :] for c in data if c.status == "R" and c.old}
    stems = Stems(now_present)

    to_load: list[str] = []
    for change in data:
        relative = change.path[len(prefix) :]
        kind = kind_of(relative)
        if change.status == "A":
            if kind is None:
                refuse(
                    relative,
                    "file",
                    "is not a registry file",
                    "registries hold YAML records and evidence/<sha256> only",
                )
            elif kind == "evidence":
                if _evidence_hash(os.path.join(registry, relative)) != PurePosixPath(relative).name:
                    refuse(
                        relative,
                        "file",
                        "is not named by the sha256 of its bytes",
                        "store evidence as evidence/<sha256>",
                    )
            else:
                to_load.append(relative)
            continue
        old = (change.old or change.path)[len(prefix) :]
        old_kind = kind_of(old)
        if old_kind == "authors" and change.status == "M":
            to_load.append(relative)
            problems.extend(_author_changes(registry, top, merge_base, prefix + relative, actor))
        elif old_kind in FINAL:
            message, hint = FINAL[old_kind]
            verb = {"M": "edited", "D": "deleted", "R": "renamed"}[change.status]
            refuse(relative if change.status != "D" else old, "file", message.format(kind=old_kind, verb=verb), hint)
        elif old_kind == "evidence":
            refuse(
                old, "file", "is stored evidence and was changed", "restore it: evidence bodies are named by their hash"
            )
        elif old_kind == "authors":
            refuse(old, "file", f"authors.yaml was {'deleted' if change.status == 'D' else 'renamed'}", "restore it")

    records = closure(registry, to_load, now_present, stems)
    checked = check_registry(records, today=today)
    loaded = list(records.loaded)
    problems.extend(checked.problems_in(os.path.join(registry, path) for path in to_load))
    problems += _lookalike_names(registry, top, merge_base, prefix, data, loaded, now_present)
    mine = {os.path.join(registry, path) for path in to_load}

    added = [item for item in loaded if item.kind == "prediction" and item.path in mine and item.record is not None]
    for item in added:
        prediction: Prediction = item.record
        for other in stems.of(prediction.id):
            if other in registered and os.path.join(registry, other) != item.path:
                problems.append(
                    trust.at(item, "id", f"`{prediction.id}` is already registered as {other}", "choose another id")
                )
        if abs((prediction.registered - today).days) > tolerance:
            problems.append(
                trust.at(
                    item,
                    "registered",
                    f"is {prediction.registered}, but the pull request is checked on {today} (UTC)",
                    f"date a new prediction the day it is registered, `registered: {today}`"
                    f" (within {tolerance} day(s)); git dates are not evidence of when it was written",
                )
            )
        if actor is not None and not _is(actor, prediction.author, checked):
            logins = checked.authors.get(prediction.author)
            listed = ", ".join(logins.github) if logins and logins.github else "none"
            problems.append(
                trust.at(
                    item,
                    "author",
                    f"`{prediction.author}` is not `{actor}`, who opened the pull request",
                    f"register your own predictions; {prediction.author}'s GitHub logins in authors.yaml: {listed}",
                )
            )
        problems.extend(trust.after_resolution(item, checked))
    people = trust.People.of(actor, approved_by, checked.authors, _authors_at(top, merge_base, prefix, registered))
    for item in loaded:
        if item.path in mine and item.record is not None:
            problems.extend(_people_and_dates(registry, item, people, loaded, now_present, today, tolerance))
        if item.kind in ("reveal", "withdrawal") and item.path in mine and item.record is not None and actor:
            owner = checked.predictions.get(item.record.prediction)
            if owner is not None and not _is(actor, owner.author, checked):
                hint = f"only {owner.author} may {'reveal' if item.kind == 'reveal' else 'withdraw'} their prediction"
                problems.append(trust.at(item, "prediction", f"is {owner.author}'s, not `{actor}`'s", hint))

    new = [
        (item.record, _claim(item.record, checked)) for item in added if not any(p.path == item.path for p in problems)
    ]
    return Review(base, changed, sorted(set(problems)), new, checked)


def _split_crossing(changed: list[Change], prefix: str) -> list[Change]:
    """Renames across the registry's edge as a deletion and an addition.

    A file renamed into the registry is a new file there and meets every rule for one; a
    registered file renamed out of it is a deleted record.
    """
    split: list[Change] = []
    for change in changed:
        if change.status == "R" and change.old and change.old.startswith(prefix) != change.path.startswith(prefix):
            split += [Change("D", change.old), Change("A", change.path)]
        else:
            split.append(change)
    return split


def _is_code(path: str) -> bool:
    return any(fnmatch.fnmatch(path, pattern) for pattern in CODE)


def _is_local_state(path: str) -> bool:
    return LOCAL_STATE in PurePosixPath(path).parts


def _evidence_hash(path: str) -> str | None:
    """The sha256 of a stored evidence body; None if it is gone or not a regular file (never followed, nor read)."""
    try:
        return sha256_of_regular(path)
    except (NotRegular, OSError):
        return None


def not_regular(top: str, changed: Sequence[Change]) -> dict[str, Problem]:
    """Rule: an added or changed registry path is a regular file, never a link, a submodule or a folder.

    A symbolic link's target can change later with no registry file changing (a docs-only
    pull request then edits a registered forecast), and reading one follows it, to
    ``/etc/passwd`` or ``/dev/zero``; so nothing behind one is read or shown. A submodule
    (a gitlink) checks out as a folder. The problems are keyed by the path changed.
    """
    problems = {}
    for change in changed:
        if change.status == "D":
            continue
        where = os.path.join(top, change.path)
        try:
            mode = os.lstat(where).st_mode
        except OSError:
            continue  # not in the working tree: the other rules say what is missing
        if stat.S_ISLNK(mode):
            message = "is a symbolic link: the file it points to could change without this one changing"
        elif stat.S_ISDIR(mode):
            message = "is a folder where git records a file (a submodule)"
        elif not stat.S_ISREG(mode):
            message = "is not a regular file"
        else:
            continue
        hint = "commit the record itself, a regular file"
        problems[change.path] = Problem(os.path.relpath(where), 1, 1, "file", message, hint)
    return problems


def _registry_twins(top: str, changed: Sequence[Change], inside: str) -> list[Problem]:
    """Rule: nothing is added in a folder that is the registry's but for case (predreg.lookalike)."""
    from .lookalike import registry_twins

    added = [change.path for change in changed if change.status != "D"]
    message = f"is in a folder spelled like `{inside}/` but for case: on macOS or Windows it is the registry"
    hint = f"predreg never checks it there; move it into {inside}/"
    return [
        Problem(os.path.relpath(os.path.join(top, p)), 1, 1, "file", message, hint)
        for p in registry_twins(added, inside)
    ]


def _lookalike_names(
    registry: str,
    top: str,
    merge_base: str,
    prefix: str,
    data: Sequence[Change],
    loaded: Sequence[Loaded],
    present: set[str],
) -> list[Problem]:
    """Rule: a handle or an id the pull request adds does not look like another one (predreg.lookalike)."""
    from .lookalike import new_handles, new_ids

    added = {os.path.join(registry, change.path[len(prefix) :]) for change in data if change.status == "A"}
    records = [i for i in loaded if i.path in added and i.kind in ("question", "prediction") and i.record is not None]
    problems = new_ids(records, present, registry)
    authors = prefix + AUTHORS_FILE
    after = next((i for i in loaded if i.kind == "authors" and i.record is not None), None)
    if after is not None and any(c.path == authors and c.status in "AM" for c in data):
        before: Any = None  # a new registry's authors are all new
        if git(top, "ls-tree", "--name-only", merge_base, "--", authors).strip():
            before = load_text(authors, "authors", git(top, "show", f"{merge_base}:{authors}")).record
            if before is None:  # the base's own authors.yaml does not load: nothing to tell new handles by
                return problems
        problems += new_handles(after, before.authors if before is not None else ())
    return problems


def local_state(top: str, changed: Sequence[Change], untracked: set[str]) -> list[Problem]:
    """Rule: no file under a ``.predreg/`` folder is added or changed, committed or not ignored.

    The index there is believed only by the process that wrote it (predreg.index), so
    a committed copy does no harm to the check, but it is a machine's cache in the
    record, and a pull request of 50 MB. Deleting one is the fix, and is allowed.
    """
    problems = []
    for change in changed:
        if change.status == "D" or not _is_local_state(change.path):
            continue
        where = os.path.relpath(os.path.join(top, change.path))
        if change.path in untracked:
            message = "is predreg's local state, and git does not ignore it: `git add -A` would commit it"
            hint = "add `.predreg/` to .gitignore (`predreg init` writes it)"
        else:
            message = "is predreg's local state (the index and caches of one machine), committed to git"
            hint = f"remove it from git with `git rm --cached {change.path}` and add `.predreg/` to .gitignore"
        problems.append(Problem(where, 1, 1, "file", message, hint))
    return problems


def confined_to_registry(registry: str, result: Review) -> Review:
    """Rule (``--registry-only``): the pull request changes registry data and nothing else.

    The pull-request workflow asks for it. There a path outside the registry folder (a
    ``pytest.py`` at the top, a workflow, a README) or code and configuration inside it
    (a ``registry/conftest.py``, a ``registry/.gitattributes``) has no business in the
    pull request, whether or not it also changes data: code reaches the default branch
    through its maintainers, never through the check that judges data. Each such path
    (both sides of a rename) is one problem naming it; git tells which paths changed
    from its objects, so a sparse checkout of the registry alone still shows them.
    """
    top = git(registry, "rev-parse", "--show-toplevel").strip()
    inside = PurePosixPath(os.path.relpath(os.path.realpath(registry), os.path.realpath(top))).as_posix()
    prefix = "" if inside == "." else inside + "/"
    named = {problem.path for problem in result.problems}
    found = []
    for change in result.changes:
        for path in dict.fromkeys(p for p in (change.path, change.old) if p and not _is_local_state(p)):
            where = os.path.relpath(os.path.join(top, path))
            if where in named:
                continue  # another rule has already refused this path
            if not path.startswith(prefix):
                message = f"is outside the registry ({inside}/), and this check takes registry data only"
                hint = "leave it out: open a pull request of registry files alone (code goes in one of its own)"
            elif _is_code(path):
                message = "is code or configuration inside the registry, and this check takes registry data only"
                hint = "remove it: a registry holds YAML records and evidence/<sha256> only"
            else:
                continue
            found.append(Problem(where, 1, 1, "file", message, hint))
    return attrs.evolve(result, problems=sorted(set(result.problems) | set(found)))


def _is(actor: str, handle: str, registry: Registry) -> bool:
    """Whether the GitHub login ``actor`` is the author ``handle``."""
    return actor.lower() in trust.logins_of(handle, registry.authors.get(handle))


def _people_and_dates(
    registry: str,
    item: Loaded,
    people: trust.People,
    loaded: Sequence[Loaded],
    present: set[str],
    today: dt.date,
    tolerance: int,
) -> list[Problem]:
    """The rules of :mod:`predreg.trust` that apply to the added record ``item``."""
    if item.kind in ("reveal", "withdrawal"):
        return trust.dated_today(item, today, tolerance)
    if item.kind != "resolution":
        return []
    resolution: Resolution = item.record
    problems = trust.automatic_record(item, people)
    if people.is_resolve_job and resolution.resolved_by == trust.JOB:
        # the job's own record: dated by its evidence, written by no one with a stake (no need to look for one)
        return problems + trust.approvals(item, people, trust.Stake(resolution.question, (), {}))
    handles = people.actors_handles() | set(resolution.approved_by)
    stake = _stake(registry, resolution.question, handles, present)
    problems += trust.approvals(item, people, stake) + trust.self_resolution(item, people, stake)
    corrected = [
        other.record
        for other in loaded
        if other.kind == "resolution" and other.stem == resolution.corrects and other.record is not None
    ]
    problems += trust.dated_today(item, today, tolerance, corrected[0] if corrected else None)
    return problems + trust.backdated(item, stake)


def _authors_at(top: str, commit: str, prefix: str, registered: set[str]) -> dict[str, Author] | None:
    """authors.yaml as the commit (the merge base) has it; None if it has none."""
    if AUTHORS_FILE not in registered:
        return None
    path = prefix + AUTHORS_FILE
    record = load_text(path, "authors", git(top, "show", f"{commit}:{path}")).record
    return dict(record.authors) if record is not None else {}


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
    reveals = {}
    for forecast in forecasts:
        path = f"reveals/{forecast.id}.yaml"
        if forecast.commitment is not None and path in present:
            reveal = load_file(os.path.join(registry, path), "reveal").record
            if reveal is not None:
                reveals[forecast.id] = reveal
    return trust.Stake(question, tuple(forecasts), reveals)


def _mentioning(registry: str, word: str) -> list[str]:
    """The prediction files (registry-relative, untracked ones too) in which ``word`` appears as a word."""
    command = ["git", "grep", "--untracked", "-z", "-l", "-I", "-F", "-w", "-i", "-e", word, "--", "predictions"]
    found = subprocess.run(command, cwd=registry, capture_output=True, encoding="utf-8", errors="surrogateescape")
    if found.returncode not in (0, 1):  # 1: no file names it
        raise GitError(f"git grep: {found.stderr.strip() or 'failed'}")
    return [path for path in found.stdout.split("\0") if path]


def _author_changes(registry: str, top: str, merge_base: str, path: str, actor: str | None) -> list[Problem]:
    """Authors are never removed, and an author's entry is changed only by that author."""
    before = load_text(path, "authors", git(top, "show", f"{merge_base}:{path}")).record
    after = load_file(os.path.join(top, path), "authors").record
    if before is None or after is None:
        return []
    problems = []
    where = os.path.join(registry, AUTHORS_FILE)
    for handle, entry in before.authors.items():
        if handle not in after.authors:
            problems.append(
                Problem(
                    where, 1, 1, f"authors.{handle}", "was removed: an author's forecasts stay scored", "restore it"
                )
            )
        elif after.authors[handle] != entry and (actor is None or actor.lower() not in trust.logins_of(handle, entry)):
            problems.append(
                Problem(
                    where,
                    1,
                    1,
                    f"authors.{handle}",
                    f"was changed by {actor or 'an unknown actor'}, not by {handle}",
                    f"only {handle} (GitHub: {', '.join(entry.github) or handle}) may change their entry",
                )
            )
    return problems


def _claim(prediction: Prediction, registry: Registry) -> str:
    question = registry.questions.get(prediction.question_id)
    return question.claim if question else (prediction.claim or prediction.question_id)


def forecast_text(prediction: Prediction) -> str:
    """A prediction's forecast in a few characters, for a summary table."""
    if prediction.probability is not None:
        return f"{prediction.probability:g}"
    if prediction.probabilities:
        return ", ".join(f"{k} {v:g}" for k, v in prediction.probabilities.items())
    if prediction.quantiles:
        return ", ".join(f"q{k:g}: {v:g}" for k, v in sorted(prediction.quantiles.items()))
    return "(hidden)"


def markdown(result: Review) -> str:
    """A pull-request comment: the new predictions, then every problem (:mod:`predreg.comment`)."""
    from .comment import render

    return render(result)
