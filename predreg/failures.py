"""How the command line fails: one line for each failure a user can cause, never a traceback.

What is checked before any work (the registry folder, the shape of ``-o``), how a
full standard output is detected, and the last resort for a bug of ours: one line,
with the traceback kept in a file for the report. The errors themselves, and how each
is told, are ``predreg.errors`` (``UsageError`` and ``OutputError`` are re-exported here).
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import OutputError, UsageError
from .files import blocking_file
from .version import __version__


class Output:
    """``sys.stdout``, with a failure to write it told apart from every other OSError."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return int(self._stream.write(text))
        except BrokenPipeError:  # `| head`: handled as such
            raise
        except OSError as error:
            raise OutputError((error.strerror or str(error)).lower()) from error

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as error:
            raise OutputError((error.strerror or str(error)).lower()) from error

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding: the stream's own
        return getattr(self._stream, name)


def tolerant_output() -> None:
    """Print what cannot be encoded as backslash escapes instead of failing.

    Under ``LC_ALL=C`` stdout is ASCII, and a file name that is not UTF-8 arrives as
    surrogates that no encoding takes: a claim in Greek or such a name must still print.
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def internal_error(error: Exception, argv: Sequence[str] | None) -> None:
    """A bug of ours: one line for the user, the traceback in a file to attach to the report.

    With ``PREDREG_DEBUG`` set (the test suite sets it) the exception is raised instead.
    """
    if os.environ.get("PREDREG_DEBUG"):
        raise error
    command = " ".join(["predreg", *(sys.argv[1:] if argv is None else argv)])
    details = f"{command}\npredreg {__version__}, Python {sys.version.split()[0]}\n\n{traceback.format_exc()}"
    try:
        handle, log = tempfile.mkstemp(prefix="predreg-crash-", suffix=".txt")
        with os.fdopen(handle, "w", encoding="utf-8", errors="backslashreplace") as stream:
            stream.write(details)
    except OSError:  # nowhere to keep it: show it here rather than lose it
        print(details, file=sys.stderr)
        log = "the traceback above"
    print(
        f"predreg: internal error: {type(error).__name__}: {error}; "
        f"please report it with this command ({command}) and {log}",
        file=sys.stderr,
    )


def require_registry(registry: str, command: str) -> None:
    """The registry must be a folder; run from inside one, the user is told to pass ``.``."""
    if os.path.isdir(registry):
        return
    if os.path.exists(registry):
        raise UsageError(f"{registry}: is a file, not a registry folder; give the folder holding authors.yaml")
    if registry == "registry" and (os.path.exists("authors.yaml") or os.path.isdir("predictions")):
        raise UsageError(
            f"registry: no such folder here, and this folder looks like a registry itself; "
            f"pass `.` (predreg {command} .) or run from the repository root"
        )
    raise UsageError(f"{registry}: no such registry folder; give the folder holding authors.yaml (default: registry)")


def require_folder(folder: str) -> None:
    """``-o`` of ``site`` (and ``score --format html``): the site's folder, which ``index.html`` goes into."""
    path = Path(folder)
    if path.suffix in (".html", ".htm") and not path.is_dir():  # the page's name, given for the site's
        parent = str(path.parent) if str(path.parent) != "." else "site"
        raise UsageError(f"-o {folder}: for the site, -o names a folder; try -o {parent}")
    if path.exists() and not path.is_dir():
        raise UsageError(f"-o {folder}: is a file; for the site, -o names a folder; choose one")
    require_writable(folder, path / "index.html")


def require_file(output: str, what: str, name: str) -> None:
    """``-o`` for every other format (``what``): the file to write, e.g. ``name``."""
    if os.path.isdir(output) or output.endswith(("/", os.sep)):
        example = os.path.join(output, name)
        raise UsageError(f"-o {output}: is a folder; {what}, -o names a file, e.g. -o {example}")
    require_writable(output, Path(output))


def require_writable(option: str, target: Path) -> None:
    """The nearest existing folder above ``target`` must be one, and writable (unless ``target`` is a device)."""
    in_the_way = blocking_file(target)
    if in_the_way is not None:
        raise UsageError(f"-o {option}: {in_the_way} is a file, not a folder; choose another path")
    if target.exists() and not target.is_file() and not target.is_dir():  # /dev/stdout: written through
        return
    folder = next((a for a in target.parents if a.exists()), Path("."))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"-o {option}: {folder} is not writable; choose a folder you can write to")
