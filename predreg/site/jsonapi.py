"""The site's static JSON API: one file per question and per author, the leaderboard, the community, an index.

:func:`files` turns the site's facts into ``path inside the site -> bytes``; the site
build writes them beside the pages. A long list keeps its first :data:`PAGE` entries in
its file and links pages of the rest (:func:`split`), so no file grows with the registry.

The shapes are a contract, documented key by key in docs/site-api.md and described by
the JSON Schemas shipped beside this module
(``predreg/site/schemas/``, read with :func:`schema`): every file carries
``"schema": SCHEMA``, and later versions add keys, never rename or remove one.

Each file is the same bytes for the same registry: keys sorted, no wall clock (the
day is the site's ``as_of``), no NaN (a score that is not a number is ``null``).
Registry text goes out as JSON strings, which escape everything they must; nothing
here is HTML.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

from ..model import Link
from . import facts as site_facts
from . import feeds
from .facts import AuthorFacts, Evidence, Forecast, QuestionFacts, ResolutionStep, SiteFacts

SCHEMA = "predreg-site-api-1"
"""The version of every file's shape: the value of its ``schema`` key."""

PAGE = 1000
"""Entries per page of a list (the index's questions and authors; a question's or an author's forecasts and
scored questions): no file grows with the registry, and the busiest author's stays well under 1 MB."""

SCHEMAS = ("index", "list", "question", "author", "leaderboard", "community")
"""The shipped schemas, ``schemas/<name>.schema.json``."""

LEADERBOARD_DROPS = ("calibration", "questions")
"""Keys of an author's (or the community's) score left out of leaderboard.json, so that it stays small: an
author's file has their calibration, and api/community.json the community's questions."""

COMMUNITY_PATH = "api/community.json"
"""The community forecast's file, written when the board scores one."""


def files(facts: SiteFacts) -> dict[str, bytes]:
    """Every file of the JSON API, by its path inside the site."""
    feeds.check_base_url(facts.base_url)  # (the index names it)
    board = _board_json(facts)
    scores = {entry["author"]: entry for entry in board["authors"]}
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in board["questions"]:
        rows[row["author"]].append(row)
    # each forecast is in its question's file and its author's: made once, written twice
    shown = {f.id: forecast_json(f) for question in facts.questions.values() for f in question.forecasts}
    output: dict[str, bytes] = {}
    for question in facts.questions.values():
        output.update(written(facts, question_path(question), question_json(question, facts, shown), "forecasts"))
    for author in facts.authors.values():
        made = author_json(author, facts, scores.get(author.handle), rows[author.handle], shown)
        output.update(written(facts, author_path(author), made, "forecasts", "scored"))
    leaders = leaderboard_json(facts, board)
    output.update(written(facts, "api/leaderboard.json", leaders, "authors", kind="leaderboard"))
    if board.get("community") is not None:
        made = community_json(facts, board["community"])
        output.update(written(facts, COMMUNITY_PATH, made, "scored", kind="community"))
    lists = {
        "questions": [_question_entry(q) for q in facts.questions.values()],
        "authors": [_author_entry(a) for a in facts.authors.values()],
    }
    paths = {kind: [f"api/{kind}-{n}.json" for n in range(1, _count(entries) + 1)] for kind, entries in lists.items()}
    for kind, entries in lists.items():
        output.update(
            (path, encode(page)) for path, page in _list_pages(facts, kind, paths[kind], entries, None).items()
        )
    output["api/index.json"] = encode(index_json(facts, paths, COMMUNITY_PATH if COMMUNITY_PATH in output else None))
    return dict(sorted(output.items()))


def written(
    facts: SiteFacts, path: str, document: dict[str, Any], *paged: str, kind: str | None = None
) -> dict[str, bytes]:
    """``document`` and the further pages of its ``paged`` lists, encoded at once (so few documents are held)."""
    out: dict[str, bytes] = {}
    for key in paged:
        out.update((page, encode(value)) for page, value in split(facts, path, document, key, kind).items())
    out[path] = encode(document)
    return out


def _count(entries: Sequence[Any]) -> int:
    """How many pages of :data:`PAGE` entries a list takes: one at least, if empty."""
    return max(1, -(-len(entries) // PAGE))


def split(
    facts: SiteFacts, path: str, document: dict[str, Any], key: str, kind: str | None = None
) -> dict[str, dict[str, Any]]:
    """Keep the first :data:`PAGE` items of ``document[key]`` in it; the rest go to ``<path>/<key>-2.json``...

    ``document`` gains ``<key>_count`` (all items) and ``<key>_pages`` (the further pages,
    in order; none when all fit); the pages it returns, lists of ``kind`` (default: ``key``),
    link back and forth.
    """
    items = document[key]
    document[f"{key}_count"] = len(items)
    if len(items) <= PAGE:
        document[f"{key}_pages"] = []
        return {}
    count = _count(items)
    pages = [path, *(f"{path.removesuffix('.json')}/{key}-{n}.json" for n in range(2, count + 1))]
    document[key] = items[:PAGE]
    document[f"{key}_pages"] = pages[1:]
    further = _list_pages(facts, kind or key, pages, items, path)
    further.pop(path)
    return further


def _list_pages(
    facts: SiteFacts, kind: str, paths: Sequence[str], entries: Sequence[Any], parent: str | None
) -> dict[str, dict[str, Any]]:
    """The pages of one list, by path, each with its neighbours' paths."""
    pages = {}
    for number, path in enumerate(paths, start=1):
        pages[path] = {
            "schema": SCHEMA,
            "as_of": facts.as_of.isoformat(),
            "kind": kind,
            "parent": parent,
            "page": number,
            "pages": len(paths),
            "previous": paths[number - 2] if number > 1 else None,
            "next": paths[number] if number < len(paths) else None,
            "entries": list(entries[(number - 1) * PAGE : number * PAGE]),
        }
    return pages


def encode(value: Any) -> bytes:
    """A file's bytes: keys sorted, compact, UTF-8, one newline at the end; refuses NaN rather than write it."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # a lone surrogate has no UTF-8 form: written as JSON's own escape (\udc80) it stays valid JSON
    return (text + "\n").encode("utf-8", "backslashreplace")


def schema(name: str) -> dict[str, Any]:
    """The shipped JSON Schema (Draft 2020-12) of one kind of file: one of :data:`SCHEMAS`."""
    if name not in SCHEMAS:
        raise ValueError(f"no schema {name!r}; one of {', '.join(SCHEMAS)}")
    text = resources.files("predreg.site").joinpath("schemas", f"{name}.schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def question_path(question: QuestionFacts) -> str:
    return f"api/questions/{site_facts.file_name(question.id)}.json"


def author_path(author: AuthorFacts) -> str:
    return f"api/authors/{site_facts.file_name(author.handle)}.json"


def plain(value: Any) -> Any:
    """``value`` as JSON values: mappings with text keys, lists, ISO dates; a number that is not finite is null."""
    if value is None or isinstance(value, str | int):  # (bool is an int)
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {_key(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if isinstance(value, dt.datetime):
        return _moment(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _key(key: Any) -> str:
    """A mapping key as text; a number keeps the form the registry's files give it (0.05, not 0.050000)."""
    return repr(key) if isinstance(key, float) else str(key)


def _moment(value: dt.datetime) -> str:
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).isoformat()


def _day(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def forecast_json(forecast: Forecast) -> dict[str, Any]:
    """One prediction: who, when, what it said (null while a commitment is hidden), and what became of it."""
    hidden = forecast.hidden_until is not None
    return {
        "id": forecast.id,
        "author": forecast.author,
        "question": forecast.question,
        "registered": forecast.registered.isoformat(),
        "kind": forecast.kind,
        "probability": plain(forecast.probability),
        "probabilities": None if hidden or not forecast.probabilities else plain(dict(forecast.probabilities)),
        "quantiles": None if hidden or not forecast.quantiles else plain(dict(forecast.quantiles)),
        "hidden": hidden,
        "hidden_until": _day(forecast.hidden_until),
        "revealed": _day(forecast.revealed),
        "supersedes": forecast.supersedes,
        "superseded_by": forecast.superseded_by,
        "withdrawn": _day(forecast.withdrawn),
        "withdrawal_reason": forecast.withdrawal_reason,
        "given": forecast.given,
        "rationale": forecast.rationale,
        "file": forecast.file,
    }


def evidence_json(evidence: Evidence) -> dict[str, Any]:
    return {
        "url": evidence.url,
        "href": evidence.href,
        "sha256": evidence.sha256,
        "stored": evidence.stored,
        "fetched_at": None if evidence.fetched_at is None else _moment(evidence.fetched_at),
        "status": evidence.status,
        "excerpt": evidence.excerpt,
        "content_type": evidence.content_type,
    }


def resolution_json(step: ResolutionStep) -> dict[str, Any]:
    """One resolution record of a question's chain."""
    return {
        "file": step.file,
        "outcome": plain(step.outcome),
        "resolved_at": _moment(step.resolved_at),
        "resolver": step.resolver,
        "resolved_by": step.resolved_by,
        "approved_by": list(step.approved_by),
        "disputed_by": list(step.disputed_by),
        "corrects": step.corrects,
        "note": step.note,
        "evidence": [evidence_json(e) for e in step.evidence],
    }


def _resolution(question: QuestionFacts) -> dict[str, Any] | None:
    """The standing resolution, with the records it replaced (original first) as ``corrections``."""
    if not question.chain:
        return None
    *earlier, standing = question.chain
    return {**resolution_json(standing), "corrections": [resolution_json(step) for step in earlier]}


def question_json(
    question: QuestionFacts, facts: SiteFacts, shown: Mapping[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """``api/questions/<id>.json``; ``shown`` holds forecasts already made into JSON, by id."""
    record = question.record
    return {
        "schema": SCHEMA,
        "as_of": facts.as_of.isoformat(),
        "id": question.id,
        "page": question.page,
        "claim": record.claim,
        "criteria": record.criteria,
        "kind": record.kind,
        "resolve_by": record.resolve_by.isoformat(),
        "outcomes": list(record.outcomes),
        "events": plain(record.events),
        "unit": record.unit,
        "tags": list(question.tags),
        "source": record.source,
        "source_href": question.source_href,
        "links": [_link(link) for link in record.evidence],
        "resolver": {"name": question.resolver, "settings": plain(record.resolver.config)},
        "status": question.status,
        "forecasters": list(question.forecasters),
        "forecasts": _forecasts(question.forecasts, shown),
        "community": _community(question),
        "community_method": facts.community_method if question.community is not None else None,
        "resolution": _resolution(question),
    }


def _link(link: Link) -> dict[str, Any]:
    """One of the question's ``evidence:`` links: where the answer will be found."""
    return {"url": link.url, "href": site_facts.web_link(link.url), "title": link.title, "note": link.note}


def _community(question: QuestionFacts) -> list[dict[str, Any]] | None:
    if question.community is None:
        return None
    return [
        {"day": p.day.isoformat(), "forecast": plain(p.forecast), "forecasters": p.forecasters}
        for p in question.community
    ]


def _forecasts(forecasts: Sequence[Forecast], shown: Mapping[str, dict[str, Any]] | None) -> list[dict[str, Any]]:
    if shown is None:
        return [forecast_json(f) for f in forecasts]
    return [shown[f.id] for f in forecasts]


def author_json(
    author: AuthorFacts,
    facts: SiteFacts,
    score: Mapping[str, Any] | None,
    scored: list[dict[str, Any]],
    shown: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """``api/authors/<handle>.json``: ``score`` and ``scored`` are the author's entries of :func:`_board_json`."""
    return {
        "schema": SCHEMA,
        "as_of": facts.as_of.isoformat(),
        "handle": author.handle,
        "name": author.name,
        "href": author.href,
        "note": author.note,
        "page": author.page,
        "rank": author.rank,
        "score": None if score is None else dict(score),
        "scored": scored,
        "forecasts": _forecasts(author.forecasts, shown),
    }


def _board_json(facts: SiteFacts) -> dict[str, Any]:
    """The main board as ``predreg score --format json`` gives it, dated by the site's day.

    That export holds no NaN already (``score`` writes it with ``allow_nan=False``), so it is
    taken as it is; :func:`encode` refuses a NaN all the same.
    """
    from .. import leaderboard  # numpy: only when the site is built

    return leaderboard.as_json(facts.board, dt.datetime.combine(facts.as_of, dt.time(), dt.UTC))


def leaderboard_json(facts: SiteFacts, board: Mapping[str, Any]) -> dict[str, Any]:
    """``api/leaderboard.json``: the board's author entries, as in ``predreg score --format json``, with links."""
    kept = ("policy", "min_n", "scale", "community")
    authors = []
    for entry in board["authors"]:
        author = facts.authors.get(entry["author"])
        slim = {key: value for key, value in entry.items() if key not in LEADERBOARD_DROPS}
        slim["name"] = author.name if author else entry["author"]
        slim["page"] = author.page if author else None
        slim["api"] = author_path(author) if author else None
        authors.append(slim)
    return {
        "schema": SCHEMA,
        "as_of": facts.as_of.isoformat(),
        "ranking_rule": facts.ranking_rule,
        **{key: _slim(board[key]) for key in kept if key in board},
        "authors": authors,
    }


def _slim(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: item for key, item in value.items() if key not in LEADERBOARD_DROPS}
    return value


def _question_entry(question: QuestionFacts) -> dict[str, Any]:
    return {
        "id": question.id,
        "api": question_path(question),
        "page": question.page,
        "status": question.status,
        "resolve_by": question.record.resolve_by.isoformat(),
        "forecasters": len(question.forecasters),
    }


def _author_entry(author: AuthorFacts) -> dict[str, Any]:
    return {
        "handle": author.handle,
        "name": author.name,
        "api": author_path(author),
        "page": author.page,
        "rank": author.rank,
        "forecasts": len(author.forecasts),
    }


def community_json(facts: SiteFacts, entry: Mapping[str, Any]) -> dict[str, Any]:
    """``api/community.json``: the community forecast scored like an author, with its scored questions."""
    return {
        "schema": SCHEMA,
        "as_of": facts.as_of.isoformat(),
        "method": facts.community_method,
        "score": {key: value for key, value in entry.items() if key != "questions"},
        "scored": list(entry.get("questions", [])),
    }


def index_json(facts: SiteFacts, pages: Mapping[str, Sequence[str]], community: str | None = None) -> dict[str, Any]:
    """``api/index.json``: where everything else is."""
    return {
        "community": community,
        "schema": SCHEMA,
        "as_of": facts.as_of.isoformat(),
        "base_url": facts.base_url,
        "leaderboard": "api/leaderboard.json",
        "questions": {"count": len(facts.questions), "pages": list(pages["questions"])},
        "authors": {"count": len(facts.authors), "pages": list(pages["authors"])},
        "feeds": {"predictions": "feeds/predictions.xml", "resolutions": "feeds/resolutions.xml"},
        "predictions": facts.predictions,
    }
