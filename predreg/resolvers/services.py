"""Resolvers that read a service's own record: ``github``, ``arxiv``, ``metaculus``, ``manifold``.

Each uses the service's server-side timestamps (a merge time, a publication date, a
resolution time), so a run that catches up late still judges by the resolve-by day.
``api`` points a resolver at another server (GitHub Enterprise, a mirror, the tests).
"""

from __future__ import annotations

import datetime as dt
import math
import xml.etree.ElementTree as ElementTree
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import attrs

from ..fieldtypes import Choice, Date, Integer, Text, Url, spec
from ..hookspecs import hookimpl
from ..model import AMBIGUOUS, ANNULLED, Question
from ..verdict import Verdict, failed, pending, resolved
from ..version import __version__
from . import by_deadline, deadline, fetch_json, happened, timestamp

if TYPE_CHECKING:
    from ..fetch import Session
    from ..plugins import Register


@attrs.frozen
class GitHubSettings:
    repo: str = spec(Text("owner/name"), "The repository, `owner/name`.")
    event: str = spec(
        Choice("closed", "merged", "released"),
        "`closed`: the issue or PR is closed; `merged`: the PR is merged; `released`: a release is published.",
    )
    number: int | None = spec(Integer(), "The issue or pull request number (closed, merged).", default=None)
    tag: str | None = spec(Text("v1.0"), "The release's tag (released); any full release if not given.", default=None)
    api: str = spec(Url(), "The API's base URL.", default="https://api.github.com")

    def check(self) -> list[tuple[str, str, str]]:
        if self.repo.count("/") != 1 or not all(self.repo.split("/")):
            return [("repo", f"`{self.repo}` is not `owner/name`", "write e.g. `repo: openai/evals`")]
        if self.event in ("closed", "merged") and self.number is None:
            return [("number", f"`event: {self.event}` needs the issue or PR number", "add `number: 123`")]
        return []


def github(question: Question, settings: GitHubSettings, session: Session, now: dt.datetime, resolve: Any) -> Verdict:
    """An issue or PR closed, a PR merged, or a release published, by GitHub's own timestamps."""
    base = f"{settings.api.rstrip('/')}/repos/{settings.repo}"
    if settings.event == "released":
        return _released(question, settings, session, now, base)
    kind = "pulls" if settings.event == "merged" else "issues"
    url = f"{base}/{kind}/{settings.number}"
    item, problem = fetch_json(session, url)
    if problem:
        return failed(problem)
    what = f"{settings.repo}#{settings.number} {settings.event}"
    stamp = item.get("merged_at") if settings.event == "merged" else item.get("closed_at")
    excerpt = {url: f"state={item.get('state')} {'merged_at' if settings.event == 'merged' else 'closed_at'}={stamp}"}
    if stamp:
        return happened(question, timestamp(stamp), what, excerpt)
    return by_deadline(question, now, what, excerpt)


def _released(question: Question, settings: GitHubSettings, session: Session, now: dt.datetime, base: str) -> Verdict:
    """``event: released``: the first full release (of ``tag``, if given) and when it was published."""
    url = f"{base}/releases?per_page=100"
    releases, problem = fetch_json(session, url)
    if problem:
        return failed(problem)
    published = sorted(
        (timestamp(r.get("published_at")), r.get("tag_name"))
        for r in releases
        if not r.get("draft")
        and not r.get("prerelease")
        and r.get("published_at")
        and (settings.tag is None or r.get("tag_name") == settings.tag)
    )
    what = f"release {settings.tag or '(any)'} of {settings.repo}"
    if published:
        when, tag = published[0]
        return happened(question, when, f"{what} published", {url: f"{tag} published_at {when:%Y-%m-%dT%H:%M:%SZ}"})
    return by_deadline(question, now, f"{what} published", {url: f"{len(releases)} releases, none matching"})


ATOM = {"atom": "http://www.w3.org/2005/Atom"}


@attrs.frozen
class ArxivSettings:
    query: str = spec(Text('ti:"chain of thought" AND abs:monitorability'), "An arXiv API search query.")
    since: dt.date | None = spec(Date(), "Only papers submitted on or after this date count.", default=None)
    api: str = spec(Url(), "The API's address.", default="https://export.arxiv.org/api/query")


def arxiv(question: Question, settings: ArxivSettings, session: Session, now: dt.datetime, resolve: Any) -> Verdict:
    """A paper matching a query is published on arXiv by the resolve-by day (its `published` date)."""
    start = (settings.since or dt.date(1991, 8, 1)).strftime("%Y%m%d") + "0000"
    end = (deadline(question) - dt.timedelta(minutes=1)).strftime("%Y%m%d%H%M")
    search = f"({settings.query}) AND submittedDate:[{start} TO {end}]"
    url = (
        settings.api
        + "?"
        + urlencode(
            {"search_query": search, "sortBy": "submittedDate", "sortOrder": "ascending", "max_results": 10},
            quote_via=quote,
        )
    )
    fetched = session.get(url)
    if problem := fetched.problem():
        return failed(problem)
    try:
        feed = ElementTree.fromstring(fetched.body)
    except ElementTree.ParseError as error:
        return failed(f"{url}: not an Atom feed ({error})")
    papers = []
    for entry in feed.findall("atom:entry", ATOM):
        published = timestamp(entry.findtext("atom:published", None, ATOM))
        title = " ".join((entry.findtext("atom:title", "", ATOM)).split())
        if published is not None and published < deadline(question):
            papers.append((published, title, entry.findtext("atom:id", "", ATOM)))
    if papers:
        when, title, link = min(papers)
        return happened(
            question, when, f"paper on arXiv: {title}", {url: f"{link} published {when:%Y-%m-%d}: {title}"[:300]}
        )
    return by_deadline(question, now, f"a paper matching {settings.query!r}", {url: "no matching paper"})


@attrs.frozen
class MetaculusSettings:
    id: int = spec(Integer(), "The Metaculus post id (the number in the question's URL).")
    api: str = spec(Url(), "The site's address.", default="https://www.metaculus.com")


METACULUS = {"yes": "yes", "no": "no", "annulled": ANNULLED, "ambiguous": AMBIGUOUS}


def metaculus(
    question: Question, settings: MetaculusSettings, session: Session, now: dt.datetime, resolve: Any
) -> Verdict:
    """Mirrors a Metaculus question's own resolution (annulled and ambiguous included)."""
    url = f"{settings.api.rstrip('/')}/api/posts/{settings.id}/"
    post, problem = fetch_json(session, url)
    if problem:
        return failed(problem)
    record = post.get("question") or {}
    resolution = record.get("resolution")
    excerpt = {url: f"status={record.get('status')} resolution={resolution} at {record.get('actual_resolve_time')}"}
    if record.get("status") != "resolved" or resolution is None:
        return pending(f"Metaculus {settings.id} is {record.get('status') or 'not resolved'}", excerpt)
    when = timestamp(record.get("actual_resolve_time"))
    outcome = METACULUS.get(str(resolution).lower())
    if outcome is None:
        if question.kind == "numeric":
            try:
                number = float(resolution)
            except ValueError:
                pass
            else:
                if not math.isfinite(number):  # float() reads "nan", "inf" and 1e400: none is an outcome
                    return failed(f"Metaculus {settings.id} resolved {resolution!r}, which is not a finite number")
                return resolved(number, f"Metaculus {settings.id} resolved {resolution}", when, excerpt)
        if str(resolution) in question.allowed_outcomes():
            return resolved(str(resolution), f"Metaculus {settings.id} resolved {resolution}", when, excerpt)
        return failed(f"Metaculus {settings.id} resolved {resolution!r}, which is not an outcome of this question")
    return resolved(outcome, f"Metaculus {settings.id} resolved {resolution}", when, excerpt)


@attrs.frozen
class ManifoldSettings:
    market: str = spec(Text("aBcD123"), "The Manifold market id (not its slug).")
    api: str = spec(Url(), "The API's address.", default="https://api.manifold.markets")


MANIFOLD = {"YES": "yes", "NO": "no", "CANCEL": ANNULLED, "MKT": AMBIGUOUS}
"""Manifold's resolutions: CANCEL is N/A (annulled); MKT resolves to a probability, not yes or no."""


def manifold(
    question: Question, settings: ManifoldSettings, session: Session, now: dt.datetime, resolve: Any
) -> Verdict:
    """Mirrors a Manifold binary market's resolution (CANCEL as annulled, MKT as ambiguous)."""
    url = f"{settings.api.rstrip('/')}/v0/market/{settings.market}"
    market, problem = fetch_json(session, url)
    if problem:
        return failed(problem)
    resolution = market.get("resolution")
    excerpt = {url: f"isResolved={market.get('isResolved')} resolution={resolution}"}
    if not market.get("isResolved") or resolution is None:
        return pending(f"Manifold market {settings.market} is not resolved", excerpt)
    millis = market.get("resolutionTime")
    when = dt.datetime.fromtimestamp(millis / 1000, dt.UTC) if isinstance(millis, int | float) else None
    outcome = MANIFOLD.get(str(resolution))
    if outcome is None:
        return failed(f"Manifold market {settings.market} resolved {resolution!r}: only binary markets are mirrored")
    return resolved(outcome, f"Manifold market {settings.market} resolved {resolution}", when, excerpt)


@hookimpl
def predreg_register_resolvers(register: Register) -> None:
    """This module's resolvers, versioned as predreg is."""
    register("github", github, settings=GitHubSettings, version=__version__)
    register("arxiv", arxiv, settings=ArxivSettings, version=__version__)
    register("metaculus", metaculus, settings=MetaculusSettings, version=__version__)
    register("manifold", manifold, settings=ManifoldSettings, version=__version__)
