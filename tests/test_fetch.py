"""Fetching evidence against a real local HTTP server, faults included: no mocked requests."""

from __future__ import annotations

import datetime as dt
import gzip
import socket
import time
import zlib
from pathlib import Path

import pytest

from predreg.fetch import Limits, Session, refusal

from .evidence_server import (
    EvidenceServer,
    answering,
    body,
    gzip_bomb,
    raw_serving,
    redirect,
    sequence,
    serving,
    short_body,
    stall,
    trickle,
    trickling,
)

FAST = Limits(connect_timeout=1, read_timeout=0.5, deadline=2, max_bytes=64 * 1024, retries=3, backoff=0.05)


def session(server: EvidenceServer, **options: object) -> Session:
    return Session(allow_loopback=[server.origin], limits=options.pop("limits", FAST), **options)  # type: ignore[arg-type]


def test_a_page_is_fetched_with_predregs_user_agent(server: EvidenceServer) -> None:
    server.routes["/page"] = body("<p>model card</p>")
    fetched = session(server).get(server.url("/page"))
    assert fetched.ok and fetched.text() == "<p>model card</p>"
    assert server.requests[0]["user-agent"].startswith("predreg/")


def test_each_url_is_fetched_once_per_run(server: EvidenceServer) -> None:
    server.routes["/page"] = body("same")
    run = session(server)
    assert [run.get(server.url("/page")).text() for _ in range(5)] == ["same"] * 5
    assert server.hits["/page"] == 1


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        (stall(3), "broken off"),
        (trickle(3), "deadline"),
        (short_body(), "broken off"),
        (body(b"x" * 100_000, content_type="text/plain"), "cap"),
        (gzip_bomb(50_000_000), "cap"),
        (body("gone", 404), "HTTP 404"),
        (body("down", 500), "HTTP 500"),
    ],
    ids=["stalls", "trickles", "wrong-length", "over-cap", "gzip-bomb", "404", "500s"],
)
def test_a_bad_response_is_an_error_not_a_body(server: EvidenceServer, route: object, expected: str) -> None:
    server.routes["/bad"] = route  # type: ignore[assignment]
    fetched = session(server).get(server.url("/bad"))
    assert not fetched.ok
    assert expected in (fetched.problem() or "")


def test_500s_are_retried_to_the_limit_then_given_up(server: EvidenceServer) -> None:
    server.routes["/down"] = body("down", 503)
    fetched = session(server).get(server.url("/down"))
    assert fetched.status == 503 and not fetched.ok
    assert server.hits["/down"] == 1 + FAST.retries


def test_429_then_200_waits_as_retry_after_asks(server: EvidenceServer) -> None:
    server.routes["/busy"] = sequence(body("slow down", 429, Retry_After="1"), body("here"))
    fetched = session(server, limits=Limits(deadline=5, backoff=0.01)).get(server.url("/busy"))
    assert fetched.ok and fetched.text() == "here"
    assert server.hits["/busy"] == 2
    # Retry-After: 1 was honoured (the backoff alone would have waited 0.01 s)
    assert server.times[1] - server.times[0] >= 0.95


def test_a_gzip_body_is_decoded(server: EvidenceServer) -> None:
    server.routes["/zipped"] = body(gzip.compress(b"compressed evidence"), Content_Encoding="gzip")
    assert session(server).get(server.url("/zipped")).text() == "compressed evidence"


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://127.0.0.1:{other}/", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::ffff:127.0.0.1]:{other}/", "loopback address (inside ::ffff:"),
        ("http://localhost:{other}/", "loopback"),  # a name: only the check on the connected socket sees it
    ],
    ids=["loopback", "metadata", "ipv4-mapped", "name-of-loopback"],
)
def test_a_redirect_to_a_private_address_is_refused(server: EvidenceServer, target: str, reason: str) -> None:
    with serving() as elsewhere:  # a live server at the redirect target: it must never be asked
        elsewhere.routes["/"] = body("secret")
        server.routes["/hop"] = redirect(target.format(other=elsewhere.origin.rsplit(":", 1)[1]))
        fetched = session(server).get(server.url("/hop"))
        assert not fetched.ok
        assert "refused" in (fetched.error or "") and reason in (fetched.error or "")
        assert elsewhere.total == 0


def test_loopback_is_refused_without_the_explicit_option(server: EvidenceServer) -> None:
    server.routes["/page"] = body("private")
    fetched = Session(limits=FAST).get(server.url("/page"))
    assert not fetched.ok and "loopback" in (fetched.error or "")
    assert server.total == 0  # refused before a request was sent


def test_only_http_and_https_are_fetched(server: EvidenceServer) -> None:
    assert "only http" in (session(server).get("file:///etc/passwd").error or "")
    server.routes["/ftp"] = redirect("ftp://example.org/file")
    assert "only http" in (session(server).get(server.url("/ftp")).error or "")


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00:ec2::254", False),
        ("::ffff:10.0.0.1", False),
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("93.184.215.14", True),
        ("2606:4700::6810:84e5", True),
        ("64:ff9b::5db8:d70e", True),  # NAT64 of a public address
    ],
)
def test_address_rules(address: str, allowed: bool) -> None:
    assert (refusal(address, 443) is None) is allowed


def test_conditional_requests_across_runs(server: EvidenceServer, tmp_path: Path) -> None:
    from http.server import BaseHTTPRequestHandler

    def cached(handler: BaseHTTPRequestHandler, _: int) -> None:
        if handler.headers.get("If-None-Match") == '"v1"':
            handler.send_response(304)
            handler.send_header("ETag", '"v1"')
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        body("version one", ETag='"v1"')(handler, 0)

    server.routes["/etag"] = cached
    first = session(server, cache=tmp_path).get(server.url("/etag"))
    second = session(server, cache=tmp_path).get(server.url("/etag"))  # a new run
    assert first.text() == second.text() == "version one" and second.status == 200
    assert server.requests[1].get("if-none-match") == '"v1"'


def test_fetched_at_comes_from_the_runs_clock(server: EvidenceServer) -> None:
    server.routes["/page"] = body("x")
    moment = dt.datetime(2027, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert session(server, clock=lambda: moment).get(server.url("/page")).fetched_at == moment


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- the deadline bounds the whole exchange: status line, headers, chunk framing, body ---

TRICKLES = {
    "status-line": (b"", b"HTTP/1.1 200 OK"),
    "header-line": (b"HTTP/1.1 200 OK\r\n", b"X-Slow: aaaaaaaa"),
    "headers": (b"HTTP/1.1 200 OK\r\n", b"X-a: b\r\n"),
    "chunk-size": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", b"0000"),
    "chunk-extension": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;", b"x"),
    "chunk-body": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffff\r\n", b"x"),
}


@pytest.mark.parametrize("part", list(TRICKLES))
def test_a_server_trickling_a_byte_every_half_second_is_cut_off_at_the_deadline(part: str) -> None:
    head, tail = TRICKLES[part]
    with raw_serving(trickling(head, tail)) as trickler:
        limits = Limits(connect_timeout=1, read_timeout=1, deadline=1, retries=0)
        started = time.monotonic()
        fetched = Session(allow_loopback=[trickler.origin], limits=limits).get(trickler.url())
        took = time.monotonic() - started
    assert not fetched.ok and "deadline" in (fetched.error or ""), fetched.error
    assert took < 10, f"a 1 s deadline ended after {took:.0f} s"  # before: the 30 s the server trickled


def test_the_deadline_covers_a_connection_kept_alive_from_an_earlier_fetch() -> None:
    # the first answer is quick and keeps the connection; the second trickles on that same connection
    quick = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

    def exchange(client: socket.socket) -> None:
        answering(quick)(client)
        trickling(b"HTTP/1.1 200 OK\r\n", b"X-Slow: aaaa")(client)

    with raw_serving(exchange) as server:
        limits = Limits(connect_timeout=1, read_timeout=1, deadline=1, retries=0)
        run = Session(allow_loopback=[server.origin], limits=limits)
        assert run.get(server.url("/first")).ok
        started = time.monotonic()
        second = run.get(server.url("/second"))
        took = time.monotonic() - started
    assert server.accepted == 1  # the second fetch did reuse the connection
    assert not second.ok and "deadline" in (second.error or "") and took < 10, (second.error, took)


# --- a compressed body is accepted only whole ---------------------------------------------

PAGE = b"<p>" + b"evidence, " * 2_000 + b"the needle</p>"


@pytest.mark.parametrize(
    ("encoded", "encoding", "reason"),
    [
        (gzip.compress(PAGE)[: len(gzip.compress(PAGE)) // 2], "gzip", "cut short"),
        (gzip.compress(PAGE)[:-4], "gzip", "cut short"),  # all but the trailer's length field
        (gzip.compress(PAGE) + b"<p>appended</p>", "gzip", "after the end"),
        (gzip.compress(PAGE) + b"\x1f", "gzip", "after the end"),
        (gzip.compress(PAGE) + gzip.compress(PAGE)[:20], "gzip", "cut short"),  # a second member, cut
        (zlib.compress(PAGE)[:-10], "deflate", "cut short"),
        (zlib.compress(PAGE) + b"junk", "deflate", "after the end"),
        (zlib.compress(PAGE) + zlib.compress(PAGE), "deflate", "after the end"),  # deflate has one stream
    ],
    ids=[
        "gzip-half",
        "gzip-no-trailer",
        "gzip-garbage",
        "gzip-one-byte",
        "gzip-second-cut",
        "deflate-cut",
        "deflate-junk",
        "deflate-twice",
    ],
)
def test_a_compressed_body_cut_short_or_with_data_after_it_is_a_failed_fetch(
    server: EvidenceServer, encoded: bytes, encoding: str, reason: str
) -> None:
    server.routes["/page"] = body(encoded, Content_Encoding=encoding)
    fetched = session(server, limits=Limits(deadline=5, retries=0)).get(server.url("/page"))
    assert not fetched.ok and reason in (fetched.error or ""), fetched.error


def test_a_gzip_body_of_several_members_is_decoded_whole(server: EvidenceServer) -> None:
    # RFC 1952 allows members one after another (gzip a >> f; gzip b >> f): decoded, they are the page
    server.routes["/page"] = body(
        gzip.compress(b"first half, ") + gzip.compress(b"second half"), Content_Encoding="gzip"
    )
    fetched = session(server).get(server.url("/page"))
    assert fetched.ok and fetched.body == b"first half, second half"


def test_a_deflate_body_is_decoded(server: EvidenceServer) -> None:
    server.routes["/page"] = body(zlib.compress(PAGE), Content_Encoding="deflate")
    fetched = session(server, limits=Limits(deadline=5)).get(server.url("/page"))
    assert fetched.ok and fetched.body == PAGE


# --- Retry-After is read strictly: ASCII digits or an HTTP date, anything else ignored ---


@pytest.mark.parametrize(
    "asked",
    [
        "²",
        "-1",
        "1e9",
        "1.5",
        "+1",
        "",
        "  ",
        "0x10",
        "Wed, 21 Oct 2015 07:28:00 -0000",
        "Wed, 21 Oct 2015 07:28:00 GMT",
    ],
    ids=[
        "superscript-two",
        "negative",
        "exponent",
        "fraction",
        "plus",
        "empty",
        "blank",
        "hex",
        "date-minus-0000",
        "date-past",
    ],
)
def test_an_odd_retry_after_is_ignored_and_the_backoff_used(server: EvidenceServer, asked: str) -> None:
    server.routes["/busy"] = sequence(body("slow down", 429, Retry_After=asked), body("here"))
    fetched = session(server, limits=Limits(deadline=5, backoff=0.01, retries=1)).get(server.url("/busy"))
    assert fetched.ok and fetched.text() == "here", fetched.error
    assert server.times[1] - server.times[0] < 2.5  # the backoff (0.01 s), not a wait read from the value


@pytest.mark.parametrize("asked", ["9" * 5000, "99999999999999999999", "3600"])
def test_a_retry_after_past_the_deadline_gives_up_at_once(server: EvidenceServer, asked: str) -> None:
    server.routes["/busy"] = sequence(body("slow down", 503, Retry_After=asked), body("here"))
    started = time.monotonic()
    fetched = session(server, limits=Limits(deadline=5, retries=2)).get(server.url("/busy"))
    assert not fetched.ok and "gave up" in (fetched.error or "") and time.monotonic() - started < 4.5


# --- refused before connecting: an error cannot tell an open internal port from a closed one ---


@pytest.mark.parametrize("host", ["localhost", "0", "127.1", "0x7f.0.0.1"])
def test_a_name_for_an_internal_address_is_refused_alike_whether_its_port_is_open_or_closed(host: str) -> None:
    with raw_serving(answering(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")) as listening:
        closed = _free_port()
        run = Session(limits=FAST)  # no loopback origin allowed
        on_open = run.get(f"http://{host}:{listening.port}/").error or ""
        on_closed = run.get(f"http://{host}:{closed}/").error or ""
    assert "refused" in on_open and on_open.replace(str(listening.port), "PORT") == on_closed.replace(
        str(closed), "PORT"
    ), (on_open, on_closed)
    assert listening.accepted == 0  # not even a TCP handshake: the name's addresses were checked first


def test_a_name_with_an_allowed_loopback_origin_is_still_fetched(server: EvidenceServer) -> None:
    server.routes["/page"] = body("local evidence")
    port = server.origin.rsplit(":", 1)[1]
    fetched = session(server).get(f"http://localhost:{port}/page")  # ::1 is refused, 127.0.0.1 is allowed
    assert fetched.ok and fetched.text() == "local evidence", fetched.error
