"""Rules over a whole registry, and the checked registry that reports and scores use.

``check_registry`` loads every file, applies the rules that span files (ids unique,
authors known, references resolvable, dates in order, outcomes that fit the
question), and returns a ``Registry`` holding the valid records and every problem.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import unicodedata
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from collections.abc import Mapping as MappingType
from typing import Any

import attrs

from . import commitment
from .load import RESOLVER_KINDS, Layout, Loaded, discover, load_files, name_text
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
from .plugins import catalogue
from .problems import Problem
from .settings import resolver_settings, written_form

SUM_TOLERANCE = 1e-9
FUTURE_TOLERANCE = dt.timedelta(days=1)
"""Registration may be dated one day ahead of UTC: it is already tomorrow somewhere."""
_INLINE_FIELDS = ("claim", "criteria", "resolve_by", "resolver", "outcomes", "events", "unit")


@attrs.frozen
class Registry:
    """A checked registry: its valid records, and every problem found."""

    root: str
    authors: dict[str, Author]
    questions: dict[str, Question]
    predictions: dict[str, Prediction]
    resolutions: dict[str, list[Resolution]]
    """Per question id, the original resolution then its corrections, in order."""
    files: dict[str, str]
    """Record id -> path of the file that holds it (predictions and questions)."""
    problems: list[Problem]
    paths: tuple[str, ...] = ()
    """Every registry file read, sorted: the pytest plugin's items."""
    reveals: dict[str, Reveal] = attrs.field(factory=dict)
    """Prediction id -> the reveal of its commitment (valid ones)."""
    withdrawals: dict[str, Withdrawal] = attrs.field(factory=dict)
    """Prediction id -> its withdrawal. Withdrawn forecasts are still scored."""
    resolution_files: dict[str, tuple[str, ...]] = attrs.field(factory=dict)
    """Per question id, the files of its resolution chain, in the order of ``resolutions``."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def resolution(self, question_id: str) -> Resolution | None:
        """The standing resolution of a question: the last correction, if any."""
        chain = self.resolutions.get(question_id)
        return chain[-1] if chain else None

    def resolution_file(self, question_id: str) -> str | None:
        """The file of the standing resolution of a question (None if unknown)."""
        files = self.resolution_files.get(question_id)
        return files[-1] if files else None


def normalised(identifier: str) -> str:
    """The form two ids must not share: NFKC, case-folded (``Foo`` = ``foo`` = ``ｆｏｏ``)."""
    if identifier.isascii():  # NFKC leaves ASCII as it is, and casefold is lower there
        return identifier.lower()
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", identifier).casefold())


@collector_paused()
def check_registry(
    root: str,
    today: dt.date | None = None,
    files: Sequence[Loaded] | None = None,
    layout: Layout | None = None,
    index: bool = False,
    *,
    resolvers: MappingType[str, Any] | None = None,
) -> Registry:
    """Load and check every file of the registry at ``root`` (or only ``files``, listed in ``layout``).

    ``index`` reuses what ``.predreg/index.sqlite`` holds for unchanged files (see ``predreg.index``).
    ``resolvers`` is the catalogue each resolver block is checked against (name -> entry with
    ``.settings``); None means the installed plugins' catalogue.
    """
    layout = layout if layout is not None else discover(root)
    if files is not None:
        loaded = list(files)
    elif index:
        from .index import load_registry_files

        loaded = load_registry_files(root, layout.files)
    else:
        loaded = load_files(layout.files)
    checker = _Checker(root, today or dt.datetime.now(dt.UTC).date(), loaded)
    checker.problems.extend(layout.problems)
    checker.problems.extend(resolver_problems(loaded, catalogue() if resolvers is None else resolvers))
    return attrs.evolve(checker.run(), paths=tuple(path for path, _ in layout.files))


def resolver_problems(loaded: Iterable[Loaded], resolvers: MappingType[str, Any]) -> list[Problem]:
    """The problems of each record's resolver block, checked against the catalogue ``resolvers``."""
    problems: list[Problem] = []
    checked: dict[Hashable, list[Problem]] = {}  # by written form: a block copied from a template is checked once
    for item in loaded:  # a file whose record could not be built keeps its block for this check
        resolver = item.resolver if item.record is None else getattr(item.record, "resolver", None)
        if item.kind in RESOLVER_KINDS and resolver is not None:
            form = written_form(resolver)
            if form not in checked:
                checked[form] = resolver_settings(resolver, resolvers)[1]
            problems += [attrs.evolve(problem, path=item.path) for problem in checked[form]]
    return problems


class _Checker:
    def __init__(self, root: str, today: dt.date, loaded: list[Loaded]) -> None:
        self.root = root
        self.today = today
        self.loaded = loaded
        self.problems: list[Problem] = [p for item in loaded for p in item.problems]
        self.by_kind: dict[str, list[Loaded]] = defaultdict(list)
        for item in loaded:
            if item.record is not None:
                self.by_kind[item.kind].append(item)

    def problem(self, item: Loaded, field: str, message: str, hint: str = "") -> None:
        line, col = item.at(field.split(".")[0])
        self.problems.append(Problem(item.path, line, col, field, message, hint))

    def run(self) -> Registry:
        authors: dict[str, Author] = {}
        for item in self.by_kind["authors"]:
            authors.update(item.record.authors)
        self.check_ids()
        questions, question_files = self.questions()
        predictions = self.predictions(authors, questions)
        chains = self.resolutions(questions)
        resolutions = {qid: [resolution for _, resolution in chain] for qid, chain in chains.items()}
        reveals = self.reveals(predictions, questions)
        withdrawals = self.withdrawals(predictions)
        files = {**question_files, **{p.id: path for p, path in predictions.values()}}
        return Registry(
            root=self.root,
            authors=authors,
            questions=questions,
            predictions={key: prediction for key, (prediction, _) in predictions.items()},
            resolutions=resolutions,
            files=files,
            problems=sorted(set(self.problems)),
            reveals=reveals,
            withdrawals=withdrawals,
            resolution_files={qid: tuple(item.path for item, _ in chain) for qid, chain in chains.items()},
        )

    def check_ids(self) -> None:
        seen: dict[str, Loaded] = {}
        for item in self.by_kind["question"] + self.by_kind["prediction"]:
            record = item.record
            if item.stem != unicodedata.normalize("NFC", record.id):
                self.problem(
                    item,
                    "id",
                    f"`{record.id}` differs from the file name `{item.stem}.yaml`",
                    f"name the file `{record.id}.yaml`",
                )
            key = normalised(record.id)
            first = seen.setdefault(key, item)
            if first is not item:
                hint = "choose another id: ids are compared ignoring case and Unicode form"
                self.problem(item, "id", f"`{record.id}` is also the id of {first.path}", hint)
                self.problem(first, "id", f"`{first.record.id}` is also the id of {item.path}", hint)

    def questions(self) -> tuple[dict[str, Question], dict[str, str]]:
        questions: dict[str, Question] = {}
        files: dict[str, str] = {}
        for item in self.by_kind["question"]:
            self.check_question(item, item.record)
            questions.setdefault(item.record.id, item.record)
            files.setdefault(item.record.id, item.path)
        for item in self.by_kind["prediction"]:
            prediction: Prediction = item.record
            if prediction.question is not None:
                for field in _INLINE_FIELDS:
                    if getattr(prediction, field) not in (None, (), {}):
                        self.problem(
                            item,
                            field,
                            f"belongs to a question, but this file forecasts shared question `{prediction.question}`",
                            f"remove `{field}:` or the `question:` line",
                        )
                continue
            missing = [
                f for f in ("claim", "criteria", "resolve_by", "resolver", "kind") if getattr(prediction, f) is None
            ]
            for field in missing:
                hint = attrs.fields_dict(Prediction)[field].metadata["spec"].missing
                self.problem(
                    item, field, "is missing" if field != "claim" else "is missing: no question is stated", hint
                )
            question = prediction.inline_question()
            if question is not None and self.check_question(item, question):
                questions.setdefault(question.id, question)
        return questions, files

    def check_question(self, item: Loaded, question: Question) -> bool:
        before = len(self.problems)
        if question.kind == "categorical":
            if len(question.outcomes) < 2:
                self.problem(
                    item, "outcomes", "a categorical question needs at least two outcomes", "write `outcomes: [a, b]`"
                )
            self.check_names(item, "outcomes", question.outcomes, (ANNULLED, AMBIGUOUS))
            if len(set(question.outcomes)) != len(question.outcomes):
                self.problem(item, "outcomes", "lists an outcome twice", "list each outcome once")
        elif question.events or question.kind == "ordering":
            if question.kind != "ordering":
                self.problem(
                    item,
                    "events",
                    f"only ordering questions have events, and this one is {question.kind}",
                    "remove `events:`",
                )
            elif len(question.events) != 2:
                self.problem(
                    item,
                    "events",
                    f"an ordering question compares two events, not {len(question.events)}",
                    "write `events: {a: ..., b: ...}`",
                )
            self.check_names(item, "events", question.events, (NEITHER, ANNULLED, AMBIGUOUS))
        if question.kind == "numeric" and not question.unit:
            self.problem(
                item,
                "unit",
                "is missing: a number without a unit cannot be checked",
                "add e.g. `unit: x` or `unit: percent`",
            )
        if question.outcomes and question.kind != "categorical":
            self.problem(
                item,
                "outcomes",
                f"only categorical questions list outcomes, and this one is {question.kind}",
                "remove `outcomes:`",
            )
        return len(self.problems) == before

    def check_names(self, item: Loaded, field: str, names: Iterable[str], reserved: tuple[str, ...]) -> None:
        for name in names:
            if name in reserved:
                self.problem(item, field, f"`{name}` is a reserved outcome", "choose another name")

    def predictions(
        self, authors: dict[str, Author], questions: dict[str, Question]
    ) -> dict[str, tuple[Prediction, str]]:
        valid: dict[str, tuple[Prediction, str]] = {}
        items = {item.record.id: item for item in self.by_kind["prediction"]}
        known_authors = sorted(authors)
        for item in self.by_kind["prediction"]:
            prediction: Prediction = item.record
            before = len(self.problems)
            folder = name_text(item.path.replace("\\", "/").rsplit("/", 2)[-2])
            if prediction.author != folder:
                self.problem(
                    item,
                    "author",
                    f"`{prediction.author}` does not match the folder `predictions/{folder}/`",
                    f"move the file to predictions/{prediction.author}/ or write `author: {folder}`",
                )
            if prediction.author not in authors and self.by_kind["authors"]:
                self.problem(item, "author", *unknown_author(prediction.author, known_authors))
            if prediction.registered > self.today + FUTURE_TOLERANCE:
                self.problem(
                    item,
                    "registered",
                    f"{prediction.registered} is in the future",
                    f"write today's date, {self.today}: a prediction is dated when it is registered",
                )
            question = questions.get(prediction.question_id)
            if prediction.question is not None and question is None:
                self.problem(
                    item,
                    "question",
                    f"no question `{prediction.question}` exists",
                    f"add questions/{prediction.question}.yaml or fix the id",
                )
            if question is not None:
                self.check_forecast(item, prediction, question)
                if question.resolve_by <= prediction.registered:
                    field = "question" if prediction.question else "resolve_by"
                    self.problem(item, field, *closes_too_soon(question.resolve_by, prediction.registered))
            self.check_links(item, prediction, questions, items)
            if len(self.problems) == before and question is not None:
                valid[prediction.id] = (prediction, item.path)
        return valid

    def check_forecast(self, item: Loaded, prediction: Prediction, question: Question) -> None:
        kind = question.kind
        if prediction.kind is not None and prediction.kind != kind:
            self.problem(
                item,
                "kind",
                f"is {prediction.kind}, but question `{question.id}` is {kind}",
                f"write `kind: {kind}` or remove it",
            )
            return
        wanted = {
            "binary": "probability",
            "categorical": "probabilities",
            "ordering": "probabilities",
            "numeric": "quantiles",
        }[kind]
        if prediction.commitment is not None:
            self.check_commitment(item, prediction, kind, wanted)
            return
        for field in ("probability", "probabilities", "quantiles"):
            if field != wanted and getattr(prediction, field) is not None:
                self.problem(item, field, f"does not apply to a {kind} question", f"write the forecast as `{wanted}:`")
        value = getattr(prediction, wanted)
        if value is None:
            self.problem(item, wanted, f"is missing: a {kind} forecast needs it", _forecast_example(question))
            return
        if kind in ("categorical", "ordering"):
            outcomes = set(question.allowed_outcomes())
            if set(value) != outcomes:
                missing = sorted(outcomes - set(value))
                extra = sorted(set(value) - outcomes)
                parts = ([f"lacks {', '.join(missing)}"] if missing else []) + (
                    [f"has unknown {', '.join(extra)}"] if extra else []
                )
                self.problem(
                    item,
                    wanted,
                    f"{' and '.join(parts)}",
                    f"give a probability to each of {', '.join(sorted(outcomes))}",
                )
            total = math.fsum(value.values())
            if abs(total - 1) > SUM_TOLERANCE:
                self.problem(
                    item, wanted, f"sum to {total:.12g}, not 1", "adjust them so that they add up to exactly 1"
                )
        elif kind == "numeric":
            levels = sorted(value)
            values = [value[level] for level in levels]
            if any(b < a for a, b in itertools.pairwise(values)):
                self.problem(
                    item,
                    "quantiles",
                    "decrease as the level rises",
                    "a higher quantile level must have a value at least as large",
                )

    def check_commitment(self, item: Loaded, prediction: Prediction, kind: str, wanted: str) -> None:
        if kind == "numeric":
            self.problem(
                item,
                "commitment",
                "hides a numeric forecast, which has no worst case to score if never revealed",
                "register numeric forecasts openly, with `quantiles:`",
            )
        for field in ("probability", "probabilities", "quantiles"):
            if getattr(prediction, field) is not None:
                self.problem(
                    item,
                    field,
                    "is written beside a commitment, so the forecast is not hidden",
                    f"remove `{field}:`; it goes in the reveal, `reveals/{prediction.id}.yaml`",
                )

    def reveals(
        self, predictions: dict[str, tuple[Prediction, str]], questions: dict[str, Question]
    ) -> dict[str, Reveal]:
        """Reveals of committed predictions: each must hash to its commitment, with a salt of 128 bits or more."""
        valid: dict[str, Reveal] = {}
        for item in self.by_kind["reveal"]:
            reveal: Reveal = item.record
            before = len(self.problems)
            if item.stem != reveal.prediction:
                self.problem(
                    item,
                    "prediction",
                    f"`{reveal.prediction}` differs from the file name",
                    f"name the file `{reveal.prediction}.yaml`",
                )
            found = predictions.get(reveal.prediction)
            if found is None or found[0].commitment is None:
                what = "no valid prediction" if found is None else "a prediction without a commitment"
                self.problem(
                    item, "prediction", f"`{reveal.prediction}` is {what}", "reveal a prediction that has `commitment:`"
                )
                continue
            prediction = found[0]
            if reveal.prediction in valid:
                self.problem(item, "prediction", "is revealed twice", "keep the first reveal")
                continue
            bits = commitment.salt_bits(reveal.salt)
            if bits < commitment.SALT_BITS:
                self.problem(
                    item,
                    "salt",
                    f"has {bits} bits; a commitment's salt needs at least {commitment.SALT_BITS}",
                    "without a long salt anyone could find the forecast by trying each probability;"
                    " use `predreg commit`, which makes 256-bit salts",
                )
            if reveal.revealed > self.today + FUTURE_TOLERANCE:
                self.problem(
                    item, "revealed", f"{reveal.revealed} is in the future", f"write today's date, {self.today}"
                )
            forecast = commitment.forecast_of(reveal)
            self.check_forecast(
                item, attrs.evolve(prediction, commitment=None, **forecast), questions[prediction.question_id]
            )
            if commitment.commitment(prediction.id, prediction.author, forecast, reveal.salt) != prediction.commitment:
                self.problem(
                    item,
                    "salt",
                    f"with this forecast does not hash to the commitment of {reveal.prediction}",
                    "reveal exactly the forecast and salt that `predreg commit` kept",
                )
            if len(self.problems) == before:
                valid[reveal.prediction] = reveal
        return valid

    def withdrawals(self, predictions: dict[str, tuple[Prediction, str]]) -> dict[str, Withdrawal]:
        valid: dict[str, Withdrawal] = {}
        for item in self.by_kind["withdrawal"]:
            withdrawal: Withdrawal = item.record
            if item.stem != withdrawal.prediction:
                hint = f"name the file `{withdrawal.prediction}.yaml`"
                self.problem(item, "prediction", f"`{withdrawal.prediction}` differs from the file name", hint)
            found = predictions.get(withdrawal.prediction)
            if found is None:
                hint = "give the id of a registered prediction"
                self.problem(item, "prediction", f"`{withdrawal.prediction}` is no valid prediction", hint)
                continue
            if withdrawal.withdrawn < found[0].registered or withdrawal.withdrawn > self.today + FUTURE_TOLERANCE:
                hint = f"write the day it is withdrawn, e.g. today, {self.today}"
                self.problem(item, "withdrawn", f"{withdrawal.withdrawn} is before registration or in the future", hint)
                continue
            valid.setdefault(withdrawal.prediction, withdrawal)
        return valid

    def check_links(
        self, item: Loaded, prediction: Prediction, questions: dict[str, Question], items: dict[str, Loaded]
    ) -> None:
        if prediction.given is not None:
            condition = questions.get(prediction.given)
            if condition is None:
                self.problem(
                    item,
                    "given",
                    f"no question `{prediction.given}` exists",
                    "give the id of a shared question or of a prediction that states one",
                )
            elif condition.kind != "binary":
                self.problem(
                    item,
                    "given",
                    f"`{prediction.given}` is {condition.kind}; a condition must be a binary question",
                    "condition on a yes/no question",
                )
            elif prediction.given == prediction.question_id:
                self.problem(item, "given", "a forecast cannot be conditional on its own question", "remove `given:`")
        if prediction.supersedes is not None:
            earlier = items.get(prediction.supersedes)
            if earlier is None:
                self.problem(
                    item,
                    "supersedes",
                    f"no prediction `{prediction.supersedes}` exists",
                    "give the id of your earlier prediction",
                )
                return
            old: Prediction = earlier.record
            if old.author != prediction.author:
                self.problem(
                    item,
                    "supersedes",
                    f"`{old.id}` is by {old.author}; you can only revise your own predictions",
                    "register a new prediction instead",
                )
            if old.question_id != prediction.question_id:
                self.problem(
                    item,
                    "supersedes",
                    f"`{old.id}` forecasts question `{old.question_id}`, not `{prediction.question_id}`",
                    f"a revision forecasts the same question: write `question: {old.question_id}`, not a new claim",
                )
            if old.registered > prediction.registered:
                self.problem(
                    item,
                    "supersedes",
                    f"`{old.id}` was registered after this revision ({old.registered})",
                    "a revision comes after what it revises",
                )

    def resolutions(self, questions: dict[str, Question]) -> dict[str, list[tuple[Loaded, Resolution]]]:
        """Per question, its resolution chain with the file of each record."""
        by_question: dict[str, list[tuple[Loaded, Resolution]]] = defaultdict(list)
        for item in self.by_kind["resolution"]:
            resolution: Resolution = item.record
            question = questions.get(resolution.question)
            if question is None:
                self.problem(
                    item,
                    "question",
                    f"no question `{resolution.question}` exists",
                    "give the id of a question or of a prediction that states one",
                )
                continue
            stem, qid = item.stem, resolution.question
            if resolution.corrects is None and stem != qid:
                self.problem(
                    item,
                    "question",
                    f"the first resolution of `{qid}` must be the file resolutions/{qid}.yaml",
                    f"rename the file to {qid}.yaml",
                )
            if resolution.corrects is not None and not (stem.startswith(qid + ".") and stem[len(qid) + 1 :].isdigit()):
                self.problem(
                    item,
                    "corrects",
                    f"a correction of `{qid}` must be named resolutions/{qid}.<n>.yaml",
                    f"rename the file to {qid}.2.yaml (or the next free number)",
                )
            if resolution.resolved_at.date() > self.today + FUTURE_TOLERANCE:
                self.problem(
                    item,
                    "resolved_at",
                    f"{resolution.resolved_at.date()} is in the future",
                    f"write the date it was resolved, at latest {self.today}",
                )
            self.check_outcome(item, resolution, question)
            by_question[qid].append((item, resolution))
        return {qid: self.chain(qid, records) for qid, records in sorted(by_question.items())}

    def check_outcome(self, item: Loaded, resolution: Resolution, question: Question) -> None:
        wrong = outcome_problem(question, resolution.outcome)
        if wrong is not None:
            self.problem(item, "outcome", *wrong)

    def chain(self, qid: str, records: list[tuple[Loaded, Resolution]]) -> list[tuple[Loaded, Resolution]]:
        """Order a question's resolution records: the original, then each correction of the last."""
        by_stem = {item.stem: (item, resolution) for item, resolution in records}
        originals = [pair for pair in records if pair[1].corrects is None]
        corrected: dict[str, Loaded] = {}
        for item, resolution in records:
            if resolution.corrects is None:
                continue
            target = by_stem.get(resolution.corrects)
            if target is None:
                self.problem(
                    item,
                    "corrects",
                    f"no resolution `{resolution.corrects}` of `{qid}` exists",
                    f"write `corrects: {qid}` or the id of a later correction",
                )
            elif resolution.corrects in corrected:
                self.problem(
                    item,
                    "corrects",
                    f"`{resolution.corrects}` is already corrected by {corrected[resolution.corrects].path}",
                    "correct the latest correction instead",
                )
            else:
                corrected[resolution.corrects] = item
        if len(originals) != 1:
            return []
        chain = [originals[0]]
        while chain[-1][0].stem in corrected:
            chain.append(by_stem[corrected[chain[-1][0].stem].stem])
            if len(chain) > len(records):  # a cycle: reported above as a double correction
                return []
        return chain


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
