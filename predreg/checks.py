"""The check of a registry: the rules that span its files, applied to records a source gave.

``RULES`` lists every rule by name, per record kind, in the order they apply (the rules
themselves are in ``record_rules`` and ``followup_rules``; what a rule is, in ``rules``).
A rule marked ``stops`` ends the checks of its record when it finds a problem, since
the rules after it assume what it checks. A record is valid when its rules found
nothing: a rule that depends on another asks its result, never counts problems.

``check_registry`` applies them to the records a source of ``predreg.registry`` gave,
and returns a ``Registry`` holding the valid records and every problem, sorted.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from .followup_rules import (
    correction_named_with_number,
    first_resolution_named_for_question,
    outcome_fits_question,
    resolution_chain,
    resolution_question_exists,
    resolved_not_in_future,
    reveal_matches_commitment,
    reveal_names_its_file,
    revealed_forecast_fits,
    revealed_not_in_future,
    revealed_once,
    reveals_a_committed_prediction,
    salt_is_long,
    withdrawal_names_its_file,
    withdrawn_in_time,
    withdraws_a_valid_prediction,
)
from .load import RESOLVER_KINDS, Loaded
from .model import Author, Prediction, Question, Withdrawal
from .parallel import collector_paused
from .problems import Problem
from .record_rules import (
    FORECAST_RULES,
    author_is_listed,
    author_matches_folder,
    categorical_has_two_outcomes,
    closes_after_registration,
    condition_exists,
    condition_is_another_question,
    condition_is_binary,
    events_are_not_reserved,
    events_only_in_ordering,
    id_is_unique,
    id_names_its_file,
    numeric_has_unit,
    ordering_has_two_events,
    outcomes_are_distinct,
    outcomes_are_not_reserved,
    outcomes_only_in_categorical,
    registered_not_in_future,
    revised_prediction_exists,
    revision_comes_after,
    revision_forecasts_the_same_question,
    revision_is_by_its_author,
    shared_question_exists,
    shared_question_stands_alone,
    stated_question_is_complete,
)
from .registry import Records, Registry, normalised
from .rules import Context, Rule, apply, closes_too_soon, outcome_problem, unknown_author
from .settings import resolver_settings, written_form

__all__ = [
    "RULES",
    "Context",
    "Registry",
    "Rule",
    "apply",
    "check_registry",
    "closes_too_soon",
    "normalised",
    "outcome_problem",
    "resolver_settings_fit",
    "traced",
    "unknown_author",
]

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
    "statement": (Rule(shared_question_stands_alone, needs="question"), Rule(stated_question_is_complete)),
    "prediction": (
        Rule(author_matches_folder),
        Rule(author_is_listed),
        Rule(registered_not_in_future),
        Rule(shared_question_exists, needs="question"),
        *FORECAST_RULES,
        Rule(closes_after_registration),
        Rule(condition_exists, needs="given"),
        Rule(condition_is_binary, needs="given"),
        Rule(condition_is_another_question, needs="given"),
        Rule(revised_prediction_exists, needs="supersedes"),
        Rule(revision_is_by_its_author, needs="supersedes"),
        Rule(revision_forecasts_the_same_question, needs="supersedes"),
        Rule(revision_comes_after, needs="supersedes"),
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


# --- the check -----------------------------------------------------------------------------------


def check_registry(records: Records, *, today: dt.date, resolvers: Mapping[str, Any]) -> Registry:
    """Apply the rules to ``records``: the registry they make, with every problem.

    ``today`` is the UTC date the check is as of (nothing may be dated later);
    ``resolvers`` is the catalogue of resolvers that records' ``resolver:`` blocks name.
    The records come from a source of ``predreg.registry`` (a walk, a closure, shard lines);
    the check itself reads no file and no clock.
    """
    return _check(records, Context(today=today, resolvers=resolvers))


def traced(records: Records, *, today: dt.date, resolvers: Mapping[str, Any]) -> tuple[Registry, dict[Problem, str]]:
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
    settings_problems = resolver_settings_fit(records.loaded, context.resolvers)
    if context.trace is not None:
        context.trace.update(dict.fromkeys(settings_problems, resolver_settings_fit.__name__))
    problems += settings_problems
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


def resolver_settings_fit(loaded: Iterable[Loaded], resolvers: Mapping[str, Any]) -> list[Problem]:
    """Each resolver block names an installed resolver, and its settings are what that resolver declares.

    The rule is judged against the catalogue ``resolvers`` (name -> entry with ``.settings``)
    and spans the registry: a file whose record could not be built keeps its block for it,
    and a block written the same way at the same place (files made from one template) is
    checked once. Its problems leave the record valid, as the loader's do.
    """
    problems: list[Problem] = []
    checked: dict[Hashable, list[Problem]] = {}
    for item in loaded:
        resolver = item.resolver if item.record is None else getattr(item.record, "resolver", None)
        if item.kind in RESOLVER_KINDS and resolver is not None:
            form = written_form(resolver)
            if form not in checked:
                checked[form] = resolver_settings(resolver, resolvers)[1]
            problems += [attrs.evolve(problem, path=item.path) for problem in checked[form]]
    return problems


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
            # the stated question is judged as a question record written at the prediction's place
            as_question = Loaded(item.path, item.kind, stated, item.key_at, item.problems)
            found = apply(RULES["question"], as_question, context)
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
