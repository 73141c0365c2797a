"""The scheduled resolution job: every unresolved question, through its resolver, into a record.

For each question without a resolution (however long overdue), the question's
resolver is asked through the plugin hook. A verdict of "resolved" becomes
``resolutions/<question>.yaml`` with a snapshot of every fetch it used; the bodies go
to ``evidence/<sha256>``. Records are checked with the same loader as ``predreg
check`` before they are written, written whole (temporary file, then a hard link that
refuses to replace anything), and never overwritten: a final resolution changes only
by a correction that a person adds. A lock stops two runs writing at once.

``offline`` re-resolves every recorded, evidenced resolution from the stored bodies
alone and compares outcomes: how anyone audits the registry without a network.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import attrs

from . import plugins
from .checks import check_registry
from .defaults import JOB, QUESTION_DEADLINE
from .emit import document
from .errors import RegistryInvalid
from .fetch import Fetched, Session
from .files import create_many, locked, on_disk
from .load import load_text
from .model import Question, Resolution, Resolver, Snapshot
from .parallel import Helper, HelperDied, Overran, side_by_side
from .registry import Layout, Registry, walk
from .resolvers import deadline
from .settings import resolver_settings
from .verdict import Verdict, failed, resolved
from .version import __version__

EXCERPT = 300
BATCH = 500
BATCH_SECONDS = 0.5
"""Resolved files are written in batches of up to this many, or this often: one sync per batch."""


@attrs.frozen
class Result:
    """What became of one question in a run."""

    question: str
    resolver: str
    status: str
    """resolved, pending, overdue, error; offline: reproduced, mismatch."""
    verdict: Verdict
    record: Path | None = None
    """The resolution file written (None on a dry run or when nothing was resolved)."""


@attrs.frozen
class Run:
    results: list[Result]
    dry_run: bool = False
    offline: bool = False

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def failed(self) -> bool:
        return any(r.status in ("error", "mismatch") for r in self.results)

    def overdue_manual(self) -> list[Result]:
        return [r for r in self.results if r.status == "overdue" and r.resolver == "manual"]


def resolve_registry(
    root: str | Path,
    *,
    session: Session,
    now: dt.datetime | None = None,
    dry_run: bool = False,
    only: Iterable[str] | None = None,
    progress: Callable[[int, int, Result], None] | None = None,
    shard: tuple[int, int] | None = None,
    jobs: int = 8,
    index: bool = False,
    question_deadline: float | None = QUESTION_DEADLINE,
) -> Run:
    """Resolve every unresolved question of the registry at ``root`` (or those in ``only``, or in ``shard``).

    A question whose resolver raises, of whatever type, is that question's error; one
    still resolving after ``question_deadline`` seconds is given up on, as an error.
    Either way every other question still resolves.
    """
    root = Path(root)
    now = now or dt.datetime.now(dt.UTC)
    wanted = set(only) if only is not None else None
    if shard is None:
        registry = _checked(root, now, index)
    else:
        from .shard import check_shard

        part = check_shard(str(root), *shard, today=now.date())
        if part.problems:
            raise RegistryInvalid(part.problems)
        registry = part.registry
        owned = {item.path for item in part.files}
        in_shard = {qid for qid, path in registry.files.items() if path in owned}
        wanted = in_shard if wanted is None else wanted & in_shard
    questions = [
        q
        for qid, q in sorted(registry.questions.items())
        if registry.resolution(qid) is None and (wanted is None or qid in wanted)
    ]
    if dry_run:
        results = _resolve_all(root, questions, session, now, None, progress, jobs, question_deadline)
    else:
        with locked(Layout(str(root)).local("resolve.lock")):
            _sweep(root)
            # the writes go to a helper process, started before the threads, whose file-system
            # calls then never queue for the GIL behind the resolvers
            with Helper(write_files) as write:
                results = _resolve_all(root, questions, session, now, write, progress, jobs, question_deadline)
    return Run(sorted(results, key=lambda result: result.question), dry_run=dry_run)


def _resolve_all(
    root: Path,
    questions: Sequence[Question],
    session: Session,
    now: dt.datetime,
    write: Callable[[Files], list[bool]] | None,
    progress: Callable[[int, int, Result], None] | None,
    jobs: int,
    question_deadline: float | None,
) -> list[Result]:
    """Resolve ``questions`` side by side, writing (unless ``write`` is None) each batch as it completes.

    Questions wait on the network, so they are resolved side by side (each URL is still
    fetched once). Their files are written here, in the order they finish, in batches
    that share one sync: a question that never finishes holds up no other's record.
    """
    results: list[Result] = []
    batch: list[tuple[Result, Pending | None]] = []
    flushed = time.monotonic()
    died: HelperDied | None = None  # the writer, once it is gone: nothing more can be written

    def flush() -> None:
        nonlocal flushed, died
        if write is None:
            done = [result for result, _ in batch]
        else:
            try:
                done = unwritten(batch, died) if died else write_resolved(batch, write)
            except HelperDied as death:
                died = death
                done = unwritten(batch, died)
        for result in done:
            results.append(result)
            if progress:
                progress(len(results), len(questions), result)
        batch.clear()
        flushed = time.monotonic()

    def prepare(question: Question) -> tuple[Result, Pending | None]:
        return prepare_question(root, question, session, now)

    lanes = side_by_side(prepare, questions, workers=max(1, jobs), deadline=question_deadline, tick=BATCH_SECONDS)
    for finished in lanes:
        if finished is not None:
            index, outcome = finished
            batch.append(_overran(questions[index], outcome) if isinstance(outcome, Overran) else outcome)
        if len(batch) >= BATCH or (batch and time.monotonic() - flushed > BATCH_SECONDS):
            flush()
    flush()
    return results


def _overran(question: Question, overran: Overran) -> tuple[Result, None]:
    why = f"still resolving after {overran.seconds:g} s (--question-deadline); left unresolved"
    return Result(question.id, question.resolver.name, "error", failed(why)), None


def _sweep(root: Path) -> None:
    """Remove temporary files a killed run left behind (only ever called under the lock)."""
    for folder in (root / "resolutions", root / "evidence"):
        if folder.is_dir():
            for leftover in folder.glob(".*.tmp"):
                leftover.unlink(missing_ok=True)


def audit_registry(
    root: str | Path,
    *,
    progress: Callable[[int, int, Result], None] | None = None,
    today: dt.date | None = None,
    index: bool = False,
) -> Run:
    """Audit every recorded resolution that has stored evidence, fetching nothing.

    A resolution by an automatic resolver is re-resolved from the stored bodies, as of
    the time they were fetched, and must reach the recorded outcome ("reproduced"). A
    manual one cannot be re-run, so its evidence is verified instead: each stored body
    matches its sha256 and each quoted excerpt is found in it ("verified"). A record this
    job signed (``resolved_by: predreg-resolve``) is always audited, and must reproduce.
    """
    root = Path(root)
    moment = dt.datetime.combine(today, dt.time(), dt.UTC) if today else dt.datetime.now(dt.UTC)
    registry = _checked(root, moment, index)
    audited = [
        (registry.questions[qid], resolution)
        for qid in sorted(registry.resolutions)
        if (resolution := registry.resolution(qid)) is not None
        and (resolution.resolved_by == JOB or any(s.sha256 for s in resolution.evidence))
    ]
    results = []
    for number, (question, resolution) in enumerate(audited, 1):
        if resolution.resolved_by == JOB and (unaudited := _not_the_jobs(question, resolution)) is not None:
            results.append(Result(question.id, resolution.resolver, "mismatch", failed(unaudited)))
        elif resolution.resolver == question.resolver.name and resolution.resolver != "manual":
            results.append(_reproduce(root, question, resolution))
        else:
            results.append(_verify(root, question, resolution))
        if progress:
            progress(number, len(audited), results[-1])
    return Run(results, offline=True)


def _not_the_jobs(question: Question, resolution: Resolution) -> str | None:
    """Why a record signed by this job cannot be one it wrote, or None.

    The job writes only what the question's own (automatic) resolver gave, with the
    bodies it read; a signed record without them could never be re-resolved, so it
    would otherwise pass unaudited.
    """
    if resolution.resolver == "manual":
        return f"{JOB} wrote it, yet it names resolver manual: the job only records automatic resolvers"
    if resolution.resolver != question.resolver.name:
        return (
            f"{JOB} wrote it, yet it names resolver {resolution.resolver}, not the question's {question.resolver.name}"
        )
    if not any(s.sha256 for s in resolution.evidence):
        return f"{JOB} wrote it with no stored evidence: nothing to re-resolve it from"
    return None


def _reproduce(root: Path, question: Question, resolution: Resolution) -> Result:
    session = stored_session(root, resolution)
    # the original run's time: the evidence was fetched then
    then = max((s.fetched_at for s in resolution.evidence if s.fetched_at), default=resolution.resolved_at)
    verdict = ask(question.resolver, question, session, then)
    if verdict.status == "resolved" and verdict.outcome == resolution.outcome:
        return Result(question.id, resolution.resolver, "reproduced", verdict)
    got = verdict.outcome if verdict.status == "resolved" else verdict.status
    why = f"recorded {resolution.outcome}, stored evidence gives {got}: {verdict.reason}"
    return Result(question.id, resolution.resolver, "mismatch", failed(why))


def _verify(root: Path, question: Question, resolution: Resolution) -> Result:
    session = stored_session(root, resolution)
    checked = []
    for snapshot in resolution.evidence:
        if snapshot.sha256 is None:
            continue
        fetched = session.get(snapshot.url)
        if fetched.error:
            return Result(question.id, resolution.resolver, "mismatch", failed(f"{snapshot.url}: {fetched.error}"))
        if snapshot.excerpt and not quoted_in(snapshot.excerpt, fetched.text()):
            why = f"{snapshot.url}: the excerpt {snapshot.excerpt!r} is not in the stored evidence"
            return Result(question.id, resolution.resolver, "mismatch", failed(why))
        checked.append(snapshot.url)
    reason = (
        "the stored body matches its hash and excerpt"
        if len(checked) == 1
        else f"{len(checked)} stored bodies match their hashes and excerpts"
    )
    return Result(question.id, resolution.resolver, "verified", resolved(resolution.outcome, reason))


def quoted_in(excerpt: str, text: str) -> bool:
    """Whether ``excerpt`` is quoted from ``text``: its parts (split at "...") in order, spacing aside."""
    flat = " ".join(text.split())
    position = 0
    for part in re.split(r"\s*(?:\.\.\.|\u2026)\s*", excerpt.strip().strip('"')):
        part = " ".join(part.split())
        if not part:
            continue
        found = flat.find(part, position)
        if found < 0:
            return False
        position = found + len(part)
    return True


def _checked(root: Path, now: dt.datetime, index: bool = False) -> Registry:
    """The registry at ``root`` checked as of ``now``; RegistryInvalid if it has problems."""
    registry = check_registry(walk(str(root), index=index), today=now.date(), resolvers=plugins.catalogue())
    if registry.problems:
        raise RegistryInvalid(registry.problems)
    return registry


def ask(resolver: Resolver, question: Question, session: Session, now: dt.datetime) -> Verdict:
    """One resolver's verdict, from the catalogue of installed resolvers; an exception becomes an error verdict."""

    def sub(inner: Resolver) -> Verdict:
        return ask(inner, question, session, now)

    catalogue = plugins.catalogue()
    installed = catalogue.get(resolver.name)
    if installed is None:
        return failed(f"no installed plugin resolves `{resolver.name}`")
    try:
        settings = resolver_settings(resolver, catalogue)[0]
        return installed.resolve(question, settings, session, now, resolve=sub)
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # a plugin's bug must not stop the run, nor resolve anything
        return failed(f"resolver {resolver.name} raised {raised(error)}")


@attrs.frozen
class Pending:
    """The files a resolved question is to write: its record, and the bodies of the evidence it cites."""

    record: Path
    text: str
    bodies: tuple[tuple[Path, bytes], ...]


def resolve_question(root: Path, question: Question, session: Session, now: dt.datetime, dry_run: bool) -> Result:
    """Ask the question's resolver; if it resolved, write the record and its evidence (unless ``dry_run``)."""
    result, pending = prepare_question(root, question, session, now)
    return result if dry_run else write_resolved([(result, pending)])[0]


def raised(error: BaseException) -> str:
    """An exception in one line: its type and message (which may run to several lines)."""
    return one_line(f"{type(error).__name__}: {error}")


def prepare_question(
    root: Path, question: Question, session: Session, now: dt.datetime
) -> tuple[Result, Pending | None]:
    """Ask the question's resolver; if it resolved, also the files to write (checked, not yet written).

    Whatever goes wrong, of any type (a verdict whose date is not a date, a recursion
    too deep), is this question's error: no other question is stopped by it.
    """
    try:
        return _prepare(root, question, session, now)
    except KeyboardInterrupt:
        raise
    except BaseException as error:
        return Result(question.id, question.resolver.name, "error", failed(f"resolving raised {raised(error)}")), None


def _prepare(root: Path, question: Question, session: Session, now: dt.datetime) -> tuple[Result, Pending | None]:
    with session.recording() as used:
        verdict = ask(question.resolver, question, session, now)
    name = question.resolver.name
    if verdict.status == "resolved" and verdict.outcome is not None:
        allowed = question.allowed_outcomes()
        if question.kind != "numeric" and verdict.outcome not in (*allowed, "annulled", "ambiguous"):
            verdict = failed(
                f"resolver gave `{verdict.outcome}`, not an outcome of this question ({', '.join(allowed)})"
            )
    if verdict.status == "pending":
        status = "overdue" if now >= deadline(question) else "pending"
        return Result(question.id, name, status, verdict), None
    if verdict.status != "resolved":
        return Result(question.id, name, "error", verdict), None
    record = resolution_record(question, verdict, used, now)
    path = root / "resolutions" / f"{question.id}.yaml"
    try:
        text = dumped(path, record)
    except ValueError as error:
        return Result(question.id, name, "error", failed(str(error))), None
    bodies = tuple((root / "evidence" / f.sha256, f.body) for f in used if f.ok)
    return Result(question.id, name, "resolved", verdict), Pending(path, text, bodies)


Files = tuple[list[tuple[Path, bytes]], list[tuple[Path, str]]]
"""Evidence bodies, then resolution records, to write in one batch."""


def write_files(files: Files) -> list[bool]:
    """Evidence bodies not yet stored, then the records, made durable together; whether each record was created.

    Evidence is linked before the records that cite it. A body already stored is these
    bytes (it is named by its hash), so it is not written again.
    """
    bodies, records = files
    new = [(path, body) for path, body in bodies if not path.exists()]
    return create_many([*new, *records])[len(new) :]


def write_resolved(
    batch: Sequence[tuple[Result, Pending | None]], write: Callable[[Files], list[bool]] = write_files
) -> list[Result]:
    """Write the files of a batch of results with one sync; each result then names its record.

    ``write`` is :func:`write_files`, or the same run in a helper process. A record whose
    name appeared meanwhile is left as it is, and its result becomes an error.
    """
    bodies: dict[Path, bytes] = {}
    for _, pending in batch:
        for path, body in pending.bodies if pending else ():
            bodies.setdefault(path, body)
    records = [(pending.record, pending.text) for _, pending in batch if pending]
    created = iter(write((list(bodies.items()), records)))
    written = []
    for result, pending in batch:
        if pending is None:
            written.append(result)
        elif next(created):
            written.append(attrs.evolve(result, record=pending.record))
        else:
            why = f"{pending.record} appeared during the run; left as it is"
            written.append(Result(result.question, result.resolver, "error", failed(why)))
    return written


def unwritten(batch: Sequence[tuple[Result, Pending | None]], died: HelperDied) -> list[Result]:
    """The batch's results after its writer died: each record it had linked, whole, stays; the rest are errors.

    The writer links a record only once its file and its evidence are complete, so a
    record found on disk with the text meant is written; any other is not, and says so.
    """
    done = []
    for result, pending in batch:
        if pending is None:
            done.append(result)
        elif _holds(pending.record, pending.text):
            done.append(attrs.evolve(result, record=pending.record))
        else:
            why = f"resolved {result.verdict.outcome}, but not written: the writer process {died.how}; run again"
            done.append(Result(result.question, result.resolver, "error", failed(why)))
    return done


def _holds(path: Path, text: str) -> bool:
    try:
        return on_disk(path).read_bytes() == text.encode("utf-8")
    except OSError:
        return False


def resolution_record(question: Question, verdict: Verdict, used: list[Fetched], now: dt.datetime) -> Resolution:
    """The record of a resolved verdict: when, by what, with a snapshot of each fetch it used."""
    end = deadline(question) - dt.timedelta(seconds=1)
    when = verdict.happened_at or (end if verdict.outcome in ("no", "neither") else now)
    when = min(when, now).astimezone(dt.UTC).replace(microsecond=0)
    snapshots = tuple(
        Snapshot(
            url=f.url,
            fetched_at=f.fetched_at.astimezone(dt.UTC).replace(microsecond=0),
            sha256=f.sha256,
            status=f.status,
            excerpt=one_line(verdict.excerpts.get(f.url) or f.text()[:EXCERPT]) or None,
            content_type=one_line(f.content_type) or None,  # what the audit reads the body as
        )
        for f in used
        if f.ok
    )
    return Resolution(
        question=question.id,
        outcome=verdict.outcome,  # type: ignore[arg-type]
        resolved_at=when,
        resolver=question.resolver.name,
        resolved_by=JOB,
        resolver_version=_version_of(question.resolver.name),
        evidence=snapshots,
        note=one_line(verdict.reason) or None,
    )


def _version_of(name: str) -> str:
    info = plugins.catalogue().get(name)
    return f"{info.version}" if info else __version__


LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def one_line(text: str) -> str:
    """``text`` on one line, white space collapsed, cut to an excerpt's length.

    A lone surrogate (a plugin's string decoded with ``surrogateescape``) has no UTF-8
    form and no YAML escape: it becomes U+FFFD, as a page's undecodable bytes do.
    Every other character is kept; the YAML writer escapes what it cannot hold raw.
    """
    return " ".join(LONE_SURROGATE.sub("\ufffd", text).split())[:EXCERPT]


def dumped(path: str | Path, record: Resolution) -> str:
    """The record as it is to be written at ``path``; ValueError, saying why, if it would not read back as itself."""
    text = dump_resolution(record)
    loaded = load_text(str(path), "resolution", text)
    if loaded.problems or loaded.record != record:
        why = "; ".join(str(p) for p in loaded.problems) or "it reads back differently"
        raise ValueError(f"the record would not load: {why}")
    return text


def dump_resolution(record: Resolution) -> str:
    """A resolution record as YAML, the same bytes for the same record (the one record writer's)."""
    return document(record)


class StoredEvidence:
    """A transport that fetches nothing: it replays the bodies stored as a resolution's evidence.

    Each body is served as it was recorded: its status, its content type (so that an
    HTML page is read as HTML, and in its charset) and the time it was fetched. A
    record written before snapshots kept a content type serves the body without one,
    as the audit always read it.
    """

    def __init__(self, evidence: Path, snapshots: Iterable[Snapshot]) -> None:
        self.evidence = evidence
        self.snapshots = {s.url: s for s in snapshots if s.sha256}

    def fetch(self, url: str) -> Fetched:
        """The stored body cited for ``url``, checked against its hash; an error if it is not there or not it."""
        snapshot = self.snapshots.get(url)
        when = snapshot.fetched_at if snapshot and snapshot.fetched_at else dt.datetime.now(dt.UTC)
        if snapshot is None or snapshot.sha256 is None:
            return Fetched(url, None, b"", when, error="not in the stored evidence (offline)")
        try:
            body = (self.evidence / snapshot.sha256).read_bytes()
        except OSError:
            return Fetched(url, None, b"", when, error=f"evidence/{snapshot.sha256} is missing")
        if hashlib.sha256(body).hexdigest() != snapshot.sha256:
            return Fetched(url, None, b"", when, error=f"evidence/{snapshot.sha256} does not match its hash")
        return Fetched(url, snapshot.status or 200, body, when, snapshot.content_type or "")

    def close(self) -> None:
        """Nothing to release: no connection was made."""


def stored_session(root: Path, resolution: Resolution) -> Session:
    """A session serving only ``resolution``'s stored evidence, from ``root/evidence``."""
    return Session(StoredEvidence(root / "evidence", resolution.evidence))
