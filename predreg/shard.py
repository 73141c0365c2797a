"""Past one machine: a registry checked in N shards, merged into the same result as one run.

A shard owns the files whose registry-relative path hashes to it (sha256, stable on
every machine), chosen from the listing before anything is parsed. It parses and
checks its own files, loading only the records they refer to, and writes one JSON
line per file: the record (as plain values), where each key was written, and the
file's own problems. Merging the shards' lines rebuilds every file without parsing
and runs the rules that span files once, so the merged check and leaderboard are
those of an unsharded run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable
from typing import TextIO

import attrs

from . import codec, plugins
from .checks import check_registry
from .load import Loaded
from .problems import Problem
from .registry import SHARD_FORMAT, Layout, Registry, Stems, closure, shard_lines


def shard_of(relative: str, count: int) -> int:
    """The shard (1..count) that owns a registry-relative path, the same on every machine."""
    # surrogateescape: a name that is not UTF-8 hashes as its own bytes, as on every machine
    digest = hashlib.sha256(relative.replace(os.sep, "/").encode("utf-8", "surrogateescape")).digest()
    return 1 + int.from_bytes(digest[:8], "big") % count


@attrs.frozen
class Shard:
    index: int
    count: int
    registry: Registry
    """The check of this shard's files (and of what they refer to)."""
    files: list[Loaded]
    """This shard's files as read."""
    problems: list[Problem]
    """The problems this shard owns: those of its files, and of misplaced files it owns."""
    layout_problems: list[Problem]
    """Of those, the misplaced files': they belong to no record."""


def check_shard(root: str, index: int, count: int, today: dt.date | None = None) -> Shard:
    """Check shard ``index`` of ``count``: its own files, with only the records they refer to."""
    layout = Layout(root)
    listing = layout.listing()
    present = listing.relative()
    mine = sorted(p for p in present if shard_of(p, count) == index)
    records = closure(root, mine, present, Stems(present))
    registry = check_registry(records, today=today or dt.datetime.now(dt.UTC).date(), resolvers=plugins.catalogue())
    owned = {layout.path(p) for p in mine}
    misplaced = [p for p in listing.problems if shard_of(layout.relative(p.path), count) == index]
    problems = registry.problems_in(owned) + misplaced
    files = [item for item in records.loaded if item.path in owned]
    return Shard(index, count, registry, files, sorted(set(problems)), misplaced)


def write_lines(shard: Shard, root: str, out: TextIO) -> None:
    """The shard as JSON lines: a header, then one line per file it owns, then its misplaced files."""
    layout = Layout(root)
    out.write(json.dumps({"format": SHARD_FORMAT, "shard": f"{shard.index}/{shard.count}"}, allow_nan=False) + "\n")
    for item in shard.files:
        # escaped, not raw: a file name that is not UTF-8 (surrogates) survives the trip as \udcff
        out.write(codec.dumps(codec.encode(item, layout.relative(item.path)), sort_keys=True) + "\n")
    for problem in shard.layout_problems:
        line = {"layout": codec.encode_problem(problem, layout.relative(problem.path))}
        out.write(json.dumps(line, allow_nan=False) + "\n")


def merge(root: str, sources: Iterable[Iterable[str]], today: dt.date | None = None) -> Registry:
    """The registry checked from shards' lines, as an unsharded check of the same files."""
    today = today or dt.datetime.now(dt.UTC).date()
    return check_registry(shard_lines(root, sources), today=today, resolvers=plugins.catalogue())
