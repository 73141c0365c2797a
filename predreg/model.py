"""The registry format as frozen attrs classes: the one source of truth.

Each field's metadata names its file type (a descriptor of ``predreg.fieldtypes``),
which the format layer interprets for loading, error messages, unknown-key detection,
``predreg schema`` and writing alike. The classes know no file format: this module
imports attrs and the descriptors only. Field names are a contract relied on outside
the project: add fields, never rename them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import attrs

from .fieldtypes import (
    AUTHOR_HANDLE,
    OUTCOME_NAME,
    QUANTILE_LEVEL,
    Choice,
    Config,
    Date,
    Hex,
    Identifier,
    Integer,
    LinkOrRecord,
    ListOf,
    MappingOf,
    Number,
    Outcome,
    Probability,
    Record,
    Sha256,
    Text,
    Timestamp,
    spec,
)

Kind = Literal["binary", "categorical", "numeric", "ordering"]
KINDS: tuple[str, ...] = ("binary", "categorical", "numeric", "ordering")
ANNULLED = "annulled"
AMBIGUOUS = "ambiguous"
NEITHER = "neither"
"""The third outcome of an ordering question: neither event happened by resolve_by."""

UNSCORED_OUTCOMES = (ANNULLED, AMBIGUOUS)


@attrs.frozen
class Resolver:
    """Which resolver settles a question, and its settings as written.

    The settings are validated against the resolver's own settings class by the check,
    which is given the catalogue of installed resolvers: reading a file never asks it.
    """

    name: str
    config: dict[str, Any] = attrs.field(factory=dict)
    """The settings as written (plain values)."""
    source: Any = attrs.field(default=None, eq=False, repr=False)
    """How the block was written: the format layer's located nodes, so that a settings
    problem is reported at its line and column. Not part of the value; None for a
    resolver made in code."""


@attrs.frozen
class Link:
    """A link to evidence that bears on a question or forecast."""

    url: str = spec(Text("https://..."), "Address of the evidence.")
    title: str | None = spec(Text(), "What the link is.", default=None)
    note: str | None = spec(Text(), "Why it matters.", default=None)


_LINKS = ListOf(LinkOrRecord(Link), "[https://example.org/report]")
_TAGS = ListOf(Identifier("tag"), "[scheming, neuralese]")

# Fields shared by question files and predictions that state their question inline.
_CLAIM = (Text("A frontier model ..."), "The claim, in one or two sentences.", "add `claim:`, the statement forecast")
_CRITERIA = (
    Text("YES if ..., NO if ..., annulled if ..."),
    "How the question resolves: which evidence counts for yes, for no, and for annulled.",
    "add `criteria: YES if ..., NO if ...`: without criteria nobody can settle the claim",
)
_RESOLVE_BY = (
    Date(),
    "The date by which the question is settled.",
    "add `resolve_by: YYYY-MM-DD`: a claim without a date can never be settled",
)
_RESOLVER = (
    Config(Resolver),
    "The resolver that settles it: `{name: manual}` or a plugin's name and settings.",
    "add `resolver: {name: manual}`",
)
_KIND = (
    Choice(*KINDS),
    "binary, categorical, numeric or ordering.",
    "add `kind: binary` (or categorical, numeric, ordering)",
)
_OUTCOMES = (ListOf(Identifier("outcome name"), "[derpy, competent]"), "Categorical questions: the possible outcomes.")
_EVENTS = (
    MappingOf(OUTCOME_NAME, Text(), "{neuralese: ..., full-automation: ...}"),
    "Ordering questions: the two events, name -> description. Outcomes are either name or `neither`.",
)
_UNIT = (Text("x"), "Numeric questions: the unit of the quantity.")


@attrs.frozen
class Question:
    """What is forecast: a claim, how it resolves, by when, and by which resolver."""

    id: str = spec(Identifier(), "The question's id; the file is named `<id>.yaml`.")
    claim: str = spec(*_CLAIM)
    criteria: str = spec(*_CRITERIA)
    resolve_by: dt.date = spec(*_RESOLVE_BY)
    resolver: Resolver = spec(*_RESOLVER)
    kind: str = spec(*_KIND)
    outcomes: tuple[str, ...] = spec(*_OUTCOMES, default=())
    events: dict[str, str] = spec(*_EVENTS, factory=dict)
    unit: str | None = spec(*_UNIT, default=None)
    tags: tuple[str, ...] = spec(_TAGS, "Topics, for per-tag leaderboards.", default=())
    evidence: tuple[Link, ...] = spec(_LINKS, "Where the answer will be found.", default=())
    source: str | None = spec(Text(), "Where the question comes from (a thread, a paper).", default=None)

    def allowed_outcomes(self) -> tuple[str, ...]:
        """Named outcomes a resolution may give (numeric questions take a number)."""
        if self.kind == "binary":
            return ("yes", "no")
        if self.kind == "ordering":
            return (*self.events, NEITHER)
        return self.outcomes


_PROBABILITY = (Probability(), "Binary: the probability of yes.")
_PROBABILITIES = (
    MappingOf(OUTCOME_NAME, Probability(), "{derpy: 0.67, competent: 0.33}"),
    "Categorical and ordering: outcome -> probability, summing to 1.",
)


@attrs.frozen
class Prediction:
    """One author's dated forecast on one question, stated inline or by ``question: <id>``."""

    id: str = spec(Identifier(), "The prediction's id; the file is `predictions/<author>/<id>.yaml`.")
    author: str = spec(
        Identifier("author handle"), "The author's handle, as in authors.yaml.", "add `author: <your handle>`"
    )
    registered: dt.date = spec(
        Date(),
        "The date of registration (today), never the date of an older belief.",
        "add `registered: YYYY-MM-DD` (today)",
    )
    question: str | None = spec(
        Identifier(), "The id of a shared question in `questions/`, instead of an inline one.", default=None
    )
    claim: str | None = spec(*_CLAIM, default=None)
    criteria: str | None = spec(*_CRITERIA, default=None)
    resolve_by: dt.date | None = spec(*_RESOLVE_BY, default=None)
    resolver: Resolver | None = spec(*_RESOLVER, default=None)
    kind: str | None = spec(*_KIND, default=None)
    outcomes: tuple[str, ...] = spec(*_OUTCOMES, default=())
    events: dict[str, str] = spec(*_EVENTS, factory=dict)
    unit: str | None = spec(*_UNIT, default=None)
    probability: float | None = spec(*_PROBABILITY, default=None)
    probabilities: dict[str, float] | None = spec(*_PROBABILITIES, default=None)
    commitment: str | None = spec(
        Sha256("sha256:"),
        "A hidden forecast: the hash `predreg commit` made of it and a secret salt; revealed later in"
        " `reveals/<id>.yaml`. Unrevealed when the question resolves, it scores as the worst forecast.",
        default=None,
    )
    quantiles: dict[float, float] | None = spec(
        MappingOf(QUANTILE_LEVEL, Number(), "{0.05: 1.1, 0.5: 1.6, 0.95: 3.0}"),
        "Numeric: quantile level -> value.",
        default=None,
    )
    given: str | None = spec(
        Identifier(), "Conditional forecast: the id of a binary question assumed to resolve yes.", default=None
    )
    supersedes: str | None = spec(
        Identifier(), "The id of this author's earlier prediction that this one revises.", default=None
    )
    rationale: str | None = spec(Text(), "Why: reasoning, and the history of the belief.", default=None)
    tags: tuple[str, ...] = spec(_TAGS, "Topics, for per-tag leaderboards.", default=())
    evidence: tuple[Link, ...] = spec(_LINKS, "Links that bear on the forecast.", default=())
    source: str | None = spec(Text(), "Where the forecast was first stated (a thread, a post).", default=None)

    @property
    def question_id(self) -> str:
        """The question forecast: a shared one, or the one this file states (its own id)."""
        return self.question or self.id

    def inline_question(self) -> Question | None:
        """The question this file states inline, if it states one completely."""
        if self.question is not None or None in (self.claim, self.criteria, self.resolve_by, self.resolver, self.kind):
            return None
        outcomes = self.outcomes
        if self.kind == "categorical" and not outcomes:
            outcomes = tuple(self.probabilities or ())
        return Question(
            id=self.id,
            claim=self.claim,  # type: ignore[arg-type]
            criteria=self.criteria,  # type: ignore[arg-type]
            resolve_by=self.resolve_by,  # type: ignore[arg-type]
            resolver=self.resolver,  # type: ignore[arg-type]
            kind=self.kind,  # type: ignore[arg-type]
            outcomes=outcomes,
            events=self.events,
            unit=self.unit,
            tags=self.tags,
            evidence=self.evidence,
            source=self.source,
        )


@attrs.frozen
class Snapshot:
    """One piece of evidence as fetched: where, when, its hash, its status."""

    url: str = spec(Text("https://..."), "Where the evidence was fetched from.")
    fetched_at: dt.datetime | None = spec(Timestamp(), "When it was fetched (UTC).", default=None)
    # status before sha256: the order resolution files have always been written in
    status: int | None = spec(Integer(), "HTTP status of the fetch.", default=None)
    sha256: str | None = spec(Sha256(), "sha256 of the body; the body is kept as `evidence/<sha256>`.", default=None)
    excerpt: str | None = spec(Text(), "A short quote of the part that decides.", default=None)
    content_type: str | None = spec(
        Text("text/html; charset=utf-8"), "The body's Content-Type, as served: how an audit reads it.", default=None
    )


@attrs.frozen
class Resolution:
    """The outcome of a question, with its proof. Append-only: corrections are new records."""

    question: str = spec(Identifier(), "The id of the question resolved.")
    outcome: str | float = spec(
        Outcome(),
        "yes / no, a category, a number, annulled or ambiguous.",
        "add `outcome:` (yes, no, a category, a number, annulled, ambiguous)",
    )
    resolved_at: dt.datetime = spec(Timestamp(), "When it was resolved (UTC).", "add `resolved_at: YYYY-MM-DD`")
    resolver: str = spec(Identifier("resolver name"), "The resolver that gave the outcome (`manual` for a person).")
    resolved_by: str | None = spec(Identifier("handle"), "Who (or which job) resolved it.", default=None)
    resolver_version: str | None = spec(Text(), "Version of the resolver.", default=None)
    approved_by: tuple[str, ...] = spec(ListOf(Identifier("handle")), "Handles of those who approved it.", default=())
    evidence: tuple[Snapshot, ...] = spec(
        ListOf(Record(Snapshot), "[{url: ..., sha256: ...}]"), "Evidence snapshots.", default=()
    )
    corrects: str | None = spec(
        Identifier(), "The id (file name) of the earlier resolution this record corrects.", default=None
    )
    disputed_by: tuple[str, ...] = spec(
        ListOf(Identifier("handle")), "Handles of those who dispute the outcome.", default=()
    )
    note: str | None = spec(
        Text(), "Anything a reader should know: the dispute, the reading of the criteria.", default=None
    )


@attrs.frozen
class Reveal:
    """The forecast behind a prediction's commitment, with the salt that proves it. A new file; nothing edited."""

    prediction: str = spec(Identifier(), "The id of the committed prediction; the file is `reveals/<id>.yaml`.")
    revealed: dt.date = spec(Date(), "The day it is revealed (UTC).", "add `revealed: YYYY-MM-DD`, today's date")
    salt: str = spec(Hex(), "The salt `predreg commit` kept (hex digits, at least 128 bits).", "add `salt:`")
    probability: float | None = spec(*_PROBABILITY, default=None)
    probabilities: dict[str, float] | None = spec(*_PROBABILITIES, default=None)


@attrs.frozen
class Withdrawal:
    """An author no longer stands by a prediction. A new file; the prediction stays, and is still scored."""

    prediction: str = spec(Identifier(), "The id of the prediction withdrawn; the file is `withdrawals/<id>.yaml`.")
    withdrawn: dt.date = spec(Date(), "The day it is withdrawn (UTC).", "add `withdrawn: YYYY-MM-DD`, today's date")
    reason: str | None = spec(Text(), "Why, for readers of the record.", default=None)


@attrs.frozen
class Author:
    """A forecaster."""

    name: str | None = spec(Text("Forecaster A"), "Display name.", default=None)
    github: tuple[str, ...] = spec(
        ListOf(Identifier("GitHub login")), "GitHub logins allowed to register for this author.", default=()
    )
    url: str | None = spec(Text("https://..."), "A page about the author.", default=None)
    note: str | None = spec(Text(), "Anything else.", default=None)


@attrs.frozen
class Authors:
    """The file `authors.yaml`: every author, by handle."""

    authors: dict[str, Author] = spec(
        MappingOf(AUTHOR_HANDLE, Record(Author), "{forecaster-a: {name: ...}}"),
        "handle -> author.",
    )
