"""What the site shows, gathered from a checked registry in one pass: the data every page producer reads.

:func:`gather` groups the registry's records by question and by author once, so no
page scans all predictions again. Everything here is plain, sorted and free of the
wall clock: the same registry gives the same facts, and so the same site. The page
producers (``pages``, and the JSON API and feeds of ``jsonapi`` and ``feeds``) each
turn :class:`SiteFacts` into files; the names of these classes and fields are what
they rely on: add, never rename.

Registry text (claims, notes, names, ids, URLs) is the author's, so hostile: nothing
here marks anything as safe HTML. :func:`web_link` keeps only http(s) addresses as
links; every other address is shown as text.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ..model import ANNULLED, UNSCORED_OUTCOMES, Author, Prediction, Question, Resolution, Snapshot
from .safety import file_name, web_link
from .words import percent

if TYPE_CHECKING:
    from ..checks import Registry
    from ..leaderboard import AuthorScore, Leaderboard
    from ..table import ScoredSeries

DUE_DAYS = 30
"""An open question whose resolve-by date is this near (or today) is "due"; past it, unresolved, "overdue"."""

STATUSES = ("open", "due", "overdue", "resolved", "annulled", "disputed")
"""Every status a question page can show."""

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@attrs.frozen
class Point:
    """One day of the community forecast (the community helper's ``predreg.community.Point`` has these fields)."""

    day: dt.date
    forecast: Any
    """A probability (binary), outcome -> probability (categorical, ordering), or level -> value (numeric)."""
    forecasters: int


@attrs.frozen
class Evidence:
    """One evidence snapshot of a resolution, as the site shows it."""

    url: str
    """The address as recorded (shown as text unless :attr:`href` is set)."""
    href: str | None
    """The address as a link: set only for http(s) addresses."""
    sha256: str | None
    stored: str | None
    """The site path of the copied body, ``evidence/<sha256>.txt``, when the registry holds the body."""
    fetched_at: dt.datetime | None
    status: int | None
    excerpt: str | None
    content_type: str | None


@attrs.frozen
class ResolutionStep:
    """One record of a question's resolution chain: the original, then each correction."""

    file: str
    """The record's file name inside ``resolutions/`` (what a correction's ``corrects:`` names)."""
    outcome: str | float
    resolved_at: dt.datetime
    resolver: str
    resolved_by: str | None
    approved_by: tuple[str, ...]
    disputed_by: tuple[str, ...]
    corrects: str | None
    note: str | None
    evidence: tuple[Evidence, ...]
    standing: bool
    """Whether this is the record that stands (the last of the chain)."""
    record: Resolution


@attrs.frozen
class Forecast:
    """One prediction, as its question's page and its author's page show it."""

    id: str
    author: str
    question: str
    registered: dt.date
    kind: str
    probability: float | None
    probabilities: tuple[tuple[str, float], ...]
    """Categorical and ordering forecasts, sorted by outcome; () otherwise."""
    quantiles: tuple[tuple[float, float], ...]
    """Numeric forecasts, sorted by level; () otherwise."""
    hidden_until: dt.date | None
    """A commitment not revealed: its forecast is hidden, at most until the question's resolve-by date."""
    revealed: dt.date | None
    """The day a commitment was revealed (its forecast is then shown)."""
    supersedes: str | None
    superseded_by: str | None
    withdrawn: dt.date | None
    withdrawal_reason: str | None
    given: str | None
    rationale: str | None
    file: str | None
    """The record's path inside the registry (for a link to the source), None if unknown."""
    record: Prediction

    @property
    def anchor(self) -> str:
        """The id of this forecast's row on its author's page."""
        return f"p-{self.id}"

    @property
    def shown(self) -> str:
        """The forecast in words: "70%", "a 60%, b 40%", "median 1.6 (5%: 1.1, 95%: 3)", or hidden."""
        if self.hidden_until is not None:
            return f"hidden until {self.hidden_until.isoformat()}"
        if self.probability is not None:
            return percent(self.probability)
        if self.probabilities:
            return ", ".join(f"{name} {percent(p)}" for name, p in self.probabilities)
        if self.quantiles:
            return ", ".join(f"{level:g}: {value:g}" for level, value in self.quantiles)
        return "-"


@attrs.frozen
class QuestionFacts:
    """A question with everything its page shows."""

    id: str
    page: str
    """Its page's path inside the site, ``questions/<name>.html``."""
    record: Question
    status: str
    """One of :data:`STATUSES`."""
    resolver: str
    settings: tuple[tuple[str, str], ...]
    """The resolver's settings as written, each value as text, sorted by name."""
    forecasts: tuple[Forecast, ...]
    """Every forecast on it, by date, then author, then id."""
    forecasters: tuple[str, ...]
    """The handles of everyone who forecast it, sorted."""
    chain: tuple[ResolutionStep, ...]
    """The resolution records, original first; () while unresolved."""
    outcome: str | float | None
    """The standing outcome, None while unresolved."""
    tags: tuple[str, ...]
    source_href: str | None
    """The question's ``source`` as a link, only if it is an http(s) address."""
    community: tuple[Point, ...] | None = None
    """The community forecast over time: None until ``predreg.community`` provides it (a marked slot)."""

    @property
    def standing(self) -> ResolutionStep | None:
        return self.chain[-1] if self.chain else None


@attrs.frozen
class AuthorFacts:
    """An author with everything their page shows."""

    handle: str
    page: str
    """Its page's path inside the site, ``authors/<name>.html``."""
    name: str
    """The display name from authors.yaml, or the handle."""
    href: str | None
    """The author's ``url`` as a link, only if it is an http(s) address."""
    note: str | None
    forecasts: tuple[Forecast, ...]
    """Every forecast, newest first (then by question, then id)."""
    score: AuthorScore | None
    """Their row of the main board, None if they have nothing scored or unscored."""
    rank: int | None
    """Their rank on the main board, None if unranked."""
    scored: tuple[ScoredSeries, ...]
    """Their scored series on the main board, by question."""


@attrs.frozen(eq=False)
class SiteFacts:
    """Everything the site shows: the board, the questions, the authors, the tags, the evidence."""

    root: str
    """The registry folder."""
    as_of: dt.date
    """The day the site is as of: --today, SOURCE_DATE_EPOCH, or the registry's newest date."""
    board: Leaderboard
    tag_boards: tuple[tuple[str, Leaderboard], ...]
    questions: Mapping[str, QuestionFacts]
    """By id, in id order."""
    authors: Mapping[str, AuthorFacts]
    """By handle, in handle order: everyone in authors.yaml or with a forecast."""
    tags: Mapping[str, tuple[str, ...]]
    """Tag -> the ids of its questions, both sorted."""
    evidence: Mapping[str, str]
    """sha256 -> the body's path on disk, for each stored body a resolution cites."""
    problems: int
    """How many problems the check found (their records are left out)."""
    ranking_rule: str
    """The ranking rule, in one sentence."""
    predictions: int = 0
    """How many predictions the site shows."""
    base_url: str | None = None
    """The site's public address (for feeds and canonical links), None if not given."""
    community_method: str | None = None
    """How the community forecast is made, None while there is none."""


def ranking_rule(board: Leaderboard) -> str:
    """The rule the main board ranks by, in one sentence: the board's own (``board.rule.sentence``) where it has one."""
    rule = getattr(board, "rule", None)
    rule = rule() if callable(rule) else rule
    sentence = getattr(rule, "sentence", None)
    if isinstance(sentence, str):
        return sentence
    return (
        f"Authors with at least {board.min_n} scored questions are ranked by their mean Brier score"
        f" (lower is better; revisions scored {board.policy}); the others are listed below, unranked."
    )


def as_of(registry: Registry, today: dt.date | None = None) -> dt.date:
    """The day the site is as of: ``today`` if given, else SOURCE_DATE_EPOCH, else the registry's newest date."""
    if today is not None:
        return today
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    days = [p.registered for p in registry.predictions.values()]
    days += [r.resolved_at.date() for chain in registry.resolutions.values() for r in chain]
    days += [r.revealed for r in registry.reveals.values()]
    days += [w.withdrawn for w in registry.withdrawals.values()]
    return max(days, default=dt.date(1970, 1, 1))


def gather(
    registry: Registry,
    board: Leaderboard,
    tag_boards: Sequence[tuple[str, Leaderboard]] = (),
    *,
    today: dt.date,
    base_url: str | None = None,
    community: Mapping[str, Sequence[Any]] | None = None,
    community_method: str | None = None,
) -> SiteFacts:
    """The facts of the whole site, in one pass over the registry's records.

    ``today`` is the day it is as of (:func:`as_of`); ``community`` maps question ids
    to their community forecast points (``predreg.community.histories``), if any.
    """
    forecasts = _forecasts(registry)
    by_question: dict[str, list[Forecast]] = defaultdict(list)
    by_author: dict[str, list[Forecast]] = defaultdict(list)
    for forecast in forecasts:
        by_question[forecast.question].append(forecast)
        by_author[forecast.author].append(forecast)
    evidence = _stored_evidence(registry)
    questions = {
        qid: _question(registry, registry.questions[qid], by_question.get(qid, []), evidence, today, community)
        for qid in sorted(registry.questions)
    }
    tags: dict[str, list[str]] = defaultdict(list)
    for question in questions.values():
        for tag in question.tags:
            tags[tag].append(question.id)
    return SiteFacts(
        root=registry.root,
        as_of=today,
        board=board,
        tag_boards=tuple(tag_boards),
        questions=questions,
        authors=_authors(registry, board, by_author),
        tags={tag: tuple(ids) for tag, ids in sorted(tags.items())},
        evidence=evidence,
        problems=len(registry.problems),
        ranking_rule=ranking_rule(board),
        predictions=len(forecasts),
        base_url=base_url,
        community_method=community_method,
    )


def _forecasts(registry: Registry) -> list[Forecast]:
    """Every prediction as a :class:`Forecast`, by date, author and id."""
    superseded_by = {p.supersedes: p.id for p in registry.predictions.values() if p.supersedes}
    result = []
    for prediction in registry.predictions.values():
        question = registry.questions.get(prediction.question_id)
        if question is None:  # (a checked registry has every question; a hand-made one may not)
            continue
        result.append(_forecast(registry, prediction, question, superseded_by.get(prediction.id)))
    result.sort(key=lambda f: (f.registered, f.author, f.id))
    return result


def _forecast(registry: Registry, prediction: Prediction, question: Question, superseded_by: str | None) -> Forecast:
    reveal = registry.reveals.get(prediction.id) if prediction.commitment else None
    shown: Any = reveal if reveal is not None else prediction
    withdrawal = registry.withdrawals.get(prediction.id)
    hidden = prediction.commitment is not None and reveal is None
    return Forecast(
        id=prediction.id,
        author=prediction.author,
        question=prediction.question_id,
        registered=prediction.registered,
        kind=question.kind,
        probability=None if hidden else shown.probability,
        probabilities=() if hidden else tuple(sorted((shown.probabilities or {}).items())),
        quantiles=tuple(sorted((prediction.quantiles or {}).items())),
        hidden_until=question.resolve_by if hidden else None,
        revealed=reveal.revealed if reveal is not None else None,
        supersedes=prediction.supersedes,
        superseded_by=superseded_by,
        withdrawn=withdrawal.withdrawn if withdrawal else None,
        withdrawal_reason=withdrawal.reason if withdrawal else None,
        given=prediction.given,
        rationale=prediction.rationale,
        file=_relative(registry, registry.files.get(prediction.id)),
        record=prediction,
    )


def _relative(registry: Registry, path: str | None) -> str | None:
    """A record's path inside the registry (a prefix taken off: relpath, per record, costs seconds at 100k)."""
    if path is None:
        return None
    root = registry.root.rstrip(os.sep) + os.sep
    if path.startswith(root):
        return path[len(root) :].replace(os.sep, "/")
    relative = os.path.relpath(path, registry.root)
    return None if relative.startswith("..") else relative.replace(os.sep, "/")


def _stored_evidence(registry: Registry) -> dict[str, str]:
    """sha256 -> path of each stored body a resolution cites: regular files named by a sha256 only."""
    folder = os.path.join(registry.root, "evidence")
    wanted = sorted(
        {
            snapshot.sha256
            for chain in registry.resolutions.values()
            for resolution in chain
            for snapshot in resolution.evidence
            if snapshot.sha256 and _HEX64.match(snapshot.sha256)
        }
    )
    found = {}
    for sha in wanted:
        path = os.path.join(folder, sha)
        if os.path.isfile(path) and not os.path.islink(path):
            found[sha] = path
    return found


def _evidence(snapshot: Snapshot, stored: Mapping[str, str]) -> Evidence:
    sha = snapshot.sha256
    return Evidence(
        url=snapshot.url,
        href=web_link(snapshot.url),
        sha256=sha,
        stored=f"evidence/{sha}.txt" if sha and sha in stored else None,
        fetched_at=snapshot.fetched_at,
        status=snapshot.status,
        excerpt=snapshot.excerpt,
        content_type=snapshot.content_type,
    )


def _chain(registry: Registry, qid: str, stored: Mapping[str, str]) -> tuple[ResolutionStep, ...]:
    chain = registry.resolutions.get(qid, [])
    files = registry.resolution_files.get(qid, ())
    return tuple(
        ResolutionStep(
            file=os.path.basename(files[i]) if i < len(files) else f"{qid}.yaml",
            outcome=r.outcome,
            resolved_at=r.resolved_at,
            resolver=r.resolver,
            resolved_by=r.resolved_by,
            approved_by=r.approved_by,
            disputed_by=r.disputed_by,
            corrects=r.corrects,
            note=r.note,
            evidence=tuple(_evidence(s, stored) for s in r.evidence),
            standing=i == len(chain) - 1,
            record=r,
        )
        for i, r in enumerate(chain)
    )


def status(question: Question, standing: Resolution | None, today: dt.date) -> str:
    """open, due (resolve-by within :data:`DUE_DAYS`), overdue (past it, unresolved), resolved, annulled, disputed."""
    if standing is not None:
        if standing.outcome in UNSCORED_OUTCOMES:
            return ANNULLED
        return "disputed" if standing.disputed_by else "resolved"
    if question.resolve_by < today:
        return "overdue"
    return "due" if (question.resolve_by - today).days <= DUE_DAYS else "open"


def _question(
    registry: Registry,
    question: Question,
    forecasts: list[Forecast],
    stored: Mapping[str, str],
    today: dt.date,
    community: Mapping[str, Sequence[Any]] | None,
) -> QuestionFacts:
    chain = _chain(registry, question.id, stored)
    standing = chain[-1].record if chain else None
    tags = sorted(set(question.tags).union(*(f.record.tags for f in forecasts)))
    points = None
    if community is not None and question.id in community:
        points = tuple(Point(p.day, p.forecast, p.forecasters) for p in community[question.id])
    return QuestionFacts(
        id=question.id,
        page=f"questions/{file_name(question.id)}.html",
        record=question,
        status=status(question, standing, today),
        resolver=question.resolver.name,
        settings=tuple(sorted((str(k), _setting(v)) for k, v in question.resolver.config.items())),
        forecasts=tuple(forecasts),
        forecasters=tuple(sorted({f.author for f in forecasts})),
        chain=chain,
        outcome=standing.outcome if standing is not None else None,
        tags=tuple(tags),
        source_href=web_link(question.source),
        community=points,
    )


def _setting(value: Any) -> str:
    """A resolver setting's value as text, the same each build (mappings sorted)."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_setting(v)}" for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_setting(v) for v in value) + "]"
    return str(value)


def _authors(registry: Registry, board: Leaderboard, by_author: Mapping[str, list[Forecast]]) -> dict[str, AuthorFacts]:
    """Everyone in authors.yaml or with a forecast, by handle."""
    ranks = {a.author: i + 1 for i, a in enumerate(board.ranked)}
    scores = {a.author: a for a in (*board.ranked, *board.unranked)}
    series: dict[str, list[ScoredSeries]] = defaultdict(list)
    for s in board.series:
        series[s.author].append(s)
    handles = sorted(set(registry.authors) | set(by_author))
    return {
        handle: _author(handle, registry.authors.get(handle), by_author.get(handle, []), scores, ranks, series)
        for handle in handles
    }


def _author(
    handle: str,
    author: Author | None,
    forecasts: Iterable[Forecast],
    scores: Mapping[str, AuthorScore],
    ranks: Mapping[str, int],
    series: Mapping[str, list[ScoredSeries]],
) -> AuthorFacts:
    newest_first = sorted(forecasts, key=lambda f: (-f.registered.toordinal(), f.question, f.id))
    return AuthorFacts(
        handle=handle,
        page=f"authors/{file_name(handle)}.html",
        name=(author.name if author and author.name else handle),
        href=web_link(author.url) if author else None,
        note=author.note if author else None,
        forecasts=tuple(newest_first),
        score=scores.get(handle),
        rank=ranks.get(handle),
        scored=tuple(sorted(series.get(handle, []), key=lambda s: s.question)),
    )
