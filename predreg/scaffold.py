"""Writing new records: ``predreg new`` (a prediction), ``predreg commit`` (a hidden one), ``predreg reveal``.

Each builds the record, checks it with the records it refers to (the rest of the
registry is listed, not read), and writes it only if it passes, without ever
replacing a file. ``commit`` keeps the salt and the forecast in a local file outside
the registry until ``reveal`` needs them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

from . import commitment
from .checks import normalised
from .emit import record
from .files import create_atomic
from .load import discover, load_text
from .pr import Stems, check_with_references
from .problems import Problem


class ScaffoldError(Exception):
    """Something the user must supply or fix before anything is written."""


def default_author() -> str | None:
    """The author handle from ``$PREDREG_AUTHOR`` or ``git config predreg.author``."""
    if os.environ.get("PREDREG_AUTHOR"):
        return os.environ["PREDREG_AUTHOR"]
    try:
        found = subprocess.run(["git", "config", "predreg.author"], capture_output=True, text=True, check=False)
    except OSError:
        return None
    return found.stdout.strip() or None


def default_keep() -> Path:
    """Where ``predreg commit`` keeps salts: ``$PREDREG_KEEP``, else the user's data folder."""
    if os.environ.get("PREDREG_KEEP"):
        return Path(os.environ["PREDREG_KEEP"])
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(data) / "predreg" / "commitments"


def slug(text: str, limit: int = 60) -> str:
    """An id from a claim: lower-case ASCII words joined by '-'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    result = ""
    for word in words:
        if len(result) + len(word) + 1 > limit:
            break
        result = f"{result}-{word}" if result else word
    return result or "prediction"


def unique_id(base: str, taken: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3`` ... whichever is not taken (ignoring case and Unicode form)."""
    candidate, n = base, 1
    while normalised(candidate) in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _listing(root: str) -> set[str]:
    """Every registry file, relative to the root, without reading any."""
    return {os.path.relpath(path, root).replace(os.sep, "/") for path, _ in discover(root).files}


def check_new(root: str, relative: str, kind: str, text: str, today: dt.date) -> list[Problem]:
    """The problems a new record would have, checked with only the records it refers to."""
    present = _listing(root)
    new = load_text(os.path.join(root, relative), kind, text)
    return check_with_references(root, [], Stems(present), present, today, new)[2]


def new_prediction(
    root: str,
    fields: dict[str, Any],
    *,
    today: dt.date,
    hidden: bool = False,
    keep: Path | None = None,
) -> tuple[Path, str, list[Problem]]:
    """Write a prediction (hidden behind a commitment if ``hidden``); the path, its text, its problems.

    Nothing is written when there are problems.
    """
    author = fields.get("author")
    if not author:
        raise ScaffoldError("no author: give --author, or set PREDREG_AUTHOR or `git config predreg.author`")
    taken = {normalised(Path(p).name.removesuffix(".yaml")) for p in _listing(root) if p.endswith(".yaml")}
    base = fields.pop("id", None) or slug(fields.get("claim") or fields.get("question") or "prediction")
    pid = base if fields.get("id_given") else unique_id(base, taken)
    fields.pop("id_given", None)
    forecast = {k: fields.pop(k) for k in ("probability", "probabilities") if fields.get(k) is not None}
    ordered = {"id": pid, "author": author, "registered": today, **{k: v for k, v in fields.items() if k != "author"}}
    salt = None
    if hidden:
        if not forecast:
            raise ScaffoldError("a hidden forecast needs --probability or --probabilities")
        salt = commitment.new_salt()
        ordered["commitment"] = commitment.commitment(pid, author, forecast, salt)
    else:
        ordered.update(forecast)
    relative = f"predictions/{author}/{pid}.yaml"
    text = record(ordered)
    problems = check_new(root, relative, "prediction", text, today)
    target = Path(root) / relative
    if problems:
        return target, text, problems
    if hidden:
        keep = keep or default_keep()
        _refuse_inside(keep, root)
        kept = {
            "prediction": pid,
            "author": author,
            "forecast": forecast,
            "salt": salt,
            "registry": os.path.abspath(root),
        }
        keep.mkdir(parents=True, exist_ok=True)
        if not create_atomic(keep / f"{pid}.json", json.dumps(kept, indent=2) + "\n"):
            raise ScaffoldError(f"{keep / (pid + '.json')} exists already; choose another --id")
        os.chmod(keep / f"{pid}.json", 0o600)
    if not create_atomic(target, text):
        raise ScaffoldError(f"{target} exists already; choose another --id")
    return target, text, []


def reveal(root: str, pid: str, *, today: dt.date, keep: Path | None = None) -> tuple[Path, str, list[Problem]]:
    """Write ``reveals/<pid>.yaml`` from the kept salt and forecast."""
    keep = keep or default_keep()
    source = keep / f"{pid}.json"
    try:
        kept = json.loads(source.read_text(encoding="utf-8"))
    except OSError:
        raise ScaffoldError(f"no kept commitment {source}: reveal on the machine that ran `predreg commit`") from None
    text = record({"prediction": pid, "revealed": today, "salt": kept["salt"], **kept["forecast"]})
    relative = f"reveals/{pid}.yaml"
    problems = check_new(root, relative, "reveal", text, today)
    target = Path(root) / relative
    if problems:
        return target, text, problems
    if not create_atomic(target, text):
        raise ScaffoldError(f"{target} exists already: a commitment is revealed once")
    return target, text, []


def _refuse_inside(keep: Path, root: str) -> None:
    inside = os.path.commonpath([os.path.realpath(keep), os.path.realpath(root)]) == os.path.realpath(root)
    if inside:
        raise ScaffoldError(f"{keep} is inside the registry: the salt must stay out of it until the reveal")
