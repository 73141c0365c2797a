"""The rules that span a registry's files, each a named function, and the check that applies them.

A rule is a function ``(record, context) -> Iterable[Problem]``: ``record`` is one file
as loaded, ``context`` what the rule may know beyond it (the date, the other records,
what the rules before found valid). ``RULES`` lists them per record kind, in the order
they apply; a rule marked ``stops`` ends the checks of its record when it finds a
problem, since the rules after it assume what it checks. A record is valid when its
rules found nothing: a rule that depends on another asks its result, never counts.

``check_registry`` applies them to the records a source of ``predreg.registry`` gave,
and returns a ``Registry`` holding the valid records and every problem, sorted.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from . import commitment
from .load import Loaded, name_text
from .model import (
    AMBIGUOUS,
    ANNULLED,
    NEITHER,
    UNSCORED_OUTCOMES,
    Author,
    Prediction,
    Question,
    Resolution,
    Reveal,
    Withdrawal,
)
from .parallel import collector_paused
from .problems import Problem
from .registry import Records, Registry, normalised

SUM_TOLERANCE = 1e-9
FUTURE_TOLERANCE = dt.timedelta(days=1)
"""Registration may be dated one day ahead of UTC: it is already tomorrow somewhere."""
_INLINE_FIELDS = ("claim", "criteria", "resolve_by", "resolver", "outcomes", "events", "unit")
_FORECAST_FIELDS = ("probability", "probabilities", "quantiles")
_WANTED = {"binary": "probability", "categorical": "probabilities", "ordering": "probabilities", "numeric": "quantiles"}
"""The field that holds a forecast, per kind of question."""


@attrs.frozen
class Context:
    """What a rule may know beyond its own record. Each stage of the check adds what it found valid."""

    today: dt.date
    resolvers: Mapping[str, Any] | None = None
    """The catalogue of resolvers that ``resolver:`` blocks may name (None: the check does not judge them)."""
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


Check = Callable[[Loaded, Context], Iterable[Problem]]


@attrs.frozen
class Rule:
    """One rule of the table: its function, and whether a problem it finds ends its record's checks."""

    check: Check
    stops: bool = False

    @property
    def name(self) -> str:
        return self.check.__name__

    @property
    def doc(self) -> str:
        """The first line of the rule's docstring: what it holds to."""
        return (self.check.__doc__ or "").strip().splitlines()[0]


def apply(rules: Sequence[Rule], item: Loaded, context: Context) -> list[Problem]:
    """The problems ``rules`` find in ``item``, in order, up to the first stopping rule that finds one."""
    found: list[Problem] = []
    for rule in rules:
        problems = list(rule.check(item, context))
        if not problems:
            continue
        found += problems
        if context.trace is not None:
            context.trace.update(dict.fromkeys(problems, rule.name))
        if rule.stops:
            break
    return found


def problem(item: Loaded, field: str, message: str, hint: str = "") -> Problem:
    """A problem of ``item``'s field, at the place the field was written."""
    line, col = item.at(field.split(".")[0])
    return Problem(item.path, line, col, field, message, hint)


# --- the check -----------------------------------------------------------------------------------


def check_registry(records: Records, *, today: dt.date, resolvers: Mapping[str, Any] | None = None) -> Registry:
    """Apply the rules to ``records``: the registry they make, with every problem.

    ``today`` is the UTC date the check is as of (nothing may be dated later);
    ``resolvers`` is the catalogue of resolvers that records' ``resolver:`` blocks name.
    The records come from a source of ``predreg.registry`` (a walk, a closure, shard lines);
    the check itself reads no file and no clock.
    """
    return _check(records, Context(today=today, resolvers=resolvers))


def traced(
    records: Records, *, today: dt.date, resolvers: Mapping[str, Any] | None = None
) -> tuple[Registry, dict[Problem, str]]:
    """``check_registry``, and the name of the rule that found each problem (the loader's are not named)."""
    trace: dict[Problem, str] = {}
    return _check(records, Context(today=today, resolvers=resolvers, trace=trace)), trace


@collector_paused()
def _check(records: Records, context: Context) -> Registry:
    by_kind: dict[str, list[Loaded]] = defaultdict(list)
    for item in records.loaded:
        if item.record is not None:
            by_kind[item.kind].append(item)
    problems = [p for item in records.loaded for p in item.problems] + list(records.problems)
    context = _first_context(by_kind, context)
    for item in by_kind["question"] + by_kind["prediction"]:
        problems += apply(RULES["identified"], item, context)
    context, question_files = _questions(by_kind, context, problems)
    context, prediction_files = _predictions(by_kind, context, problems)
    chains = _resolutions(by_kind["resolution"], context, problems)
    _reveals(by_kind["reveal"], context, problems)
    withdrawals = _withdrawals(by_kind["withdrawal"], context, problems)
    return Registry(
        root=records.root,
        authors=dict(context.authors),
        questions=dict(context.questions),
        predictions=dict(context.predictions),
        resolutions={qid: [item.record for item in chain] for qid, chain in chains.items()},
        files={**question_files, **prediction_files},
        problems=sorted(set(problems)),
        paths=records.paths,
        reveals=context.reveals,
        withdrawals=withdrawals,
        resolution_files={qid: tuple(item.path for item in chain) for qid, chain in chains.items()},
    )


def _first_context(by_kind: Mapping[str, list[Loaded]], context: Context) -> Context:
    authors: dict[str, Author] = {}
    for item in by_kind["authors"]:
        authors.update(item.record.authors)
    first_of_id: dict[str, Loaded] = {}
    for item in by_kind["question"] + by_kind["prediction"]:
        first_of_id.setdefault(normalised(item.record.id), item)
    return attrs.evolve(
        context,
        authors=authors,
        authors_listed=bool(by_kind["authors"]),
        first_of_id=first_of_id,
        prediction_files={item.record.id: item for item in by_kind["prediction"]},
    )


def _questions(
    by_kind: Mapping[str, list[Loaded]], context: Context, problems: list[Problem]
) -> tuple[Context, dict[str, str]]:
    """Every question: shared ones whatever their problems, stated ones only without one."""
    questions: dict[str, Question] = {}
    files: dict[str, str] = {}
    for item in by_kind["question"]:
        problems += apply(RULES["question"], item, context)
        questions.setdefault(item.record.id, item.record)
        files.setdefault(item.record.id, item.path)
    for item in by_kind["prediction"]:
        problems += apply(RULES["statement"], item, context)
        prediction: Prediction = item.record
        stated = prediction.inline_question() if prediction.question is None else None
        if stated is not None:
            found = apply(RULES["question"], attrs.evolve(item, record=stated), context)
            problems += found
            if not found:
                questions.setdefault(stated.id, stated)
    return attrs.evolve(context, questions=questions), files


def _predictions(
    by_kind: Mapping[str, list[Loaded]], context: Context, problems: list[Problem]
) -> tuple[Context, dict[str, str]]:
    """The valid predictions: those the prediction rules find nothing in, on a known question."""
    valid: dict[str, Prediction] = {}
    files: dict[str, str] = {}
    for item in by_kind["prediction"]:
        found = apply(RULES["prediction"], item, context)
        problems += found
        if not found and item.record.question_id in context.questions:
            valid[item.record.id] = item.record
            files[item.record.id] = item.path
    return attrs.evolve(context, predictions=valid), files


def _resolutions(items: Sequence[Loaded], context: Context, problems: list[Problem]) -> dict[str, list[Loaded]]:
    """Per question, its resolution chain: the original, then each correction of the last."""
    by_question: dict[str, list[Loaded]] = defaultdict(list)
    for item in items:
        found = apply(RULES["resolution"], item, context)
        problems += found
        if item.record.question in context.questions:
            by_question[item.record.question].append(item)
    chains = {}
    for qid, records in sorted(by_question.items()):
        chain, found = resolution_chain(qid, records)
        problems += found
        if context.trace is not None:
            context.trace.update(dict.fromkeys(found, resolution_chain.__name__))
        chains[qid] = chain
    return chains


def _reveals(items: Sequence[Loaded], context: Context, problems: list[Problem]) -> None:
    """Adds to ``context.reveals`` each valid reveal, the first of each prediction."""
    for item in items:
        found = apply(RULES["reveal"], item, context)
        problems += found
        if not found:
            context.reveals[item.record.prediction] = item.record


def _withdrawals(items: Sequence[Loaded], context: Context, problems: list[Problem]) -> dict[str, Withdrawal]:
    valid: dict[str, Withdrawal] = {}
    for item in items:
        problems += apply(RULES["withdrawal file"], item, context)  # a misnamed withdrawal still stands
        found = apply(RULES["withdrawal"], item, context)
        problems += found
        if not found:
            valid.setdefault(item.record.prediction, item.record)
    return valid


# --- rules of questions and predictions: ids ----------------------------------------------------


def id_names_its_file(item: Loaded, context: Context) -> Iterator[Problem]:
    """A question's or prediction's id is its file's name."""
    record = item.record
    if item.stem != unicodedata.normalize("NFC", record.id):
        yield problem(
            item,
            "id",
            f"`{record.id}` differs from the file name `{item.stem}.yaml`",
            f"name the file `{record.id}.yaml`",
        )


def id_is_unique(item: Loaded, context: Context) -> Iterator[Problem]:
    """No two questions or predictions share an id, ignoring case and Unicode form (both files are named)."""
    first = context.first_of_id[normalised(item.record.id)]
    if first is not item:
        hint = "choose another id: ids are compared ignoring case and Unicode form"
        yield problem(item, "id", f"`{item.record.id}` is also the id of {first.path}", hint)
        yield problem(first, "id", f"`{first.record.id}` is also the id of {item.path}", hint)


# --- rules of questions (shared, or stated in a prediction) --------------------------------------


def categorical_has_two_outcomes(item: Loaded, context: Context) -> Iterator[Problem]:
    """A categorical question has at least two outcomes."""
    question: Question = item.record
    if question.kind == "categorical" and len(question.outcomes) < 2:
        hint = "write `outcomes: [a, b]`"
        yield problem(item, "outcomes", "a categorical question needs at least two outcomes", hint)


def outcomes_are_not_reserved(item: Loaded, context: Context) -> Iterator[Problem]:
    """No outcome of a categorical question is named `annulled` or `ambiguous`."""
    question: Question = item.record
    if question.kind == "categorical":
        yield from _reserved(item, "outcomes", question.outcomes, (ANNULLED, AMBIGUOUS))


def outcomes_are_distinct(item: Loaded, context: Context) -> Iterator[Problem]:
    """A categorical question lists each outcome once."""
    question: Question = item.record
    if question.kind == "categorical" and len(set(question.outcomes)) != len(question.outcomes):
        yield problem(item, "outcomes", "lists an outcome twice", "list each outcome once")


def events_only_in_ordering(item: Loaded, context: Context) -> Iterator[Problem]:
    """Only an ordering question has events."""
    question: Question = item.record
    if question.events and question.kind not in ("categorical", "ordering"):
        message = f"only ordering questions have events, and this one is {question.kind}"
        yield problem(item, "events", message, "remove `events:`")


def ordering_has_two_events(item: Loaded, context: Context) -> Iterator[Problem]:
    """An ordering question compares exactly two events."""
    question: Question = item.record
    if question.kind == "ordering" and len(question.events) != 2:
        message = f"an ordering question compares two events, not {len(question.events)}"
        yield problem(item, "events", message, "write `events: {a: ..., b: ...}`")


def events_are_not_reserved(item: Loaded, context: Context) -> Iterator[Problem]:
    """No event is named `neither`, `annulled` or `ambiguous`."""
    question: Question = item.record
    if question.kind != "categorical" and (question.events or question.kind == "ordering"):
        yield from _reserved(item, "events", question.events, (NEITHER, ANNULLED, AMBIGUOUS))


def numeric_has_unit(item: Loaded, context: Context) -> Iterator[Problem]:
    """A numeric question names its unit."""
    question: Question = item.record
    if question.kind == "numeric" and not question.unit:
        message = "is missing: a number without a unit cannot be checked"
        yield problem(item, "unit", message, "add e.g. `unit: x` or `unit: percent`")


def outcomes_only_in_categorical(item: Loaded, context: Context) -> Iterator[Problem]:
    """Only a categorical question lists outcomes."""
    question: Question = item.record
    if question.outcomes and question.kind != "categorical":
        message = f"only categorical questions list outcomes, and this one is {question.kind}"
        yield problem(item, "outcomes", message, "remove `outcomes:`")


def _reserved(item: Loaded, field: str, names: Iterable[str], reserved: tuple[str, ...]) -> Iterator[Problem]:
    for name in names:
        if name in reserved:
            yield problem(item, field, f"`{name}` is a reserved outcome", "choose another name")


# --- rules of what a prediction states, before its question is known ------------------------------


def shared_question_stands_alone(item: Loaded, context: Context) -> Iterator[Problem]:
    """A prediction of a shared question states none of the question's fields itself."""
    prediction: Prediction = item.record
    if prediction.question is None:
        return
    for field in _INLINE_FIELDS:
        if getattr(prediction, field) not in (None, (), {}):
            yield problem(
                item,
                field,
                f"belongs to a question, but this file forecasts shared question `{prediction.question}`",
                f"remove `{field}:` or the `question:` line",
            )


def stated_question_is_complete(item: Loaded, context: Context) -> Iterator[Problem]:
    """A prediction without a shared question states a whole one: claim, criteria, date, resolver, kind."""
    prediction: Prediction = item.record
    if prediction.question is not None:
        return
    for field in ("claim", "criteria", "resolve_by", "resolver", "kind"):
        if getattr(prediction, field) is None:
            hint = attrs.fields_dict(Prediction)[field].metadata["spec"].missing
            yield problem(item, field, "is missing" if field != "claim" else "is missing: no question is stated", hint)


# --- rules of predictions ------------------------------------------------------------------------


def author_matches_folder(item: Loaded, context: Context) -> Iterator[Problem]:
    """A prediction lives in its author's folder, `predictions/<author>/`."""
    prediction: Prediction = item.record
    folder = name_text(item.path.replace("\\", "/").rsplit("/", 2)[-2])
    if prediction.author != folder:
        yield problem(
            item,
            "author",
            f"`{prediction.author}` does not match the folder `predictions/{folder}/`",
            f"move the file to predictions/{prediction.author}/ or write `author: {folder}`",
        )


def author_is_listed(item: Loaded, context: Context) -> Iterator[Problem]:
    """A prediction's author is listed in authors.yaml."""
    author = item.record.author
    if author not in context.authors and context.authors_listed:
        yield problem(item, "author", *unknown_author(author, sorted(context.authors)))


def registered_not_in_future(item: Loaded, context: Context) -> Iterator[Problem]:
    """A prediction is not dated after today (UTC, a day's tolerance)."""
    prediction: Prediction = item.record
    if prediction.registered > context.today + FUTURE_TOLERANCE:
        yield problem(
            item,
            "registered",
            f"{prediction.registered} is in the future",
            f"write today's date, {context.today}: a prediction is dated when it is registered",
        )


def shared_question_exists(item: Loaded, context: Context) -> Iterator[Problem]:
    """The shared question a prediction names exists."""
    prediction: Prediction = item.record
    if prediction.question is not None and prediction.question_id not in context.questions:
        yield problem(
            item,
            "question",
            f"no question `{prediction.question}` exists",
            f"add questions/{prediction.question}.yaml or fix the id",
        )


def closes_after_registration(item: Loaded, context: Context) -> Iterator[Problem]:
    """A prediction is registered before its question closes."""
    prediction: Prediction = item.record
    question = context.questions.get(prediction.question_id)
    if question is not None and question.resolve_by <= prediction.registered:
        field = "question" if prediction.question else "resolve_by"
        yield problem(item, field, *closes_too_soon(question.resolve_by, prediction.registered))


def condition_exists(item: Loaded, context: Context) -> Iterator[Problem]:
    """The question a prediction is conditional on (`given:`) exists."""
    given = item.record.given
    if given is not None and given not in context.questions:
        hint = "give the id of a shared question or of a prediction that states one"
        yield problem(item, "given", f"no question `{given}` exists", hint)


def condition_is_binary(item: Loaded, context: Context) -> Iterator[Problem]:
    """A condition is a yes/no question."""
    condition = context.questions.get(item.record.given or "")
    if condition is not None and condition.kind != "binary":
        message = f"`{item.record.given}` is {condition.kind}; a condition must be a binary question"
        yield problem(item, "given", message, "condition on a yes/no question")


def condition_is_another_question(item: Loaded, context: Context) -> Iterator[Problem]:
    """A forecast is not conditional on its own question."""
    prediction: Prediction = item.record
    condition = context.questions.get(prediction.given or "")
    if condition is not None and condition.kind == "binary" and prediction.given == prediction.question_id:
        yield problem(item, "given", "a forecast cannot be conditional on its own question", "remove `given:`")


def revised_prediction_exists(item: Loaded, context: Context) -> Iterator[Problem]:
    """The prediction a revision supersedes exists."""
    supersedes = item.record.supersedes
    if supersedes is not None and supersedes not in context.prediction_files:
        hint = "give the id of your earlier prediction"
        yield problem(item, "supersedes", f"no prediction `{supersedes}` exists", hint)


def revision_is_by_its_author(item: Loaded, context: Context) -> Iterator[Problem]:
    """Authors revise only their own predictions."""
    old = _revised(item, context)
    if old is not None and old.author != item.record.author:
        message = f"`{old.id}` is by {old.author}; you can only revise your own predictions"
        yield problem(item, "supersedes", message, "register a new prediction instead")


def revision_forecasts_the_same_question(item: Loaded, context: Context) -> Iterator[Problem]:
    """A revision forecasts the question of the prediction it revises."""
    old, prediction = _revised(item, context), item.record
    if old is not None and old.question_id != prediction.question_id:
        yield problem(
            item,
            "supersedes",
            f"`{old.id}` forecasts question `{old.question_id}`, not `{prediction.question_id}`",
            f"a revision forecasts the same question: write `question: {old.question_id}`, not a new claim",
        )


def revision_comes_after(item: Loaded, context: Context) -> Iterator[Problem]:
    """A revision is registered no earlier than what it revises."""
    old = _revised(item, context)
    if old is not None and old.registered > item.record.registered:
        message = f"`{old.id}` was registered after this revision ({old.registered})"
        yield problem(item, "supersedes", message, "a revision comes after what it revises")


def _revised(item: Loaded, context: Context) -> Prediction | None:
    earlier = context.prediction_files.get(item.record.supersedes or "")
    return earlier.record if earlier is not None else None


# --- rules of a forecast (a prediction's, or a revealed one) -------------------------------------


def _asked(item: Loaded, context: Context) -> Question | None:
    """The question a forecast answers, once it is known and of the forecast's kind (None otherwise)."""
    prediction: Prediction = item.record
    question = context.questions.get(prediction.question_id)
    if question is None or prediction.kind not in (None, question.kind):
        return None
    return question


def forecast_kind_matches(item: Loaded, context: Context) -> Iterator[Problem]:
    """A forecast's `kind:`, if written, is its question's."""
    prediction: Prediction = item.record
    question = context.questions.get(prediction.question_id)
    if question is not None and prediction.kind not in (None, question.kind):
        kind = question.kind
        message = f"is {prediction.kind}, but question `{question.id}` is {kind}"
        yield problem(item, "kind", message, f"write `kind: {kind}` or remove it")


def commitment_hides_no_numeric(item: Loaded, context: Context) -> Iterator[Problem]:
    """A numeric forecast is never hidden behind a commitment."""
    question = _asked(item, context)
    if question is not None and item.record.commitment is not None and question.kind == "numeric":
        yield problem(
            item,
            "commitment",
            "hides a numeric forecast, which has no worst case to score if never revealed",
            "register numeric forecasts openly, with `quantiles:`",
        )


def commitment_hides_the_forecast(item: Loaded, context: Context) -> Iterator[Problem]:
    """A committed prediction writes no forecast beside its commitment."""
    prediction: Prediction = item.record
    if _asked(item, context) is None or prediction.commitment is None:
        return
    for field in _FORECAST_FIELDS:
        if getattr(prediction, field) is not None:
            yield problem(
                item,
                field,
                "is written beside a commitment, so the forecast is not hidden",
                f"remove `{field}:`; it goes in the reveal, `reveals/{prediction.id}.yaml`",
            )


def _open(item: Loaded, context: Context) -> tuple[Question, str] | None:
    """An open forecast's question and the field its kind wants (None if committed, or no question fits)."""
    question = _asked(item, context)
    if question is None or item.record.commitment is not None:
        return None
    return question, _WANTED[question.kind]


def forecast_in_its_field(item: Loaded, context: Context) -> Iterator[Problem]:
    """A forecast is written in the one field its question's kind takes."""
    asked = _open(item, context)
    if asked is None:
        return
    question, wanted = asked
    for field in _FORECAST_FIELDS:
        if field != wanted and getattr(item.record, field) is not None:
            yield problem(
                item, field, f"does not apply to a {question.kind} question", f"write the forecast as `{wanted}:`"
            )


def forecast_is_given(item: Loaded, context: Context) -> Iterator[Problem]:
    """An open prediction gives its forecast."""
    asked = _open(item, context)
    if asked is not None and getattr(item.record, asked[1]) is None:
        question, wanted = asked
        yield problem(item, wanted, f"is missing: a {question.kind} forecast needs it", _forecast_example(question))


def _probabilities(item: Loaded, context: Context) -> tuple[Question, dict[str, float]] | None:
    asked = _open(item, context)
    if asked is None or asked[0].kind not in ("categorical", "ordering"):
        return None
    value = getattr(item.record, asked[1])
    return None if value is None else (asked[0], value)


def probabilities_cover_the_outcomes(item: Loaded, context: Context) -> Iterator[Problem]:
    """A categorical or ordering forecast gives a probability to each outcome, and to no other."""
    found = _probabilities(item, context)
    if found is None:
        return
    question, value = found
    outcomes = set(question.allowed_outcomes())
    if set(value) != outcomes:
        missing = sorted(outcomes - set(value))
        extra = sorted(set(value) - outcomes)
        parts = ([f"lacks {', '.join(missing)}"] if missing else []) + (
            [f"has unknown {', '.join(extra)}"] if extra else []
        )
        hint = f"give a probability to each of {', '.join(sorted(outcomes))}"
        yield problem(item, "probabilities", f"{' and '.join(parts)}", hint)


def probabilities_sum_to_one(item: Loaded, context: Context) -> Iterator[Problem]:
    """A categorical or ordering forecast's probabilities add up to 1."""
    found = _probabilities(item, context)
    if found is None:
        return
    total = math.fsum(found[1].values())
    if abs(total - 1) > SUM_TOLERANCE:
        hint = "adjust them so that they add up to exactly 1"
        yield problem(item, "probabilities", f"sum to {total:.12g}, not 1", hint)


def quantiles_rise_with_level(item: Loaded, context: Context) -> Iterator[Problem]:
    """A numeric forecast's quantiles never decrease as their level rises."""
    asked = _open(item, context)
    if asked is None or asked[0].kind != "numeric" or item.record.quantiles is None:
        return
    quantiles = item.record.quantiles
    values = [quantiles[level] for level in sorted(quantiles)]
    if any(b < a for a, b in itertools.pairwise(values)):
        hint = "a higher quantile level must have a value at least as large"
        yield problem(item, "quantiles", "decrease as the level rises", hint)


# --- rules of resolutions ------------------------------------------------------------------------


def resolution_question_exists(item: Loaded, context: Context) -> Iterator[Problem]:
    """A resolution resolves a question that exists."""
    if item.record.question not in context.questions:
        hint = "give the id of a question or of a prediction that states one"
        yield problem(item, "question", f"no question `{item.record.question}` exists", hint)


def first_resolution_named_for_question(item: Loaded, context: Context) -> Iterator[Problem]:
    """The first resolution of a question is the file `resolutions/<question>.yaml`."""
    resolution: Resolution = item.record
    qid = resolution.question
    if resolution.corrects is None and item.stem != qid:
        message = f"the first resolution of `{qid}` must be the file resolutions/{qid}.yaml"
        yield problem(item, "question", message, f"rename the file to {qid}.yaml")


def correction_named_with_number(item: Loaded, context: Context) -> Iterator[Problem]:
    """A correction of a question's resolution is the file `resolutions/<question>.<n>.yaml`."""
    resolution: Resolution = item.record
    stem, qid = item.stem, resolution.question
    if resolution.corrects is not None and not (stem.startswith(qid + ".") and stem[len(qid) + 1 :].isdigit()):
        message = f"a correction of `{qid}` must be named resolutions/{qid}.<n>.yaml"
        yield problem(item, "corrects", message, f"rename the file to {qid}.2.yaml (or the next free number)")


def resolved_not_in_future(item: Loaded, context: Context) -> Iterator[Problem]:
    """A resolution is not dated after today (UTC, a day's tolerance)."""
    resolved = item.record.resolved_at.date()
    if resolved > context.today + FUTURE_TOLERANCE:
        hint = f"write the date it was resolved, at latest {context.today}"
        yield problem(item, "resolved_at", f"{resolved} is in the future", hint)


def outcome_fits_question(item: Loaded, context: Context) -> Iterator[Problem]:
    """A resolution's outcome is one its question's kind allows."""
    wrong = outcome_problem(context.questions[item.record.question], item.record.outcome)
    if wrong is not None:
        yield problem(item, "outcome", *wrong)


def resolution_chain(qid: str, items: list[Loaded]) -> tuple[list[Loaded], list[Problem]]:
    """Each correction corrects an existing resolution of its question, which no other correction corrects.

    Gives the question's resolutions in order, the original then each correction of the
    last, and the problems of the chain. No chain stands without exactly one original,
    or with a cycle.
    """
    by_stem = {item.stem: item for item in items}
    originals = [item for item in items if item.record.corrects is None]
    corrected: dict[str, Loaded] = {}
    problems = []
    for item in items:
        target = item.record.corrects
        if target is None:
            continue
        if target not in by_stem:
            message = f"no resolution `{target}` of `{qid}` exists"
            problems.append(
                problem(item, "corrects", message, f"write `corrects: {qid}` or the id of a later correction")
            )
        elif target in corrected:
            message = f"`{target}` is already corrected by {corrected[target].path}"
            problems.append(problem(item, "corrects", message, "correct the latest correction instead"))
        else:
            corrected[target] = item
    if len(originals) != 1:
        return [], problems
    chain = [originals[0]]
    while chain[-1].stem in corrected:
        chain.append(by_stem[corrected[chain[-1].stem].stem])
        if len(chain) > len(items):  # a cycle: reported above as a double correction
            return [], problems
    return chain, problems


# --- rules of reveals and withdrawals ------------------------------------------------------------


def reveal_names_its_file(item: Loaded, context: Context) -> Iterator[Problem]:
    """A reveal is the file `reveals/<prediction>.yaml`."""
    prediction = item.record.prediction
    if item.stem != prediction:
        yield problem(
            item, "prediction", f"`{prediction}` differs from the file name", f"name the file `{prediction}.yaml`"
        )


def reveals_a_committed_prediction(item: Loaded, context: Context) -> Iterator[Problem]:
    """A reveal reveals a valid prediction that has a commitment."""
    prediction = item.record.prediction
    found = context.predictions.get(prediction)
    if found is None or found.commitment is None:
        what = "no valid prediction" if found is None else "a prediction without a commitment"
        yield problem(item, "prediction", f"`{prediction}` is {what}", "reveal a prediction that has `commitment:`")


def revealed_once(item: Loaded, context: Context) -> Iterator[Problem]:
    """A prediction is revealed once: the first valid reveal stands."""
    if item.record.prediction in context.reveals:
        yield problem(item, "prediction", "is revealed twice", "keep the first reveal")


def salt_is_long(item: Loaded, context: Context) -> Iterator[Problem]:
    """A reveal's salt has at least 128 bits, so no one can find the forecast by trying each one."""
    bits = commitment.salt_bits(item.record.salt)
    if bits < commitment.SALT_BITS:
        yield problem(
            item,
            "salt",
            f"has {bits} bits; a commitment's salt needs at least {commitment.SALT_BITS}",
            "without a long salt anyone could find the forecast by trying each probability;"
            " use `predreg commit`, which makes 256-bit salts",
        )


def revealed_not_in_future(item: Loaded, context: Context) -> Iterator[Problem]:
    """A reveal is not dated after today (UTC, a day's tolerance)."""
    revealed = item.record.revealed
    if revealed > context.today + FUTURE_TOLERANCE:
        yield problem(item, "revealed", f"{revealed} is in the future", f"write today's date, {context.today}")


def revealed_forecast_fits(item: Loaded, context: Context) -> Iterator[Problem]:
    """The revealed forecast passes the forecast rules, as if it had been written in the prediction."""
    reveal: Reveal = item.record
    prediction = context.predictions[reveal.prediction]
    forecast = attrs.evolve(prediction, commitment=None, **commitment.forecast_of(reveal))
    revealed = attrs.evolve(item, record=forecast)
    for rule in FORECAST_RULES:
        yield from rule.check(revealed, context)


def reveal_matches_commitment(item: Loaded, context: Context) -> Iterator[Problem]:
    """The revealed forecast and salt hash to the prediction's commitment."""
    reveal: Reveal = item.record
    prediction = context.predictions[reveal.prediction]
    forecast = commitment.forecast_of(reveal)
    if commitment.commitment(prediction.id, prediction.author, forecast, reveal.salt) != prediction.commitment:
        yield problem(
            item,
            "salt",
            f"with this forecast does not hash to the commitment of {reveal.prediction}",
            "reveal exactly the forecast and salt that `predreg commit` kept",
        )


def withdrawal_names_its_file(item: Loaded, context: Context) -> Iterator[Problem]:
    """A withdrawal is the file `withdrawals/<prediction>.yaml`."""
    prediction = item.record.prediction
    if item.stem != prediction:
        yield problem(
            item, "prediction", f"`{prediction}` differs from the file name", f"name the file `{prediction}.yaml`"
        )


def withdraws_a_valid_prediction(item: Loaded, context: Context) -> Iterator[Problem]:
    """A withdrawal withdraws a valid prediction."""
    prediction = item.record.prediction
    if prediction not in context.predictions:
        yield problem(
            item, "prediction", f"`{prediction}` is no valid prediction", "give the id of a registered prediction"
        )


def withdrawn_in_time(item: Loaded, context: Context) -> Iterator[Problem]:
    """A withdrawal is dated between the prediction's registration and today."""
    withdrawn = item.record.withdrawn
    registered = context.predictions[item.record.prediction].registered
    if withdrawn < registered or withdrawn > context.today + FUTURE_TOLERANCE:
        hint = f"write the day it is withdrawn, e.g. today, {context.today}"
        yield problem(item, "withdrawn", f"{withdrawn} is before registration or in the future", hint)


# --- the table -----------------------------------------------------------------------------------

FORECAST_RULES = tuple(
    map(
        Rule,
        (
            forecast_kind_matches,
            commitment_hides_no_numeric,
            commitment_hides_the_forecast,
            forecast_in_its_field,
            forecast_is_given,
            probabilities_cover_the_outcomes,
            probabilities_sum_to_one,
            quantiles_rise_with_level,
        ),
    )
)
"""The rules of a forecast against its question: a prediction's, and a revealed one's."""

RULES: dict[str, tuple[Rule, ...]] = {
    "identified": (Rule(id_names_its_file), Rule(id_is_unique)),
    "question": tuple(
        map(
            Rule,
            (
                categorical_has_two_outcomes,
                outcomes_are_not_reserved,
                outcomes_are_distinct,
                events_only_in_ordering,
                ordering_has_two_events,
                events_are_not_reserved,
                numeric_has_unit,
                outcomes_only_in_categorical,
            ),
        )
    ),
    "statement": (Rule(shared_question_stands_alone), Rule(stated_question_is_complete)),
    "prediction": (
        Rule(author_matches_folder),
        Rule(author_is_listed),
        Rule(registered_not_in_future),
        Rule(shared_question_exists),
        *FORECAST_RULES,
        Rule(closes_after_registration),
        Rule(condition_exists),
        Rule(condition_is_binary),
        Rule(condition_is_another_question),
        Rule(revised_prediction_exists),
        Rule(revision_is_by_its_author),
        Rule(revision_forecasts_the_same_question),
        Rule(revision_comes_after),
    ),
    "resolution": (
        Rule(resolution_question_exists, stops=True),
        Rule(first_resolution_named_for_question),
        Rule(correction_named_with_number),
        Rule(resolved_not_in_future),
        Rule(outcome_fits_question),
    ),
    "reveal": (
        Rule(reveal_names_its_file),
        Rule(reveals_a_committed_prediction, stops=True),
        Rule(revealed_once, stops=True),
        Rule(salt_is_long),
        Rule(revealed_not_in_future),
        Rule(revealed_forecast_fits),
        Rule(reveal_matches_commitment),
    ),
    "withdrawal file": (Rule(withdrawal_names_its_file),),
    "withdrawal": (Rule(withdraws_a_valid_prediction, stops=True), Rule(withdrawn_in_time)),
}
"""Every rule, per what it applies to: ``identified`` (questions and predictions), ``question`` (a shared
one, or one a prediction states), ``statement`` (what a prediction states before its question is known),
and each record kind. The problems the rules of ``identified``, ``statement`` and ``withdrawal file``
find are reported, but leave their record valid. A chain of resolutions is judged whole, by
``resolution_chain``."""


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


def _forecast_example(question: Question) -> str:
    if question.kind == "binary":
        return "write `probability: 0.3`"
    if question.kind == "numeric":
        return "write `quantiles: {0.05: ..., 0.5: ..., 0.95: ...}`"
    outcomes = question.allowed_outcomes()
    share = round(1 / max(len(outcomes), 1), 3)
    return "write `probabilities: {" + ", ".join(f"{name}: {share}" for name in outcomes) + "}`"


def describe(problems: Iterable[Any]) -> str:
    return "\n".join(str(problem) for problem in problems)
