"""What a pull request changes, as git tells it: the first stage of ``predreg check --base``.

git runs as a subprocess (:func:`git_all` runs several at once, each waiting on the disk
in its own process) and is read in its ``-z`` formats, so a path holding a newline, a
tab or bytes that are no UTF-8 arrives whole. Nothing here reads a registry file: it
says which paths changed and how, and where the registry folder is in the repository.
The rules that judge those paths are in :mod:`predreg.change_rules` and
:mod:`predreg.trust`; :mod:`predreg.pr` runs them in order.
"""

from __future__ import annotations

import fnmatch
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

import attrs

from .registry import LOCAL_STATE

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


class GitError(Exception):
    """git could not answer: not a repository, an unknown ref, no merge base."""


def git(top: str | Path, *args: str) -> str:
    """The output of one git command, run in ``top``."""
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


def locate(registry: str) -> tuple[str, str]:
    """The repository's top folder, and the registry folder's path from it (``.`` when it is the top)."""
    top = git(registry, "rev-parse", "--show-toplevel").strip()
    inside = PurePosixPath(os.path.relpath(os.path.realpath(registry), os.path.realpath(top))).as_posix()
    return top, inside


@attrs.frozen
class Diff:
    """What git says a pull request changes: the repository, the registry folder in it, the paths changed."""

    registry: str
    """The registry folder as the command was given it: problems name paths joined to it."""
    top: str
    """The repository's top folder."""
    inside: str
    """The registry folder's path from the top, ``.`` when it is the top."""
    merge_base: str
    """The commit the pull request is compared with: the merge base of the base ref and HEAD."""
    changed: tuple[Change, ...]
    """Every path changed since the merge base, in the working tree, untracked ones included."""
    untracked: frozenset[str]
    """The changed paths that git does not track (nor ignore)."""
    registered: frozenset[str]
    """Every file in the registry folder at the merge base, registry-relative."""

    @property
    def prefix(self) -> str:
        """What the registry's paths start with, from the top: ``registry/``, or nothing."""
        return "" if self.inside == "." else self.inside + "/"

    def relative(self, path: str) -> str:
        """A path from the repository's top, inside the registry, as a path from the registry."""
        return path[len(self.prefix) :]

    @classmethod
    def of(cls, registry: str, base: str) -> Diff:
        """What the working tree changes against the merge base of ``base``; raises GitError if git cannot say."""
        if os.path.islink(os.path.abspath(registry)):  # git, run in it, would judge the tree the link leads to
            raise GitError(f"{registry} is a symbolic link; a registry is a folder of the repository itself")
        top, inside = locate(registry)
        merge_base = git(top, "merge-base", base, "HEAD").strip()
        listing = ("ls-tree", "-r", "--name-only", "-z", merge_base, "--", inside)
        diff, untracked, tree = git_all(top, (*DIFF, merge_base), UNTRACKED, listing)
        prefix = "" if inside == "." else inside + "/"
        return cls(
            registry,
            top,
            inside,
            merge_base,
            tuple(parse_changes(diff, untracked)),
            frozenset(path for path in untracked.split("\0") if path),
            frozenset(path[len(prefix) :] for path in tree.split("\0") if path),
        )


def split_crossing(changed: Sequence[Change], prefix: str) -> list[Change]:
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


def is_code(path: str) -> bool:
    """Whether the path (from the repository's top) runs or configures what runs (:data:`CODE`)."""
    return any(fnmatch.fnmatch(path, pattern) for pattern in CODE)


def is_local_state(path: str) -> bool:
    """Whether the path is under a ``.predreg/`` folder (:data:`LOCAL_STATE`)."""
    return LOCAL_STATE in PurePosixPath(path).parts
