"""predreg's exceptions: the failures a user can cause and fix, and the signals that never leave predreg.

Every failure a user can cause is a :class:`PredregError`. It knows what to print
(``predreg: <message>; <hint>``, :meth:`PredregError.shown`) and the exit code to end
with, so the command line catches this one base and prints one line, never a
traceback. The hierarchy, with where each is raised (each module keeps its name
importable)::

    PredregError               exit 2: something the user must fix; the command did nothing
    ├── UsageError             the command cannot run as asked: a flag, a path, -o (failures.py)
    │   ├── MissingExtra       an optional dependency is not installed; names the pip extra (extras.py)
    │   ├── PluginError        an installed plugin cannot be used (plugins.py)
    │   ├── InitError          `predreg init` cannot set up here; printed as `predreg init: ...` (init.py)
    │   └── ScaffoldError      a record to write lacks a value, or its file exists (scaffold.py)
    ├── CannotWrite            a file could not be written; the hint by its cause (files.WriteError)
    ├── OutputError            standard output could not be written: a full disk, /dev/full (failures.py)
    ├── Busy                   exit 3: another run holds the registry's lock (files.py)
    ├── Unresolvable           exit 1: a question or its evidence cannot be had; nothing written (manual.py)
    ├── RegistryInvalid        exit 1: the registry has problems; they are listed, then "fix these first" (resolve.py)
    └── Cancelled              its own code (1, 130): the user left a prompt; nothing written (answers.py)

The other exceptions are internal signals: each is caught where it is raised, by
the code that turns it into what the user sees, so none reaches the command line
as such. They derive from ``Exception`` alone::

    Blocked                    a fetch refused by the rules: becomes the fetch's error (connect.py, fetch.py)
    BadAnswer                  an answer the loader refuses: the prompt asks again (answers.py)
    HelperDied                 the writer process ended: the results name what was not written (parallel.py)
    NotRegular                 a registry path that is no regular file: becomes a problem (files.py)
    PatternError               a pattern RE2 cannot run cheaply: becomes a located problem (patterns.py)
    GitError                   git could not answer: `check --base` tells it as a usage error (changes.py)
    RegistryProblems           a pytest item's file has problems: its repr_failure lists them (plugin.py)

A bug of predreg's own is none of these: the command line reports it as an internal
error (exit 4), with its traceback kept in a file (``failures.internal_error``).
"""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING

from .exits import EXIT_BUSY, EXIT_PROBLEMS, EXIT_USAGE
from .problems import one_line

if TYPE_CHECKING:
    from .problems import Problem

__all__ = [
    "BadAnswer",
    "Blocked",
    "Busy",
    "Cancelled",
    "CannotWrite",
    "HelperDied",
    "InitError",
    "MissingExtra",
    "OutputError",
    "PluginError",
    "PredregError",
    "RegistryInvalid",
    "ScaffoldError",
    "Unresolvable",
    "UsageError",
]


class PredregError(Exception):
    """A failure the user can cause and fix: the command line prints :meth:`shown` and exits with ``exit_code``."""

    exit_code: int = EXIT_USAGE

    @property
    def message(self) -> str:
        """What failed, and why (the exception's text)."""
        return str(self)

    @property
    def hint(self) -> str:
        """What to do about it, or "" when the message says it already."""
        return ""

    def shown(self) -> str:
        """The text for stderr: ``predreg: <message>; <hint>``, each line of the message made one line."""
        text = "\n".join(one_line(line) for line in self.message.split("\n"))  # (a file name can hold a newline)
        return f"predreg: {text}; {self.hint}" if self.hint else f"predreg: {text}"


class UsageError(PredregError):
    """The command cannot run as asked; the message is the line to print after ``predreg: ``."""


class MissingExtra(UsageError):
    """An optional dependency cannot be imported; the message names the extra that brings it."""

    def __init__(self, module: str, extra: str, purpose: str, missing: str | None) -> None:
        why = "is not installed" if missing in (None, module) else f"cannot be imported (no module {missing})"
        super().__init__(f"{purpose}: needs {module}, which {why}; run: pip install 'predreg[{extra}]'")
        self.module = module
        self.extra = extra


class PluginError(UsageError):
    """A plugin that cannot be used: say which, and why."""


class InitError(UsageError):
    """Something the user must fix before ``predreg init`` writes anything (exit 2)."""


class ScaffoldError(UsageError):
    """Something the user must supply or fix before anything is written."""

    def shown(self) -> str:
        """Every line of the message as a line of its own after ``predreg: `` (a problem per line)."""
        return "\n".join(f"predreg: {line}" for line in str(self).splitlines())


class CannotWrite(PredregError):
    """A file could not be written (the base of ``files.WriteError``, which says which file and why)."""

    errno: int | None

    @property
    def message(self) -> str:
        return one_line(str(self))

    @property
    def hint(self) -> str:
        """What to do about the failed write, by its cause."""
        if self.errno in (errno.ENOSPC, errno.EDQUOT):
            return "free some space and run again"
        if self.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return "check the permissions of its folder, or choose another path"
        if self.errno == errno.EISDIR:  # e.g. registry/.predreg/resolve.lock made a folder
            return "remove it or move it away (predreg keeps a file there), and run again"
        return "check the path and run again"


class OutputError(PredregError):
    """Standard output could not be written (``> /dev/full``, a disk that filled up); the text is the cause."""

    @property
    def message(self) -> str:
        return f"standard output: cannot write: {self}"

    @property
    def hint(self) -> str:
        return "free some space, or send it elsewhere"


class Busy(PredregError):
    """Another process holds the lock."""

    exit_code = EXIT_BUSY

    @property
    def hint(self) -> str:
        return "try again when it has finished"


class Unresolvable(PredregError):
    """The question or its evidence cannot be had: nothing is written (exit 1)."""

    exit_code = EXIT_PROBLEMS

    @property
    def hint(self) -> str:
        return "nothing written"


class RegistryInvalid(PredregError):
    """The registry has problems, so nothing is resolved (exit 1); ``problems`` lists them."""

    exit_code = EXIT_PROBLEMS

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


class Cancelled(PredregError):
    """The user left a prompt: nothing is written. ``code`` is the exit code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.exit_code = code

    def shown(self) -> str:
        return str(self)  # (written whole where it is raised: it follows the prompt's line)


class Blocked(Exception):
    """A fetch refused by the rules of ``predreg.fetch``: the fetch's error, never the user's."""


class BadAnswer(Exception):
    """A value the loader would refuse; the message says what to write instead (one line per problem)."""


class HelperDied(Exception):
    """The helper process ended before it answered: the call's work may be undone, or half done.

    Not an OSError: a broken pipe to the helper is not standard output closing.
    """

    def __init__(self, how: str) -> None:
        super().__init__(f"the helper process {how}")
        self.how = how
