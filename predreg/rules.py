"""What a registry-wide rule is: a function of a record and its context, giving problems.

A rule is a function ``(record, context) -> list[Problem]``: ``record`` is one file
as loaded, ``context`` what the rule may know beyond it (the date, the other records,
what the rules before found valid). ``checks.RULES`` lists the rules per record kind;
``record_rules`` and ``followup_rules`` define them. The messages that ``predreg new``
and ``predreg resolve --manual`` also give at their prompts are here, so both say the
same words.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from .load import Loaded
from .model import AMBIGUOUS, ANNULLED, UNSCORED_OUTCOMES, Author, Prediction, Question, Reveal
from .problems import Problem

SUM_TOLERANCE = 1e-9
FUTURE_TOLERANCE = dt.timedelta(days=1)
"""Registration may be dated one day ahead of UTC: it is already tomorrow somewhere."""


@attrs.frozen
class Context:
    """What a rule may know beyond its own record. Each stage of the check adds what it found valid."""

    today: dt.date
    resolvers: Mapping[str, Any] = attrs.field(factory=dict)
    """The catalogue of resolvers that ``resolver:`` blocks may name (name -> entry with ``.settings``)."""
    authors: Mapping[str, Author] = attrs.field(factory=dict)
    """Every author authors.yaml lists."""
    authors_listed: bool = False
    """Whether an authors.yaml was read (without one, no author is unknown: its absence is the problem)."""
    first_of_id: Mapping[str, Loaded] = attrs.field(factory=dict)
    """Per normalised id, the first question or prediction file that holds it."""
    questions: Mapping[str, Question] = attrs.field(factory=dict)
    """Every question by id: shared ones, and those predictions state without a problem."""
    prediction_files: Mapping[str, Loaded] = attrs.field(factory=dict)
    """Every prediction file by its record's id, valid or not (a revision names one)."""
    predictions: Mapping[str, Prediction] = attrs.field(factory=dict)
    """The valid predictions by id."""
    reveals: dict[str, Reveal] = attrs.field(factory=dict)
    """The valid reveals so far, by prediction id: the first valid reveal of a prediction is the one."""
    trace: dict[Problem, str] | None = None
    """If not None, each problem a rule finds is noted here with the rule's name (``traced``)."""


Check = Callable[[Loaded, Context], Sequence[Problem]]
"""A rule's function: the problems it finds in a record (a list, empty for none: cheaper than a generator)."""


@attrs.frozen
class Rule:
    """One rule of the table: its function, whether a problem it finds ends its record's checks, and what it needs.

    ``needs`` names a field of the record the rule judges, or something the record refers
    by: a record without it (None) has nothing for the rule to find, so the rule is not
    called at all (most records have no condition, no revision, no commitment).
    """

    check: Check
    stops: bool = False
    needs: str | None = None

    @property
    def name(self) -> str:
        return self.check.__name__

    @property
    def doc(self) -> str:
        """The first line of the rule's docstring: what it holds to."""
        return (self.check.__doc__ or "").strip().splitlines()[0]


def apply(rules: Sequence[Rule], item: Loaded, context: Context) -> list[Problem]:
    """The problems ``rules`` find in ``item``, in order, up to the first stopping rule that finds one."""
    # called for every record with every rule of its kind: kept to the plainest loop
    found: list[Problem] = []
    record, trace = item.record, context.trace
    for check, stops, needs in _unpacked(rules):
        if needs is not None and getattr(record, needs) is None:
            continue
        problems = check(item, context)
        if problems:
            found += problems
            if trace is not None:
                trace.update(dict.fromkeys(problems, check.__name__))
            if stops:
                break
    return found


_UNPACKED: dict[int, tuple[Sequence[Rule], tuple[tuple[Check, bool, str | None], ...]]] = {}


def _unpacked(rules: Sequence[Rule]) -> tuple[tuple[Check, bool, str | None], ...]:
    """Each rule as a plain tuple, worked out once per table: the loop above runs a million times at 10k files."""
    entry = _UNPACKED.get(id(rules))
    if entry is None or entry[0] is not rules:  # (the table itself is kept, so its id is never reused)
        entry = _UNPACKED[id(rules)] = (rules, tuple((rule.check, rule.stops, rule.needs) for rule in rules))
    return entry[1]


def problem(item: Loaded, field: str, message: str, hint: str = "") -> Problem:
    """A problem of ``item``'s field, at the place the field was written."""
    line, col = item.at(field.split(".")[0])
    return Problem(item.path, line, col, field, message, hint)


# Rules that `predreg new` and `predreg resolve --manual` also apply at their prompts, in the same words.


def unknown_author(author: str, known: Sequence[str]) -> tuple[str, str]:
    """The message and hint for an author not listed in authors.yaml."""
    listed = ", ".join(known) or "none yet"
    return f"`{author}` is not in authors.yaml (known: {listed})", f"add `{author}:` under `authors:` in authors.yaml"


def closes_too_soon(resolve_by: dt.date, registered: dt.date) -> tuple[str, str]:
    """The message and hint for a question that closes on or before the forecast's registration."""
    return (
        f"resolve_by {resolve_by} is not after registered {registered}",
        "a forecast must be registered before its question closes",
    )


def outcome_problem(question: Question, outcome: str | float) -> tuple[str, str] | None:
    """Why ``outcome`` cannot resolve ``question`` (message, hint), or None if it can."""
    if outcome in UNSCORED_OUTCOMES:
        return None
    if question.kind == "numeric":
        if isinstance(outcome, float) and math.isfinite(outcome):
            return None
        if isinstance(outcome, float):  # only from a record not read from YAML (a plugin's, a forged shard's)
            return f"`{outcome}` is not a finite number", "write the measured number, annulled or ambiguous"
        return (
            f"`{outcome}` is not a number, and `{question.id}` is numeric",
            "write the measured number, annulled or ambiguous",
        )
    allowed = question.allowed_outcomes()
    if outcome in allowed:
        return None
    shown = outcome if isinstance(outcome, str) else f"{outcome:g}"
    return (
        f"`{shown}` is not an outcome of {question.kind} question `{question.id}`",
        f"write one of {', '.join((*allowed, ANNULLED, AMBIGUOUS))}",
    )


def forecast_example(question: Question) -> str:
    """The line that would give ``question`` its forecast, for the hint of a missing one."""
    if question.kind == "binary":
        return "write `probability: 0.3`"
    if question.kind == "numeric":
        return "write `quantiles: {0.05: ..., 0.5: ..., 0.95: ...}`"
    outcomes = question.allowed_outcomes()
    share = round(1 / max(len(outcomes), 1), 3)
    return "write `probabilities: {" + ", ".join(f"{name}: {share}" for name in outcomes) + "}`"
