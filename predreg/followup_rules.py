"""The rules of what follows a forecast: resolutions and their corrections, reveals, withdrawals.

Each is a named function ``(record, context) -> problems`` (see ``predreg.rules``);
``checks.RULES`` lists them. A question's chain of resolutions is judged whole, by
``resolution_chain``.
"""

from __future__ import annotations

import attrs

from . import commitment
from .load import Loaded
from .model import Resolution, Reveal
from .problems import Problem
from .record_rules import FORECAST_RULES
from .rules import FUTURE_TOLERANCE, Context, outcome_problem, problem

# --- rules of resolutions ------------------------------------------------------------------------


def resolution_question_exists(item: Loaded, context: Context) -> list[Problem]:
    """A resolution resolves a question that exists."""
    problems: list[Problem] = []
    if item.record.question not in context.questions:
        hint = "give the id of a question or of a prediction that states one"
        problems.append(problem(item, "question", f"no question `{item.record.question}` exists", hint))
    return problems


def first_resolution_named_for_question(item: Loaded, context: Context) -> list[Problem]:
    """The first resolution of a question is the file `resolutions/<question>.yaml`."""
    problems: list[Problem] = []
    resolution: Resolution = item.record
    qid = resolution.question
    if resolution.corrects is None and item.stem != qid:
        message = f"the first resolution of `{qid}` must be the file resolutions/{qid}.yaml"
        problems.append(problem(item, "question", message, f"rename the file to {qid}.yaml"))
    return problems


def correction_named_with_number(item: Loaded, context: Context) -> list[Problem]:
    """A correction of a question's resolution is the file `resolutions/<question>.<n>.yaml`."""
    problems: list[Problem] = []
    resolution: Resolution = item.record
    stem, qid = item.stem, resolution.question
    if resolution.corrects is not None and not (stem.startswith(qid + ".") and stem[len(qid) + 1 :].isdigit()):
        message = f"a correction of `{qid}` must be named resolutions/{qid}.<n>.yaml"
        problems.append(
            problem(item, "corrects", message, f"rename the file to {qid}.2.yaml (or the next free number)")
        )
    return problems


def resolved_not_in_future(item: Loaded, context: Context) -> list[Problem]:
    """A resolution is not dated after today (UTC, a day's tolerance)."""
    problems: list[Problem] = []
    resolved = item.record.resolved_at.date()
    if resolved > context.today + FUTURE_TOLERANCE:
        hint = f"write the date it was resolved, at latest {context.today}"
        problems.append(problem(item, "resolved_at", f"{resolved} is in the future", hint))
    return problems


def outcome_fits_question(item: Loaded, context: Context) -> list[Problem]:
    """A resolution's outcome is one its question's kind allows."""
    problems: list[Problem] = []
    wrong = outcome_problem(context.questions[item.record.question], item.record.outcome)
    if wrong is not None:
        problems.append(problem(item, "outcome", *wrong))
    return problems


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


def reveal_names_its_file(item: Loaded, context: Context) -> list[Problem]:
    """A reveal is the file `reveals/<prediction>.yaml`."""
    return _named_for_its_prediction(item)


def reveals_a_committed_prediction(item: Loaded, context: Context) -> list[Problem]:
    """A reveal reveals a valid prediction that has a commitment."""
    problems: list[Problem] = []
    prediction = item.record.prediction
    found = context.predictions.get(prediction)
    if found is None or found.commitment is None:
        what = "no valid prediction" if found is None else "a prediction without a commitment"
        problems.append(
            problem(item, "prediction", f"`{prediction}` is {what}", "reveal a prediction that has `commitment:`")
        )
    return problems


def revealed_once(item: Loaded, context: Context) -> list[Problem]:
    """A prediction is revealed once: the first valid reveal stands."""
    problems: list[Problem] = []
    if item.record.prediction in context.reveals:
        problems.append(problem(item, "prediction", "is revealed twice", "keep the first reveal"))
    return problems


def salt_is_long(item: Loaded, context: Context) -> list[Problem]:
    """A reveal's salt has at least 128 bits, so no one can find the forecast by trying each one."""
    problems: list[Problem] = []
    bits = commitment.salt_bits(item.record.salt)
    if bits < commitment.SALT_BITS:
        problems.append(
            problem(
                item,
                "salt",
                f"has {bits} bits; a commitment's salt needs at least {commitment.SALT_BITS}",
                "without a long salt anyone could find the forecast by trying each probability;"
                " use `predreg commit`, which makes 256-bit salts",
            )
        )
    return problems


def revealed_not_in_future(item: Loaded, context: Context) -> list[Problem]:
    """A reveal is not dated after today (UTC, a day's tolerance)."""
    problems: list[Problem] = []
    revealed = item.record.revealed
    if revealed > context.today + FUTURE_TOLERANCE:
        problems.append(
            problem(item, "revealed", f"{revealed} is in the future", f"write today's date, {context.today}")
        )
    return problems


def revealed_forecast_fits(item: Loaded, context: Context) -> list[Problem]:
    """The revealed forecast passes the forecast rules, as if it had been written in the prediction."""
    problems: list[Problem] = []
    reveal: Reveal = item.record
    prediction = context.predictions[reveal.prediction]
    forecast = attrs.evolve(prediction, commitment=None, **commitment.forecast_of(reveal))
    revealed = attrs.evolve(item, record=forecast)
    for rule in FORECAST_RULES:
        problems += rule.check(revealed, context)
    return problems


def reveal_matches_commitment(item: Loaded, context: Context) -> list[Problem]:
    """The revealed forecast and salt hash to the prediction's commitment."""
    problems: list[Problem] = []
    reveal: Reveal = item.record
    prediction = context.predictions[reveal.prediction]
    forecast = commitment.forecast_of(reveal)
    if commitment.commitment(prediction.id, prediction.author, forecast, reveal.salt) != prediction.commitment:
        problems.append(
            problem(
                item,
                "salt",
                f"with this forecast does not hash to the commitment of {reveal.prediction}",
                "reveal exactly the forecast and salt that `predreg commit` kept",
            )
        )
    return problems


def withdrawal_names_its_file(item: Loaded, context: Context) -> list[Problem]:
    """A withdrawal is the file `withdrawals/<prediction>.yaml`."""
    return _named_for_its_prediction(item)


def _named_for_its_prediction(item: Loaded) -> list[Problem]:
    """The problem of a reveal or a withdrawal whose file is not named for the prediction it names."""
    problems: list[Problem] = []
    prediction = item.record.prediction
    if item.stem != prediction:
        problems.append(
            problem(
                item, "prediction", f"`{prediction}` differs from the file name", f"name the file `{prediction}.yaml`"
            )
        )
    return problems


def withdraws_a_valid_prediction(item: Loaded, context: Context) -> list[Problem]:
    """A withdrawal withdraws a valid prediction."""
    problems: list[Problem] = []
    prediction = item.record.prediction
    if prediction not in context.predictions:
        problems.append(
            problem(
                item, "prediction", f"`{prediction}` is no valid prediction", "give the id of a registered prediction"
            )
        )
    return problems


def withdrawn_in_time(item: Loaded, context: Context) -> list[Problem]:
    """A withdrawal is dated between the prediction's registration and today."""
    problems: list[Problem] = []
    withdrawn = item.record.withdrawn
    registered = context.predictions[item.record.prediction].registered
    if withdrawn < registered or withdrawn > context.today + FUTURE_TOLERANCE:
        hint = f"write the day it is withdrawn, e.g. today, {context.today}"
        problems.append(problem(item, "withdrawn", f"{withdrawn} is before registration or in the future", hint))
    return problems
