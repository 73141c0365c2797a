"""Who stands behind a pull request's records, and on which day: the pull-request rules on what it adds.

``predreg check --base`` is told three things it cannot find in git: who opened the pull
request (``--actor``), whose approving reviews it has on GitHub (``--approved-by``), and
the day it is checked (``--today``). Each rule here is one function ``(record, context)
-> Iterable[Problem]`` of a record the pull request adds and a :class:`Context` of those
facts, listed by record kind in :data:`ADDED_RULES`: stage 3 of the check, run once the
records added are checked together with what they refer to (:mod:`predreg.pr` finds
them; stages 1 and 2, on the changed paths, are :mod:`predreg.change_rules`).

- An author is known by the logins that authors.yaml lists for them, on the base side
  as well as in the pull request, so editing one's own entry hides nothing.
- ``approved_by`` is a claim that the pull request checks: each handle needs an
  approving review from one of its logins, and is neither the pull request's author
  nor someone with a stake in the outcome (a forecast of the question, or one given it).
- ``resolved_by: predreg-resolve`` is the resolve job's signature: only the job's own
  pull requests (opened as :data:`RESOLVE_JOB_LOGIN`) carry it, and they carry nothing
  else.
- Dates that scoring reads (``revealed``, ``withdrawn``, ``resolved_at``) are the day
  of the check, as ``registered`` is, and a resolution is never dated before a forecast
  or a reveal that its date would then leave out.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Mapping, Sequence

import attrs

from .checks import Registry, normalised
from .defaults import JOB
from .load import Loaded
from .model import Author, Prediction, Resolution, Reveal, Withdrawal
from .problems import Problem

RESOLVE_JOB_LOGIN = "github-actions[bot]"
"""The login that opens the resolve job's pull requests: GitHub's own, for the workflow's GITHUB_TOKEN.

Nobody can open a pull request as this account but a workflow of the repository
itself, which is why it, and not a flag, tells the check that a record is the job's:
a flag would be passed by whoever dispatches the check. The brackets make it no valid
login in authors.yaml, so it is never an author or an approver.
"""


def at(item: Loaded, field: str, message: str, hint: str) -> Problem:
    """A problem located at ``field`` of the record ``item``."""
    line, col = item.at(field)
    return Problem(item.path, line, col, field, message, hint)


def logins_of(handle: str, author: Author | None) -> set[str]:
    """The GitHub logins (lower case) that act as the author ``handle``: those listed, else the handle itself.

    Once logins are listed, only they count: the account that happens to be named like
    the handle is someone else's.
    """
    listed = {login.lower() for login in (author.github if author else ())}
    return listed or {handle.lower()}


@attrs.frozen
class People:
    """The pull request's author and approvers, and the authors.yaml each side of it lists."""

    actor: str | None
    """The login that opened the pull request; None when not known (a local check)."""
    approvals: frozenset[str]
    """Lower-case logins whose latest review of the pull request approves it."""
    authors: Mapping[str, Author]
    """authors.yaml with the pull request applied."""
    before: Mapping[str, Author] | None
    """authors.yaml at the merge base; None if the base has none (a registry's first pull request)."""

    @classmethod
    def of(
        cls,
        actor: str | None,
        approved_by: Iterable[str],
        authors: Mapping[str, Author],
        before: Mapping[str, Author] | None,
    ) -> People:
        # the job's account approves nothing: it cannot be listed, and must not become a way to be
        approvals = frozenset(login.lower() for login in approved_by if login.lower() != RESOLVE_JOB_LOGIN)
        return cls(actor, approvals, authors, before)

    @property
    def is_resolve_job(self) -> bool:
        return self.actor is not None and self.actor.lower() == RESOLVE_JOB_LOGIN

    def actors_handles(self) -> set[str]:
        """Every handle the actor is, by either side's authors.yaml (editing one's own entry hides nothing)."""
        if self.actor is None:
            return set()
        login = self.actor.lower()
        sides = [self.authors, *([self.before] if self.before is not None else [])]
        return {handle for side in sides for handle, author in side.items() if login in logins_of(handle, author)}

    def logins(self, handle: str) -> set[str]:
        """The logins of ``handle`` as the base lists them (an approver cannot change them here), else the PR's."""
        side = self.before if self.before is not None and handle in self.before else self.authors
        return logins_of(handle, side.get(handle))


@attrs.frozen
class Stake:
    """The forecasts a resolution decides: those of its question, and those given it; with their reveals."""

    question: str
    forecasts: tuple[Prediction, ...]
    reveals: Mapping[str, Reveal]

    def of(self, handle: str) -> list[Prediction]:
        return [forecast for forecast in self.forecasts if forecast.author == handle]

    def is_on(self, forecast: Prediction) -> bool:
        return normalised(forecast.question_id) == normalised(self.question)


def _stake_words(stake: Stake, forecasts: list[Prediction]) -> str:
    """`forecasts this question (a, b)` or `forecasts given this question (c)`."""
    direct = [f.id for f in forecasts if stake.is_on(f)]
    given = [f.id for f in forecasts if not stake.is_on(f)]
    return (
        f"forecasts this question ({', '.join(direct)})"
        if direct
        else f"forecasts given this question ({', '.join(given)})"
    )


@attrs.frozen
class Context:
    """What a rule on an added record knows: the day of the check, who stands behind it, the checked closure."""

    registry: str
    """The registry folder as the command was given it (records' paths start with it)."""
    today: dt.date
    """The day of the check (UTC), which new records' dates are held to."""
    tolerance: int
    """How many days a new record's date may be from ``today``."""
    people: People
    checked: Registry
    """The records the pull request adds or changes, and what they refer to, checked together."""
    loaded: Sequence[Loaded]
    """Every file behind ``checked``."""
    registered: frozenset[str]
    """Every file of the registry at the merge base, registry-relative."""
    same_id: Callable[[str], list[str]]
    """The question and prediction files (registry-relative, once merged) whose id is this one, normalised."""
    stakes: Mapping[str, Stake]
    """The stake in each resolution added, by the resolution's path."""

    def stake(self, item: Loaded) -> Stake:
        """The forecasts that the added resolution ``item`` decides."""
        return self.stakes[item.path]

    def corrected(self, resolution: Resolution) -> Resolution | None:
        """The resolution that ``resolution`` corrects, if it is loaded and valid."""
        for other in self.loaded:
            if other.kind == "resolution" and other.stem == resolution.corrects and other.record is not None:
                record: Resolution = other.record
                return record
        return None


Rule = Callable[[Loaded, Context], Iterable[Problem]]
"""A stage-3 rule: a valid record the pull request adds, and what the check knows of it."""


def is_author(actor: str, handle: str, registry: Registry) -> bool:
    """Whether the GitHub login ``actor`` is the author ``handle``."""
    return actor.lower() in logins_of(handle, registry.authors.get(handle))


def is_job_record(resolution: Resolution, people: People) -> bool:
    """Whether ``resolution`` is the resolve job's own record, in the job's own pull request.

    Such a record is dated by its evidence and written by no one with a stake, so the
    rules on dates and stakes have nothing to hold it to.
    """
    return people.is_resolve_job and resolution.resolved_by == JOB


# --- predictions ---------------------------------------------------------------------------


def unique_id(item: Loaded, context: Context) -> Iterable[Problem]:
    """Rule: a new prediction's id is no registered file's, once both are normalised (case, Unicode form)."""
    prediction: Prediction = item.record
    for other in context.same_id(prediction.id):
        if other in context.registered and os.path.join(context.registry, other) != item.path:
            yield at(item, "id", f"`{prediction.id}` is already registered as {other}", "choose another id")


def registered_today(item: Loaded, context: Context) -> Iterable[Problem]:
    """Rule: a new prediction's ``registered`` is the day of the check (± ``tolerance``); git's dates are never read."""
    prediction: Prediction = item.record
    today, tolerance = context.today, context.tolerance
    if abs((prediction.registered - today).days) > tolerance:
        yield at(
            item,
            "registered",
            f"is {prediction.registered}, but the pull request is checked on {today} (UTC)",
            f"date a new prediction the day it is registered, `registered: {today}`"
            f" (within {tolerance} day(s)); git dates are not evidence of when it was written",
        )


def own_prediction(item: Loaded, context: Context) -> Iterable[Problem]:
    """Rule: a new prediction's author is the pull request's author, by a login authors.yaml lists for them."""
    prediction: Prediction = item.record
    actor = context.people.actor
    if actor is None or is_author(actor, prediction.author, context.checked):
        return
    logins = context.checked.authors.get(prediction.author)
    listed = ", ".join(logins.github) if logins and logins.github else "none"
    yield at(
        item,
        "author",
        f"`{prediction.author}` is not `{actor}`, who opened the pull request",
        f"register your own predictions; {prediction.author}'s GitHub logins in authors.yaml: {listed}",
    )


def after_resolution(item: Loaded, context: Context) -> Iterable[Problem]:
    """Rule: a new forecast is not on a question that is already resolved.

    Opened before the resolution and merged after it, a forecast is dated before the
    outcome yet written or kept open with it known; the check the default branch runs
    after each merge, on the merge day, refuses it there.
    """
    prediction: Prediction = item.record
    resolution = context.checked.resolution(prediction.question_id)
    if resolution is None:
        return
    field = "question" if prediction.question else "id"
    yield at(
        item,
        field,
        f"`{prediction.question_id}` is already resolved ({resolution.resolved_at.date()}): a forecast merged"
        " after the resolution is not judged by the day it was written",
        "forecast an open question; remove this file",
    )


# --- reveals and withdrawals ---------------------------------------------------------------


def own_commitment(item: Loaded, context: Context) -> Iterable[Problem]:
    """Rule: a prediction is revealed or withdrawn by its own author alone."""
    actor = context.people.actor
    if not actor:
        return
    record: Reveal | Withdrawal = item.record
    owner = context.checked.predictions.get(record.prediction)
    if owner is not None and not is_author(actor, owner.author, context.checked):
        hint = f"only {owner.author} may {'reveal' if item.kind == 'reveal' else 'withdraw'} their prediction"
        yield at(item, "prediction", f"is {owner.author}'s, not `{actor}`'s", hint)


DATED = {"reveal": "revealed", "withdrawal": "withdrawn", "resolution": "resolved_at"}
"""The date each kind of new record carries, which scoring reads, and so the check holds to its day."""


def dated_today(item: Loaded, context: Context) -> Iterable[Problem]:
    """Rule: a new reveal, withdrawal or resolution is dated the day the pull request is checked (± ``tolerance``).

    As with ``registered``, a date that could be anything would let a record claim the
    day that scores best: a reveal before the resolution it followed, a resolution the
    day before others forecast. A correction may instead keep the date of the record it
    corrects: dated today, it would stretch every forecast's scored span to today. The
    resolve job's own records are dated by their evidence.
    """
    record: Reveal | Withdrawal | Resolution = item.record
    corrected = None
    if isinstance(record, Resolution):
        if is_job_record(record, context.people):
            return
        corrected = context.corrected(record)
    field = DATED[item.kind]
    value = getattr(record, field)
    day = value.date() if isinstance(value, dt.datetime) else value
    if abs((day - context.today).days) <= context.tolerance:
        return
    if corrected is not None and corrected.resolved_at.date() == day:
        return
    yield at(
        item,
        field,
        f"is {day}, but the pull request is checked on {context.today} (UTC)",
        f"date a new {item.kind} the day it is made, `{field}: {context.today}` (within {context.tolerance} day(s));"
        " the check judges a date on the day it runs, and runs again when the pull request merges",
    )


# --- resolutions ---------------------------------------------------------------------------


def automatic_record(item: Loaded, context: Context) -> Iterable[Problem]:
    """Rule: `resolved_by: predreg-resolve` comes only from the resolve job, whose pull requests hold nothing else.

    The offline audit re-resolves the job's records from their evidence, so a person's
    record signed as the job's would pass for audited; and a person's record in the
    job's pull request would be judged as the job's, approved by no one.
    """
    people = context.people
    if people.actor is None:
        return
    resolution: Resolution = item.record
    if resolution.resolved_by == JOB and not people.is_resolve_job:
        yield at(
            item,
            "resolved_by",
            f"`{JOB}` is the resolve job's name, and `{people.actor}` opened this pull request",
            f"write your own handle and `resolver: manual`; only the resolve job ({RESOLVE_JOB_LOGIN}) signs `{JOB}`",
        )
    elif resolution.resolved_by != JOB and people.is_resolve_job:
        yield at(
            item,
            "resolved_by",
            f"is `{resolution.resolved_by}`, but the resolve job's pull requests hold only its own records",
            "add a person's resolution in a pull request of its own",
        )


def approvals(item: Loaded, context: Context) -> Iterable[Problem]:
    """Rule: each handle in ``approved_by`` is a listed author who approved the pull request and has no stake in it."""
    resolution: Resolution = item.record
    people, stake = context.people, context.stake(item)
    actors = people.actors_handles()
    for handle in resolution.approved_by:
        why = _no_approver(handle, people, actors, stake)
        if why is not None:
            yield at(item, "approved_by", f"`{handle}` {why[0]}", why[1])


def _no_approver(handle: str, people: People, actors: set[str], stake: Stake) -> tuple[str, str] | None:
    """Why ``handle`` does not approve this pull request (message, hint), or None if it does."""
    another = "ask an author who forecasts neither the question nor anything given it to approve the pull request"
    if handle not in people.authors:
        return "is no author in authors.yaml", "name an author listed in authors.yaml who approved the pull request"
    if people.actor is None:
        return None  # who approved is known only to the pull request's check
    if people.before is not None and handle not in people.before:
        return (
            "joins authors.yaml in this pull request, so cannot approve it",
            "an approver is an author listed before it",
        )
    if handle in actors:
        return f"is `{people.actor}`, who opened the pull request: nobody approves their own change", another
    if stake.of(handle):
        return f"{_stake_words(stake, stake.of(handle))}, so cannot approve its resolution", another
    logins = people.logins(handle)
    if not logins & people.approvals:
        listed = ", ".join(sorted(logins))
        hint = (
            f"ask {handle} to approve the pull request on GitHub; only approving reviews count"
            " (the check reads them as `--approved-by LOGIN`)"
        )
        return f"has no approving review of this pull request (GitHub: {listed})", hint
    return None


def self_resolution(item: Loaded, context: Context) -> Iterable[Problem]:
    """Rule: a resolution by someone with a stake in it (a forecast of the question, or given it) needs an approver."""
    people, stake = context.people, context.stake(item)
    if people.actor is None or people.is_resolve_job:
        return
    actors = people.actors_handles()
    mine = [forecast for handle in sorted(actors) for forecast in stake.of(handle)]
    resolution: Resolution = item.record
    if mine and not any(_no_approver(handle, people, actors, stake) is None for handle in resolution.approved_by):
        yield at(
            item,
            "approved_by",
            _resolving_alone(people.actor, mine, stake),
            "ask an author with no forecast on it, nor given it, to approve the pull request on GitHub, and write"
            " `approved_by: [their-handle]`",
        )


def _resolving_alone(actor: str, mine: list[Prediction], stake: Stake) -> str:
    """`actor (their handles) forecast this question and resolves it without a second approver`."""
    handles = ", ".join(sorted({forecast.author for forecast in mine}))
    verb = "forecast this question" if any(stake.is_on(f) for f in mine) else "forecast given this question"
    return f"`{actor}` ({handles}) {verb} and resolves it without a second approver"


def backdated(item: Loaded, context: Context) -> Iterable[Problem]:
    """Rule: a resolution is not dated before a forecast of its question was registered, nor before a reveal.

    Scoring leaves out a forecast registered after its question's resolution and counts
    a commitment as never revealed when its reveal came after it (leaderboard), so an
    earlier ``resolved_at`` would take other authors' forecasts out of the scores.
    Forecasts given the question are decided by its outcome, not its date. The resolve
    job's own records are dated by their evidence.
    """
    resolution: Resolution = item.record
    if is_job_record(resolution, context.people):
        return
    stake = context.stake(item)
    day = resolution.resolved_at.date()
    hint = "date the resolution the day it is made; a forecast already registered stays in the scores"
    for forecast in sorted(stake.forecasts, key=lambda f: (f.registered, f.id)):
        if not stake.is_on(forecast):
            continue
        if forecast.registered > day:
            message = (
                f"{day} is before {forecast.author}'s forecast {forecast.id} was registered ({forecast.registered}),"
                " which would then go unscored"
            )
            yield at(item, "resolved_at", message, hint)
        reveal = stake.reveals.get(forecast.id)
        if reveal is not None and reveal.revealed > day:
            message = (
                f"{day} is before {forecast.id} was revealed ({reveal.revealed}), which would then count as never"
                " revealed"
            )
            yield at(item, "resolved_at", message, hint)


ADDED_RULES: Mapping[str, tuple[Rule, ...]] = {
    "prediction": (unique_id, registered_today, own_prediction, after_resolution),
    "reveal": (dated_today, own_commitment),
    "withdrawal": (dated_today, own_commitment),
    "resolution": (automatic_record, approvals, self_resolution, dated_today, backdated),
}
"""Stage 3: the rules on each valid record a pull request adds, by its kind (questions and authors have none here)."""


def judge(added: Sequence[Loaded], context: Context) -> list[Problem]:
    """Stage 3: the rules of :data:`ADDED_RULES` for its kind on each valid record added."""
    return [problem for item in added for rule in ADDED_RULES.get(item.kind, ()) for problem in rule(item, context)]
