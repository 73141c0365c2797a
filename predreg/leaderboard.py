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

from . import parallel, ranking, scoring
from .checks import Registry
from .defaults import BRIER_SCALE, DEFAULT_RANK, MIN_N, MIN_SHARED
from .model import Question
from .ranking import RANK_RULES, RankRule  # (the rules, importable from here: leaderboard.RANK_RULES)
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
    """One author's scores over the board's questions (each named in docs/scoring.md)."""

    author: str
    n: int
    """Scored questions with a Brier score."""
    brier: float | None
    """Raw mean Brier, on each question's own scale (binary 0-1, categorical 0-2)."""
    log_score: float | None
    baseline: float | None
    peer: float | None
    peer_median: float | None
    adjusted: float | None
    """Difficulty-adjusted effect on the raw Brier."""
    adjusted_ci: tuple[float, float] | None
    murphy: scoring.Murphy | None
    calibration: list[scoring.CalibrationBin]
    numeric_n: int
    pinball: float | None
    unscored: int
    unrevealed: int = 0
    scaled_brier: float | None = None
    """Mean of each question's Brier over a uniform forecast's (0.25 binary, 1 - 1/N for N outcomes): 1 is uniform."""
    scaled_adjusted: float | None = None
    """Difficulty-adjusted effect on the scaled Brier (0 is the average author)."""
    scaled_adjusted_ci: tuple[float, float] | None = None
    scaled_adjusted_se: float | None = None
    shrunk: float | None = None
    """``scaled_adjusted`` shrunk toward 0 by its standard error (``ranking.shrink``): the default rank."""
    shared: int = 0
    """Scored questions shared with another author of the largest connected group."""
    self_resolved: int = 0
    """Scored questions whose standing resolution the author made (``resolved_by``)."""
    crps: float | None = None
    """Mean CRPS over the numeric questions whose quantile levels allow it."""
    interval_score: float | None = None
    """Mean interval score of the widest central interval, over the numeric questions that give one."""


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
    rank_by: str = DEFAULT_RANK
    """The ranking rule, a key of ``ranking.RANK_RULES``."""
    reasons: dict[str, str] = attrs.field(factory=dict)
    """Why each unranked author is not ranked."""

    @property
    def rule(self) -> RankRule:
        """The ranking rule, with the sentence that states it."""
        return RANK_RULES[self.rank_by]

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
    rank_by: str = DEFAULT_RANK,
) -> Leaderboard:
    """Score every resolved series of the registry and rank the authors by the rule ``rank_by``.

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
    resolved_by = [r.resolved_by if (r := registry.resolution(q.id)) else None for q in table.questions]
    # peers and the adjusted fit use every author; --author only narrows what is shown
    everyone = _author_scores(table, rows, today, resamples, mapper, resolved_by)
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
    ranked, unranked, reasons = ranking.order(everyone, rank_by, min_n)
    invalid = table.invalid_resolutions
    return Leaderboard(
        ranked,
        unranked,
        unscored,
        min_n,
        policy,
        table,
        rows,
        unrevealed,
        invalid,
        community=crowd,
        rank_by=rank_by,
        reasons=reasons,
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
    table: Table,
    rows: np.ndarray,
    today: dt.date,
    resamples: int,
    mapper: parallel.Mapper,
    resolved_by: Sequence[str | None],
) -> list[AuthorScore]:
    """Every author's scores over the table's ``rows``; ``resolved_by`` is who resolved each question."""
    count = len(table.authors)
    brier = table.scores["brier"]
    with_brier = rows & ~np.isnan(brier)
    author, question = table.author[with_brier], table.question[with_brier]
    uniform = np.array([scoring.uniform_brier(q.kind, len(q.allowed_outcomes())) for q in table.questions])
    scaled = brier[with_brier] / uniform[question]
    peer, peer_median = scoring.peer_scores_grouped(question, brier[with_brier])
    raw, fit = _fits(author, question, brier[with_brier], uniform[question], count, resamples, mapper)
    murphy, calibration = _calibration(table, with_brier, today)
    numeric = rows & ~np.isnan(table.scores["pinball"])
    code_of = {name: i for i, name in enumerate(table.authors)}
    resolver = np.array([code_of.get(name, -1) if name else -1 for name in resolved_by], dtype=np.intp)
    own = rows & (resolver[table.question] == table.author) if len(table) else rows
    unscored, unrevealed = _per_author(table.unscored, code_of), _per_author(table.unrevealed, code_of)
    columns: dict[str, Sequence[Any]] = {
        "n": np.bincount(author, minlength=count).tolist(),
        **{name: _mean(table.scores[name][with_brier], author, count) for name in ("brier", "log_score", "baseline")},
        "peer": _mean(peer, author, count),
        "peer_median": _mean(peer_median, author, count),
        "adjusted": optional(raw.effects),
        "adjusted_ci": _intervals(raw),
        "murphy": murphy,
        "calibration": calibration,
        "numeric_n": np.bincount(table.author[numeric], minlength=count).tolist(),
        **{name: _mean(table.scores[of][numeric], table.author[numeric], count) for name, of in _NUMERIC.items()},
        "unscored": unscored,
        "unrevealed": unrevealed,
        "scaled_brier": _mean(scaled, author, count),
        "scaled_adjusted": optional(fit.effects),
        "scaled_adjusted_ci": _intervals(fit),
        "scaled_adjusted_se": optional(fit.se),
        "shrunk": optional(ranking.shrink(fit.effects, fit.se)),
        "shared": fit.shared.tolist(),
        "self_resolved": np.bincount(table.author[own], minlength=count).tolist(),
    }
    shown = np.bincount(table.author[rows], minlength=count) > 0
    return [
        AuthorScore(author=name, **{key: values[i] for key, values in columns.items()})
        for i, name in enumerate(table.authors)
        if shown[i] or unscored[i]
    ]


def _fits(
    author: np.ndarray,
    question: np.ndarray,
    brier: np.ndarray,
    uniform: np.ndarray,
    count: int,
    resamples: int,
    mapper: parallel.Mapper,
) -> tuple[scoring.EffectFit, scoring.EffectFit]:
    """The difficulty fits of the raw and of the scaled Brier (``brier / uniform``), on the same resamples.

    Where every row has the same uniform Brier (binary questions alone, the common
    case), the raw fit is the scaled one times that constant, so the bootstrap runs once.
    """
    scales = np.unique(uniform)
    if len(scales) <= 1:
        scale = float(scales[0]) if len(scales) else 1.0
        [fit] = scoring.fit_effects_with_intervals(author, question, [brier / scale], count, resamples, mapper=mapper)
        return fit.times(scale), fit
    raw, fit = scoring.fit_effects_with_intervals(
        author, question, [brier, brier / uniform], count, resamples, mapper=mapper
    )
    return raw, fit


_NUMERIC = {"pinball": "pinball", "crps": "crps", "interval_score": "interval"}
"""AuthorScore's numeric means, by the table's score they average."""


def _mean(values: np.ndarray, of: np.ndarray, count: int) -> list[float | None]:
    """Per author code, the mean of the ``values`` that are not nan (None for an author with none)."""
    present = ~np.isnan(values)
    k = np.bincount(of[present], minlength=count)
    with np.errstate(divide="ignore", invalid="ignore"):
        return optional(np.bincount(of[present], values[present], minlength=count) / k)


def _intervals(fit: scoring.EffectFit) -> list[tuple[float, float] | None]:
    return [None if math.isnan(lo) else (lo, hi) for lo, hi in zip(fit.low.tolist(), fit.high.tolist(), strict=True)]


def _per_author(listed: Sequence[Unscored], code_of: dict[str, int]) -> list[int]:
    counts = [0] * len(code_of)
    for item in listed:
        counts[code_of[item.author]] += 1
    return counts


def _calibration(
    table: Table, with_brier: np.ndarray, today: dt.date
) -> tuple[list[scoring.Murphy | None], list[list[scoring.CalibrationBin]]]:
    """Murphy's terms and the calibration table per author, of binary questions past their resolve-by date."""
    count = len(table.authors)
    due_day = np.array([q.resolve_by.toordinal() for q in table.questions], dtype=np.int64)
    due = with_brier & ~np.isnan(table.last_probability) & (due_day[table.question] <= today.toordinal())
    outcomes = np.array([o == "yes" for o in table.outcomes], dtype=bool)
    p, hit, who = table.last_probability[due], outcomes[table.question[due]], table.author[due]
    return scoring.murphy_grouped(p, hit, who, count), scoring.calibration_grouped(p, hit, who, count)


def as_json(board: Leaderboard, generated_at: dt.datetime) -> dict[str, Any]:
    """The stable JSON export (schema in docs/scoring.md)."""

    def author(a: AuthorScore, rank: int | None) -> dict[str, Any]:
        return {
            "author": a.author,
            "ranked": rank is not None,
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
            "rank": rank,
            "unranked_reason": board.reasons.get(a.author),
            "scaled_brier": a.scaled_brier,
            "scaled_adjusted": a.scaled_adjusted,
            "scaled_adjusted_ci": list(a.scaled_adjusted_ci) if a.scaled_adjusted_ci else None,
            "scaled_adjusted_se": a.scaled_adjusted_se,
            "shrunk": a.shrunk,
            "shared": a.shared,
            "self_resolved": a.self_resolved,
            "crps": a.crps,
            "interval_score": a.interval_score,
        }

    return {
        "generated_at": generated_at.isoformat(),
        "scale": BRIER_SCALE,
        "policy": board.policy,
        "min_n": board.min_n,
        "authors": [author(a, i + 1) for i, a in enumerate(board.ranked)] + [author(a, None) for a in board.unranked],
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
        "rank_by": board.rank_by,
        "rank_rule": board.rule.sentence,
        "min_shared": MIN_SHARED,
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
