"""The pull-request rules on each changed path: stages 1 and 2 of ``predreg check --base``.

Each rule is a function ``(change, context) -> Iterable[Problem]`` named for what it
holds to, and listed in a table, so it can be found, read and tested by its name.

- Stage 1, :data:`PATH_RULES`: a path as git reports it, judged before any file is
  read (:func:`judged_changes`). A path under ``.predreg/`` and a path that is no
  regular file are judged no further: those rules have said all about them. A change
  of code or configuration beside registry data is refused here too
  (:func:`code_with_data`).
- Stage 2, :data:`CHANGE_RULES`: a change to a registry file, judged by what it does
  to the file: a registered record is never edited, renamed or deleted, a stored
  evidence body never changes, and an author's entry in authors.yaml is theirs.

The rules on what the records added say (their dates, authors and approvers) need
those records loaded and checked with what they refer to: they are stage 3, in
:mod:`predreg.trust`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

import attrs

from . import trust
from .changes import Change, Diff, is_code, is_local_state, locate, split_crossing
from .files import NotRegular, sha256_of_regular
from .load import Loaded, load_file
from .model import Author
from .problems import Problem
from .registry import AUTHORS_FILE

if TYPE_CHECKING:
    from .pr import Review

PathRule = Callable[[Change, Diff], Iterable[Problem]]
"""A stage-1 rule: a changed path as git reports it, and the diff it is part of."""


def local_state(change: Change, diff: Diff) -> Iterable[Problem]:
    """Rule: no file under a ``.predreg/`` folder is added or changed, committed or not ignored.

    The index there is believed only by the process that wrote it (predreg.index), so
    a committed copy does no harm to the check, but it is a machine's cache in the
    record, and a pull request of 50 MB. Deleting one is the fix, and is allowed.
    """
    if change.status == "D" or not is_local_state(change.path):
        return
    where = os.path.relpath(os.path.join(diff.top, change.path))
    if change.path in diff.untracked:
        message = "is predreg's local state, and git does not ignore it: `git add -A` would commit it"
        hint = "add `.predreg/` to .gitignore (`predreg init` writes it)"
    else:
        message = "is predreg's local state (the index and caches of one machine), committed to git"
        hint = f"remove it from git with `git rm --cached {change.path}` and add `.predreg/` to .gitignore"
    yield Problem(where, 1, 1, "file", message, hint)


def registry_twin(change: Change, diff: Diff) -> Iterable[Problem]:
    """Rule: nothing is added in a folder that is the registry's but for case (predreg.lookalike)."""
    from .lookalike import registry_twins

    if change.status == "D" or not registry_twins([change.path], diff.inside):
        return
    message = f"is in a folder spelled like `{diff.inside}/` but for case: on macOS or Windows it is the registry"
    hint = f"predreg never checks it there; move it into {diff.inside}/"
    yield Problem(os.path.relpath(os.path.join(diff.top, change.path)), 1, 1, "file", message, hint)


def not_regular(change: Change, diff: Diff) -> Iterable[Problem]:
    """Rule: an added or changed registry path is a regular file, never a link, a submodule or a folder.

    A symbolic link's target can change later with no registry file changing (a docs-only
    pull request then edits a registered forecast), and reading one follows it, to
    ``/etc/passwd`` or ``/dev/zero``; so nothing behind one is read or shown. A submodule
    (a gitlink) checks out as a folder.
    """
    if change.status == "D" or not change.path.startswith(diff.prefix) or is_local_state(change.path):
        return
    where = os.path.join(diff.top, change.path)
    try:
        mode = os.lstat(where).st_mode
    except OSError:
        return  # not in the working tree: the other rules say what is missing
    if stat.S_ISLNK(mode):
        message = "is a symbolic link: the file it points to could change without this one changing"
    elif stat.S_ISDIR(mode):
        message = "is a folder where git records a file (a submodule)"
    elif not stat.S_ISREG(mode):
        message = "is not a regular file"
    else:
        return
    yield Problem(os.path.relpath(where), 1, 1, "file", message, "commit the record itself, a regular file")


PATH_RULES: tuple[PathRule, ...] = (local_state, registry_twin, not_regular)
"""Stage 1: the rules on each changed path, before any file is read."""


def code_with_data(judged: Sequence[Change], data: Sequence[Change], diff: Diff) -> list[Problem]:
    """Rule: a pull request that changes registry data changes no code or configuration (:data:`changes.CODE`)."""
    if not data:
        return []
    message = "changes code or configuration in a pull request that changes registry data"
    hint = "split it: registry data alone in one pull request, code in another"
    code = [change.path for change in judged if is_code(change.path)]
    return [Problem(os.path.relpath(os.path.join(diff.top, path)), 1, 1, "file", message, hint) for path in code]


def judged_changes(diff: Diff) -> tuple[list[Change], list[Problem]]:
    """Stage 1: the registry data changes to judge further, and the problems of every changed path.

    Renames across the registry's edge come back as a deletion and an addition.
    """
    problems: list[Problem] = []
    kept = []
    for change in diff.changed:
        found = {rule: list(rule(change, diff)) for rule in PATH_RULES}
        problems += [problem for refused in found.values() for problem in refused]
        # predreg's own state is never a record, and what is no regular file is never read: neither goes on
        if not found.get(not_regular) and not is_local_state(change.path):
            kept.append(change)
    judged = split_crossing(kept, diff.prefix)
    data = [change for change in judged if change.path.startswith(diff.prefix) and not is_code(change.path)]
    return data, problems + code_with_data(judged, data, diff)


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
    top, inside = locate(registry)
    named = {problem.path for problem in result.problems}
    found = []
    for change in result.changes:
        for path in dict.fromkeys(p for p in (change.path, change.old) if p and not is_local_state(p)):
            where = os.path.relpath(os.path.join(top, path))
            why = _no_registry_data(path, inside)
            if why is not None and where not in named:  # a path another rule refused is not named twice
                found.append(Problem(where, 1, 1, "file", *why))
    return attrs.evolve(result, problems=sorted(set(result.problems) | set(found)))


def _no_registry_data(path: str, inside: str) -> tuple[str, str] | None:
    """Why the path (from the top) is no registry data (message, hint); None if it is."""
    if not path.startswith("" if inside == "." else inside + "/"):
        message = f"is outside the registry ({inside}/), and this check takes registry data only"
        return message, "leave it out: open a pull request of registry files alone (code goes in one of its own)"
    if is_code(path):
        message = "is code or configuration inside the registry, and this check takes registry data only"
        return message, "remove it: a registry holds YAML records and evidence/<sha256> only"
    return None


# --- stage 2: what a change does to a registry file ------------------------------------------


@attrs.frozen
class RegistryChange:
    """A change to a file of the registry, in the registry's terms: paths from its folder, the kind of each."""

    status: str
    """A added, M modified, D deleted, R renamed (as :class:`predreg.changes.Change`)."""
    path: str
    """The path from the registry folder (the new path of a rename)."""
    old: str
    """The path before the change: ``path`` but for a rename."""
    kind: str | None
    """The record kind that ``path`` holds ("evidence" for stored bodies), or None for no registry file."""
    old_kind: str | None
    """The record kind that ``old`` held."""


@attrs.frozen
class PullRequest:
    """What a stage-2 rule knows: git's diff, who opened the pull request, and authors.yaml at the merge base."""

    diff: Diff
    actor: str | None
    """The login that opened the pull request; None when not known (a local check)."""
    authors_before: Loaded | None
    """authors.yaml as the merge base has it; None if the base has none (a registry's first pull request)."""

    def refused(self, path: str, message: str, hint: str) -> Problem:
        """A problem with the whole file at ``path`` (from the registry folder)."""
        return Problem(os.path.join(self.diff.registry, path), 1, 1, "file", message, hint)


ChangeRule = Callable[[RegistryChange, PullRequest], Iterable[Problem]]
"""A stage-2 rule: a change to a registry file, and the pull request it is part of."""

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

VERBS = {"M": "edited", "D": "deleted", "R": "renamed"}


def registry_file(change: RegistryChange, pull: PullRequest) -> Iterable[Problem]:
    """Rule: a file added to the registry is a record or a stored evidence body, nothing else."""
    if change.status == "A" and change.kind is None:
        yield pull.refused(
            change.path, "is not a registry file", "registries hold YAML records and evidence/<sha256> only"
        )


def evidence_named_by_hash(change: RegistryChange, pull: PullRequest) -> Iterable[Problem]:
    """Rule: a stored evidence body added is named by the sha256 of its bytes, so nobody can swap it later."""
    if change.status != "A" or change.kind != "evidence":
        return
    if _evidence_hash(os.path.join(pull.diff.registry, change.path)) != PurePosixPath(change.path).name:
        yield pull.refused(
            change.path, "is not named by the sha256 of its bytes", "store evidence as evidence/<sha256>"
        )


def _evidence_hash(path: str) -> str | None:
    """The sha256 of a stored evidence body; None if it is gone or not a regular file (never followed, nor read)."""
    try:
        return sha256_of_regular(path)
    except (NotRegular, OSError):
        return None


def registered_is_final(change: RegistryChange, pull: PullRequest) -> Iterable[Problem]:
    """Rule: a registered question, prediction, reveal, withdrawal or resolution is never edited, renamed or deleted.

    Revisions are new files with ``supersedes:``, corrections new files with ``corrects:``
    (:data:`FINAL` says which, for each kind).
    """
    if change.status == "A" or change.old_kind not in FINAL:
        return
    message, hint = FINAL[change.old_kind]
    text = message.format(kind=change.old_kind, verb=VERBS[change.status])
    yield pull.refused(change.path if change.status != "D" else change.old, text, hint)


def evidence_is_final(change: RegistryChange, pull: PullRequest) -> Iterable[Problem]:
    """Rule: a stored evidence body is never edited, renamed or deleted: resolutions cite it by its hash."""
    if change.status != "A" and change.old_kind == "evidence":
        hint = "restore it: evidence bodies are named by their hash"
        yield pull.refused(change.old, "is stored evidence and was changed", hint)


def authors_file_kept(change: RegistryChange, pull: PullRequest) -> Iterable[Problem]:
    """Rule: authors.yaml is never deleted nor renamed: it says who each forecast's author is."""
    if change.status not in ("A", "M") and change.old_kind == "authors":
        yield pull.refused(
            change.old, f"authors.yaml was {'deleted' if change.status == 'D' else 'renamed'}", "restore it"
        )


def own_author_entries(change: RegistryChange, pull: PullRequest) -> Iterable[Problem]:
    """Rule: no author leaves authors.yaml, and an author's entry is changed by that author alone."""
    if change.status != "M" or change.old_kind != "authors" or pull.authors_before is None:
        return []
    before = pull.authors_before.record
    after = load_file(os.path.join(pull.diff.top, pull.diff.prefix + change.path), "authors").record
    if before is None or after is None:
        return []
    return _entries_changed(before.authors, after.authors, pull)


def _entries_changed(before: Mapping[str, Author], after: Mapping[str, Author], pull: PullRequest) -> list[Problem]:
    """The authors removed, and the entries changed by someone who is not their author."""
    where = os.path.join(pull.diff.registry, AUTHORS_FILE)
    problems = []
    for handle, entry in before.items():
        if handle not in after:
            message = "was removed: an author's forecasts stay scored"
            problems.append(Problem(where, 1, 1, f"authors.{handle}", message, "restore it"))
        elif after[handle] != entry and not _acts_as(pull.actor, handle, entry):
            message = f"was changed by {pull.actor or 'an unknown actor'}, not by {handle}"
            hint = f"only {handle} (GitHub: {', '.join(entry.github) or handle}) may change their entry"
            problems.append(Problem(where, 1, 1, f"authors.{handle}", message, hint))
    return problems


def _acts_as(actor: str | None, handle: str, entry: Author) -> bool:
    return actor is not None and actor.lower() in trust.logins_of(handle, entry)


CHANGE_RULES: tuple[ChangeRule, ...] = (
    registry_file,
    evidence_named_by_hash,
    registered_is_final,
    evidence_is_final,
    authors_file_kept,
    own_author_entries,
)
"""Stage 2: the rules on each change to a registry file, by what it does to the file."""


def judge(changes: Sequence[RegistryChange], pull: PullRequest) -> list[Problem]:
    """Stage 2: every rule of :data:`CHANGE_RULES` on every change to a registry file."""
    return [problem for change in changes for rule in CHANGE_RULES for problem in rule(change, pull)]
