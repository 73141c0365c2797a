"""Writing new records: ``predreg new`` (a prediction), ``predreg commit`` (a hidden one), ``predreg reveal``,
``predreg question new`` and ``predreg withdraw``.

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

from . import commitment, plugins
from .answers import BadAnswer, read
from .checks import check_registry
from .emit import record
from .errors import ScaffoldError
from .fields import Identifier, specs
from .files import create_atomic
from .load import load_file, load_text
from .model import Link, Prediction, Question, Resolver
from .problems import Problem
from .registry import Layout, Stems, closure, normalised


def default_author() -> str | None:
    """The author handle from ``$PREDREG_AUTHOR`` or ``git config predreg.author``."""
    if os.environ.get("PREDREG_AUTHOR"):
        return os.environ["PREDREG_AUTHOR"]
    try:
        found = subprocess.run(  # a handle that is not UTF-8 is then refused as a handle, in the checker's words
            ["git", "config", "predreg.author"],
            capture_output=True,
            encoding="utf-8",
            errors="surrogateescape",
            check=False,
        )
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


ID_LIMIT = 120
"""The most characters an id has (``fields.ID_PATTERN``)."""


def forecast_id(question: str, author: str) -> str:
    """``<question>-<author>``, the question's part cut so that the id fits with a ``-NN`` after it."""
    room = ID_LIMIT - len(author) - len("-") - len("-99")
    return f"{question[:room].rstrip('-.')}-{author}" if room > 0 else question[: ID_LIMIT - len("-99")]


def unique_id(base: str, taken: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3`` ... whichever is not taken (ignoring case and Unicode form)."""
    candidate, n = base, 1
    while normalised(candidate) in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def listing(root: str) -> set[str]:
    """Every registry file, relative to the root, without reading any."""
    return Layout(root).listing().relative()


def _taken(present: set[str]) -> set[str]:
    return {normalised(Path(p).name.removesuffix(".yaml")) for p in present if p.endswith(".yaml")}


def check_new(root: str, relative: str, kind: str, text: str, today: dt.date) -> list[Problem]:
    """The problems a new record would have, checked with only the records it refers to."""
    present = listing(root)
    stems = Stems(present)
    new = load_text(os.path.join(root, relative), kind, text)
    # the files holding its id (`ON-SHARED` for `on-shared`): the duplicate rule sees only what is loaded
    same_id = stems.of(Path(relative).name.removesuffix(".yaml")) if kind in ("prediction", "question") else []
    checked = check_registry(closure(root, same_id, present, stems, new), today=today, resolvers=plugins.catalogue())
    return checked.problems_in([new.path])


def find_question(root: str, qid: str) -> Question | None:
    """The question ``qid``: a shared one, or the one a prediction states inline; None if there is none."""
    for relative in sorted(Stems(listing(root)).of(qid)):
        kind = "question" if relative.startswith("questions/") else "prediction"
        found = load_file(os.path.join(root, relative), kind).record
        question = found.inline_question() if isinstance(found, Prediction) else found
        if isinstance(question, Question):
            return question
    return None


def latest_forecast(root: str, author: str, qid: str) -> str | None:
    """The id of ``author``'s latest prediction on question ``qid`` that none of theirs revises yet."""
    folder = Path(root) / "predictions" / author
    mine = [load_file(str(path), "prediction").record for path in sorted(folder.glob("*.yaml"))]
    on_it = [p for p in mine if isinstance(p, Prediction) and normalised(p.question_id) == normalised(qid)]
    revised = {p.supersedes for p in on_it if p.supersedes}
    open_ = [p for p in on_it if p.id not in revised]
    return max(open_, key=lambda p: (p.registered, p.id)).id if open_ else None


def plain(value: Any) -> Any:
    """A model value as the plain values a file holds (a resolver as a mapping, a link as its URL)."""
    if isinstance(value, Resolver):
        return {"name": value.name, **value.config}
    if isinstance(value, Link):
        extra = {k: v for k, v in (("title", value.title), ("note", value.note)) if v is not None}
        return {"url": value.url, **extra} if extra else value.url
    if isinstance(value, tuple | list):
        return [plain(item) for item in value]
    return value


def ordered(cls: type, values: dict[str, Any]) -> dict[str, Any]:
    """The values in the model's field order, as plain values."""
    return {name: plain(values[name]) for name in specs(cls) if values.get(name) is not None}


FORECASTS = ("probability", "probabilities")
"""The forecasts a commitment hides."""


def new_prediction(
    root: str,
    fields: dict[str, Any],
    *,
    today: dt.date,
    hidden: bool = False,
    keep: Path | None = None,
) -> tuple[Path, str, list[Problem]]:
    """Write a prediction (hidden behind a commitment if ``hidden``); the path, its text, its problems.

    Without an ``id``, one is made: ``<question>-<author>`` on a shared question, else from
    the claim; ``-2``, ``-3`` ... when taken. Nothing is written when there are problems.
    """
    author = fields.get("author")
    if not author:
        raise ScaffoldError("no author: give --author, or set PREDREG_AUTHOR or `git config predreg.author`")
    base = (
        forecast_id(fields["question"], author) if fields.get("question") else slug(fields.get("claim") or "prediction")
    )
    pid = fields.get("id") or unique_id(base, _taken(listing(root)))
    forecast = {k: fields[k] for k in FORECASTS if fields.get(k) is not None}
    values = {**fields, "id": pid, "registered": today}
    salt = None
    if hidden:
        if not forecast:
            raise ScaffoldError("a hidden forecast needs --probability or --probabilities")
        salt = commitment.new_salt()
        values = {k: v for k, v in values.items() if k not in forecast}
        values["commitment"] = commitment.commitment(pid, author, forecast, salt)
    relative = f"predictions/{author}/{pid}.yaml"
    text = record(ordered(Prediction, values))
    problems = check_new(root, relative, "prediction", text, today) + _revises_itself(root, relative, values)
    target = Path(root) / relative
    if problems:
        return target, text, problems
    refuse_outside(root, target)
    kept = _keep_salt(keep or default_keep(), root, pid, author, forecast, salt) if salt is not None else None
    created = False
    try:
        created = create_atomic(target, text)
    finally:
        if kept is not None and not created:  # a salt kept for no prediction would refuse the retry
            kept.unlink()
    if not created:
        raise ScaffoldError(f"{target} exists already; choose another --id")
    return target, text, []


def _revises_itself(root: str, relative: str, values: dict[str, Any]) -> list[Problem]:
    """A prediction superseding its own id (`--id x --supersedes x`, or a made id equal to it): the check allows it."""
    supersedes = values.get("supersedes")
    if not supersedes or normalised(supersedes) != normalised(values["id"]):
        return []
    message = f"`{supersedes}` is this prediction's own id"
    hint = "give the id of your earlier prediction on the question, or leave --supersedes out"
    return [Problem(os.path.join(root, relative), 1, 1, "supersedes", message, hint)]


def _keep_salt(keep: Path, root: str, pid: str, author: str, forecast: dict[str, Any], salt: str) -> Path:
    """Keep the salt and forecast in ``keep/<pid>.json`` (mode 600); the file's path."""
    _refuse_inside(keep, root)
    kept = {"prediction": pid, "author": author, "forecast": forecast, "salt": salt, "registry": os.path.abspath(root)}
    keep.mkdir(parents=True, exist_ok=True)
    path = keep / f"{pid}.json"
    if not create_atomic(path, json.dumps(kept, indent=2, allow_nan=False) + "\n"):
        raise ScaffoldError(f"{path} exists already; choose another --id")
    os.chmod(path, 0o600)
    return path


def new_question(root: str, fields: dict[str, Any], *, today: dt.date) -> tuple[Path, str, list[Problem]]:
    """Write ``questions/<id>.yaml`` (an id made from the claim unless given); nothing if it has problems."""
    qid = fields.get("id") or unique_id(slug(fields.get("claim") or "question"), _taken(listing(root)))
    relative = f"questions/{qid}.yaml"
    text = record(ordered(Question, {**fields, "id": qid}))
    return _create(root, relative, "question", text, today, f"choose another --id than {qid}")


def withdrawable(root: str, pid: str) -> tuple[str, Prediction | None]:
    """The prediction ``pid`` names: its id as registered, and its record (None if there is none).

    Refuses an id that could not name a file, and a prediction withdrawn already, before
    anyone is asked why.
    """
    _identifier(pid)
    found = [p for p in Stems(listing(root)).of(pid) if p.startswith("predictions/")]
    prediction = load_file(os.path.join(root, found[0]), "prediction").record if found else None
    if isinstance(prediction, Prediction):
        pid = prediction.id
    target = Path(root) / "withdrawals" / f"{pid}.yaml"
    if target.exists():
        raise ScaffoldError(f"{target} exists already; {pid} is withdrawn already")
    return pid, prediction if isinstance(prediction, Prediction) else None


def withdraw(root: str, pid: str, *, author: str, reason: str, today: dt.date) -> tuple[Path, str, list[Problem]]:
    """Write ``withdrawals/<id>.yaml`` for ``author``'s prediction ``pid``; nothing if it has problems."""
    pid, prediction = withdrawable(root, pid)
    relative = f"withdrawals/{pid}.yaml"
    text = record({"prediction": pid, "withdrawn": today, "reason": reason})
    if (refused := not_withdrawable_by(root, pid, prediction, author)) is not None:
        return Path(root) / relative, text, [refused]
    return _create(root, relative, "withdrawal", text, today, f"{pid} is withdrawn already")


def not_withdrawable_by(root: str, pid: str, prediction: Prediction | None, author: str | None) -> Problem | None:
    """Why ``author`` (anyone, if None) cannot withdraw ``pid``: there is no such prediction, or it is another's."""
    path = os.path.join(root, "withdrawals", f"{pid}.yaml")
    if prediction is None:  # as the check says it
        return Problem(
            path, 1, 1, "prediction", f"`{pid}` is no valid prediction", "give the id of a registered prediction"
        )
    if author is not None and prediction.author != author:
        message = f"`{pid}` is by {prediction.author}, not {author}"
        hint = f"only its author withdraws a prediction (--author {prediction.author}, if that is you)"
        return Problem(path, 1, 1, "prediction", message, hint)
    return None


def _create(
    root: str, relative: str, kind: str, text: str, today: dt.date, taken: str
) -> tuple[Path, str, list[Problem]]:
    """Check a new record and create its file (never replacing one); the path, its text, its problems."""
    target = Path(root) / relative
    if target.exists():
        raise ScaffoldError(f"{target} exists already; {taken}")
    problems = check_new(root, relative, kind, text, today)
    if problems:
        return target, text, problems
    refuse_outside(root, target)
    if not create_atomic(target, text):
        raise ScaffoldError(f"{target} exists already; {taken}")
    return target, text, []


def reveal(root: str, pid: str, *, today: dt.date, keep: Path | None = None) -> tuple[Path, str, list[Problem]]:
    """Write ``reveals/<pid>.yaml`` from the kept salt and forecast."""
    _identifier(pid)  # before it names a file to read
    kept = _kept(keep or default_keep(), pid)
    text = record({"prediction": pid, "revealed": today, "salt": kept["salt"], **kept["forecast"]})
    return _create(root, f"reveals/{pid}.yaml", "reveal", text, today, "a commitment is revealed once")


def _kept(keep: Path, pid: str) -> dict[str, Any]:
    """What `predreg commit` kept for ``pid``: its salt and forecast."""
    source = keep / f"{pid}.json"
    try:
        kept = json.loads(source.read_text(encoding="utf-8"))
    except OSError:
        raise ScaffoldError(f"no kept commitment {source}: reveal on the machine that ran `predreg commit`") from None
    except ValueError as error:  # not JSON, or not UTF-8
        raise ScaffoldError(f"{source} is not what `predreg commit` keeps ({error})") from None
    forecast = kept.get("forecast") if isinstance(kept, dict) else None
    if not (isinstance(forecast, dict) and isinstance(kept.get("salt"), str) and set(forecast) <= set(FORECASTS)):
        raise ScaffoldError(f"{source} is not what `predreg commit` keeps (it needs a salt and a forecast)")
    return kept


def _identifier(pid: str) -> None:
    """Refuse an id that could not name a file (``../x``), in the checker's words."""
    try:
        read(Identifier(), "prediction", pid)
    except BadAnswer as error:
        raise ScaffoldError(str(error)) from None


def _within(path: Path | str, root: str) -> bool:
    """Whether ``path``, its symbolic links followed (as far as it exists), is inside the folder ``root``."""
    home = os.path.realpath(root)
    return os.path.commonpath([os.path.realpath(path), home]) == home


def refuse_outside(root: str, *targets: Path) -> None:
    """Refuse to write where a symbolic link in the registry (``predictions/x -> ~/.ssh``) leads out of it.

    A registry is cloned from pull requests, and git keeps symbolic links.
    """
    for target in targets:
        if not _within(target, root):
            raise ScaffoldError(
                f"{target.parent} leads outside the registry, to {os.path.realpath(target.parent)} (a symbolic link);"
                " nothing written: remove the link"
            )


def _refuse_inside(keep: Path, root: str) -> None:
    if _within(keep, root):
        raise ScaffoldError(f"{keep} is inside the registry: the salt must stay out of it until the reveal")
