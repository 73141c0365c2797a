"""A deterministic synthetic registry shaped like a real forecasting community.

:mod:`benchmarks.synthetic` writes a registry shaped like the example one: every
author equally busy, ten forecasters to a shared question. A public community
(PredictionBook, Metaculus) looks otherwise, and a site's cost follows its shape:

- **activity is long-tailed**: the author of rank r writes about ``(r + 5) ** -1.6``
  of the forecasts, so at 2,000 authors and 100k predictions the busiest has about
  10,000, the tenth about 2,000, and two thirds have 1 to 5;
- **forecasters per question are long-tailed** too (Pareto, alpha 1.3): most
  questions have one forecaster and state themselves inline, a few have hundreds;
  an author met twice on a question revises (``supersedes``) their forecast;
- about **25% of questions are open**; of the closed ones about 7% are overdue
  (no resolution yet), 5% annulled, the rest resolved with **evidence** whose body is
  kept in ``evidence/<sha256>`` (one body for about three resolutions), a few
  disputed and a few corrected;
- the kinds are mixed: binary mostly, some categorical, numeric and ordering;
- a few forecasts are withdrawn, and a few are hidden commitments, some revealed.

Forecasts are a noisy view, by author skill, of each question's true chance, so a
leaderboard has something to find. Everything follows from ``seed``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
from collections import Counter
from pathlib import Path

import attrs

from predreg.commitment import commitment

TODAY = dt.date(2026, 11, 23)
"""The registry's newest date: nothing in it is later."""
START = dt.date(2019, 1, 1)
ACTIVITY_EXPONENT, ACTIVITY_OFFSET = 1.6, 5
FORECASTERS_ALPHA, FORECASTERS_MAX = 1.3, 400
OPEN_SHARE = 0.25
KINDS = ("binary",) * 16 + ("categorical",) * 2 + ("numeric",) * 2 + ("ordering",)
TAGS = [f"topic-{word}" for word in ("ai", "elections", "economy", "science", "sports", "climate", "space")] + [
    f"tag-{i:02d}" for i in range(53)
]
FIRST = ("Amara", "Bo", "Chen", "Dmitri", "Elif", "Farah", "Gustavo", "Hana", "Ines", "Jonas", "Kwame", "Lena")
LAST = ("Okafor", "Lindqvist", "Nakamura", "Fernández-Castillo", "Novak", "Haddad", "Osei", "Whitfield-Montgomery")


@attrs.frozen
class Shape:
    """What a generated registry holds, counted while it was written."""

    predictions: int
    authors: int
    questions: int
    shared_questions: int
    open_questions: int
    resolutions: int
    revisions: int
    withdrawals: int
    commitments: int
    evidence_bodies: int
    busiest: tuple[int, ...]
    """Forecasts of the five busiest authors."""
    one_to_five: float
    """The share of authors with 1 to 5 forecasts."""


def activity(predictions: int, authors: int) -> list[int]:
    """How many forecasts each author writes, busiest first: at least one each, about ``predictions`` in all."""
    weights = [(rank + ACTIVITY_OFFSET) ** -ACTIVITY_EXPONENT for rank in range(1, authors + 1)]
    total = sum(weights)
    return [max(1, round(predictions * weight / total)) for weight in weights]


def handles(authors: int) -> list[str]:
    return [f"{FIRST[i % len(FIRST)].lower()}-{i:04d}" for i in range(authors)]


@attrs.define
class _Writer:
    """Writes the files and counts what it wrote."""

    root: Path
    rng: random.Random
    counts: Counter[str] = attrs.field(factory=Counter)
    folders: set[Path] = attrs.field(factory=set)
    bodies: list[str] = attrs.field(factory=list)

    def write(self, relative: str, text: str, kind: str) -> None:
        path = self.root / relative
        if path.parent not in self.folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.folders.add(path.parent)
        path.write_text(text, encoding="utf-8")
        self.counts[kind] += 1


def make_community(root: Path, predictions: int, authors: int = 2000, seed: int = 1) -> Shape:
    """Write a valid registry of about ``predictions`` forecasts by ``authors`` authors under ``root``."""
    rng = random.Random(seed)
    names = handles(authors)
    quota = activity(predictions, authors)
    slots = [author for author, count in zip(names, quota, strict=True) for _ in range(count)]
    rng.shuffle(slots)
    skill = {author: 0.3 + 1.2 * rng.random() for author in names}
    writer = _Writer(root, rng)
    writer.write("authors.yaml", _authors_text(names, rng), "authors")
    number = 0
    while slots:
        size = min(len(slots), FORECASTERS_MAX, int(rng.paretovariate(FORECASTERS_ALPHA)))
        taken, slots = slots[:size], slots[size:]
        _question(writer, number, taken, skill)
        number += 1
    return Shape(
        predictions=writer.counts["prediction"],
        authors=authors,
        questions=number,
        shared_questions=writer.counts["question"],
        open_questions=writer.counts["open"],
        resolutions=writer.counts["resolution"],
        revisions=writer.counts["revision"],
        withdrawals=writer.counts["withdrawal"],
        commitments=writer.counts["commitment"],
        evidence_bodies=writer.counts["evidence"],
        busiest=tuple(sorted(quota, reverse=True)[:5]),
        one_to_five=sum(1 for count in quota if count <= 5) / authors,
    )


def _authors_text(names: list[str], rng: random.Random) -> str:
    """Every author listed, every other one with a display name.

    All with names would not fit: at 2,000 authors ``authors.yaml`` passes the 64 KiB
    a registry file may hold (``safeyaml.MAX_BYTES``).
    """
    lines = ["authors:\n"]
    for i, handle in enumerate(names):
        name = f"{{name: {FIRST[i % len(FIRST)]} {LAST[rng.randrange(len(LAST))]}}}" if i % 2 == 0 else "{}"
        lines.append(f"  {handle}: {name}\n")
    return "".join(lines)


@attrs.frozen
class _Question:
    qid: str
    kind: str
    opened: dt.date
    resolve_by: dt.date
    status: str  # open, overdue, resolved, annulled
    truth: tuple[float, ...]
    """The chance of each outcome (binary: of yes), or for numeric the true value."""


def _dates(rng: random.Random) -> tuple[dt.date, dt.date, bool]:
    span = (TODAY - START).days
    if rng.random() < OPEN_SHARE:
        opened = TODAY - dt.timedelta(days=rng.randrange(1, 900))
        return opened, TODAY + dt.timedelta(days=rng.randrange(7, 1500)), True
    resolve_by = START + dt.timedelta(days=rng.randrange(120, span))
    opened = max(START, resolve_by - dt.timedelta(days=rng.randrange(14, 1000)))
    return opened, resolve_by, False


def _new_question(number: int, rng: random.Random) -> _Question:
    kind = rng.choice(KINDS)
    opened, resolve_by, is_open = _dates(rng)
    roll = rng.random()
    status = "open" if is_open else "overdue" if roll < 0.07 else "annulled" if roll < 0.12 else "resolved"
    if kind == "binary":
        truth: tuple[float, ...] = (rng.betavariate(0.6, 0.9),)
    elif kind == "numeric":
        truth = (round(rng.lognormvariate(2, 1), 2),)
    else:
        count = 3 if kind == "ordering" else rng.randrange(2, 6)
        draws = [rng.gammavariate(0.7, 1) + 1e-3 for _ in range(count)]
        truth = tuple(d / sum(draws) for d in draws)
    return _Question(f"q-{number:06d}", kind, opened, resolve_by, status, truth)


def _question(writer: _Writer, number: int, forecasters: list[str], skill: dict[str, float]) -> None:
    """One question, its forecasts (an author met again revises), and its resolution."""
    rng = writer.rng
    question = _new_question(number, rng)
    shared = len(set(forecasters)) > 1 or rng.random() < 0.2
    if shared:
        writer.write(f"questions/{question.qid}.yaml", _question_text(question, rng), "question")
    if question.status == "open":
        writer.counts["open"] += 1
    last: dict[str, str] = {}
    last_day = min(question.resolve_by, TODAY) - dt.timedelta(days=1)
    days = sorted(_day_between(question.opened, last_day, rng) for _ in forecasters)
    for k, (author, day) in enumerate(zip(forecasters, days, strict=True)):
        pid = f"{question.qid}-{author}-{k}" if shared or k else question.qid
        inline = not shared and k == 0
        text, hidden = _prediction_text(question, pid, author, day, last.get(author), skill[author], inline, rng)
        writer.write(f"predictions/{author}/{pid}.yaml", text, "prediction")
        writer.counts["revision"] += author in last
        last[author] = pid
        _follow_up(writer, question, pid, day, hidden)
    if question.status in ("resolved", "annulled"):
        _resolve(writer, question, forecasters)


def _day_between(first: dt.date, last: dt.date, rng: random.Random) -> dt.date:
    return first + dt.timedelta(days=rng.randrange(max(1, (last - first).days + 1)))


def _outcome_names(question: _Question) -> list[str]:
    if question.kind == "ordering":
        return ["first", "second"]
    return [f"option-{i}" for i in range(len(question.truth))]


def _question_fields(question: _Question, rng: random.Random) -> str:
    words = rng.randrange(8, 40)
    claim = " ".join(rng.choice(("model", "benchmark", "report", "lab", "rate", "index", "vote")) for _ in range(words))
    tags = sorted({rng.choice(TAGS[: 1 + int(rng.paretovariate(0.8)) % len(TAGS)]) for _ in range(rng.randrange(4))})
    text = (
        f"claim: Question {question.qid} asks whether the {claim} holds.\n"
        "criteria: >-\n  YES if a public source reports it by the resolve-by date, NO if not.\n"
        "  Annulled if the source stops publishing.\n"
        f"resolve_by: {question.resolve_by}\nresolver: {{name: manual}}\nkind: {question.kind}\n"
    )
    if tags:
        text += f"tags: [{', '.join(tags)}]\n"
    if question.kind == "numeric":
        text += "unit: points\n"
    if question.kind == "ordering":
        text += "events: {first: The first event happens., second: The second event happens.}\n"
    return text


def _question_text(question: _Question, rng: random.Random) -> str:
    text = f"id: {question.qid}\n" + _question_fields(question, rng)
    if question.kind == "categorical":
        text += f"outcomes: [{', '.join(_outcome_names(question))}]\n"
    return text


def _prediction_text(
    question: _Question,
    pid: str,
    author: str,
    day: dt.date,
    revises: str | None,
    noise: float,
    inline: bool,
    rng: random.Random,
) -> tuple[str, float | None]:
    """A prediction's text, and the probability it hides if it is a commitment."""
    text = f"id: {pid}\nauthor: {author}\nregistered: {day}\n"
    text += _question_fields(question, rng) if inline else f"question: {question.qid}\n"
    if revises:
        text += f"supersedes: {revises}\n"
    forecast = _forecast(question, noise, rng)
    if question.kind == "binary" and question.status == "open" and not revises and rng.random() < 0.01:
        salt = hashlib.sha256(pid.encode()).hexdigest()  # a benchmark's salt: hiding nothing from anyone
        hidden = commitment(pid, author, {"probability": forecast[0]}, salt)
        return text + f"commitment: {hidden}\n", forecast[0]
    return text + _forecast_text(question, forecast), None


def _forecast(question: _Question, noise: float, rng: random.Random) -> list[float]:
    if question.kind == "numeric":
        centre = question.truth[0] * math.exp(rng.gauss(0, noise / 2))
        return [round(centre * factor, 2) for factor in (0.5, 0.8, 1.0, 1.25, 2.0)]
    if question.kind == "binary":
        chance = min(max(question.truth[0], 0.01), 0.99)
        logit = math.log(chance / (1 - chance)) + rng.gauss(0, noise)
        return [min(999, max(1, round(1000 / (1 + math.exp(-logit))))) / 1000]
    views = [max(1e-3, p * math.exp(rng.gauss(0, noise))) for p in question.truth]
    thousandths = [max(1, round(1000 * v / sum(views))) for v in views]
    thousandths[thousandths.index(max(thousandths))] += 1000 - sum(thousandths)
    return [t / 1000 for t in thousandths]


def _forecast_text(question: _Question, forecast: list[float]) -> str:
    if question.kind == "binary":
        return f"probability: {forecast[0]}\n"
    if question.kind == "numeric":
        levels = (0.05, 0.25, 0.5, 0.75, 0.95)
        return "quantiles: {" + ", ".join(f"{q}: {v}" for q, v in zip(levels, forecast, strict=True)) + "}\n"
    names = [*_outcome_names(question), "neither"] if question.kind == "ordering" else _outcome_names(question)
    pairs = ", ".join(f"{name}: {p}" for name, p in zip(names, forecast, strict=True))
    return f"probabilities: {{{pairs}}}\n"


def _follow_up(writer: _Writer, question: _Question, pid: str, day: dt.date, hidden: float | None) -> None:
    """Now and then, a withdrawal of the forecast; half the commitments are revealed."""
    rng = writer.rng
    if hidden is not None:
        writer.counts["commitment"] += 1
        if rng.random() < 0.5:
            salt = hashlib.sha256(pid.encode()).hexdigest()
            reveal = f"prediction: {pid}\nrevealed: {_day_between(day, TODAY, rng)}\nsalt: {salt}\n"
            writer.write(f"reveals/{pid}.yaml", reveal + f"probability: {hidden}\n", "reveal")
    elif question.status == "open" and rng.random() < 0.005:
        withdrawn = _day_between(day, TODAY, rng)
        reason = "reason: Asked the wrong question.\n"
        writer.write(f"withdrawals/{pid}.yaml", f"prediction: {pid}\nwithdrawn: {withdrawn}\n{reason}", "withdrawal")


def _resolve(writer: _Writer, question: _Question, forecasters: list[str]) -> None:
    rng = writer.rng
    resolved_at = min(TODAY, question.resolve_by + dt.timedelta(days=rng.randrange(0, 60)))
    by = forecasters[0] if rng.random() < 0.3 else rng.choice(forecasters)
    outcome = "annulled" if question.status == "annulled" else _outcome(question, rng)
    text = f"question: {question.qid}\noutcome: {outcome}\nresolved_at: {resolved_at}\nresolver: manual\n"
    text += f"resolved_by: {by}\n" + _evidence(writer, question, resolved_at)
    if rng.random() < 0.03 and len(set(forecasters)) > 1:
        text += f"disputed_by: [{sorted(set(forecasters) - {by})[0]}]\n"
    writer.write(f"resolutions/{question.qid}.yaml", text, "resolution")
    if rng.random() < 0.01 and outcome != "annulled":
        correction = (
            f"question: {question.qid}\noutcome: annulled\nresolved_at: {resolved_at}\nresolver: manual\n"
            f"resolved_by: {by}\ncorrects: {question.qid}\nnote: The source withdrew its report.\n"
        )
        writer.write(f"resolutions/{question.qid}.2.yaml", correction, "correction")


def _outcome(question: _Question, rng: random.Random) -> str:
    if question.kind == "binary":
        return "yes" if rng.random() < question.truth[0] else "no"
    if question.kind == "numeric":
        return str(question.truth[0])
    names = [*_outcome_names(question), "neither"] if question.kind == "ordering" else _outcome_names(question)
    return rng.choices(names, question.truth)[0]


def _evidence(writer: _Writer, question: _Question, resolved_at: dt.date) -> str:
    """A snapshot of the report that decided it, its body kept once under evidence/ and shared by a few."""
    rng = writer.rng
    if not writer.bodies or rng.random() < 0.35:
        paragraphs = rng.randrange(2, 30)
        body = f"Report {len(writer.bodies)} on {question.qid}.\n\n" + "The measured value is reported here. " * (
            10 * paragraphs
        )
        digest = hashlib.sha256(body.encode()).hexdigest()
        writer.write(f"evidence/{digest}", body, "evidence")
        writer.bodies.append(digest)
    digest = writer.bodies[-1] if rng.random() < 0.7 else rng.choice(writer.bodies)
    return (
        "evidence:\n"
        f"  - url: https://reports.example.org/{digest[:12]}\n"
        f"    fetched_at: {resolved_at}T12:00:00Z\n"
        f"    sha256: {digest}\n"
        "    content_type: text/plain\n"
        '    excerpt: "The measured value is reported here."\n'
    )
