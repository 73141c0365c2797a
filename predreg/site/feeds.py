"""The site's Atom feeds (RFC 4287): new predictions, and resolutions.

:func:`files` gives ``feeds/predictions.xml`` (predictions by registration day, newest
first) and ``feeds/resolutions.xml`` (resolution records, corrections included, by
``resolved_at``), each capped at the newest :data:`ENTRIES`. A hidden commitment is
"a hidden forecast", never its value.

Links: with the site's ``--base-url`` every link is absolute and every id is the
address of the entry's page (its anchor included), unique on the web; without it,
links are relative to the feed's own address (``../questions/<id>.html``, which a
reader resolves against the URL it fetched the feed from) and ids are
``urn:predreg:...`` names, unique within the registry only. A feed is the same bytes
for the same registry: its ``updated`` is its newest entry's, never the clock's.

Registry text is hostile. ElementTree escapes markup (``<``, ``&``, ``]]>`` become
text); what XML 1.0 cannot hold at all, even escaped (control characters such as
``\\x0b``, lone surrogates, U+FFFE), and the C1 controls it discourages, are replaced
by U+FFFD before they get there.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from urllib.parse import urlsplit

import attrs

from ..errors import UsageError
from ..model import UNSCORED_OUTCOMES
from . import facts as site_facts
from .facts import Forecast, QuestionFacts, ResolutionStep, SiteFacts

ENTRIES = 100
"""The newest entries a feed keeps."""

ATOM = "http://www.w3.org/2005/Atom"
PREDICTIONS = "feeds/predictions.xml"
RESOLUTIONS = "feeds/resolutions.xml"
TITLE_CLAIM = 100
"""Characters of a claim an entry's title keeps (the summary has all of it)."""

_NOT_XML = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 forbids anywhere in a document, escaped or not (its production 2, Char), and the C1
controls and DEL it asks documents to avoid (section 2.2): feedparser, for one, reads U+0085 as an ellipsis."""


@attrs.frozen
class Link:
    """An ``atom:link`` of a feed or an entry."""

    path: str
    """A path inside the site, or (``web``) an http(s) address as the registry gives it."""
    rel: str
    title: str | None = None
    type: str | None = None
    web: bool = False


@attrs.frozen
class Entry:
    """One entry of a feed, before it is XML."""

    id: str
    """The entry's page path and anchor (an absolute address with --base-url), or its urn name without."""
    urn: str
    title: str
    published: dt.datetime
    updated: dt.datetime
    summary: str
    author: str
    author_page: str | None
    links: tuple[Link, ...]
    categories: tuple[str, ...] = ()


def files(facts: SiteFacts) -> dict[str, bytes]:
    """Both feeds, by their path inside the site."""
    check_base_url(facts.base_url)
    return {
        PREDICTIONS: feed(facts, PREDICTIONS, "New predictions", prediction_entries(facts)),
        RESOLUTIONS: feed(facts, RESOLUTIONS, "Resolutions", resolution_entries(facts)),
    }


def check_base_url(url: str | None) -> str | None:
    """``url`` if links can be made under it (an http(s) address with a host, no query or fragment), else UsageError."""
    if url is None:
        return None
    parts = urlsplit(url) if site_facts.web_link(url) else None
    if parts is None or parts.query or parts.fragment or "?" in url or "#" in url:
        raise UsageError(
            f"--base-url {url!r}: not an http(s) address a link can start with;"
            " give the site's public address, e.g. https://you.github.io/registry/"
        )
    return url


def xml_text(text: str) -> str:
    """``text`` with every character XML 1.0 cannot hold replaced by U+FFFD, and line ends as ``\\n``."""
    return _NOT_XML.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))


def short(text: str, limit: int = TITLE_CLAIM) -> str:
    """``text`` on one line, cut at a word before ``limit`` characters, with an ellipsis if cut."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[:limit].rsplit(" ", 1)[0] or line[:limit]
    return cut.rstrip(" ,.;:") + "\u2026"


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


def _utc(moment: dt.datetime) -> dt.datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def _when(moment: dt.datetime) -> str:
    """A moment in words: the day, and the time of day (UTC) unless it is midnight."""
    utc = _utc(moment)
    return utc.strftime("%Y-%m-%d" if utc.time() == dt.time() else "%Y-%m-%d %H:%M UTC")


def _rfc3339(moment: dt.datetime) -> str:
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def prediction_entries(facts: SiteFacts) -> list[Entry]:
    """The newest :data:`ENTRIES` predictions, newest registration first (then by id)."""
    forecasts = [(question, f) for question in facts.questions.values() for f in question.forecasts]
    forecasts.sort(key=lambda pair: (-pair[1].registered.toordinal(), pair[1].id))
    return [_prediction(facts, question, forecast) for question, forecast in forecasts[:ENTRIES]]


def said(forecast: Forecast) -> str:
    """What a forecast says, in words; a commitment not yet revealed says nothing of its value."""
    if forecast.hidden_until is not None:
        return f"a hidden forecast, to be revealed by {forecast.hidden_until.isoformat()}"
    return forecast.shown


def did(forecast: Forecast) -> str:
    """What its author did, in words: "forecast 70%", "revised to 60%", "made a hidden forecast, ..."."""
    if forecast.supersedes:
        return f"revised to {said(forecast)}"
    return f"made {said(forecast)}" if forecast.hidden_until is not None else f"forecast {said(forecast)}"


def _prediction(facts: SiteFacts, question: QuestionFacts, forecast: Forecast) -> Entry:
    author = facts.authors.get(forecast.author)
    name = author.name if author else forecast.author
    lines = [question.record.claim, "", f"{name} {did(forecast)} on {forecast.registered.isoformat()}."]
    if forecast.withdrawn is not None:
        lines.append(f"Withdrawn on {forecast.withdrawn.isoformat()}" + _reason(forecast.withdrawal_reason))
    if forecast.given:
        lines.append(f"Conditional on {forecast.given}.")
    lines.append(f"Resolves by {question.record.resolve_by.isoformat()}; the question is {question.status}.")
    days = [forecast.registered, *(d for d in (forecast.revealed, forecast.withdrawn) if d is not None)]
    author_page = author.page if author else None
    links = [Link(question.page, "alternate", "the question")]
    if author_page:
        links.append(Link(f"{author_page}#{forecast.anchor}", "related", f"{name}'s forecasts"))
    return Entry(
        id=f"{author_page or question.page}#{forecast.anchor}",
        urn=f"urn:predreg:prediction:{site_facts.file_name(forecast.id)}",
        title=f"{name} {did(forecast)}{' (withdrawn)' if forecast.withdrawn else ''}: {short(question.record.claim)}",
        published=_midnight(forecast.registered),
        updated=_midnight(max(days)),
        summary="\n".join(lines),
        author=name,
        author_page=author_page,
        links=tuple(links),
        categories=question.tags,
    )


def _reason(reason: str | None) -> str:
    return f": {reason}" if reason else "."


def resolution_entries(facts: SiteFacts) -> list[Entry]:
    """The newest :data:`ENTRIES` resolution records, corrections included, newest first (then by file)."""
    steps = [(question, step) for question in facts.questions.values() for step in question.chain]
    steps.sort(key=lambda pair: (-_utc(pair[1].resolved_at).timestamp(), pair[1].file))
    return [_resolution(facts, question, step) for question, step in steps[:ENTRIES]]


def outcome_words(step: ResolutionStep) -> str:
    """How a record ends the question, in words: "resolved yes", "corrected to no", "annulled"."""
    outcome = f"{step.outcome:g}" if isinstance(step.outcome, float) else str(step.outcome)
    if outcome in UNSCORED_OUTCOMES:
        return f"{'corrected to ' if step.corrects else ''}{outcome}"
    return f"corrected to {outcome}" if step.corrects else f"resolved {outcome}"


def _resolution(facts: SiteFacts, question: QuestionFacts, step: ResolutionStep) -> Entry:
    who = step.resolved_by or step.resolver
    author = facts.authors.get(step.resolved_by) if step.resolved_by else None
    lines = [question.record.claim, "", f"{outcome_words(step).capitalize()} on {_when(step.resolved_at)}"]
    lines[-1] += f" by {author.name if author else who} (resolver {step.resolver})."
    if step.corrects:
        lines.append(f"This corrects the record {step.corrects}.")
    if step.approved_by:
        lines.append(f"Approved by {', '.join(step.approved_by)}.")
    if step.disputed_by:
        lines.append(f"Disputed by {', '.join(step.disputed_by)}.")
    links = [Link(question.page, "alternate", "the question")]
    for number, evidence in enumerate(step.evidence, start=1):
        lines.append(
            f"Evidence {number}: {evidence.url}" + (f" (stored copy: {evidence.stored})" if evidence.stored else "")
        )
        if evidence.href:  # only http(s) addresses become links; the rest is the text above
            links.append(Link(evidence.href, "related", f"evidence {number}", web=True))
        if evidence.stored:
            links.append(Link(evidence.stored, "related", f"evidence {number}, the stored copy", "text/plain"))
    if step.note:
        lines += ["", step.note]
    anchor = f"r-{site_facts.file_name(step.file)}"
    return Entry(
        id=f"{question.page}#{anchor}",
        urn=f"urn:predreg:resolution:{site_facts.file_name(question.id)}:{site_facts.file_name(step.file)}",
        title=f"{outcome_words(step).capitalize()}: {short(question.record.claim)}",
        published=_utc(step.resolved_at),
        updated=_utc(step.resolved_at),
        summary="\n".join(lines),
        author=author.name if author else who,
        author_page=author.page if author else None,
        links=tuple(links),
        categories=question.tags,
    )


def feed(facts: SiteFacts, path: str, title: str, entries: Sequence[Entry]) -> bytes:
    """One Atom feed document."""
    root = ET.Element("feed", {"xmlns": ATOM})
    _child(root, "id", _address(facts, path) if facts.base_url else f"urn:predreg:feed:{path}")
    _child(root, "title", title)
    _child(root, "subtitle", f"predreg registry, as of {facts.as_of.isoformat()}")
    newest = max((e.updated for e in entries), default=_midnight(facts.as_of))
    _child(root, "updated", _rfc3339(newest))
    _link(root, facts, Link(path, "self", type="application/atom+xml"))
    _link(root, facts, Link("index.html", "alternate", "the leaderboard", "text/html"))
    _child(root, "generator", "predreg", uri="https://github.com/predreg/predreg")
    for entry in entries:
        _entry(root, facts, entry)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _entry(root: ET.Element, facts: SiteFacts, entry: Entry) -> None:
    element = _child(root, "entry")
    _child(element, "id", _address(facts, entry.id) if facts.base_url else entry.urn)
    _child(element, "title", entry.title)
    _child(element, "published", _rfc3339(entry.published))
    _child(element, "updated", _rfc3339(entry.updated))
    author = _child(element, "author")
    _child(author, "name", entry.author)
    if entry.author_page:
        _child(author, "uri", _address(facts, entry.author_page))
    for link in entry.links:
        _link(element, facts, link)
    for term in entry.categories:
        _child(element, "category", term=term)
    _child(element, "summary", entry.summary, type="text")


def _address(facts: SiteFacts, path: str) -> str:
    """A site path as the feed links it: absolute under --base-url, else relative to ``feeds/``."""
    if facts.base_url:
        return facts.base_url.rstrip("/") + "/" + path
    return "../" + path


def _link(parent: ET.Element, facts: SiteFacts, link: Link) -> None:
    attributes = {"rel": link.rel, "href": link.path if link.web else _address(facts, link.path)}
    if link.type:
        attributes["type"] = link.type
    if link.title:
        attributes["title"] = link.title
    _child(parent, "link", **attributes)


def _child(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    """A child element; its text and attributes made fit for XML (ElementTree escapes the markup)."""
    element = ET.SubElement(parent, tag, {name: xml_text(value) for name, value in attributes.items()})
    if text is not None:
        element.text = xml_text(text)
    return element
