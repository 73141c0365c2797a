"""`predreg resolve --offline` reads each stored body as it was served: the content type is recorded and replayed."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from predreg import check_registry
from predreg.cli import main
from predreg.fetch import Fetched, Limits, Session
from predreg.model import Snapshot
from predreg.resolve import StoredEvidence, audit_registry, resolve_registry

from .evidence_server import EvidenceServer, body
from .resolving import NOW, session, write_registry

CARD = "<html><body><p>The lab ran <b>sandbagging</b> evaluations before release.</p></body></html>"
"""A model card whose phrase `sandbagging evaluations` crosses a tag: only its visible text holds it."""


def _resolved(server: EvidenceServer, root: Path, page: str, contains: str, content_type: str) -> Path:
    """A registry of one `http` question about ``page``, resolved from the local server; its record's path."""
    server.routes["/card"] = body(
        page.encode(content_type.partition("charset=")[2] or "utf-8"), content_type=content_type
    )
    write_registry(root, {"q": {"name": "http", "url": server.url("/card"), "contains": contains}})
    [result] = resolve_registry(root, session=session(server), now=NOW).results
    assert result.status == "resolved", result.verdict.reason
    assert result.verdict.outcome == "yes"
    assert result.record is not None
    return result.record


def test_an_html_page_whose_phrase_crosses_a_tag_audits_as_reproduced(
    server: EvidenceServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "registry"
    _resolved(server, root, CARD, "sandbagging evaluations", "text/html; charset=utf-8")
    assert main(["resolve", str(root), "--offline"]) == 0
    assert "reproduced 1 (re-resolved), verified 0 (manual: bodies and excerpts), mismatched 0, of 1" in (
        capsys.readouterr().out
    )


def test_the_record_keeps_the_content_type_the_page_was_served_with(server: EvidenceServer, tmp_path: Path) -> None:
    record = _resolved(server, tmp_path / "registry", CARD, "sandbagging evaluations", "text/html; charset=utf-8")
    resolution = check_registry(str(tmp_path / "registry"), today=NOW.date()).resolution("q")
    assert resolution is not None
    assert [snapshot.content_type for snapshot in resolution.evidence] == ["text/html; charset=utf-8"]
    assert "content_type:" in record.read_text(encoding="utf-8")


def test_a_page_in_another_charset_audits_in_that_charset(server: EvidenceServer, tmp_path: Path) -> None:
    root = tmp_path / "registry"
    page = "<p>Le mod\u00e8le a pass\u00e9 l'\u00e9valuation.</p>"
    _resolved(server, root, page, "pass\u00e9 l'\u00e9valuation", "text/html; charset=windows-1252")
    [result] = audit_registry(root, today=NOW.date()).results
    assert result.status == "reproduced", result.verdict.reason


def test_a_record_written_without_a_content_type_audits_as_before(server: EvidenceServer, tmp_path: Path) -> None:
    """A record from before the field: its body is read as plain UTF-8 text, so a phrase in one text node is found."""
    root = tmp_path / "registry"
    record = _resolved(server, root, CARD, "before release", "text/html; charset=utf-8")
    text = record.read_text(encoding="utf-8")
    record.write_text("".join(line for line in text.splitlines(True) if "content_type:" not in line), encoding="utf-8")
    resolution = check_registry(str(root), today=NOW.date()).resolution("q")
    assert resolution is not None
    assert [snapshot.content_type for snapshot in resolution.evidence] == [None]
    [result] = audit_registry(root, today=NOW.date()).results
    assert result.status == "reproduced", result.verdict.reason


def test_the_stored_transport_replays_a_bodys_status_type_and_time(tmp_path: Path) -> None:
    body_bytes = b"<p>hello</p>"
    sha256 = hashlib.sha256(body_bytes).hexdigest()
    (tmp_path / sha256).write_bytes(body_bytes)
    fetched_at = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    snapshot = Snapshot(
        url="https://example.org/", fetched_at=fetched_at, sha256=sha256, status=203, content_type="text/html"
    )
    replayed = Session(StoredEvidence(tmp_path, [snapshot])).get("https://example.org/")
    assert (replayed.status, replayed.body, replayed.content_type, replayed.fetched_at) == (
        203,
        body_bytes,
        "text/html",
        fetched_at,
    )


def test_a_url_not_in_the_stored_evidence_is_a_failed_fetch_not_a_request(tmp_path: Path) -> None:
    replayed = Session(StoredEvidence(tmp_path, [])).get("http://127.0.0.1:9/never")
    assert replayed.error == "not in the stored evidence (offline)"


class _Counting:
    """A transport of one fixed body, counting what it is asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def fetch(self, url: str) -> Fetched:
        self.asked.append(url)
        return Fetched(url, 200, b"fixed", NOW, "text/plain")

    def close(self) -> None:
        pass


def test_a_session_fetches_each_url_once_through_the_transport_it_is_given() -> None:
    transport = _Counting()
    run = Session(transport)
    assert [run.get("https://example.org/a").text() for _ in range(3)] == ["fixed"] * 3
    assert transport.asked == ["https://example.org/a"]


def test_network_options_are_refused_alongside_another_transport() -> None:
    with pytest.raises(TypeError, match="network transport"):
        Session(_Counting(), limits=Limits())
