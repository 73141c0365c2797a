"""The site's Atom feeds, read by a real parser (feedparser): valid, ordered, capped, escaped, deterministic."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import feedparser
import pytest

from predreg.cli import main
from predreg.site import feeds

from .conftest import DATA, EXAMPLE_REGISTRY
from .test_site_api import HOSTILE_CLAIM, HOSTILE_NAME, gather, hostile_registry

SITE = "https://forecasts.example.org/site/"
ATOM = "{http://www.w3.org/2005/Atom}"


def parsed(content: bytes, at: str | None = None) -> Any:
    """The feed as feedparser reads it, fetched (as a reader would) from ``at``; it must not be malformed."""
    headers = {"content-type": "application/atom+xml; charset=utf-8"}
    if at:
        headers["content-location"] = at
    document = feedparser.parse(content, response_headers=headers)
    assert not document.bozo, document.get("bozo_exception")
    assert document.version == "atom10"
    return document


@pytest.fixture(scope="module")
def example() -> dict[str, bytes]:
    return feeds.files(gather(EXAMPLE_REGISTRY))


@pytest.fixture(scope="module")
def hostile_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hostile_registry(tmp_path_factory.mktemp("hostile") / "registry")


@pytest.fixture(scope="module")
def hostile(hostile_root: Path) -> dict[str, bytes]:
    return feeds.files(gather(hostile_root, base_url=SITE))


def test_the_site_has_a_feed_of_predictions_and_one_of_resolutions(example: dict[str, bytes]) -> None:
    assert sorted(example) == ["feeds/predictions.xml", "feeds/resolutions.xml"]
    for content in example.values():
        document = parsed(content)
        assert document.feed.id and document.feed.title and document.feed.updated_parsed


def test_every_entry_has_what_atom_requires(example: dict[str, bytes]) -> None:
    for content in example.values():
        entries = parsed(content).entries
        assert entries
        for entry in entries:
            assert entry.id and entry.title and entry.updated_parsed and entry.summary
            assert entry.author and entry.link
        assert len({e.id for e in entries}) == len(entries)  # ids are unique


def test_predictions_come_newest_first_and_every_one_is_there(example: dict[str, bytes]) -> None:
    facts = gather(EXAMPLE_REGISTRY)
    entries = parsed(example["feeds/predictions.xml"]).entries
    assert len(entries) == facts.predictions == 19
    days = [dt.date(*e.published_parsed[:3]) for e in entries]
    assert days == sorted(days, reverse=True)
    assert {e.id for e in entries} == {
        f"urn:predreg:prediction:{f.id}" for q in facts.questions.values() for f in q.forecasts
    }


def test_a_feed_keeps_only_the_newest_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feeds, "ENTRIES", 5)
    facts = gather(EXAMPLE_REGISTRY)
    entries = parsed(feeds.files(facts)["feeds/predictions.xml"]).entries
    newest = sorted(
        (f for q in facts.questions.values() for f in q.forecasts), key=lambda f: (-f.registered.toordinal(), f.id)
    )
    assert [e.id.rsplit(":", 1)[1] for e in entries] == [f.id for f in newest[:5]]


def test_the_feeds_updated_is_its_newest_entrys_never_the_clock(example: dict[str, bytes]) -> None:
    for content in example.values():
        document = parsed(content)
        assert document.feed.updated_parsed == max(e.updated_parsed for e in document.entries)


def test_a_resolution_entry_gives_the_outcome_and_links_the_stored_evidence(example: dict[str, bytes]) -> None:
    entries = parsed(example["feeds/resolutions.xml"], at=SITE + "feeds/resolutions.xml").entries
    [entry] = [e for e in entries if e.id.endswith(":empirical-scheming-report:empirical-scheming-report.yaml")]
    assert entry.title.startswith("Resolved yes: The 2025 empirical report")
    assert "Disputed by forecaster-e." in entry.summary and entry.author == "Forecaster D"
    sha = "39ffe87544512ecd73e6ab2e5808d19c7e5827e53963fddd2241ab88575c9e8a"
    links = {(link.rel, link.href) for link in entry.links}
    assert ("alternate", SITE + "questions/empirical-scheming-report.html") in links  # resolved against the feed
    assert ("related", SITE + f"evidence/{sha}.txt") in links
    assert not any("seeds/" in href for _, href in links)  # the demo's seeds/... is no address: text only
    assert "Evidence 1: seeds/003_2459c67bd2197ca2.txt" in entry.summary


def test_resolutions_come_newest_first_corrections_included(hostile: dict[str, bytes]) -> None:
    entries = parsed(hostile["feeds/resolutions.xml"]).entries
    assert [e.title.split(":")[0] for e in entries] == ["Corrected to no", "Resolved yes"]
    assert [e.updated for e in entries] == ["2026-11-05T00:00:00Z", "2026-11-01T00:00:00Z"]
    assert "This corrects the record q-hostile." in entries[0].summary


def test_with_a_base_url_every_link_and_id_is_an_absolute_address(hostile: dict[str, bytes]) -> None:
    for path, content in hostile.items():
        document = parsed(content)
        assert document.feed.id == SITE + path
        assert {link.rel: link.href for link in document.feed.links}["self"] == SITE + path
        for entry in document.entries:
            assert entry.id.startswith(SITE)
            assert all(link.href.startswith(SITE) for link in entry.links)


def test_without_a_base_url_links_are_relative_to_the_feed_and_resolve_to_the_site(example: dict[str, bytes]) -> None:
    raw = ET.fromstring(example["feeds/predictions.xml"])
    hrefs = [link.get("href", "") for link in raw.iter(f"{ATOM}link")]
    assert hrefs and all(href.startswith("../") for href in hrefs)
    entry = parsed(example["feeds/predictions.xml"], at="https://x.org/reg/feeds/predictions.xml").entries[0]
    assert entry.link.startswith("https://x.org/reg/questions/") and entry.link.endswith(".html")


def test_a_claim_holding_a_script_tag_and_cdata_end_is_shown_as_text(hostile: dict[str, bytes]) -> None:
    for content in hostile.values():
        document = parsed(content)  # not malformed: ]]> and < are escaped
        assert b"<script>" not in content and b"<img" not in content
        entry = next(e for e in document.entries if "q-hostile" in e.link)
        assert entry.title_detail.type == "text/plain" and entry.summary_detail.type == "text/plain"
        assert "<script>x</script> ]]>" in entry.summary  # the parser gives back the text, markup as text


def test_control_characters_illegal_in_xml_are_replaced_not_written(hostile: dict[str, bytes]) -> None:
    for content in hostile.values():
        ET.fromstring(content)  # a strict XML 1.0 parser: \x0b or U+FFFE would make it refuse the document
        assert b"\x0b" not in content and b"&#11;" not in content and "\ufffe".encode() not in content
    summary = parsed(hostile["feeds/resolutions.xml"]).entries[-1].summary
    expected = feeds.xml_text(HOSTILE_CLAIM)
    assert summary.startswith(expected) and "\ufffd" in expected and "\x0b" not in expected


def test_an_authors_name_holding_markup_is_their_name_as_text(hostile: dict[str, bytes]) -> None:
    entries = parsed(hostile["feeds/predictions.xml"]).entries
    names = {e.author for e in entries}
    assert feeds.xml_text(HOSTILE_NAME) in names
    [ada] = [e for e in entries if e.id.endswith("#p-ada-2")]
    assert ada.title.startswith(feeds.xml_text(HOSTILE_NAME) + " revised to 60%: A claim </textarea>")
    assert ada.author_detail.href == SITE + "authors/ada.html"


def test_a_hidden_commitment_is_a_hidden_forecast_without_its_value(hostile: dict[str, bytes]) -> None:
    entries = parsed(hostile["feeds/predictions.xml"]).entries
    [hidden] = [e for e in entries if e.id.endswith("#p-carol-hidden")]
    assert hidden.title == "Carol made a hidden forecast, to be revealed by 2027-06-30: Which lab first?"
    assert "90%" not in hidden.summary and "0.9" not in hidden.summary


def test_a_revealed_commitment_shows_its_value_updated_on_the_day_of_its_reveal(hostile: dict[str, bytes]) -> None:
    [shown] = [e for e in parsed(hostile["feeds/predictions.xml"]).entries if e.id.endswith("#p-carol-shown")]
    assert shown.title.startswith("Carol forecast 35%: A claim")
    assert (shown.published, shown.updated) == ("2026-09-03T00:00:00Z", "2026-10-20T00:00:00Z")


def test_a_withdrawal_and_its_reason_are_told(hostile: dict[str, bytes]) -> None:
    [entry] = [e for e in parsed(hostile["feeds/predictions.xml"]).entries if e.id.endswith("#p-bob-open")]
    assert "Withdrawn on 2026-11-10: <b>oops</b> ]]>" in entry.summary
    assert entry.title == "Bob forecast lab-a 25%, lab-b 75% (withdrawn): Which lab first?"
    assert entry.updated == "2026-11-10T00:00:00Z" and entry.published == "2026-11-01T00:00:00Z"


def test_the_same_registry_gives_the_same_bytes(hostile_root: Path, hostile: dict[str, bytes]) -> None:
    assert feeds.files(gather(hostile_root, base_url=SITE)) == hostile


def test_a_long_claim_is_cut_at_a_word_in_the_title_and_whole_in_the_summary() -> None:
    claim = "word " * 40
    assert feeds.short(claim) == ("word " * 20).strip() + "\u2026"
    assert feeds.short("short claim") == "short claim"


def test_a_lone_surrogate_and_a_noncharacter_become_the_replacement_character() -> None:
    assert feeds.xml_text("a\udc80b\uffffc\x7fd\r\ne") == "a\ufffdb\ufffdc\ufffdd\ne"
    assert feeds.xml_text("émoji 🙂 and tab\t") == "émoji 🙂 and tab\t"  # what XML holds is kept


@pytest.mark.parametrize(
    "base_url", ["javascript:alert(1)//", "forecasts.example.org/site", "https://x.org/site?a=1", "https://x.org/#top"]
)
def test_a_base_url_links_cannot_start_with_is_a_usage_error_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], base_url: str
) -> None:
    target = tmp_path / "site"
    assert main(["site", str(EXAMPLE_REGISTRY), "-o", str(target), "--base-url", base_url]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"predreg: --base-url {base_url!r}: not an http(s) address") and "Traceback" not in err
    assert not target.exists()


def test_a_base_url_with_or_without_its_last_slash_gives_the_same_links() -> None:
    facts = gather(EXAMPLE_REGISTRY, base_url=SITE)
    assert feeds.files(facts) == feeds.files(gather(EXAMPLE_REGISTRY, base_url=SITE.rstrip("/")))


def test_a_feed_with_no_entries_is_valid_and_dated_by_the_site() -> None:
    document = parsed(feeds.files(gather(DATA / "minimal"))["feeds/resolutions.xml"])
    assert document.entries == [] and document.feed.updated == "2026-11-23T00:00:00Z"
