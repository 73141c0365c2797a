"""From a checked registry to scores per author: the reduce step over all resolutions.

Rules (documented in the README):

- An author's forecasts on one question form a series (a revision supersedes the
  forecast before it). By default the series is scored time-averaged over the
  question's open window, from the first forecast anyone made on it to its
  resolution; the part of the window before the author's first forecast is not
  scored but reported as ``coverage``. ``policy="last"`` scores only the last
  forecast before resolution. A window of zero days falls back to the last forecast.
- Annulled and ambiguous questions are not scored, but counted and listed; so are
  conditional forecasts whose ``given`` question resolved no.
- Brier is reported on its stated scale: binary 0-1, categorical and ordering 0-2.
- Calibration counts only binary questions whose resolve-by date has passed, so that
  questions resolved early (mostly "yes") do not bias it.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import weakref
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import numpy as np

from . import parallel, scoring
from .checks import Registry
from .defaults import BRIER_SCALE, MIN_N
from .model import Question
from .table import (  # (the table's types, still importable from here)
    InvalidResolution,
    ScoredSeries,
    Table,
    Unscored,
    optional,
    score_table,
)

_EPOCH = dt.date(1970, 1, 1).toordinal()


@attrs.frozen
class AuthorScore:
    author: str
    n: int
    brier: float | None
    log_score: float | None
    baseline: float | None
    peer: float | None
    peer_median: float | None
    adjusted: float | None
    adjusted_ci: tuple[float, float] | None
    murphy: scoring.Murphy | None
    calibration: list[scoring.CalibrationBin]
    numeric_n: int
    pinball: float | None
    unscored: int
    unrevealed: int = 0


@attrs.frozen(eq=False)
class Leaderboard:
    ranked: list[AuthorScore]
    unranked: list[AuthorScore]
    unscored: list[Unscored]
    min_n: int
    policy: str
    table: Table
    rows: np.ndarray
    """Mask of the table's rows this board shows (its groups and authors)."""
    unrevealed: list[Unscored] = attrs.field(factory=list)
    invalid_resolutions: list[InvalidResolution] = attrs.field(factory=list)
    community: AuthorScore | None = None
    """The community forecast's scores, a virtual entry outside the ranking (``predreg.community``)."""

    @functools.cached_property
    def series(self) -> list[ScoredSeries]:
        return self.table.series(self.rows)


def build(
    registry: Registry,
    *,
    policy: str = "time-averaged",
    min_n: int = MIN_N,
    today: dt.date | None = None,
    authors: Sequence[str] | None = None,
    groups: Sequence[tuple[str, str]] = (),
    resamples: int = 200,
    table: Table | None = None,
    mapper: parallel.Mapper = parallel.split_map,
    community: Callable[..., AuthorScore | None] | None = None,
) -> Leaderboard:
    """Score every resolved series of the registry and rank the authors.

    ``groups`` keeps only series in every (grouping, key) given, e.g. ``[("tag", "scheming")]``.
    ``table`` reuses a :func:`score_table` of the same registry and policy. ``mapper``
    does the difficulty fit's bulk work: on the machine's cores by default, or
    :func:`parallel.serial` to keep it in this process. ``community`` (a
    ``predreg.community.Community``) scores the community forecast on the same questions.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    table = table if table is not None else score_table(registry, policy)
    rows = np.ones(len(table), dtype=bool)
    for by, key in groups:
        rows &= np.array([key in labels for labels in group_labels(table, by)], dtype=bool)
    # peers and the adjusted fit use every author; --author only narrows what is shown
    everyone = _author_scores(table, rows, today, resamples, mapper)
    crowd = None if community is None else community(registry, table, today, rows=rows)
    unscored, unrevealed = table.unscored, table.unrevealed
    if groups:  # a view counts and lists only its own unscored series
        unscored, unrevealed = _in_groups(table, unscored, groups), _in_groups(table, unrevealed, groups)
        everyone = _with_unscored(everyone, unscored)
    if authors is not None:
        wanted = set(authors)
        everyone = [a for a in everyone if a.author in wanted]
        codes = [i for i, name in enumerate(table.authors) if name in wanted]
        rows = rows & np.isin(table.author, codes)
        unscored = [u for u in unscored if u.author in wanted]
        unrevealed = [u for u in unrevealed if u.author in wanted]
    ranked = sorted((a for a in everyone if a.n >= min_n), key=lambda a: (a.brier, a.author))
    unranked = sorted((a for a in everyone if a.n < min_n), key=lambda a: (-a.n, a.author))
    return Leaderboard(
        ranked, unranked, unscored, min_n, policy, table, rows, unrevealed, table.invalid_resolutions, community=crowd
    )


HORIZONS = ((90, "under 3 months"), (365, "3-12 months"), (3 * 365, "1-3 years"))


def group_labels(table: Table, by: str) -> list[tuple[str, ...]]:
    """The groups each row belongs to: its tags, its year of registration, or its horizon."""
    if by == "tag":
        return table.tags
    if by == "year":
        years = (table.registered - _EPOCH).astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
        return [(str(year),) for year in years.tolist()]
    names = [name for _, name in HORIZONS] + ["over 3 years"]
    index = np.searchsorted([limit for limit, _ in HORIZONS], table.resolved - table.registered, side="right")
    return [(names[i],) for i in index.tolist()]


@attrs.frozen
class _SeriesFacts:
    """What grouping needs of the series that have no row in the table: one pass over the forecasts."""

    questions: dict[str, Question]
    first: dict[tuple[str, str], dt.date]
    tags: dict[tuple[str, str], set[str]]

    @classmethod
    def of(cls, table: Table) -> _SeriesFacts:
        first: dict[tuple[str, str], dt.date] = {}
        tags: dict[tuple[str, str], set[str]] = {}
        for p in table.forecasts:
            key = (p.author, p.question_id)
            first[key] = min(first.get(key, p.registered), p.registered)
            tags.setdefault(key, set()).update(p.tags)
        return cls({q.id: q for q in table.questions}, first, tags)

    def labels(self, item: Unscored, by: str) -> tuple[str, ...]:
        """The groups an unscored series belongs to, by the same rules as a scored row's.

        Its horizon runs from the author's first forecast to the question's resolve-by date
        (an annulled or ambiguous question has no resolution that counts).
        """
        key, question = (item.author, item.question), self.questions[item.question]
        if by == "tag":
            return tuple(sorted(self.tags.get(key, set()).union(question.tags)))
        registered = self.first.get(key)
        if registered is None:
            return ()
        if by == "year":
            return (str(registered.year),)
        names = [name for _, name in HORIZONS] + ["over 3 years"]
        days = (question.resolve_by - registered).days
        return (names[int(np.searchsorted([limit for limit, _ in HORIZONS], days, side="right"))],)


_FACTS: weakref.WeakKeyDictionary[Table, _SeriesFacts] = weakref.WeakKeyDictionary()


def _series_facts(table: Table) -> _SeriesFacts:
    """The table's :class:`_SeriesFacts`, made once per table (every view of a board asks for them twice)."""
    if table not in _FACTS:
        _FACTS[table] = _SeriesFacts.of(table)
    return _FACTS[table]


def _in_groups(table: Table, items: list[Unscored], groups: Sequence[tuple[str, str]]) -> list[Unscored]:
    """The unscored series that fall in every (grouping, key) of ``groups``."""
    if not items:
        return items
    facts = _series_facts(table)
    return [u for u in items if all(key in facts.labels(u, by) for by, key in groups)]


def _with_unscored(scores: list[AuthorScore], unscored: list[Unscored]) -> list[AuthorScore]:
    """``scores`` with each author's count of ``unscored``; authors with nothing in the view dropped."""
    counts = Counter(u.author for u in unscored)
    return [attrs.evolve(a, unscored=counts[a.author]) for a in scores if a.n or counts[a.author]]


def views(
    registry: Registry, board: Leaderboard, by: str, groups: Sequence[tuple[str, str]] = (), **options: Any
) -> list[tuple[str, Leaderboard]]:
    """One leaderboard per group of ``board``'s series, built with the same options."""
    labels = group_labels(board.table, by)
    keys = sorted({key for row in np.flatnonzero(board.rows).tolist() for key in labels[row]})
    return [(key, build(registry, groups=[*groups, (by, key)], table=board.table, **options)) for key in keys]


def _author_scores(
    table: Table, rows: np.ndarray, today: dt.date, resamples: int, mapper: parallel.Mapper
) -> list[AuthorScore]:
    """Every author's scores over the table's ``rows``."""
    count = len(table.authors)
    brier = table.scores["brier"]
    with_brier = rows & ~np.isnan(brier)
    author, question = table.author[with_brier], table.question[with_brier]
    n = np.bincount(author, minlength=count)

    def mean(values: np.ndarray, of: np.ndarray = author) -> list[float | None]:
        present = ~np.isnan(values)
        k = np.bincount(of[present], minlength=count)
        with np.errstate(divide="ignore", invalid="ignore"):
            return optional(np.bincount(of[present], values[present], minlength=count) / k)

    peer, peer_median = scoring.peer_scores_grouped(question, brier[with_brier])
    effects, low, high = scoring.adjusted_effects(author, question, brier[with_brier], count, resamples, mapper=mapper)
    due_day = np.array([q.resolve_by.toordinal() for q in table.questions], dtype=np.int64)
    due = with_brier & ~np.isnan(table.last_probability) & (due_day[table.question] <= today.toordinal())
    outcomes = np.array([o == "yes" for o in table.outcomes], dtype=bool)
    p, hit, who = table.last_probability[due], outcomes[table.question[due]], table.author[due]
    murphy = scoring.murphy_grouped(p, hit, who, count)
    calibration = scoring.calibration_grouped(p, hit, who, count)
    numeric = rows & ~np.isnan(table.scores["pinball"])
    numeric_n = np.bincount(table.author[numeric], minlength=count)
    unscored = dict.fromkeys(table.authors, 0)
    for u in table.unscored:
        unscored[u.author] += 1
    unrevealed = dict.fromkeys(table.authors, 0)
    for u in table.unrevealed:
        unrevealed[u.author] += 1
    means = {name: mean(table.scores[name][with_brier]) for name in ("brier", "log_score", "baseline")}
    peers, peer_medians = mean(peer), mean(peer_median)
    pinball = mean(table.scores["pinball"][numeric], table.author[numeric])
    shown = np.bincount(table.author[rows], minlength=count) > 0
    return [
        AuthorScore(
            author=name,
            n=int(n[i]),
            brier=means["brier"][i],
            log_score=means["log_score"][i],
            baseline=means["baseline"][i],
            peer=peers[i],
            peer_median=peer_medians[i],
            adjusted=None if math.isnan(effects[i]) else float(effects[i]),
            adjusted_ci=None if math.isnan(effects[i]) else (float(low[i]), float(high[i])),
            murphy=murphy[i],
            calibration=calibration[i],
            numeric_n=int(numeric_n[i]),
            pinball=pinball[i],
            unscored=unscored[name],
            unrevealed=unrevealed[name],
        )
        for i, name in enumerate(table.authors)
        if shown[i] or unscored[name]
    ]


def as_json(board: Leaderboard, generated_at: dt.datetime) -> dict[str, Any]:
    """The stable JSON export (schema in docs/scoring.md)."""

    def author(a: AuthorScore, ranked: bool) -> dict[str, Any]:
        return {
            "author": a.author,
            "ranked": ranked,
            "n": a.n,
            "brier": a.brier,
            "log_score": a.log_score,
            "baseline": a.baseline,
            "peer": a.peer,
            "peer_median": a.peer_median,
            "adjusted": a.adjusted,
            "adjusted_ci": list(a.adjusted_ci) if a.adjusted_ci and not math.isnan(a.adjusted_ci[0]) else None,
            "murphy": attrs.asdict(a.murphy) if a.murphy else None,
            "calibration": [
                {**attrs.asdict(b, filter=lambda f, _: f.name != "interval"), "interval": list(b.interval)}
                for b in a.calibration
            ],
            "numeric_n": a.numeric_n,
            "pinball": a.pinball,
            "unscored": a.unscored,
            "unrevealed": a.unrevealed,
        }

    return {
        "generated_at": generated_at.isoformat(),
        "scale": BRIER_SCALE,
        "policy": board.policy,
        "min_n": board.min_n,
        "authors": [author(a, True) for a in board.ranked] + [author(a, False) for a in board.unranked],
        "questions": [
            {
                "question": s.question,
                "author": s.author,
                "kind": s.kind,
                "predictions": list(s.predictions),
                "outcome": s.outcome,
                "resolved_at": s.resolved_at.isoformat(),
                "brier": s.brier,
                "log_score": s.log_score,
                "baseline": s.baseline,
                "pinball": s.pinball,
                "interval": s.interval,
                "crps": s.crps,
                "coverage": s.coverage,
                "tags": list(s.tags),
            }
            for s in board.series
        ],
        "unscored": [attrs.asdict(u) for u in board.unscored],
        "unrevealed": [attrs.asdict(u) for u in board.unrevealed],
        "invalid_resolutions": [attrs.asdict(r) for r in board.invalid_resolutions],
        "community": None if board.community is None else _community(author(board.community, False), board.community),
    }


def _community(entry: dict[str, Any], score: AuthorScore) -> dict[str, Any]:
    """The community's entry: an author's keys, marked virtual, with the method that pooled it and its questions."""
    questions = [
        {
            "question": s.question,
            "kind": s.kind,
            "predictions": list(s.predictions),
            "outcome": s.outcome,
            "resolved_at": s.resolved_at.isoformat(),
            "forecast": s.last_probability,
            "brier": s.brier,
            "log_score": s.log_score,
            "baseline": s.baseline,
            "pinball": s.pinball,
            "interval": s.interval,
            "crps": s.crps,
            "coverage": s.coverage,
        }
        for s in getattr(score, "series", ())
    ]
    method = {"method": getattr(score, "method", None), "extremise": getattr(score, "extremise", None)}
    return {**entry, "virtual": True, **method, "questions": questions}
