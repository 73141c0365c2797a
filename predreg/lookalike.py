"""Lookalike names: a handle or an id that reads like another one is not a new name.

``forecaster-ａ`` (fullwidth), ``Forecaster-A`` and ``forecaster-а`` (Cyrillic а) all read
as ``forecaster-a``; a forecast filed under one of them would be taken for that author's.
Two names are lookalikes when their :func:`key` is the same: NFKC, case folding, then the
*skeleton* of Unicode Technical Standard #39 (section 4), which replaces each character
by the prototype Unicode's ``confusables.txt`` gives it (Cyrillic а and Latin a have the
prototype a, digit 0 has O, m has rn).

The prototypes are a table generated from ``confusables.txt`` by this module run as a
script (``python -m predreg.lookalike confusables.txt > predreg/confusables.tsv``); the
data is Unicode's, under the Unicode License. Only names a pull request *adds* are held
to this: a registry may already hold two lookalikes, and they stay as they are.

A ``Registry/`` folder beside ``registry/`` is a lookalike too, of another kind: on a
case-insensitive file system (macOS, Windows) it *is* the registry, and git lists it
apart, so nothing in it would be checked (:func:`registry_twins`).
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath

from .checks import normalised
from .load import Loaded
from .problems import Problem

TABLE = Path(__file__).with_name("confusables.tsv")

NEW_ONLY = "a name the pull request adds may not look like one there already (lookalikes registered before stay)"


@functools.cache
def prototypes() -> dict[int, str]:
    """Each confusable code point and its prototype, from the shipped table."""
    mapping = {}
    for line in TABLE.read_text(encoding="ascii").splitlines():
        if line and not line.startswith("#"):
            source, target = line.split("\t")
            mapping[int(source, 16)] = "".join(chr(int(code, 16)) for code in target.split())
    return mapping


def skeleton(text: str) -> str:
    """The TR39 skeleton of ``text``: NFD, every character replaced by its prototype, NFD again."""
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", text).translate(prototypes()))


def key(name: str) -> str:
    """What two lookalike names share: the skeleton of the NFKC, case-folded name, case-folded again.

    Folding comes first so that a capital has the small letter's prototype (``А`` and ``а``
    alike), and again last, since a prototype may be a capital (digit 0 becomes ``O``).
    """
    return unicodedata.normalize("NFD", skeleton(normalised(name)).casefold())


@functools.cache
def _ascii_keys() -> tuple[dict[int, int], dict[str, str]]:
    """The key of each ASCII character that has one of its own (``0`` o, ``1`` l, ``m`` rn).

    Split in two, for speed: those keyed by one ASCII character, for ``str.translate`` at
    C speed, and the rest, for ``str.replace`` (no key produced holds a character keyed).
    """
    keyed = {chr(code): key(chr(code)) for code in range(128) if key(chr(code)) != chr(code).lower()}
    single = {ord(char): ord(value) for char, value in keyed.items() if len(value) == 1 and value.isascii()}
    return single, {char: value for char, value in keyed.items() if ord(char) not in single}


def _ascii_key(text: str) -> str:
    """:func:`key` of ASCII text, at once for a whole listing of names."""
    single, multiple = _ascii_keys()
    text = text.lower().translate(single)
    for char, value in multiple.items():
        text = text.replace(char, value)
    return text


class Names:
    """The question and prediction ids of a listing of registry paths, found by their key.

    Mostly every name is ASCII, where a key is the name lower-cased with a few letters
    replaced: the ASCII names are keyed at once, as one string, and searched; the few
    others are keyed one by one.
    """

    def __init__(self, paths: Iterable[str]) -> None:
        self.paths = list(paths)
        self.filed: dict[str, list[str]] = defaultdict(list)
        listing = "\0" + "\0".join(self.paths) + "\0"
        if not listing.isascii():
            for path in self.paths:
                if not path.isascii() and _is_record(path):
                    self.filed[key(_stem(path))].append(path)
            self.paths = [path for path in self.paths if path.isascii()]
            listing = "\0" + "\0".join(self.paths) + "\0"
        self.keyed = _ascii_key(listing)
        self.suffix = key(".yaml") + "\0"

    def like(self, name: str) -> list[str]:
        """The question and prediction paths whose id has the key of ``name``."""
        wanted = key(name)
        found, needle, at = list(self.filed.get(wanted, [])), f"/{wanted}{self.suffix}", 0
        while (at := self.keyed.find(needle, at)) >= 0:
            path = self.paths[self.keyed.count("\0", 0, at) - 1]
            if _is_record(path):
                found.append(path)
            at += len(needle) - 1
        return found


def _is_record(path: str) -> bool:
    return path.endswith(".yaml") and path.startswith(("questions/", "predictions/"))


def _stem(path: str) -> str:
    return PurePosixPath(path).name.removesuffix(".yaml")


def new_ids(added: Sequence[Loaded], present: Iterable[str], registry: str) -> list[Problem]:
    """Rule: a question or prediction the pull request adds has no id that looks like another's.

    ``present`` is every registry path once the pull request is merged. Ids equal but for
    case and Unicode form are the duplicate-id rule's; this one is for the rest.
    """
    if not added:
        return []
    names = Names(present)
    problems = []
    for item in added:
        mine = PurePosixPath(item.path).relative_to(registry).as_posix()
        others = [p for p in names.like(item.record.id) if p != mine and normalised(_stem(p)) != normalised(item.stem)]
        if others:
            line, col = item.at("id")
            shown = ", ".join(others)
            message = f"`{item.record.id}` looks like the id of {shown} (Unicode confusables, TR39)"
            problems.append(Problem(item.path, line, col, "id", message, f"choose another id: {NEW_ONLY}"))
    return problems


def new_handles(authors: Loaded, before: Iterable[str]) -> list[Problem]:
    """Rule: an author the pull request adds to authors.yaml has no handle that looks like another's."""
    known = set(before)
    handles = list(authors.record.authors)
    by_key = defaultdict(list)
    for handle in handles:
        by_key[key(handle)].append(handle)
    problems = []
    for handle in handles:
        others = [other for other in by_key[key(handle)] if other != handle]
        if handle not in known and others:
            line, col = authors.at("authors")
            shown = ", ".join(f"`{other}`" for other in others)
            message = f"`{handle}` looks like {shown}, ignoring case, Unicode form and confusable letters (TR39)"
            hint = f"choose another handle: {NEW_ONLY}"
            problems.append(Problem(authors.path, line, col, f"authors.{handle}", message, hint))
    return problems


def registry_twins(paths: Iterable[str], inside: str) -> list[str]:
    """Rule: the paths (from the repository's top) in a folder that is the registry's ignoring case.

    ``inside`` is the registry's own path from the top (``registry``, ``data/registry``).
    ``Registry/x.yaml`` and ``REGISTRY/x.yaml`` are such paths, and so is a file named
    ``Registry``: a case-insensitive file system would put them in, or over, the registry.
    """
    if inside in ("", "."):
        return []
    folder = inside.split("/")
    wanted = [normalised(part) for part in folder]
    twins = []
    for path in paths:
        head = path.split("/")[: len(folder)]
        if head != folder and [normalised(part) for part in head] == wanted:
            twins.append(path)
    return twins


# --- the table, made from Unicode's confusables.txt ------------------------------------------

_LINE = re.compile(r"^([0-9A-F]{4,6})\s*;\s*([0-9A-F]{4,6}(?:\s+[0-9A-F]{4,6})*)\s*;\s*MA\b")


def table_from(confusables: str) -> str:
    """The shipped table from the text of ``confusables.txt``: one ``source<TAB>prototype`` line each."""
    header = [line for line in confusables.splitlines()[:12] if line.startswith(("# Version", "# Date"))]
    out = [
        "# Prototypes of confusable characters (Unicode TR39 skeleton), hexadecimal code points.",
        "# Generated by `python -m predreg.lookalike confusables.txt`; do not edit by hand.",
        "# Data from Unicode's confusables.txt, (c) Unicode, Inc., under the Unicode License:",
        "# https://www.unicode.org/terms_of_use.html",
        *header,
    ]
    rows = []
    for line in confusables.lstrip("\ufeff").splitlines():
        match = _LINE.match(line)
        if match:
            rows.append((int(match.group(1), 16), match.group(2).split()))
    out += [f"{source:X}\t{' '.join(code.lstrip('0') or '0' for code in target)}" for source, target in sorted(rows)]
    return "\n".join(out) + "\n"


if __name__ == "__main__":  # pragma: no cover
    sys.stdout.write(table_from(Path(sys.argv[1]).read_text(encoding="utf-8")))
