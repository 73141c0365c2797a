"""``http`` (a page's text contains a phrase or matches a pattern), ``json`` (a value at a JSON pointer)
and ``csv`` (a table has a row meeting conditions, e.g. a data hub's table of models).

Before the resolve-by day is over a question resolves only when its evidence says
yes; afterwards the evidence as fetched decides yes or no. The ``csv`` resolver can
date each row (``date_column``), so a late run still judges by the resolve-by day.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
from collections.abc import Sequence
from html import unescape
from typing import TYPE_CHECKING, Any

import attrs

from ..fieldtypes import Choice, Key, MappingOf, Pattern, Plain, Text, Url, spec
from ..hookspecs import hookimpl
from ..model import Question
from ..patterns import PatternError, compile_pattern, compile_phrase, search
from ..verdict import Verdict, failed, resolved
from ..version import __version__
from . import by_deadline, deadline, fetch_json, happened

if TYPE_CHECKING:
    from ..fetch import Fetched, Session
    from ..plugins import Register


def _excerpt(text: str, start: int, end: int, room: int = 80) -> str:
    """The matched part of ``text`` with a little context, on one line."""
    piece = text[max(0, start - room) : end + room]
    return " ".join(piece.split())[:300]


@attrs.frozen
class PageSettings:
    url: str = spec(Url(), "The page to read.")
    contains: str | None = spec(Text(), "Text to look for (case-insensitive).", default=None)
    matches: str | None = spec(
        Pattern(), "A regular expression to look for (RE2 syntax: Python's, without backreferences).", default=None
    )
    expect: str = spec(
        Choice("present", "absent"), "`present`: yes when found (default); `absent`: yes when not.", default="present"
    )

    def check(self) -> list[tuple[str, str, str]]:
        if (self.contains is None) == (self.matches is None):
            return [("contains", "give exactly one of `contains` and `matches`", "keep the one you mean")]
        if self.contains is not None:
            try:
                compile_phrase(self.contains)  # the phrase is matched by RE2 too, within the same bounds
            except PatternError as error:
                return [("contains", error.message, error.hint)]
        return []


def page(question: Question, settings: PageSettings, session: Session, now: dt.datetime, resolve: Any) -> Verdict:
    """A web page contains some text or matches a pattern (or, with ``expect: absent``, does not).

    An HTML page is read as its visible text (tags, scripts and styles removed), and
    any page's whitespace is collapsed, so a phrase matches across line breaks and markup.
    """
    fetched = session.get(settings.url)
    if problem := fetched.problem():
        return failed(problem)
    text = visible_text(fetched.text()) if "html" in fetched.content_type.lower() else fetched.text()
    text = " ".join(text.split())
    try:
        pattern, wanted = _looked_for(settings)
        found = search(pattern, text)
    except PatternError as error:  # too costly for this page's length (the check refused the rest)
        return failed(f"{settings.url}: {error.message}; {error.hint}")
    excerpts = {settings.url: _excerpt(text, found.start(), found.end()) if found else " ".join(text.split())[:200]}
    holds = bool(found) == (settings.expect == "present")
    if holds:
        return resolved("yes", f"{wanted}: {'found' if found else 'not found'}", excerpts=excerpts)
    return by_deadline(question, now, wanted if settings.expect == "present" else f"{wanted} gone", excerpts)


def _looked_for(settings: PageSettings) -> tuple[Any, str]:
    """The RE2 pattern a page is searched with (as the check compiled it), and its name in a reason."""
    if settings.contains is not None:
        return compile_phrase(settings.contains), f"the page containing {settings.contains!r}"
    return compile_pattern(settings.matches or ""), f"the page matching /{settings.matches}/"


def visible_text(html: str) -> str:
    """The text a reader sees: scripts, styles, comments and tags removed, entities decoded.

    One pass, in time linear in the page: every search starts where the last one
    ended, and a search that fails means the rest of the page is settled, so no ``<``
    is ever scanned to the end twice. (Three regular expressions did this before, and
    each unclosed ``<``, ``<!--`` or ``<script`` made them scan the rest of the page
    again: 400 KB of ``<`` took 48 s.) As in a browser, a comment, script or style
    left open hides the rest of the page; a ``<`` that no ``>`` follows is text.
    """
    pieces: list[str] = []
    last_close = html.rfind(">")
    at = 0
    while (start := html.find("<", at)) >= 0:
        if start > last_close:  # no tag can end from here on: only a comment, script or style still hides text
            opener = _HIDING.search(html, start)
            if opener is None:
                break
            start = opener.start()
        pieces += (html[at:start], " ")  # the markup goes; a space keeps the words either side apart
        at = _markup_end(html, start)
    pieces.append(html[at:])
    return unescape("".join(pieces))


_RAW_TEXT = re.compile(r"<(script|style)(?=[\t\n\f\r />])", re.IGNORECASE)
_RAW_TEXT_END = {
    "script": re.compile(r"</script[\t\n\f\r />]", re.IGNORECASE),
    "style": re.compile(r"</style[\t\n\f\r />]", re.IGNORECASE),
}
_HIDING = re.compile(r"<(?:!--|(?:script|style)(?=[\t\n\f\r />]))", re.IGNORECASE)


def _markup_end(html: str, start: int) -> int:
    """Where the markup opening at ``html[start]`` ends: past its ``>``, or ``len(html)`` if it is never closed."""
    if html.startswith("<!--", start):
        end = html.find("-->", start + 2)  # from +2: "<!-->" is an empty comment, as HTML has it
        return len(html) if end < 0 else end + 3
    raw = _RAW_TEXT.match(html, start)
    if raw:
        closing = _RAW_TEXT_END[raw.group(1).lower()].search(html, raw.end())
        end = html.find(">", closing.start()) if closing else -1
        return len(html) if end < 0 else end + 1
    end = html.find(">", start)
    return len(html) if end < 0 else end + 1


OPERATORS = ("==", "!=", ">=", "<=", ">", "<", "exists")


def _compare(found: Any, op: str, value: Any) -> bool:
    """Whether ``found`` (from the evidence) stands in relation ``op`` to ``value``; ValueError if it cannot.

    Python's JSON reader takes NaN, Infinity and 1e400 as floats, and NaN differs from
    everything, itself included: ``NaN != x`` would hold. So a non-finite number anywhere
    in what was found is not a value, whatever the operator.
    """
    if _holds_non_finite(found):
        raise ValueError(
            "the value found holds NaN or an infinity, not a finite number: the question does not resolve from it"
        )
    if op == "exists":
        return True
    if op == "==":
        return bool(found == value)
    if op == "!=":
        return bool(found != value)
    left, right = _number(found), _number(value)
    if left is None or right is None:
        raise ValueError(f"cannot compare {found!r} {op} {value!r}: not numbers")
    return {">=": left >= right, "<=": left <= right, ">": left > right, "<": left < right}[op]


def _holds_non_finite(value: Any) -> bool:
    """Whether a value read from JSON is, or holds, a NaN or an infinity."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_holds_non_finite(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_non_finite(item) for item in value)
    return False


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(str(value).replace(",", "").replace("_", ""))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def pointer(document: Any, path: str) -> Any:
    """The value at a JSON pointer (RFC 6901); KeyError if there is none."""
    if path == "":
        return document
    if not path.startswith("/"):
        raise KeyError(f"{path!r} is not a JSON pointer (it starts with '/')")
    for raw in path[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(document, list):
            if not token.isdigit() or int(token) >= len(document):
                raise KeyError(f"no item {token!r} in a list of {len(document)}")
            document = document[int(token)]
        elif isinstance(document, dict):
            if token not in document:
                raise KeyError(f"no key {token!r}")
            document = document[token]
        else:
            raise KeyError(f"{token!r} is inside a {type(document).__name__}, not an object or list")
    return document


@attrs.frozen
class JsonSettings:
    url: str = spec(Url(), "The JSON document to read.")
    pointer: str = spec(Text("/data/0/value"), "JSON pointer (RFC 6901) to the value, e.g. `/results/0/score`.")
    op: str = spec(Choice(*OPERATORS), "How the value is compared: ==, !=, >=, <=, >, < or exists.", default="==")
    value: Any = spec(Plain(), "What it is compared with (not needed for `exists`).", default=None)

    def check(self) -> list[tuple[str, str, str]]:
        problems = []
        if self.pointer and not self.pointer.startswith("/"):
            problems.append(("pointer", "a JSON pointer starts with '/'", "write e.g. `pointer: /results/0/score`"))
        if self.op != "exists" and self.value is None:
            problems.append(("value", f"`op: {self.op}` needs a value", "add `value:`, or use `op: exists`"))
        return problems


def json_value(question: Question, settings: JsonSettings, session: Session, now: dt.datetime, resolve: Any) -> Verdict:
    """A value in a JSON document, found by JSON pointer, compared with a given value."""
    document, problem = fetch_json(session, settings.url)
    if problem:
        return failed(problem)
    wanted = f"{settings.pointer} {settings.op}" + ("" if settings.op == "exists" else f" {settings.value!r}")
    try:
        found = pointer(document, settings.pointer)
    except KeyError as error:
        if settings.op == "exists":
            return by_deadline(question, now, f"{settings.pointer} to exist", {settings.url: f"absent: {error}"})
        return failed(f"{settings.url}: nothing at {settings.pointer}: {error}")
    try:
        holds = _compare(found, settings.op, settings.value)
    except ValueError as error:
        return failed(f"{settings.url}: {error}")
    excerpt = {settings.url: f"{settings.pointer} = {json.dumps(found, allow_nan=False)[:200]}"}
    if holds:
        return resolved("yes", f"{wanted}: holds", excerpts=excerpt)
    return by_deadline(question, now, wanted, excerpt)


@attrs.frozen
class TableSettings:
    url: str = spec(Url(), "The CSV table to read (first row: column names).")
    where: dict[str, Any] = spec(
        MappingOf(Key(), Plain(), "{Organization: OpenAI, Parameters: {'>=': 1e12}}"),
        "Conditions a row must meet, by column: a value (equal, case-insensitive) or {op: value} with op one of"
        " ==, !=, >=, <=, >, <, contains.",
    )
    date_column: str | None = spec(
        Text("Publication date"), "A column dating each row: only rows dated by the resolve-by day count.", default=None
    )

    def check(self) -> list[tuple[str, str, str]]:
        problems = []
        for column, condition in self.where.items():
            if isinstance(condition, dict):
                unknown = [op for op in condition if op not in (*OPERATORS[:-1], "contains")]
                if unknown:
                    hint = "use ==, !=, >=, <=, >, < or contains"
                    problems.append((f"where.{column}", f"unknown comparison {unknown[0]!r}", hint))
            elif isinstance(condition, list):
                problems.append((f"where.{column}", "expected a value or {op: value}", "write `column: value`"))
        return problems


def _row_meets(row: dict[str, str], where: dict[str, Any]) -> bool:
    for column, condition in where.items():
        cell = (row.get(column) or "").strip()
        tests = condition.items() if isinstance(condition, dict) else [("==", condition)]
        for op, value in tests:
            if op == "contains":
                if str(value).lower() not in cell.lower():
                    return False
            elif op in ("==", "!=") and _number(value) is None:
                if (cell.lower() == str(value).strip().lower()) != (op == "=="):
                    return False
            else:
                number = _number(cell)
                if number is None or not _compare(number, op, value):
                    return False
    return True


def table(question: Question, settings: TableSettings, session: Session, now: dt.datetime, resolve: Any) -> Verdict:
    """A CSV table has a row meeting every condition (by the resolve-by day, with ``date_column``)."""
    fetched: Fetched = session.get(settings.url)
    if problem := fetched.problem():
        return failed(problem)
    reader = csv.DictReader(io.StringIO(fetched.text().lstrip("\ufeff")))
    if problem := _missing_column(settings, reader.fieldnames or []):
        return failed(problem)
    matches = [row for row in reader if _row_meets(row, settings.where)]
    wanted = "a row where " + ", ".join(f"{k} {v}" for k, v in settings.where.items())
    verdict = None
    if settings.date_column:
        verdict = _earliest_dated(question, settings.url, settings.date_column, wanted, matches)
    elif matches:
        verdict = resolved("yes", f"{wanted}: found", excerpts={settings.url: _row_text(matches[0])})
    return verdict or by_deadline(question, now, wanted, {settings.url: f"no matching row among {reader.line_num - 1}"})


def _missing_column(settings: TableSettings, columns: Sequence[str]) -> str | None:
    """Why the table cannot be read as the settings say: a column they name that it lacks."""
    missing = [c for c in [*settings.where, settings.date_column] if c and c not in columns]
    return f"{settings.url}: no column {missing[0]!r} (columns: {', '.join(columns)})" if missing else None


def _earliest_dated(
    question: Question, url: str, column: str, wanted: str, matches: list[dict[str, str]]
) -> Verdict | None:
    """The verdict of the earliest dated row among ``matches``; None if no row is dated.

    An undated row cannot show that it happened by a date, so it does not count.
    """
    dated = [(when, row) for row in matches if (when := _row_date(row.get(column) or "")) is not None]
    if not dated:
        return None
    when, row = min(dated, key=lambda match: match[0])  # min keeps the first of rows dated alike, as a sort would
    if when < deadline(question):
        return happened(question, when, wanted, {url: _row_text(row)})
    return resolved("no", f"{wanted}: first dated {when:%Y-%m-%d}, after resolve-by", when, {url: _row_text(row)})


def _row_text(row: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in row.items() if v)[:300]


def _row_date(text: str) -> dt.datetime | None:
    text = text.strip()
    for form in ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%SZ", "%Y/%m/%d", "%Y-%m"):
        try:
            return dt.datetime.strptime(text, form).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
    return None


@hookimpl
def predreg_register_resolvers(register: Register) -> None:
    """This module's resolvers, versioned as predreg is."""
    register("http", page, settings=PageSettings, version=__version__)
    register("json", json_value, settings=JsonSettings, version=__version__)
    register("csv", table, settings=TableSettings, version=__version__)
