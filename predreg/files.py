"""Writing files so that nothing is ever half-written or silently replaced."""

from __future__ import annotations

import errno
import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _temporary(path: Path, data: bytes | str) -> str:
    """A fully written, synced temporary file beside ``path``, with the usual permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data.encode("utf-8") if isinstance(data, str) else data)
            out.flush()
            os.fsync(out.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes it private; these files are for reading
    except BaseException:
        os.unlink(temporary)
        raise
    return temporary


def write_atomic(path: str | Path, data: bytes | str) -> None:
    """Write a file whole or not at all: a temporary file beside it, then ``os.replace``."""
    path = Path(path)
    temporary = _temporary(path, data)
    try:
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def create_atomic(path: str | Path, data: bytes | str) -> bool:
    """Like :func:`write_atomic`, but never replaces an existing file: False if one is there.

    The temporary file is hard-linked to its name, which fails if the name exists, so
    two writers cannot both win and a reader never sees a partial file.
    """
    path = Path(path)
    temporary = _temporary(path, data)
    try:
        os.link(temporary, path)
    except FileExistsError:
        return False
    finally:
        os.unlink(temporary)
    return True


class Busy(Exception):
    """Another process holds the lock."""


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` for the block, or raise :class:`Busy` at once.

    The lock is the kernel's (``flock``): it goes away with the process, so a killed
    run never leaves a stale lock behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno in (errno.EAGAIN, errno.EACCES):
                raise Busy(f"{path} is held by another run") from None
            raise
        os.ftruncate(handle, 0)
        os.write(handle, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(handle)
