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
import math
import os
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

import attrs

from . import plain
from .checks import Registry, check_registry
from .load import CLASSES, Layout, Loaded, discover
from .pr import Stems, check_with_references
from .problems import Problem

FORMAT = "predreg-shard-1"


def parse(text: str) -> tuple[int, int]:
    """``I/N`` -> (I, N), 1 <= I <= N; ValueError otherwise."""
    index, _, count = text.partition("/")
    i, n = int(index), int(count)
    if not 1 <= i <= n:
        raise ValueError(f"{text!r}: the shard must be I/N with 1 <= I <= N")
    return i, n


def shard_of(relative: str, count: int) -> int:
    """The shard (1..count) that owns a registry-relative path, the same on every machine."""
    # surrogateescape: a name that is not UTF-8 hashes as its own bytes, as on every machine
    digest = hashlib.sha256(relative.replace(os.sep, "/").encode("utf-8", "surrogateescape")).digest()
    return 1 + int.from_bytes(digest[:8], "big") % count


def relative(root: str, path: str) -> str:
    return os.path.relpath(path, root).replace(os.sep, "/")


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
    layout = discover(root)
    present = {relative(root, path) for path, _ in layout.files}
    mine = sorted(p for p in present if shard_of(p, count) == index)
    registry, closure, own = check_with_references(root, mine, Stems(present), present, today)
    owned = {os.path.join(root, p) for p in mine}
    misplaced = [p for p in layout.problems if shard_of(relative(root, p.path), count) == index]
    problems = own + misplaced
    files = [item for item in closure if item.path in owned]
    return Shard(index, count, registry, files, sorted(set(problems)), misplaced)


def write_lines(shard: Shard, root: str, out: TextIO) -> None:
    """The shard as JSON lines: a header, then one line per file it owns, then its misplaced files."""
    out.write(json.dumps({"format": FORMAT, "shard": f"{shard.index}/{shard.count}"}, allow_nan=False) + "\n")
    for item in shard.files:
        line = {
            "path": relative(root, item.path),
            "kind": item.kind,
            "record": None if item.record is None else plain.dump(item.record),
            "key_at": item.key_at,
            "problems": [_problem(root, p) for p in item.problems],
            "resolver": None if item.resolver is None else plain.dump_resolver(item.resolver),
        }
        # escaped, not raw: a file name that is not UTF-8 (surrogates) survives the trip as \udcff
        out.write(json.dumps(line, sort_keys=True, allow_nan=False) + "\n")
    for problem in shard.layout_problems:
        out.write(json.dumps({"layout": _problem(root, problem)}, allow_nan=False) + "\n")


def _problem(root: str, problem: Problem) -> dict[str, Any]:
    return {**attrs.asdict(problem), "path": relative(root, problem.path)}


def merge(root: str, sources: Iterable[Iterable[str]], today: dt.date | None = None) -> Registry:
    """The registry checked from shards' lines, as an unsharded check of the same files."""
    files: list[Loaded] = []
    layout_problems: list[Problem] = []
    seen: set[int] = set()
    count = None
    for lines in sources:
        for line in _lines(lines):
            if "format" in line:
                if line["format"] != FORMAT:
                    raise ValueError(f"not a predreg shard ({line['format']!r})")
                index, n = parse(line["shard"])
                if count not in (None, n) or index in seen:
                    raise ValueError(f"shard {line['shard']} does not fit the others")
                count = n
                seen.add(index)
            elif "layout" in line:
                layout_problems.append(_unproblem(root, line["layout"]))
            else:
                record = line["record"]
                files.append(
                    Loaded(
                        path=os.path.join(root, line["path"]),
                        kind=line["kind"],
                        record=None if record is None else plain.load(CLASSES[line["kind"]], record),
                        key_at={key: tuple(at) for key, at in line["key_at"].items()},
                        problems=tuple(_unproblem(root, p) for p in line["problems"]),
                        resolver=plain.load_resolver(line.get("resolver")),
                    )
                )
    if count is None or len(seen) != count:
        missing = sorted(set(range(1, (count or 0) + 1)) - seen)
        raise ValueError(f"shards missing: {', '.join(f'{i}/{count}' for i in missing) or 'all'}")
    files.sort(key=lambda item: item.path)
    layout = Layout(root, [(item.path, item.kind) for item in files], layout_problems)
    return check_registry(root, today=today, files=files, layout=layout)


RECORD_KEYS = frozenset({"path", "kind", "record", "key_at", "problems"})


def _lines(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The lines of a shard's file as objects; ValueError, naming the line, for one no shard wrote."""
    for number, text in enumerate(lines, 1):
        if not text.strip():
            continue
        try:  # strict: a shard never holds NaN or an infinity (it is written with allow_nan=False)
            line = json.loads(text, parse_constant=_not_json, parse_float=_finite)
        except ValueError as error:
            raise ValueError(f"line {number} is not JSON ({error})") from None
        if not isinstance(line, dict) or not (
            "format" in line or "layout" in line or (line.keys() >= RECORD_KEYS and line["kind"] in CLASSES)
        ):
            raise ValueError(f"line {number} is not a line of a shard's file")
        yield line


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text[:40]} is beyond a float")
    return number


def _unproblem(root: str, data: dict[str, Any]) -> Problem:
    return Problem(**{**data, "path": os.path.join(root, data["path"])})
