"""Building the site: the producers' files composed, then written whole into a folder, or not at all.

A producer is ``files(facts) -> {path inside the site: bytes}``: the pages, the
stored evidence, and (when their modules are there) the JSON API and the feeds.
:func:`write_site` writes everything into a new folder beside the target, then swaps
it in: a reader sees the old site or the new one, never half of one, and a failure
leaves the old site as it was. It only ever replaces a folder that holds a site
predreg built (it leaves a marker file in it), or an empty one.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..files import WriteError
from ..parallel import collector_paused, cores, fork_safe
from .facts import SiteFacts, gather
from .pages import Page, Pages

if TYPE_CHECKING:
    from ..checks import Registry
    from ..leaderboard import Leaderboard

Producer = Callable[[SiteFacts], Mapping[str, bytes]]
"""A part of the site: its files, by path inside the site."""

MARKER = ".predreg-site"
"""The file that marks a folder as a site predreg built, and so one it may replace."""


def evidence_files(facts: SiteFacts) -> dict[str, bytes]:
    """Each stored evidence body a resolution cites, copied as ``evidence/<sha256>.txt`` (served as text)."""
    out = {}
    for sha, path in sorted(facts.evidence.items()):
        try:
            with open(path, "rb") as stream:
                out[f"evidence/{sha}.txt"] = stream.read()
        except OSError:  # (gone since the facts were gathered: the page then says it is not stored)
            continue
    return out


def optional_producers() -> list[Producer]:
    """The JSON API and the feeds, each if its module is installed (``predreg.site.jsonapi``, ``.feeds``)."""
    found: list[Producer] = []
    for name in ("jsonapi", "feeds"):
        try:
            module = __import__(f"predreg.site.{name}", fromlist=["files"])
        except ModuleNotFoundError as error:
            if error.name != f"predreg.site.{name}":
                raise
            continue
        found.append(module.files)
    return found


def compose(facts: SiteFacts, producers: Iterable[Producer]) -> dict[str, bytes]:
    """Every producer's files in one mapping, sorted by path; two producers may not write one path."""
    out: dict[str, bytes] = {}
    for producer in producers:
        for path, data in producer(facts).items():
            _check_path(path)
            if path in out:
                raise ValueError(f"two parts of the site write {path}")
            out[path] = data
    return dict(sorted(out.items()))


def _check_path(path: str) -> None:
    """A path inside the site: relative, plain, never leaving the site's folder."""
    if not path or "\\" in path or any(part in ("..", ".", "") for part in path.split("/")):
        raise ValueError(f"a site path must stay inside the site: {path!r}")


def _replaceable(target: str) -> None:
    """Refuse a target that is not a folder predreg may replace: a file, or a folder of other files."""
    if not os.path.lexists(target):
        return
    if os.path.islink(target) or not os.path.isdir(target):
        raise UsageError(f"-o {target}: is not a folder; -o names the site's folder; choose another")
    names = os.listdir(target)
    if names and MARKER not in names:
        raise UsageError(
            f"-o {target}: holds files that are not a site predreg built, and building would replace them;"
            " choose a new or empty folder"
        )
    if not os.access(target, os.W_OK):
        raise WriteError(target, "permission denied", errno.EACCES)


def write_site(
    target: str, files: Mapping[str, bytes], pages: Sequence[tuple[str, Page]] = (), workers: int = 1
) -> int:
    """Write ``files``, then render and write ``pages``, as the folder ``target``, whole or not at all.

    ``workers`` processes share the pages (forked, so nothing is pickled: each renders
    and writes its share). Returns the bytes written.
    """
    target = os.path.normpath(target)
    _replaceable(target)
    parent = os.path.dirname(os.path.abspath(target))
    try:
        os.makedirs(parent, exist_ok=True)
        building = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}.building-", dir=parent)
    except OSError as error:
        raise WriteError.of(target, error) from error
    try:
        size = _write_tree(
            building, {MARKER: b"A site built by predreg; `predreg site` replaces this folder.\n", **files}
        )
        size += _shared_out(building, pages, workers)
        os.chmod(building, 0o755)  # (mkdtemp made it 0700: a site is for reading)
        _swap(building, target)
    except OSError as error:
        shutil.rmtree(building, ignore_errors=True)
        raise WriteError.of(target, error) from error
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return size


def _write_tree(root: str, files: Mapping[str, bytes] | Iterable[tuple[str, bytes]]) -> int:
    made = {root}
    size = 0
    for path, data in files.items() if isinstance(files, Mapping) else files:
        full = os.path.join(root, *path.split("/"))
        folder = os.path.dirname(full)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        with open(full, "wb") as stream:
            stream.write(data)
        size += len(data)
    return size


def _rendered(root: str, pages: Sequence[tuple[str, Page]]) -> int:
    return _write_tree(root, ((path, render()) for path, render in pages))


def _shared_out(root: str, pages: Sequence[tuple[str, Page]], workers: int) -> int:
    """Render and write ``pages`` under ``root``, shared among ``workers`` forked processes.

    A worker that fails has its share done again here, so that its error, if it is one
    (a full disk, a broken template), is raised as the one-process build would raise it.
    """
    if workers < 2 or len(pages) < 2 * workers or not fork_safe():
        return _rendered(root, pages)
    shares = [pages[k::workers] for k in range(workers)]
    children = []
    for share in shares[1:]:
        reading, writing = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker: its share, its byte count on the pipe, and out without cleanup
            code = 1
            try:
                os.close(reading)
                os.write(writing, str(_rendered(root, share)).encode())
                code = 0
            finally:
                os._exit(code)
        os.close(writing)
        children.append((pid, reading, share))
    size = _rendered(root, shares[0])
    for pid, reading, share in children:
        with os.fdopen(reading, "rb") as told:
            count = told.read()
        _, status = os.waitpid(pid, 0)
        size += int(count) if status == 0 and count else _rendered(root, share)
    return size


def _swap(building: str, target: str) -> None:
    """Put the built folder at ``target``; the old site stays until the new one is in place."""
    if not os.path.lexists(target):
        os.rename(building, target)
        return
    old = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}.old-", dir=os.path.dirname(building))
    os.rmdir(old)
    os.rename(target, old)
    try:
        os.rename(building, target)
    except OSError:
        os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def build_site(
    registry: Registry,
    board: Leaderboard,
    tag_boards: Sequence[tuple[str, Leaderboard]],
    *,
    output: str,
    today: dt.date,
    templates: str | None = None,
    base_url: str | None = None,
    community: Mapping[str, Sequence[Any]] | None = None,
    community_method: str | None = None,
) -> tuple[SiteFacts, int, int]:
    """Gather the facts, compose every producer's files, write them to ``output``: (facts, files, bytes)."""
    pages = Pages(templates)  # (first: a missing --templates folder is refused before any work)
    with collector_paused():  # many small objects and strings, no cycles among them
        facts = gather(
            registry,
            board,
            tag_boards,
            today=today,
            base_url=base_url,
            community=community,
            community_method=community_method,
        )
        others = compose(facts, [evidence_files, *optional_producers()])
        pages.produced = frozenset(others)
        pages.compile()  # once, before the workers fork
        listed = pages.pages(facts)
        for path, _ in listed:
            _check_path(path)
            if path in others:
                raise ValueError(f"two parts of the site write {path}")
        size = write_site(output, others, listed, workers=cores())
    return facts, len(others) + len(listed) + 1, size
