"""A new record's fields, from its flags and then, on a terminal, from prompts for what is missing.

Every value, flag or answer, is read by the model's own field type (``predreg.answers``),
so what is accepted here is what ``predreg check`` accepts. Flags are all read before
anything is asked, so a mistyped flag is reported before anyone types an answer; a
prompt asks again until its answer reads. ``predreg.scaffold`` then writes the record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from . import plugins
from .answers import Answers, BadAnswer, Given, Parse, Parsed, describe, field_reader, read, scalar, setting_node
from .checks import closes_too_soon, unknown_author
from .fields import INVALID, Config, specs, value_of
from .load import load_file
from .model import Prediction, Question, Resolver, Withdrawal
from .problems import Problem, Problems
from .registry import AUTHORS_FILE
from .safeyaml import Mapping as MappingNode
from .safeyaml import Node
from .scaffold import ScaffoldError, find_question, latest_forecast
from .settings import resolver_settings

Flags = Mapping[str, Any]
"""Flag values by field name (``resolve_by``, not ``--resolve-by``); None or [] when not given."""

FORECAST_FIELD = {
    "binary": "probability",
    "categorical": "probabilities",
    "ordering": "probabilities",
    "numeric": "quantiles",
}
STATING = ("claim", "criteria", "resolve_by", "kind", "unit", "events", "resolver", "set")
"""The flags that state a question, which a forecast on --question takes from that question instead."""


@attrs.frozen
class Ask:
    """One field: its prompt, how its value is read, and whether it must be there."""

    field: str
    label: str
    parse: Parse
    required: bool = True
    rule: Callable[[Any], str | None] | None = None
    """A rule across records, applied to answers so they are asked again; flags meet it in the check."""


@attrs.define
class Draft:
    """A record's fields as read so far, its notes, and the prompts that can supply a field again."""

    values: dict[str, Any]
    notes: list[str]
    asks: dict[str, Ask]

    def mend(self, problems: list[Problem], answers: Answers) -> bool:
        """On a terminal, ask again for each field the check refused, after its words; False if that cannot help.

        So an answer that reads but breaks a rule across records (probabilities that do not
        sum to 1, a condition that is not binary) costs that answer, not all the others.
        """
        named = [problem.field.split(".")[0].split("[")[0] for problem in problems]
        if not answers.interactive or not named or any(field not in self.asks for field in named):
            return False
        answers.say(describe(problems))
        for field in dict.fromkeys(named):
            ask = self.asks[field]
            self.values[field] = answers.ask(ask.label, field, _with_rule(ask))
        return True


def _with_rule(ask: Ask) -> Parse:
    return ask.parse if ask.rule is None else _then(ask.parse, ask.rule)


def _draft(values: dict[str, Any], notes: list[str], asks: list[Ask]) -> Draft:
    return Draft(values, notes, {ask.field: ask for ask in asks if ask.label})


FLAGS = {"events": "--event", "resolved_by": "--by"}
"""The fields whose flag is not the field's own name."""


def flag_name(field: str) -> str:
    return FLAGS.get(field, "--" + field.replace("_", "-"))


def _reader(cls: type, field: str) -> Parse:
    return field_reader(specs(cls)[field][1].type, field)


def _then(parse: Parse, check: Callable[[Any], str | None]) -> Parse:
    """``parse``, then a rule the loader applies across fields (``check`` gives its message, or None)."""

    def checked(given: Given) -> Parsed:
        value, notes = parse(given)
        wrong = check(value)
        if wrong is not None:
            raise BadAnswer(wrong)
        return value, notes

    return checked


def known_authors(root: str) -> list[str] | None:
    """The handles in authors.yaml, or None if it cannot be read (the checker then reports it)."""
    loaded = load_file(str(Path(root) / AUTHORS_FILE), "authors")
    return None if loaded.record is None else sorted(loaded.record.authors)


def author_ask(root: str, only: str | None = None) -> Ask:
    """The author's handle, listed in authors.yaml (and ``only`` that one, if given)."""
    known = known_authors(root)

    def listed(author: str) -> str | None:
        if only is not None and author != only:
            return f"author: `{author}` is not {only}, whose prediction this is; only its author withdraws it"
        if known is None or author in known:
            return None
        message, hint = unknown_author(author, known)
        return f"author: {message}; {hint}, or give a listed handle"

    return Ask("author", "Author (your handle): ", _reader(Prediction, "author"), rule=listed)


def resolve_by_ask(cls: type, today: dt.date) -> Ask:
    def after_today(day: dt.date) -> str | None:
        if day > today:
            return None
        message, hint = closes_too_soon(day, today)
        return f"resolve_by: {message}; {hint}"

    return Ask("resolve_by", "Resolve by (YYYY-MM-DD): ", _reader(cls, "resolve_by"), rule=after_today)


def _split_events(given: Given) -> Parsed:
    # typed at a prompt: `a=...; b=...` (a description may hold commas); as flags, one --event each
    pairs = [part for part in given.split(";") if part.strip()] if isinstance(given, str) else given
    return read(specs(Question)["events"][1].type, "events", pairs)


def question_asks(cls: type, kind: str, today: dt.date) -> list[Ask]:
    """What states a question (in a question file, or inline in a prediction), for its kind."""
    asks = [
        Ask("claim", "Claim (one or two sentences): ", _reader(cls, "claim")),
        Ask("criteria", "Criteria (YES if ..., NO if ...): ", _reader(cls, "criteria")),
        resolve_by_ask(cls, today),
    ]
    if kind == "categorical" and cls is Question:  # a prediction names them in its probabilities
        asks.append(Ask("outcomes", "Outcomes (a, b, ...): ", _reader(cls, "outcomes")))
    if kind == "ordering":
        asks.append(Ask("events", "Events (first=description; second=description): ", _split_events))
    if kind == "numeric":
        asks.append(Ask("unit", "Unit (e.g. percent): ", _reader(cls, "unit")))
    return asks


def forecast_asks(kind: str | None, question: Question | None, *, hidden: bool = False) -> list[Ask]:
    """The forecast fields: the one the question's kind needs is required (if the kind is known).

    A hidden forecast (``predreg commit``) is a probability or probabilities: quantiles are refused at once.
    """
    if hidden and kind == "numeric":
        raise ScaffoldError("`predreg commit` hides a probability or probabilities, not quantiles: use `predreg new`")
    outcomes = question.allowed_outcomes() if question is not None else ()
    shown = ", ".join(f"{name}=..." for name in outcomes) or "outcome=probability, ..."
    labels = {
        "probability": "Probability of yes (0.001-0.999): ",
        "probabilities": f"Probabilities ({shown}; summing to 1): ",
        "quantiles": "Quantiles (level=value, e.g. 0.05=1.1,0.5=1.6,0.95=3): ",
    }
    wanted = FORECAST_FIELD.get(kind or "")
    return [Ask(name, label, _reader(Prediction, name), name == wanted) for name, label in labels.items()]


def optional_asks(cls: type, names: tuple[str, ...]) -> list[Ask]:
    return [Ask(name, "", _reader(cls, name), required=False) for name in names]


def read_flags(flags: Flags, asks: list[Ask]) -> tuple[dict[str, Any], list[str]]:
    """Each field given as a flag, read as the loader reads it; every bad flag reported at once."""
    values: dict[str, Any] = {}
    notes: list[str] = []
    bad: list[str] = []
    for ask in asks:
        given = flags.get(ask.field)
        if given is None or given == []:
            continue
        try:
            values[ask.field], read_notes = ask.parse(given)
        except BadAnswer as error:
            shown = given if isinstance(given, str) else " ".join(given)
            bad.append(f"{flag_name(ask.field)} {shown!r}: {error}")
            continue
        notes += [f"{flag_name(ask.field)}: {note}" for note in read_notes]
    if bad:
        raise ScaffoldError("\n".join(bad))
    return values, notes


def require(values: dict[str, Any], asks: list[Ask], answers: Answers) -> None:
    """Without a terminal, name every required flag that is missing."""
    missing = [flag_name(ask.field) for ask in asks if ask.required and ask.field not in values]
    if missing and not answers.interactive:
        raise ScaffoldError(f"missing {', '.join(missing)} (or run on a terminal to be asked)")


def ask_missing(values: dict[str, Any], asks: list[Ask], answers: Answers) -> None:
    for ask in asks:
        if ask.required and ask.field not in values:
            values[ask.field] = answers.ask(ask.label, ask.field, _with_rule(ask))


# --- resolvers ----------------------------------------------------------------------


def _settings_given(name: str, sets: list[str]) -> dict[str, Node]:
    given: dict[str, Node] = {}
    for pair in sets:
        key, equals, value = pair.partition("=")
        key = key.strip()
        if not equals or not key:
            raise ScaffoldError(f"--set {pair!r}: write key=value, e.g. --set url=https://example.org/page")
        if key in given:
            raise ScaffoldError(f"--set {key}=... is given twice; keep one")
        try:
            given[key] = setting_node(value.strip())
        except BadAnswer as error:
            raise ScaffoldError(f"--set {key}: {error}") from None
    return given


def _structure_resolver(name: str, given: dict[str, Node]) -> tuple[Resolver | None, Problems]:
    node = MappingNode(1, 1)
    node["name"] = scalar(name)
    node.update(given)
    node.key_at.update(dict.fromkeys(node, (1, 1)))
    problems = Problems("<resolver>")
    resolver = value_of(Config(Resolver), node, "resolver", problems)
    if resolver is not INVALID:
        problems.items.extend(resolver_settings(resolver, plugins.catalogue(), problems.path)[1])
    return (_as_typed(resolver) if not problems else None), problems


def _as_typed(resolver: Resolver) -> Resolver:
    """``resolver`` with each text setting written as the text it is: `contains=007` stays "007", not 7.

    Its plain config types `007`, `-0` and `1e400` as numbers, which would be written as
    `7`, `0` and `inf`: a page would then be searched for other words than were given.
    """
    settings = resolver_settings(resolver, plugins.catalogue())[0]
    typed = {key: _typed(value, getattr(settings, key, None)) for key, value in resolver.config.items()}
    return attrs.evolve(resolver, config=typed)


def _typed(plain: Any, setting: Any) -> Any:
    """A setting's plain value, or its text if the settings class reads it as text (into sub-resolvers too)."""
    if isinstance(setting, str):
        return setting
    if isinstance(setting, Resolver):
        return {"name": setting.name, **_as_typed(setting).config}
    if isinstance(setting, tuple) and isinstance(plain, list) and len(plain) == len(setting):
        return [_typed(item, sub) for item, sub in zip(plain, setting, strict=True)]
    if isinstance(setting, dict) and isinstance(plain, dict) and plain.keys() == setting.keys():
        return {key: _typed(plain[key], sub) for key, sub in setting.items()}
    return plain


def _flag_hints(text: str) -> str:
    """The loader's hints as flags: ``add `url:``` becomes ``add --set url=...``."""
    for line in text.splitlines():
        if "; add `" in line and line.endswith(":`"):
            key = line.rsplit("`", 2)[-2].rstrip(":")
            text = text.replace(line, line.replace(f"add `{key}:`", f"add --set {key}=..."))
    return text


def _askable(name: str, problems: Problems, given: dict[str, Node]) -> list[str] | None:
    """The settings a prompt could supply to mend ``problems``; None if some problem is beyond that."""
    info = plugins.catalogue().get(name)
    declared = specs(info.settings) if info is not None else {}
    keys = [p.field.removeprefix("resolver.") for p in problems.items]
    askable = [key for key in dict.fromkeys(keys) if key in declared and key not in given]
    return askable if len(askable) == len(set(keys)) else None


def _refused(name: str, problems: Problems) -> ScaffoldError:
    return ScaffoldError(_flag_hints(f"--resolver {name}: " + describe(problems.items).replace("\n", "\n  ")))


def resolver_of(name: str, sets: list[str], answers: Answers) -> Resolver:
    """The resolver ``name`` with its ``--set key=value`` settings, checked against its settings class.

    On a terminal, a setting that is missing (or that the settings' own check names and
    that was not given) is asked for; anything else wrong is an error naming the setting.
    """
    given = _settings_given(name, sets)
    while True:
        resolver, problems = _structure_resolver(name, given)
        if resolver is not None:
            return resolver
        askable = _askable(name, problems, given)
        if not answers.interactive or askable is None:
            raise _refused(name, problems)
        answers.say(describe(problems.items))
        declared = specs(plugins.catalogue()[name].settings)
        for key in askable:
            given[key] = answers.ask(
                f"Resolver {name}, setting {key}: ", f"resolver.{key}", _setting_reader(declared[key][1].type, key)
            )


def _setting_reader(field_type: Any, key: str) -> Parse:
    def parse(given: Given) -> Parsed:
        text = given if isinstance(given, str) else ",".join(given)
        node = setting_node(text)
        problems = Problems("<setting>")
        value_of(field_type, node, f"resolver.{key}", problems)
        if problems:
            raise BadAnswer(describe(problems.items))
        return node, []

    return parse


# --- records ------------------------------------------------------------------------


PREDICTION_EXTRAS = ("id", "question", "given", "supersedes", "rationale", "tags", "evidence", "source")


def prediction_fields(root: str, flags: Flags, answers: Answers, *, today: dt.date) -> Draft:
    """A new prediction's fields (``id`` only if given), with notes on how they were read."""
    qid = flags.get("question")
    if qid:
        return _forecast_on(root, qid, flags, answers)
    kind = flags.get("kind") or "binary"
    stated = question_asks(Prediction, kind, today)
    # read even where the kind does not use them, so that the check can say so
    stated += [ask for ask in optional_asks(Prediction, ("unit", "events")) if ask.field not in _fields(stated)]
    first = [author_ask(root), *stated]
    forecast = forecast_asks(kind, None, hidden=bool(flags.get("hidden")))
    values, notes = read_flags(flags, [*first, *forecast, *optional_asks(Prediction, PREDICTION_EXTRAS)])
    resolver = _check_resolver_flags(flags, answers)
    require(values, [*first, *forecast], answers)
    ask_missing(values, first, answers)  # the author first: the rest may depend on who forecasts
    values["kind"] = kind
    values["resolver"] = resolver or resolver_of(flags.get("resolver") or "manual", flags.get("set") or [], answers)
    ask_missing(values, forecast, answers)
    return _draft(values, notes, [*first, *forecast])


def _forecast_on(root: str, qid: str, flags: Flags, answers: Answers) -> Draft:
    """A forecast on the question ``qid`` (shared, or stated by another prediction), revising the author's latest."""
    if stating := [flag_name(name) for name in STATING if flags.get(name)]:
        raise ScaffoldError(f"{', '.join(stating)} state a question: a forecast on --question {qid} takes that one's")
    question = find_question(root, qid)
    first = [author_ask(root)]
    forecast = forecast_asks(question.kind if question else None, question, hidden=bool(flags.get("hidden")))
    values, notes = read_flags(flags, [*first, *forecast, *optional_asks(Prediction, PREDICTION_EXTRAS)])
    require(values, [*first, *forecast], answers)
    ask_missing(values, [*first, *forecast], answers)
    if question is not None:  # as the question spells its id (ids match ignoring case and Unicode form)
        values["question"] = qid = question.id
    if (Path(root) / "resolutions" / f"{qid}.yaml").exists():  # the leaderboard leaves such a forecast out
        notes.append(f"`{qid}` is resolved already: a forecast registered after its resolution is not scored")
    if "supersedes" not in values:
        earlier = latest_forecast(root, values["author"], qid)
        if earlier is not None:
            values["supersedes"] = earlier
            notes.append(f"supersedes {earlier}, your latest forecast on {qid} (give --supersedes to choose another)")
    return _draft(values, notes, [*first, *forecast])


def _fields(asks: list[Ask]) -> set[str]:
    return {ask.field for ask in asks}


def _check_resolver_flags(flags: Flags, answers: Answers) -> Resolver | None:
    """The resolver from its flags if complete; an error now, before any prompt, if a prompt cannot mend them."""
    name = flags.get("resolver") or "manual"
    if flags.get("set") and not flags.get("resolver"):
        raise ScaffoldError("--set goes with --resolver NAME: the settings are that resolver's")
    given = _settings_given(name, flags.get("set") or [])
    resolver, problems = _structure_resolver(name, given)
    if resolver is None and (not answers.interactive or _askable(name, problems, given) is None):
        raise _refused(name, problems)
    return resolver


QUESTION_EXTRAS = ("id", "tags", "evidence", "source")


def question_fields(root: str, flags: Flags, answers: Answers, *, today: dt.date) -> Draft:
    """A new shared question's fields (``id`` only if given), with notes on how they were read."""
    kind = flags.get("kind") or "binary"
    stated = question_asks(Question, kind, today)
    values, notes = read_flags(flags, [*stated, *optional_asks(Question, QUESTION_EXTRAS)])
    resolver = _check_resolver_flags(flags, answers)
    require(values, stated, answers)
    ask_missing(values, stated, answers)
    values["kind"] = kind
    values["resolver"] = resolver or resolver_of(flags.get("resolver") or "manual", flags.get("set") or [], answers)
    return _draft(values, notes, stated)


def withdrawal_fields(root: str, flags: Flags, answers: Answers, *, author: str) -> dict[str, Any]:
    """Who withdraws (asked first; only ``author`` may) and why."""
    asks = [
        author_ask(root, only=author),
        Ask("reason", "Reason (for readers of the record): ", _reader(Withdrawal, "reason")),
    ]
    values, _ = read_flags(flags, asks)
    require(values, asks, answers)
    ask_missing(values, asks, answers)
    return values
