"""The rules of questions and predictions: ids, questions, what a prediction states, its forecast.

Each is a named function ``(record, context) -> problems`` (see ``predreg.rules``);
``checks.RULES`` lists them.
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from collections.abc import Iterable

import attrs

from .load import Loaded, name_text
from .model import AMBIGUOUS, ANNULLED, NEITHER, Prediction, Question
from .problems import Problem
from .registry import normalised
from .rules import (
    FUTURE_TOLERANCE,
    SUM_TOLERANCE,
    Context,
    Rule,
    closes_too_soon,
    forecast_example,
    problem,
    unknown_author,
)

_INLINE_FIELDS = ("claim", "criteria", "resolve_by", "resolver", "outcomes", "events", "unit")
_FORECAST_FIELDS = ("probability", "probabilities", "quantiles")
_WANTED = {"binary": "probability", "categorical": "probabilities", "ordering": "probabilities", "numeric": "quantiles"}
"""The field that holds a forecast, per kind of question."""


# --- rules of questions and predictions: ids ----------------------------------------------------


def id_names_its_file(item: Loaded, context: Context) -> list[Problem]:
    """A question's or prediction's id is its file's name."""
    problems: list[Problem] = []
    record = item.record
    if item.stem != unicodedata.normalize("NFC", record.id):
        problems.append(
            problem(
                item,
                "id",
                f"`{record.id}` differs from the file name `{item.stem}.yaml`",
                f"name the file `{record.id}.yaml`",
            )
        )
    return problems


def id_is_unique(item: Loaded, context: Context) -> list[Problem]:
    """No two questions or predictions share an id, ignoring case and Unicode form (both files are named)."""
    problems: list[Problem] = []
    first = context.first_of_id[normalised(item.record.id)]
    if first is not item:
        hint = "choose another id: ids are compared ignoring case and Unicode form"
        problems.append(problem(item, "id", f"`{item.record.id}` is also the id of {first.path}", hint))
        problems.append(problem(first, "id", f"`{first.record.id}` is also the id of {item.path}", hint))
    return problems


# --- rules of questions (shared, or stated in a prediction) --------------------------------------


def categorical_has_two_outcomes(item: Loaded, context: Context) -> list[Problem]:
    """A categorical question has at least two outcomes."""
    problems: list[Problem] = []
    question: Question = item.record
    if question.kind == "categorical" and len(question.outcomes) < 2:
        hint = "write `outcomes: [a, b]`"
        problems.append(problem(item, "outcomes", "a categorical question needs at least two outcomes", hint))
    return problems


def outcomes_are_not_reserved(item: Loaded, context: Context) -> list[Problem]:
    """No outcome of a categorical question is named `annulled` or `ambiguous`."""
    problems: list[Problem] = []
    question: Question = item.record
    if question.kind == "categorical":
        problems += _reserved(item, "outcomes", question.outcomes, (ANNULLED, AMBIGUOUS))
    return problems


def outcomes_are_distinct(item: Loaded, context: Context) -> list[Problem]:
    """A categorical question lists each outcome once."""
    problems: list[Problem] = []
    question: Question = item.record
    if question.kind == "categorical" and len(set(question.outcomes)) != len(question.outcomes):
        problems.append(problem(item, "outcomes", "lists an outcome twice", "list each outcome once"))
    return problems


def events_only_in_ordering(item: Loaded, context: Context) -> list[Problem]:
    """Only an ordering question has events."""
    problems: list[Problem] = []
    question: Question = item.record
    if question.events and question.kind not in ("categorical", "ordering"):
        message = f"only ordering questions have events, and this one is {question.kind}"
        problems.append(problem(item, "events", message, "remove `events:`"))
    return problems


def ordering_has_two_events(item: Loaded, context: Context) -> list[Problem]:
    """An ordering question compares exactly two events."""
    problems: list[Problem] = []
    question: Question = item.record
    if question.kind == "ordering" and len(question.events) != 2:
        message = f"an ordering question compares two events, not {len(question.events)}"
        problems.append(problem(item, "events", message, "write `events: {a: ..., b: ...}`"))
    return problems


def events_are_not_reserved(item: Loaded, context: Context) -> list[Problem]:
    """No event is named `neither`, `annulled` or `ambiguous`."""
    problems: list[Problem] = []
    question: Question = item.record
    if question.kind != "categorical" and (question.events or question.kind == "ordering"):
        problems += _reserved(item, "events", question.events, (NEITHER, ANNULLED, AMBIGUOUS))
    return problems


def numeric_has_unit(item: Loaded, context: Context) -> list[Problem]:
    """A numeric question names its unit."""
    problems: list[Problem] = []
    question: Question = item.record
    if question.kind == "numeric" and not question.unit:
        message = "is missing: a number without a unit cannot be checked"
        problems.append(problem(item, "unit", message, "add e.g. `unit: x` or `unit: percent`"))
    return problems


def outcomes_only_in_categorical(item: Loaded, context: Context) -> list[Problem]:
    """Only a categorical question lists outcomes."""
    problems: list[Problem] = []
    question: Question = item.record
    if question.outcomes and question.kind != "categorical":
        message = f"only categorical questions list outcomes, and this one is {question.kind}"
        problems.append(problem(item, "outcomes", message, "remove `outcomes:`"))
    return problems


def _reserved(item: Loaded, field: str, names: Iterable[str], reserved: tuple[str, ...]) -> list[Problem]:
    problems: list[Problem] = []
    for name in names:
        if name in reserved:
            problems.append(problem(item, field, f"`{name}` is a reserved outcome", "choose another name"))
    return problems


# --- rules of what a prediction states, before its question is known ------------------------------


def shared_question_stands_alone(item: Loaded, context: Context) -> list[Problem]:
    """A prediction of a shared question states none of the question's fields itself."""
    problems: list[Problem] = []
    prediction: Prediction = item.record
    if prediction.question is None:
        return problems
    for field in _INLINE_FIELDS:
        if getattr(prediction, field) not in (None, (), {}):
            problems.append(
                problem(
                    item,
                    field,
                    f"belongs to a question, but this file forecasts shared question `{prediction.question}`",
                    f"remove `{field}:` or the `question:` line",
                )
            )
    return problems


def stated_question_is_complete(item: Loaded, context: Context) -> list[Problem]:
    """A prediction without a shared question states a whole one: claim, criteria, date, resolver, kind."""
    problems: list[Problem] = []
    prediction: Prediction = item.record
    if prediction.question is not None:
        return problems
    for field in ("claim", "criteria", "resolve_by", "resolver", "kind"):
        if getattr(prediction, field) is None:
            hint = attrs.fields_dict(Prediction)[field].metadata["spec"].missing
            problems.append(
                problem(item, field, "is missing" if field != "claim" else "is missing: no question is stated", hint)
            )
    return problems


# --- rules of predictions ------------------------------------------------------------------------


def author_matches_folder(item: Loaded, context: Context) -> list[Problem]:
    """A prediction lives in its author's folder, `predictions/<author>/`."""
    problems: list[Problem] = []
    prediction: Prediction = item.record
    folder = name_text(item.path.replace("\\", "/").rsplit("/", 2)[-2])
    if prediction.author != folder:
        problems.append(
            problem(
                item,
                "author",
                f"`{prediction.author}` does not match the folder `predictions/{folder}/`",
                f"move the file to predictions/{prediction.author}/ or write `author: {folder}`",
            )
        )
    return problems


def author_is_listed(item: Loaded, context: Context) -> list[Problem]:
    """A prediction's author is listed in authors.yaml."""
    problems: list[Problem] = []
    author = item.record.author
    if author not in context.authors and context.authors_listed:
        problems.append(problem(item, "author", *unknown_author(author, sorted(context.authors))))
    return problems


def registered_not_in_future(item: Loaded, context: Context) -> list[Problem]:
    """A prediction is not dated after today (UTC, a day's tolerance)."""
    problems: list[Problem] = []
    prediction: Prediction = item.record
    if prediction.registered > context.today + FUTURE_TOLERANCE:
        problems.append(
            problem(
                item,
                "registered",
                f"{prediction.registered} is in the future",
                f"write today's date, {context.today}: a prediction is dated when it is registered",
            )
        )
    return problems


def shared_question_exists(item: Loaded, context: Context) -> list[Problem]:
    """The shared question a prediction names exists."""
    problems: list[Problem] = []
    prediction: Prediction = item.record
    if prediction.question is not None and prediction.question_id not in context.questions:
        problems.append(
            problem(
                item,
                "question",
                f"no question `{prediction.question}` exists",
                f"add questions/{prediction.question}.yaml or fix the id",
            )
        )
    return problems


def closes_after_registration(item: Loaded, context: Context) -> list[Problem]:
    """A prediction is registered before its question closes."""
    problems: list[Problem] = []
    prediction: Prediction = item.record
    question = context.questions.get(prediction.question_id)
    if question is not None and question.resolve_by <= prediction.registered:
        field = "question" if prediction.question else "resolve_by"
        problems.append(problem(item, field, *closes_too_soon(question.resolve_by, prediction.registered)))
    return problems


def condition_exists(item: Loaded, context: Context) -> list[Problem]:
    """The question a prediction is conditional on (`given:`) exists."""
    problems: list[Problem] = []
    given = item.record.given
    if given is not None and given not in context.questions:
        hint = "give the id of a shared question or of a prediction that states one"
        problems.append(problem(item, "given", f"no question `{given}` exists", hint))
    return problems


def condition_is_binary(item: Loaded, context: Context) -> list[Problem]:
    """A condition is a yes/no question."""
    problems: list[Problem] = []
    condition = context.questions.get(item.record.given or "")
    if condition is not None and condition.kind != "binary":
        message = f"`{item.record.given}` is {condition.kind}; a condition must be a binary question"
        problems.append(problem(item, "given", message, "condition on a yes/no question"))
    return problems


def condition_is_another_question(item: Loaded, context: Context) -> list[Problem]:
    """A forecast is not conditional on its own question."""
    problems: list[Problem] = []
    prediction: Prediction = item.record
    condition = context.questions.get(prediction.given or "")
    if condition is not None and condition.kind == "binary" and prediction.given == prediction.question_id:
        problems.append(
            problem(item, "given", "a forecast cannot be conditional on its own question", "remove `given:`")
        )
    return problems


def revised_prediction_exists(item: Loaded, context: Context) -> list[Problem]:
    """The prediction a revision supersedes exists."""
    problems: list[Problem] = []
    supersedes = item.record.supersedes
    if supersedes is not None and supersedes not in context.prediction_files:
        hint = "give the id of your earlier prediction"
        problems.append(problem(item, "supersedes", f"no prediction `{supersedes}` exists", hint))
    return problems


def revision_is_by_its_author(item: Loaded, context: Context) -> list[Problem]:
    """Authors revise only their own predictions."""
    problems: list[Problem] = []
    old = _revised(item, context)
    if old is not None and old.author != item.record.author:
        message = f"`{old.id}` is by {old.author}; you can only revise your own predictions"
        problems.append(problem(item, "supersedes", message, "register a new prediction instead"))
    return problems


def revision_forecasts_the_same_question(item: Loaded, context: Context) -> list[Problem]:
    """A revision forecasts the question of the prediction it revises."""
    problems: list[Problem] = []
    old, prediction = _revised(item, context), item.record
    if old is not None and old.question_id != prediction.question_id:
        problems.append(
            problem(
                item,
                "supersedes",
                f"`{old.id}` forecasts question `{old.question_id}`, not `{prediction.question_id}`",
                f"a revision forecasts the same question: write `question: {old.question_id}`, not a new claim",
            )
        )
    return problems


def revision_comes_after(item: Loaded, context: Context) -> list[Problem]:
    """A revision is registered no earlier than what it revises."""
    problems: list[Problem] = []
    old = _revised(item, context)
    if old is not None and old.registered > item.record.registered:
        message = f"`{old.id}` was registered after this revision ({old.registered})"
        problems.append(problem(item, "supersedes", message, "a revision comes after what it revises"))
    return problems


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


def forecast_kind_matches(item: Loaded, context: Context) -> list[Problem]:
    """A forecast's `kind:`, if written, is its question's."""
    problems: list[Problem] = []
    prediction: Prediction = item.record
    question = context.questions.get(prediction.question_id)
    if question is not None and prediction.kind not in (None, question.kind):
        kind = question.kind
        message = f"is {prediction.kind}, but question `{question.id}` is {kind}"
        problems.append(problem(item, "kind", message, f"write `kind: {kind}` or remove it"))
    return problems


def commitment_hides_no_numeric(item: Loaded, context: Context) -> list[Problem]:
    """A numeric forecast is never hidden behind a commitment."""
    problems: list[Problem] = []
    question = _asked(item, context)
    if question is not None and item.record.commitment is not None and question.kind == "numeric":
        problems.append(
            problem(
                item,
                "commitment",
                "hides a numeric forecast, which has no worst case to score if never revealed",
                "register numeric forecasts openly, with `quantiles:`",
            )
        )
    return problems


def commitment_hides_the_forecast(item: Loaded, context: Context) -> list[Problem]:
    """A committed prediction writes no forecast beside its commitment."""
    problems: list[Problem] = []
    prediction: Prediction = item.record
    if _asked(item, context) is None or prediction.commitment is None:
        return problems
    for field in _FORECAST_FIELDS:
        if getattr(prediction, field) is not None:
            problems.append(
                problem(
                    item,
                    field,
                    "is written beside a commitment, so the forecast is not hidden",
                    f"remove `{field}:`; it goes in the reveal, `reveals/{prediction.id}.yaml`",
                )
            )
    return problems


def _open(item: Loaded, context: Context) -> tuple[Question, str] | None:
    """An open forecast's question and the field its kind wants (None if committed, or no question fits)."""
    question = _asked(item, context)
    if question is None or item.record.commitment is not None:
        return None
    return question, _WANTED[question.kind]


def forecast_in_its_field(item: Loaded, context: Context) -> list[Problem]:
    """A forecast is written in the one field its question's kind takes."""
    problems: list[Problem] = []
    asked = _open(item, context)
    if asked is None:
        return problems
    question, wanted = asked
    for field in _FORECAST_FIELDS:
        if field != wanted and getattr(item.record, field) is not None:
            problems.append(
                problem(
                    item, field, f"does not apply to a {question.kind} question", f"write the forecast as `{wanted}:`"
                )
            )
    return problems


def forecast_is_given(item: Loaded, context: Context) -> list[Problem]:
    """An open prediction gives its forecast."""
    problems: list[Problem] = []
    asked = _open(item, context)
    if asked is not None and getattr(item.record, asked[1]) is None:
        question, wanted = asked
        problems.append(
            problem(item, wanted, f"is missing: a {question.kind} forecast needs it", forecast_example(question))
        )
    return problems


def _probabilities(item: Loaded, context: Context) -> tuple[Question, dict[str, float]] | None:
    asked = _open(item, context)
    if asked is None or asked[0].kind not in ("categorical", "ordering"):
        return None
    value = getattr(item.record, asked[1])
    return None if value is None else (asked[0], value)


def probabilities_cover_the_outcomes(item: Loaded, context: Context) -> list[Problem]:
    """A categorical or ordering forecast gives a probability to each outcome, and to no other."""
    problems: list[Problem] = []
    found = _probabilities(item, context)
    if found is None:
        return problems
    question, value = found
    outcomes = set(question.allowed_outcomes())
    if set(value) != outcomes:
        missing = sorted(outcomes - set(value))
        extra = sorted(set(value) - outcomes)
        parts = ([f"lacks {', '.join(missing)}"] if missing else []) + (
            [f"has unknown {', '.join(extra)}"] if extra else []
        )
        hint = f"give a probability to each of {', '.join(sorted(outcomes))}"
        problems.append(problem(item, "probabilities", f"{' and '.join(parts)}", hint))
    return problems


def probabilities_sum_to_one(item: Loaded, context: Context) -> list[Problem]:
    """A categorical or ordering forecast's probabilities add up to 1."""
    problems: list[Problem] = []
    found = _probabilities(item, context)
    if found is None:
        return problems
    total = math.fsum(found[1].values())
    if abs(total - 1) > SUM_TOLERANCE:
        hint = "adjust them so that they add up to exactly 1"
        problems.append(problem(item, "probabilities", f"sum to {total:.12g}, not 1", hint))
    return problems


def quantiles_rise_with_level(item: Loaded, context: Context) -> list[Problem]:
    """A numeric forecast's quantiles never decrease as their level rises."""
    problems: list[Problem] = []
    asked = _open(item, context)
    if asked is None or asked[0].kind != "numeric" or item.record.quantiles is None:
        return problems
    quantiles = item.record.quantiles
    values = [quantiles[level] for level in sorted(quantiles)]
    if any(b < a for a, b in itertools.pairwise(values)):
        hint = "a higher quantile level must have a value at least as large"
        problems.append(problem(item, "quantiles", "decrease as the level rises", hint))
    return problems


FORECAST_RULES = (
    Rule(forecast_kind_matches),
    Rule(commitment_hides_no_numeric, needs="commitment"),
    Rule(commitment_hides_the_forecast, needs="commitment"),
    Rule(forecast_in_its_field),
    Rule(forecast_is_given),
    Rule(probabilities_cover_the_outcomes, needs="probabilities"),
    Rule(probabilities_sum_to_one, needs="probabilities"),
    Rule(quantiles_rise_with_level, needs="quantiles"),
)
"""The rules of a forecast against its question: a prediction's, and a revealed one's."""
