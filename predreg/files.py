"""Reading registry files, regular files only; writing files so that none is ever half-written or silently replaced."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import secrets
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from .errors import Busy, CannotWrite


class WriteError(CannotWrite):
    """A file could not be written (a read-only folder, a full disk, a file where a folder must be).

    The message names the file meant, never the temporary one beside it, and the cause.
    It pickles (a resolve run's writes happen in a helper process, and come back).
    """

    def __init__(self, path: str, reason: str, errno: int | None = None) -> None:
        super().__init__(path, reason, errno)
        self.path = path
        self.reason = reason
        self.errno = errno

    @classmethod
    def of(cls, path: str | Path, error: OSError) -> WriteError:
        in_the_way = blocking_file(Path(path))
        if in_the_way is None and isinstance(error, FileExistsError) and not os.path.isdir(path):
            in_the_way = Path(path)  # the folder to make is a file
        if in_the_way is not None:
            return cls(str(path), f"{in_the_way} is a file, not a folder", error.errno)
        # strerror reads "No space left on device", "Read-only file system", "Permission denied"
        return cls(str(path), (error.strerror or str(error)).lower(), error.errno)

    def __str__(self) -> str:
        return f"{self.path}: cannot write: {self.reason}"


class NotRegular(Exception):
    """A registry path is not a regular file (a link, a folder, a FIFO, a socket, a device), so it was not read."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what

    @property
    def message(self) -> str:
        if self.what == "a symbolic link":  # the pull-request check's words for the same refusal
            return "is a symbolic link: the file it points to could change without this one changing"
        return f"is {self.what}, not a regular file"

    hint = "commit the record itself, a regular file"


def what_is(mode: int) -> str | None:
    """What a file of this ``st_mode`` is, in a user's words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
"""No link is followed, and a FIFO put there after the lstat cannot block the open."""


@contextmanager
def _opened_regular(path: str | os.PathLike[str]) -> Iterator[tuple[int, os.stat_result]]:
    """The regular file at ``path``, opened for reading, and its stat; :class:`NotRegular` for anything else.

    Anything else is refused by ``lstat`` before it is opened (opening some devices
    does something), and the open itself follows no link and never waits, in case the
    file was swapped in between; the opened file's own ``fstat`` is the one believed.
    Other failures (missing, no permission) raise ``OSError`` as ``open`` does.
    """
    what = what_is(os.lstat(path).st_mode)
    if what is not None:
        raise NotRegular(what)
    try:
        handle = os.open(path, READ_FLAGS)
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.ENXIO, errno.EISDIR):  # swapped for a link, a socket, a folder
            raise NotRegular(what_is(os.lstat(path).st_mode) or "a special file") from None
        raise
    try:
        status = os.fstat(handle)
        what = what_is(status.st_mode)
        if what is not None:
            raise NotRegular(what)
        yield handle, status
    finally:
        os.close(handle)


def _chunks(handle: int, limit: int | None = None) -> Iterator[bytes]:
    """The bytes of an open file, a MiB at a time, up to ``limit`` bytes in all (None: to its end)."""
    left = limit
    while left is None or left > 0:
        chunk = os.read(handle, 1 << 20 if left is None else min(left, 1 << 20))
        if not chunk:
            return
        yield chunk
        if left is not None:
            left -= len(chunk)


def read_regular(path: str | os.PathLike[str], limit: int) -> tuple[bytes, os.stat_result]:
    """Up to ``limit`` bytes of the regular file at ``path``, and its stat (see :func:`_opened_regular`)."""
    with _opened_regular(path) as (handle, status):
        return b"".join(_chunks(handle, limit)), status


def sha256_of_regular(path: str | os.PathLike[str]) -> str:
    """The sha256 of the regular file at ``path``, read a MiB at a time (see :func:`_opened_regular`)."""
    digest = hashlib.sha256()
    with _opened_regular(path) as (handle, _):
        for chunk in _chunks(handle):
            digest.update(chunk)
    return digest.hexdigest()


def on_disk(path: str | Path) -> Path:
    """``path`` as the OS takes it, its name in UTF-8 bytes whatever the locale (``LC_ALL=C``, ``PYTHONUTF8=0``).

    Everywhere else this is ``path`` itself; there, ``resolutions/zoë.yaml`` could not be named at all.
    """
    if sys.getfilesystemencoding() == "utf-8":
        return Path(path)
    return Path(os.fsdecode(os.fspath(path).encode("utf-8", "surrogateescape")))


def blocking_file(path: Path) -> Path | None:
    """The nearest existing ancestor folder of ``path``, if it is not a folder (so nothing can be made under it)."""
    for ancestor in path.parents:
        if os.path.lexists(ancestor):
            return None if ancestor.is_dir() else ancestor
    return None


def _temporary(path: Path, data: bytes | str, sync: bool = True) -> str:
    """A fully written temporary file beside ``path`` (synced unless ``sync`` is False), readable as usual.

    ``path``'s folder must exist.
    """
    while True:
        temporary = os.path.join(path.parent, f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:  # the mode goes through the umask, as for any new file
            handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
            break
        except FileExistsError:
            continue
    try:
        view = memoryview(data.encode("utf-8") if isinstance(data, str) else data)
        while view:
            view = view[os.write(handle, view) :]
        if sync:
            os.fsync(handle)
    except BaseException:
        os.close(handle)
        os.unlink(temporary)
        raise
    os.close(handle)
    return temporary


def write_atomic(path: str | Path, data: bytes | str) -> None:
    """Write a file whole or not at all: a temporary file beside it, then ``os.replace``.

    Raises :class:`WriteError` if it cannot; nothing is left behind then.
    """
    named, path = path, on_disk(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = _temporary(path, data)
        try:
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as error:
        raise WriteError.of(named, error) from error


def write_output(path: str | Path, data: bytes | str) -> None:
    """Write a file the user named: as :func:`write_atomic`, unless it is a device or a pipe.

    ``-o /dev/stdout`` or a FIFO is written through: there is no file to replace, and
    replacing the device's name with a regular file (as root can) would break it for everyone.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = 0
    if not (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
        write_atomic(path, data)
        return
    try:
        with open(path, "wb") as stream:
            stream.write(data.encode("utf-8") if isinstance(data, str) else data)
    except OSError as error:  # /dev/full: ENOSPC, at the flush when the file closes
        raise WriteError.of(path, error) from error


def create_atomic(path: str | Path, data: bytes | str) -> bool:
    """Like :func:`write_atomic`, but never replaces an existing file: False if one is there.

    The temporary file is hard-linked to its name, which fails if the name exists, so
    two writers cannot both win and a reader never sees a partial file.
    """
    return create_many([(Path(path), data)], sync_each=True)[0]


def create_many(files: Sequence[tuple[Path, bytes | str]], sync_each: bool = False) -> list[bool]:
    """:func:`create_atomic` for many files, durable at the cost of one file-system sync.

    Every temporary file is written, then all are made durable together (``syncfs``,
    or an ``fsync`` each where that is missing), and only then linked to their names,
    in the order given: a file listed after another (a record after the evidence it
    cites) never exists without it. Says, per file, whether it was created (False:
    the name was taken, and that file was left as it is). Raises :class:`WriteError`
    if any cannot be written; the files linked before it stay, complete.
    """
    temporaries: list[str] = []
    current: Path = files[0][0] if files else Path()  # the file a failure is reported for
    try:
        for folder in sorted({path.parent for path, _ in files}):
            current = folder
            on_disk(folder).mkdir(parents=True, exist_ok=True)
        for path, data in files:
            current = path
            temporaries.append(_temporary(on_disk(path), data, sync=sync_each))
        if not sync_each:
            _sync(temporaries)
        created = []
        for temporary, (path, _) in zip(temporaries, files, strict=True):
            try:
                os.link(temporary, on_disk(path))
                created.append(True)
            except FileExistsError:
                created.append(False)
        return created
    except OSError as error:
        raise WriteError.of(current, error) from error
    finally:
        for temporary in temporaries:
            os.unlink(temporary)


def _sync(paths: Sequence[str]) -> None:
    """Make the files at ``paths`` durable: one ``syncfs`` per folder on Linux, else ``fsync`` each."""
    for folder in sorted({os.path.dirname(path) for path in paths}):
        handle = os.open(folder, os.O_RDONLY)
        try:
            syncfs = _syncfs()
            if syncfs is not None and syncfs(handle) == 0:
                continue
        finally:
            os.close(handle)
        for path in paths:
            if os.path.dirname(path) == folder:
                handle = os.open(path, os.O_RDONLY)
                try:
                    os.fsync(handle)
                finally:
                    os.close(handle)


@cache
def _syncfs() -> Callable[[int], int] | None:
    """Linux's ``syncfs(fd)`` (one flush of the file system holding ``fd``), or None."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` for the block, or raise :class:`Busy` at once.

    The lock is the kernel's (``flock``): it goes away with the process, so a killed
    run never leaves a stale lock behind.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:  # a read-only registry: the run would write nothing anyway
        raise WriteError.of(path, error) from error
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno in (errno.EAGAIN, errno.EACCES):
                raise Busy(f"{path} is held by another run") from None
            raise
        try:  # the holder's pid, for a person wondering who holds it
            os.ftruncate(handle, 0)
            os.write(handle, f"{os.getpid()}\n".encode())
        except OSError as error:  # a full disk
            raise WriteError.of(path, error) from error
        yield
    finally:
        os.close(handle)
