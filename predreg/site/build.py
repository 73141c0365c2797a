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
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from ..errors import UsageError
from ..files import WriteError
from .facts import SiteFacts, gather
from .pages import Pages

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
    parts = PurePosixPath(path).parts
    if not parts or path.startswith("/") or "\\" in path or any(p in ("..", ".", "") for p in parts):
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


def write_site(target: str, files: Mapping[str, bytes]) -> int:
    """Write ``files`` as the folder ``target``, whole or not at all; returns the bytes written."""
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
        _swap(building, target)
    except OSError as error:
        shutil.rmtree(building, ignore_errors=True)
        raise WriteError.of(target, error) from error
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return size


def _write_tree(root: str, files: Mapping[str, bytes]) -> int:
    made = {root}
    size = 0
    for path, data in files.items():
        full = os.path.join(root, *PurePosixPath(path).parts)
        folder = os.path.dirname(full)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        with open(full, "wb") as stream:
            stream.write(data)
        size += len(data)
    os.chmod(root, 0o755)  # (mkdtemp made it 0700: a site is for reading)
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
) -> tuple[SiteFacts, int, int]:
    """Gather the facts, compose every producer's files, write them to ``output``: (facts, files, bytes)."""
    pages = Pages(templates)  # (first: a missing --templates folder is refused before any work)
    facts = gather(registry, board, tag_boards, today=today, base_url=base_url)
    others = compose(facts, [evidence_files, *optional_producers()])
    pages.produced = frozenset(others)
    files = compose(facts, [lambda _: others, pages.files])
    return facts, len(files), write_site(output, files)
