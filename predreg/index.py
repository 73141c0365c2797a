"""A persistent index of parsed registry files, so unchanged files are not parsed again.

``registry/.predreg/index.sqlite`` holds, per file, its git blob hash, the stat it had
(size, mtime and ctime in ns, inode) and what loading it gave (record, key positions, problems)
as plain JSON. A file is reused without being read only when its stat is unchanged
*and* its mtime and ctime are safely older than the moment the row was written
(ctime cannot be set back, unlike mtime), so a rewrite
within the file system's clock resolution is never missed (git's "racy clean"
rule); otherwise it is read and hashed, and parsed only if its hash changed. Files
that are gone simply do not appear in the listing. Deleting the index costs only
time; an index that cannot be opened or written is ignored. Rows are trusted only in
the file that wrote them (its inode is in the stamp), so an index copied from
elsewhere, or committed to git by someone else, is emptied before use rather than
believed.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from collections.abc import Sequence
from stat import S_ISREG
from typing import Any

import attrs

from . import codec, safeyaml
from .files import NotRegular, read_regular
from .load import Loaded, in_pieces, is_utf8, load_file, load_text
from .parallel import collector_paused
from .problems import Problems
from .version import __version__

SCHEMA = 5  # 5: a row is codec.encode's shape; a resolver carries where its block was written, as text
RACY_NS = 2_000_000_000
"""A file modified this close to when its row was written is read again, whatever its stat says."""


def blob_hash(data: bytes) -> str:
    """git's object id of a file's bytes (``git hash-object``)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


class Index:
    def __init__(self, path: str) -> None:
        self.path = path
        self.db: sqlite3.Connection | None = None
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            self.db = sqlite3.connect(path, timeout=10)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            # the rows are trusted only in the very file that wrote them: an index copied in, or
            # committed by someone else and checked out, has another inode and starts empty
            stamp = f"{SCHEMA}:{_code_version()}:{os.stat(path).st_ino}"
            version = self.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if version is None or version[0] != stamp:
                self.db.executescript("DROP TABLE IF EXISTS files;")
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (stamp,))
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, kind TEXT, size INTEGER, mtime_ns INTEGER,"
                " ctime_ns INTEGER, inode INTEGER, written_ns INTEGER, blob TEXT, loaded TEXT)"
            )
        except (sqlite3.Error, OSError):  # OSError: a read-only registry, where .predreg cannot be made
            self.db = None  # no index: everything is parsed, as without one

    @collector_paused()
    def load(self, files: Sequence[tuple[str, str]]) -> list[Loaded]:
        """Every (path, kind) loaded, from the index where that is safe, parsing the rest."""
        known = self._rows()
        result: list[Loaded | None] = []
        updates: list[tuple[Any, ...]] = []
        unparsed: list[tuple[int, str, str, bytes, tuple[Any, ...]]] = []
        now = time.time_ns()
        for path, kind in files:
            found = _reuse(path, kind, known.get(path), now)
            if isinstance(found, Loaded):
                result.append(found)
                continue
            if isinstance(found, _Reused):
                result.append(found.loaded)
                updates.append(found.row)
                continue
            data, stamp = found
            unparsed.append((len(result), path, kind, data, stamp))
            result.append(None)
        for (position, path, kind, _, stamp), (loaded, loaded_json) in zip(
            unparsed, in_pieces(_parse, unparsed), strict=True
        ):
            result[position] = loaded
            updates.append((path, kind, *stamp, loaded_json))
        if updates and self.db is not None:
            _store(self.db, updates)
        return [loaded for loaded in result if loaded is not None]

    def _rows(self) -> dict[str, tuple[Any, ...]]:
        """What the index holds, per path (nothing if it cannot be read)."""
        if self.db is None:
            return {}
        query = "SELECT path, kind, size, mtime_ns, ctime_ns, inode, written_ns, blob, loaded FROM files"
        try:
            return {row[0]: row[1:] for row in self.db.execute(query)}
        except sqlite3.Error:
            return {}

    def close(self) -> None:
        if self.db is not None:
            self.db.close()


@attrs.frozen
class _Reused:
    """A file whose row is reused once its bytes were hashed: the loaded file, and the row to write back."""

    loaded: Loaded
    row: tuple[Any, ...]


def _reuse(
    path: str, kind: str, row: tuple[Any, ...] | None, now: int
) -> Loaded | _Reused | tuple[bytes, tuple[Any, ...]]:
    """One file: loaded from its row or refused as without the index, else its bytes and the stamp of its row."""
    try:
        stat = os.lstat(path)  # a link's own stat: what it points to is never believed, nor read
    except OSError:
        return load_text(path, kind, None, _unreadable(path))
    if not S_ISREG(stat.st_mode):
        return load_file(path, kind)  # refuses it, unread, as without the index
    fingerprint = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)
    if row is not None and row[0] != kind:
        row = None  # a row of another kind of record: as if there were none
    if row is not None and row[1:5] == fingerprint and max(stat.st_mtime_ns, stat.st_ctime_ns) < row[5] - RACY_NS:
        return _thaw(path, row[7])
    try:
        data = read_regular(path, safeyaml.MAX_BYTES + 1)[0]
    except NotRegular:  # swapped since the lstat
        return load_file(path, kind)
    except OSError:  # no read permission
        return load_text(path, kind, None, _unreadable(path))
    blob = blob_hash(data)
    if row is not None and row[6] == blob:
        return _Reused(_thaw(path, row[7]), (path, kind, *fingerprint, now, blob, row[7]))
    return data, (*fingerprint, now, blob)


def _store(db: sqlite3.Connection, updates: list[tuple[Any, ...]]) -> None:
    """Keep the rows; on a file system whose names are not all UTF-8, those that are."""
    insert = "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    try:
        try:
            with db:
                db.executemany(insert, updates)
        except UnicodeEncodeError:  # a name that is not UTF-8 (surrogates) cannot be a key: parse it each time
            with db:
                db.executemany(insert, [row for row in updates if is_utf8(row[0])])
    except sqlite3.Error:
        pass  # a read-only index still serves what it holds


def _parse(files: list[tuple[int, str, str, bytes, tuple[Any, ...]]]) -> list[tuple[Loaded, str]]:
    """Each file's bytes parsed, with what the index keeps of it (run in worker processes for many files)."""
    parsed = []
    for _, path, kind, data, _ in files:
        problems = Problems(path)
        loaded = load_text(path, kind, safeyaml.decode(data, problems), problems)
        parsed.append((loaded, _freeze(loaded)))
    return parsed


def _unreadable(path: str) -> Problems:
    problems = Problems(path)
    problems.add((1, 1), "file", "cannot be read", "check its permissions")
    return problems


def _freeze(loaded: Loaded) -> str:
    return codec.dumps(codec.encode(loaded, loaded.path), ascii_only=False)


def _thaw(path: str, text: str) -> Loaded:
    return codec.decode(codec.loads(text), path)


def _code_version() -> str:
    """Rows made by another predreg are not trusted; a row is a function of the file's bytes alone."""
    return __version__


def load_registry_files(index_path: str, files: Sequence[tuple[str, str]]) -> list[Loaded]:
    """Every (path, kind) loaded through the index at ``index_path``."""
    index = Index(index_path)
    try:
        return index.load(files)
    finally:
        index.close()
