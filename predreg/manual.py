"""``predreg resolve --manual``: a person's resolution of a question, with its evidence kept as the job keeps it.

Each piece of evidence is fetched through predreg's safe session (the one ``predreg
resolve`` uses) or read from a file. Its body is kept as ``evidence/<sha256>`` and cited
by a snapshot; the record is built, read back and checked as the job's records are
(``predreg.resolve``), then written together with the bodies under the resolve lock,
never replacing a file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs

from .answers import Answers, BadAnswer, Given, Parse, Parsed, field_reader
from .authoring import Ask, Flags, ask_missing, read_flags, require
from .checks import outcome_problem
from .errors import Unresolvable
from .fetch import MAX_BYTES, Fetched, Session
from .fields import specs
from .files import locked
from .model import Question, Resolution, Snapshot
from .problems import Problem
from .registry import Layout
from .resolve import dumped, one_line, quoted_in, write_files
from .scaffold import ScaffoldError, check_new, find_question, refuse_outside


@attrs.frozen
class Evidence:
    """One body of evidence and where it came from (a URL, or ``file:<name>``)."""

    url: str
    body: bytes
    fetched_at: dt.datetime
    status: int | None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    def stored_text(self) -> str:
        """The body as ``predreg resolve --offline`` reads it from ``evidence/`` (UTF-8, other bytes replaced).

        An excerpt is looked for here, so that what is quoted is what the audit finds:
        a page in another encoding can still be quoted by its ASCII words.
        """
        return Fetched(self.url, self.status, self.body, self.fetched_at).text()

    def text(self) -> str | None:
        """The body as one line of text, or None if it is not UTF-8 text (a PDF, an image)."""
        try:
            decoded = self.body.decode("utf-8")
        except UnicodeDecodeError:
            return None
        if any(ord(c) < 32 and c not in "\t\n\r\f\v" for c in decoded):
            return None
        return " ".join(decoded.split())


def gather_evidence(source: str, session: Session, now: dt.datetime) -> Evidence:
    """The evidence at ``source``: an http(s) URL fetched through ``session``, or a file read."""
    if source.lower().startswith(("http://", "https://")):
        try:
            parts = urlsplit(source)
            parts.port  # noqa: B018 -- read for its check: a port that is not a number, or over 65535
        except ValueError as error:  # `http://[::1`: the session would stumble on it too
            raise Unresolvable(f"evidence {source}: is not a URL that can be fetched ({error})") from None
        if parts.username is not None:  # the URL is published in the record, a password with it
            raise Unresolvable(
                f"evidence {source.split('//', 1)[0]}//...@...: a URL with a user name or password"
                " would publish it in the record; give the URL of a page anyone can read"
            )
        fetched = session.get(source)
        if problem := fetched.problem():
            raise Unresolvable(f"evidence {problem}")
        return Evidence(source, fetched.body, fetched.fetched_at, fetched.status)
    return Evidence(f"file:{Path(source).name}", _file_body(source), now, None)


def _file_body(source: str) -> bytes:
    """A regular file's bytes, read through one descriptor and at most the cap of a stored body.

    Its reported size is not trusted (``/proc`` files report 0, a file may grow), and a
    FIFO or a device is refused, not read (it may never end).
    """
    try:
        handle = os.open(source, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise Unresolvable(f"evidence {source}: no such file, and not an http(s) URL") from None
    except OSError as error:
        raise Unresolvable(f"evidence {source}: cannot be read ({error.strerror})") from None
    if not stat.S_ISREG(os.fstat(handle).st_mode):
        os.close(handle)
        raise Unresolvable(f"evidence {source}: is not a regular file (a folder, a device, a pipe); give a file")
    with os.fdopen(handle, "rb") as file:
        try:
            body = file.read(MAX_BYTES + 1)
        except OSError as error:
            raise Unresolvable(f"evidence {source}: cannot be read ({error.strerror})") from None
    if len(body) > MAX_BYTES:
        raise Unresolvable(f"evidence {source}: over the {MAX_BYTES:,}-byte cap of a stored body")
    return body


def snapshots(evidence: list[Evidence], excerpt: str | None) -> tuple[Snapshot, ...]:
    """A snapshot of each body; ``excerpt`` (the words that decide) must be quoted from one of them.

    Without an excerpt, a text body's first words stand in, as in the job's records.
    """
    quoted = [e for e in evidence if excerpt and quoted_in(excerpt, e.stored_text())]
    if excerpt and not quoted:
        raise Unresolvable(f"the excerpt {excerpt!r} is not in the evidence; quote its words exactly")
    return tuple(
        Snapshot(
            url=e.url,
            fetched_at=e.fetched_at.astimezone(dt.UTC).replace(microsecond=0),
            sha256=e.sha256,
            status=e.status,
            excerpt=_excerpt(e, excerpt, e in quoted),
        )
        for e in evidence
    )


def _excerpt(evidence: Evidence, excerpt: str | None, quoted: bool) -> str | None:
    if excerpt:
        return one_line(excerpt) if quoted else None
    return one_line(evidence.text() or "") or None


def outcome_ask(question: Question) -> Ask:
    allowed = "a number" if question.kind == "numeric" else ", ".join(question.allowed_outcomes())

    def fits(outcome: str | float) -> str | None:
        wrong = outcome_problem(question, outcome)
        return None if wrong is None else f"outcome: {wrong[0]}; {wrong[1]}"

    label = f"Outcome ({allowed}, annulled or ambiguous): "
    return Ask("outcome", label, field_reader(specs(Resolution)["outcome"][1].type, "outcome"), rule=fits)


def _evidence_reader(session: Session, now: dt.datetime) -> Parse:
    def parse(given: Given) -> Parsed:
        typed = given if isinstance(given, str) else given[0]
        try:  # typed at a prompt, `~/report.pdf` has no shell to expand it
            return [gather_evidence(os.path.expanduser(typed), session, now)], []
        except Unresolvable as error:
            raise BadAnswer(str(error)) from None

    return parse


def manual_fields(
    root: str, qid: str, flags: Flags, answers: Answers, *, session: Session, now: dt.datetime
) -> tuple[Question, dict[str, Any]]:
    """The question and what resolves it: who (asked first), the outcome, the evidence (fetched or read)."""
    question = find_question(root, qid)
    if question is None:
        raise Unresolvable(f"no question `{qid}` exists; give the id of a question or of a prediction that states one")
    _unresolved(root, question)  # before anyone is asked anything
    handle = specs(Resolution)["resolved_by"][1].type
    asks = [
        Ask("resolved_by", "Resolved by (your handle): ", field_reader(handle, "resolved_by")),
        outcome_ask(question),
    ]
    values, _ = read_flags(flags, asks)
    evidence_ask = Ask("evidence", "Evidence (a URL or a file): ", _evidence_reader(session, now))
    require(values, [*asks, *([] if flags.get("evidence") else [evidence_ask])], answers)
    if flags.get("evidence"):  # fetched before anything is asked, so that a dead link costs no typing
        sources = dict.fromkeys(flags["evidence"])  # the same one twice is kept once
        values["evidence"] = [gather_evidence(source, session, now) for source in sources]
    ask_missing(values, [*asks, evidence_ask], answers)
    return question, values


def _unresolved(root: str, question: Question) -> Path:
    """Where the question's resolution is to go; refused if it is resolved already (corrections are other files)."""
    target = Path(root) / "resolutions" / f"{question.id}.yaml"
    if target.exists():
        raise ScaffoldError(
            f"{target} exists already: `{question.id}` is resolved; a correction is a new file"
            f" resolutions/{question.id}.2.yaml with `corrects: {question.id}`"
        )
    return target


def resolve_manually(
    root: str, question: Question, values: dict[str, Any], *, now: dt.datetime, note: str | None, excerpt: str | None
) -> tuple[Path, str, list[Problem]]:
    """Write ``resolutions/<question>.yaml`` and its evidence bodies; nothing if the record has problems."""
    relative = f"resolutions/{question.id}.yaml"
    target = _unresolved(root, question)
    evidence: list[Evidence] = values["evidence"]
    record = Resolution(
        question=question.id,
        outcome=values["outcome"],
        resolved_at=now.astimezone(dt.UTC).replace(microsecond=0),
        resolver="manual",
        resolved_by=values["resolved_by"],
        evidence=snapshots(evidence, excerpt),
        note=" ".join(note.split()) if note else None,
    )
    try:
        text = dumped(os.path.join(root, relative), record)
    except ValueError as error:
        raise Unresolvable(str(error)) from None
    problems = check_new(root, relative, "resolution", text, now.date())
    if problems:
        return target, text, problems
    bodies = [(Path(root) / "evidence" / e.sha256, e.body) for e in evidence]
    lock = Layout(str(root)).local("resolve.lock")
    refuse_outside(root, target, lock, *(path for path, _ in bodies))
    with locked(lock):
        [created] = write_files((bodies, [(target, text)]))
    if not created:
        raise ScaffoldError(f"{target} appeared meanwhile; left as it is")
    return target, text, []
