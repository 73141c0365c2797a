"""The site's HTML pages, one producer among the site's: ``Pages(templates).files(facts)``.

Templates are Jinja2, autoescaped, compiled once per build. A community's own folder
(``--templates DIR``) is looked in first, then the packaged ``predreg/templates/site``:
it may override any one template, or the static files, and leave the rest. Every link
is relative to the page, so the site works from a folder, a file:// URL, or a project
page on GitHub Pages.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import jinja2

from .. import reports
from ..defaults import BRIER_SCALE
from ..errors import UsageError
from ..leaderboard import Leaderboard
from ..version import __version__
from . import charts, words
from .facts import DUE_DAYS, AuthorFacts, Forecast, QuestionFacts, SiteFacts
from .safety import file_name
from .words import percent

PACKAGED = os.path.join(os.path.dirname(os.path.dirname(__file__)), "templates", "site")
"""The packaged templates and static files."""
TEMPLATES = (
    "base.html",
    "macros.html",
    "index.html",
    "question.html",
    "author.html",
    "open.html",
    "tags.html",
    "tag.html",
)
"""The packaged templates: a ``--templates`` folder may override any of them."""
STATIC = ("static/site.css", "static/site.js")
"""Static files, copied through the loader (so a community may override them too)."""

BOARD_PAGE = 100
"""Leaderboard rows per page."""
LIST_PAGE = 200
"""Rows per page of the other long lists: an author's forecasts, open questions, a tag's questions."""
QUESTION_PAGE = 500
"""Forecasts in a question page's table; more go on its further pages."""
CHART_LINES = 40
"""Most authors drawn on one question's chart (the table below it lists every forecast)."""
SITE_TITLE = "Prediction registry"

Page = Callable[[], bytes]
"""How to render one file of the site."""


def environment(templates: str | None) -> jinja2.Environment:
    """The Jinja2 environment: ``templates`` first (if given), then the packaged ones; autoescaped."""
    folders = [PACKAGED]
    if templates is not None:
        if not os.path.isdir(templates):
            raise UsageError(
                f"--templates {templates}: no such folder; give a folder of templates"
                " (any of predreg/templates/site's, by the same names)"
            )
        folders.insert(0, templates)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folders),
        autoescape=jinja2.select_autoescape(["html", "xml", "svg"], default_for_string=True, default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # (no stat of every template a page extends or imports, per page)
    )
    env.globals.update(file_name=file_name, community=latest_community, due_days=DUE_DAYS)
    env.filters.update(
        percent=percent,
        number=words.number,
        signed=words.signed,
        interval=words.interval,
        outcome=words.outcome,
        moment=words.moment,
    )
    return env


def paged(first: str, rest: str, count: int, size: int) -> list[str]:
    """The paths of ``count`` items' pages, ``size`` a page: ``first``, then ``rest`` with ``{n}`` = 2, 3, ..."""
    pages = max(1, -(-count // size))
    return [first] + [rest.format(n=n) for n in range(2, pages + 1)]


def root_of(path: str) -> str:
    """The relative way from the page at ``path`` back to the site's root."""
    return "../" * path.count("/")


class Pages:
    """The HTML pages and static files of a site, from its facts."""

    def __init__(self, templates: str | None = None, produced: Sequence[str] = ()) -> None:
        self.env = environment(templates)
        self.produced = frozenset(produced)
        """Paths the other producers write (the JSON API, the feeds): linked only if there."""
        self._compiled: dict[str, jinja2.Template] = {}

    def compile(self) -> None:
        """Compile every template now (a broken one is refused before any page is written)."""
        for name in TEMPLATES:
            self.template(name)

    def template(self, name: str) -> jinja2.Template:
        if name not in self._compiled:
            try:
                self._compiled[name] = self.env.get_template(name)
            except jinja2.TemplateError as error:
                raise UsageError(f"template {name}: {error.message or type(error).__name__}; fix it") from None
        return self._compiled[name]

    def render(self, path: str, name: str, facts: SiteFacts, **context: Any) -> bytes:
        """One page: ``name`` rendered with the facts, the way back to the root, and ``context``."""
        try:
            text = self.template(name).render(
                facts=facts,
                root=root_of(path),
                path=path,
                site_title=SITE_TITLE,
                version=__version__,
                produced=self.produced,
                **context,
            )
        except jinja2.TemplateError as error:
            raise UsageError(f"template {name}: {error.message or type(error).__name__}; fix it") from None
        return text.encode("utf-8")

    def files(self, facts: SiteFacts) -> dict[str, bytes]:
        """Every page and static file: path inside the site -> bytes."""
        return {path: render() for path, render in self.pages(facts)}

    def pages(self, facts: SiteFacts) -> list[tuple[str, Page]]:
        """Every page and static file, each as its path and how to render it (so the work can be shared out)."""
        anchors = forecast_links(facts)
        out: list[tuple[str, Page]] = [(name, functools.partial(self._static, name)) for name in STATIC]
        out += self._board(facts)
        out += self._open(facts)
        out += self._tags(facts)
        for q in facts.questions.values():
            paths = paged(q.page, q.page.removesuffix(".html") + "/{n}.html", len(q.forecasts), QUESTION_PAGE)
            out += [
                (path, functools.partial(self._question, q, facts, anchors, paths, n)) for n, path in enumerate(paths)
            ]
        for author in facts.authors.values():
            out += self._author(author, facts)
        return out

    def _static(self, name: str) -> bytes:
        loader = self.env.loader
        assert loader is not None
        source, _, _ = loader.get_source(self.env, name)
        return source.encode("utf-8")

    def _question(
        self,
        question: QuestionFacts,
        facts: SiteFacts,
        anchors: Mapping[str, str],
        paths: Sequence[str],
        n: int,
    ) -> bytes:
        """A question's page ``n``: all of it on the first, the next forecasts of its table on the others."""
        context = question_context(question, facts, anchors, charted=n == 0)
        context["rows"] = context["rows"][n * QUESTION_PAGE : (n + 1) * QUESTION_PAGE]
        path = paths[n]
        return self.render(path, "question.html", facts, question=question, pages=_pagination(path, paths), **context)

    def _board(self, facts: SiteFacts) -> list[tuple[str, Page]]:
        rows = board_rows(facts.board, facts.authors)
        paths = paged("index.html", "leaderboard/{n}.html", len(rows), BOARD_PAGE)
        return [
            (
                path,
                functools.partial(
                    self.render,
                    path,
                    "index.html",
                    facts,
                    header=reports.LEADERBOARD_HEADER,
                    rows=rows[n * BOARD_PAGE : (n + 1) * BOARD_PAGE],
                    pages=_pagination(path, paths),
                    scale=BRIER_SCALE,
                    community_row=community_row(facts.board),
                ),
            )
            for n, path in enumerate(paths)
        ]

    def _open(self, facts: SiteFacts) -> list[tuple[str, Page]]:
        waiting = sorted(
            (q for q in facts.questions.values() if q.outcome is None),
            key=lambda q: (q.record.resolve_by, q.id),
        )
        paths = paged("open.html", "open/{n}.html", len(waiting), LIST_PAGE)
        return [
            (
                path,
                functools.partial(
                    self.render,
                    path,
                    "open.html",
                    facts,
                    questions=waiting[n * LIST_PAGE : (n + 1) * LIST_PAGE],
                    total=len(waiting),
                    pages=_pagination(path, paths),
                ),
            )
            for n, path in enumerate(paths)
        ]

    def _tags(self, facts: SiteFacts) -> list[tuple[str, Page]]:
        boards = dict(facts.tag_boards)
        out: list[tuple[str, Page]] = [
            ("tags.html", functools.partial(self.render, "tags.html", "tags.html", facts, tag_pages=tag_pages(facts)))
        ]
        for tag, ids in facts.tags.items():
            stem = f"tags/{file_name(tag)}"
            paths = paged(f"{stem}.html", stem + "/{n}.html", len(ids), LIST_PAGE)
            board = boards.get(tag)
            rows = board_rows(board, facts.authors) if board is not None else []
            for n, path in enumerate(paths):
                page = functools.partial(
                    self.render,
                    path,
                    "tag.html",
                    facts,
                    tag=tag,
                    questions=[facts.questions[i] for i in ids[n * LIST_PAGE : (n + 1) * LIST_PAGE]],
                    total=len(ids),
                    pages=_pagination(path, paths),
                    header=reports.LEADERBOARD_HEADER,
                    rows=rows[:BOARD_PAGE] if n == 0 else [],
                    board_size=len(rows),
                )
                out.append((path, page))
        return out

    def _author(self, author: AuthorFacts, facts: SiteFacts) -> list[tuple[str, Page]]:
        stem = author.page.removesuffix(".html")
        paths = paged(author.page, stem + "/{n}.html", len(author.forecasts), LIST_PAGE)
        return [
            (path, functools.partial(self._author_page, author, facts, path, paths, n)) for n, path in enumerate(paths)
        ]

    def _author_page(self, author: AuthorFacts, facts: SiteFacts, path: str, paths: Sequence[str], n: int) -> bytes:
        return self.render(
            path,
            "author.html",
            facts,
            author=author,
            first_page=n == 0,
            forecasts=author.forecasts[n * LIST_PAGE : (n + 1) * LIST_PAGE],
            scored=author.scored[n * LIST_PAGE : (n + 1) * LIST_PAGE],  # fewer than the forecasts: no extra page
            pages=_pagination(path, paths),
            **(author_context(author, facts) if n == 0 else {"calibration": "", "murphy": []}),
            questions=facts.questions,
            notes=words.notes,
        )


def _pagination(path: str, paths: Sequence[str]) -> list[tuple[int, str, bool]]:
    """(number, relative href, is this page) for each page of a list; [] for a list of one page."""
    if len(paths) == 1:
        return []
    back = root_of(path)
    return [(n + 1, back + p, p == path) for n, p in enumerate(paths)]


def board_rows(board: Leaderboard, authors: Mapping[str, AuthorFacts]) -> list[dict[str, Any]]:
    """The leaderboard's rows (``reports.leaderboard_rows``, so new columns flow in), with author pages and names."""
    rows = []
    at = reports.LEADERBOARD_HEADER.index("author")
    for cells in reports.leaderboard_rows(board):
        handle = cells[at]
        author = authors.get(handle)
        rows.append(
            {
                "cells": cells,
                "handle": handle,
                "name": author.name if author else handle,
                "page": author.page if author else None,
                "ranked": cells[0] != "-",
            }
        )
    return rows


def community_row(board: Leaderboard) -> dict[str, Any] | None:
    """The community forecast's row of the board (the same columns), marked virtual; None without one."""
    cells = reports.community_row(board)
    if cells is None:
        return None
    assert board.community is not None
    return {"cells": cells, "handle": board.community.author, "name": "Community forecast", "page": None}


def forecast_links(facts: SiteFacts) -> dict[str, str]:
    """Prediction id -> its row on its author's pages (site path and anchor)."""
    links = {}
    for author in facts.authors.values():
        stem = author.page.removesuffix(".html")
        paths = paged(author.page, stem + "/{n}.html", len(author.forecasts), LIST_PAGE)
        for k, forecast in enumerate(author.forecasts):
            links[forecast.id] = f"{paths[k // LIST_PAGE]}#{forecast.anchor}"
    return links


def tag_pages(facts: SiteFacts) -> list[tuple[str, str, int]]:
    return [(tag, f"tags/{file_name(tag)}.html", len(ids)) for tag, ids in facts.tags.items()]


def latest_community(question: QuestionFacts) -> str:
    """The community forecast standing now, in words; "-" while there is none."""
    if not question.community:
        return "-"
    return forecast_value(question.community[-1].forecast)


def forecast_value(value: Any) -> str:
    """A community forecast in words: 70%, outcome shares, or quantile values; "-" for none."""
    if value is None:
        return "-"
    if isinstance(value, float | int):
        return percent(float(value))
    if isinstance(value, Mapping):
        if all(isinstance(k, float) for k in value):  # a numeric forecast: quantile level -> value
            return ", ".join(f"{k:g}: {v:g}" for k, v in sorted(value.items()))
        return ", ".join(f"{k} {percent(float(v))}" for k, v in sorted(value.items()))
    return str(value)


def question_context(
    question: QuestionFacts, facts: SiteFacts, anchors: Mapping[str, str], charted: bool = True
) -> dict[str, Any]:
    """What a question's page shows beside the question: its charts (if ``charted``), legend, table rows."""
    figures, legend = question_charts(question, facts.as_of) if charted else ([], [])
    rows = [
        {
            "forecast": f,
            "author": facts.authors.get(f.author),
            "href": anchors.get(f.id),
            "notes": words.notes(f),
        }
        for f in question.forecasts
    ]
    rule = {"binary": facts.community_method, "numeric": "quantile averaging"}.get(
        question.record.kind, "the normalised geometric mean"
    )
    return {
        "figures": figures,
        "legend": legend,
        "rows": rows,
        "community_value": latest_community(question),
        "community_rule": rule,
    }


def _series(
    question: QuestionFacts, value: Callable[[Forecast], float | None]
) -> dict[str, list[tuple[dt.date, float]]]:
    """Per author, the (day, value) steps of their shown forecasts, in date order."""
    steps: dict[str, list[tuple[dt.date, float]]] = {}
    for f in question.forecasts:
        v = value(f)
        if v is not None:
            steps.setdefault(f.author, []).append((f.registered, v))
    return steps


def _median(f: Forecast) -> float | None:
    if not f.quantiles:
        return None
    levels = dict(f.quantiles)
    return levels.get(0.5, f.quantiles[len(f.quantiles) // 2][1])


def _chart_values(
    question: QuestionFacts,
) -> list[tuple[str, Callable[[Forecast], float | None], Callable[[Any], Any]]]:
    """(title, forecast -> value, community forecast -> value) for each chart of the question's kind."""
    kind = question.record.kind
    if kind == "binary":
        return [("probability of yes", lambda f: f.probability, lambda c: c)]
    if kind == "numeric":
        return [("median", _median, lambda c: dict(c).get(0.5) if isinstance(c, Mapping) else c)]
    return [(f"probability of {name}", *_of_outcome(name)) for name in question.record.allowed_outcomes()[:8]]


def _of_outcome(name: str) -> tuple[Callable[[Forecast], float | None], Callable[[Any], Any]]:
    """An outcome's probability in an author's forecast, and in the community's."""

    def of_forecast(f: Forecast) -> float | None:
        return dict(f.probabilities).get(name)

    def of_community(c: Any) -> Any:
        return c.get(name) if isinstance(c, Mapping) else None

    return of_forecast, of_community


def _changes(points: Iterable[tuple[dt.date, Any]]) -> tuple[tuple[dt.date, float], ...]:
    """The community's points where its value changes (it has one a day): the same steps, fewer of them."""
    kept: list[tuple[dt.date, float]] = []
    for day, value in points:
        if isinstance(value, float | int) and (not kept or kept[-1][1] != value):
            kept.append((day, float(value)))
    return tuple(kept)


def question_charts(
    question: QuestionFacts, as_of: dt.date
) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """The question's step charts, (what each shows, its SVG), and their legend: (name, colour, dash) per line."""
    standing = question.standing
    end = standing.resolved_at.date() if standing else max([as_of, *(f.registered for f in question.forecasts)])
    authors = list(question.forecasters)[:CHART_LINES]
    styles = {a: charts.style(i) for i, a in enumerate(authors)}
    figures = []
    for k, (title, value, community_value) in enumerate(_chart_values(question)):
        steps = _series(question, value)
        lines = [charts.Line(a, *styles[a], tuple(steps[a])) for a in authors if a in steps]
        if question.community:
            kept = _changes((p.day, community_value(p.forecast)) for p in question.community)
            if kept:
                lines.append(charts.Line("community", charts.COMMUNITY_COLOUR, "4 2", kept, width=3.5, marked=False))
        if not lines:
            continue
        values = [v for line in lines for _, v in line.steps]
        numeric = question.record.kind == "numeric"
        span = (min(values), max(values)) if numeric else (0.0, 1.0)
        if numeric and span[0] == span[1]:
            span = (span[0] - 1, span[1] + 1)
        chart_title = f"{title} over time, one line per author"
        figures.append((title, charts.step_chart(f"chart-{k + 1}", chart_title, lines, end, span, percent=not numeric)))
    legend = [(a, *styles[a]) for a in authors]
    if question.community:
        legend.append(("community", charts.COMMUNITY_COLOUR, "4 2"))
    return figures, legend


def author_context(author: AuthorFacts, facts: SiteFacts) -> dict[str, Any]:
    """What an author's page shows beside the forecasts: calibration, Murphy in words, scored series."""
    score = author.score
    calibration = ""
    if score is not None and any(b.count for b in score.calibration):
        title = f"Calibration of {author.name}: how often forecasts came true, by forecast"
        calibration = charts.calibration_chart("calibration", title, score.calibration)
    return {
        "calibration": calibration,
        "murphy": words.murphy(score.murphy, score.calibration) if score else [],
    }
