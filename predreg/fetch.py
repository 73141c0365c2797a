"""Fetching evidence safely: one ``requests.Session`` per run, behind these rules.

- http and https only; at most 5 redirects, each one checked like the first.
- The address connected to must be public: private, loopback, link-local (cloud
  metadata), CGNAT, multicast, reserved, and IPv6 forms that embed such an IPv4
  address (mapped, NAT64, 6to4, Teredo) are refused before connecting, for every
  hop: an IP literal from the URL, a host name once resolved (``connect.py``
  connects to the very address it checked), so a refusal reads the same whether
  the port behind it is open or closed. The only exception is ``allow_loopback``:
  exact loopback origins (``127.0.0.1:8123``) named by the caller, as the tests'
  local server is.
- Connect and read timeouts, plus a deadline per fetch over the whole exchange
  (lookups, connects, TLS, status line, headers, chunk framing, body, redirects and
  retries): when it passes, the fetch's sockets are shut down (``connect.Deadline``),
  so a server trickling a byte at a time is cut off there, not at the next timeout.
- A cap on the *decoded* body: gzip and deflate are decompressed here, chunk by chunk,
  so a compression bomb stops at the cap; a compressed body cut short, or followed by
  anything but another gzip member, is a failed fetch (``_Decoder``).
- GET retries with exponential backoff on 429 and 5xx, honouring Retry-After.
- Each URL is fetched once per run; across runs, ETag / Last-Modified make the
  request conditional (a cache under ``.predreg/http/``).

A failed fetch is a :class:`Fetched` with ``error`` set, never an exception: the
resolver sees it, and the question stays pending with the error recorded.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import ipaddress
import json
import math
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, Protocol
from urllib.parse import urljoin, urlsplit

import attrs
import requests

from .connect import Blocked, Deadline, GuardedAdapter, refusal
from .files import write_atomic
from .version import __version__

__all__ = [
    "MAX_BYTES",
    "Blocked",
    "Fetched",
    "Limits",
    "NetworkTransport",
    "Session",
    "Transport",
    "loopback_origin",
    "refusal",
]

USER_AGENT = f"predreg/{__version__} (prediction registry resolver; https://pypi.org/project/predreg/)"
MAX_BYTES = 5 * 1024 * 1024
"""Largest decoded body kept, and so the largest evidence snapshot."""
REDIRECTS = 5
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def _literal_refusal(url: str, allowed: frozenset[str]) -> str | None:
    """:func:`refusal` for a URL whose host is an IP literal, before connecting."""
    parts = urlsplit(url)
    try:
        ip = ipaddress.ip_address(parts.hostname or "")
    except ValueError:
        return None
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return refusal(str(ip), port, allowed)


@attrs.frozen
class Fetched:
    """One fetch: what came back, or why nothing usable did."""

    url: str
    status: int | None
    body: bytes
    fetched_at: dt.datetime
    content_type: str = ""
    error: str | None = None
    final_url: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    def text(self) -> str:
        charset = "utf-8"
        for part in self.content_type.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip('"')
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")

    def problem(self) -> str | None:
        """Why this fetch cannot decide anything, if it cannot."""
        if self.error:
            return f"{self.url}: {self.error}"
        if not self.ok:
            return f"{self.url}: HTTP {self.status}"
        return None


@attrs.define
class Limits:
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    deadline: float = 90.0
    """Seconds for one fetch, retries and redirects included."""
    max_bytes: int = MAX_BYTES
    retries: int = 3
    backoff: float = 1.0
    """First retry waits this long, then twice as long each time (or what Retry-After asks)."""
    max_wait: float = 60.0


def loopback_origin(text: str) -> str:
    """An ``--allow-loopback`` value as the origin the guard compares (``localhost:`` as 127.0.0.1).

    ValueError, with the message to show, for anything that is not a loopback HOST:PORT.
    """
    if not text.startswith(("127.", "[::1]", "localhost:")) or ":" not in text:
        raise ValueError(f"{text}: give a loopback HOST:PORT, e.g. 127.0.0.1:8000")
    return text.replace("localhost:", "127.0.0.1:")


class Transport(Protocol):
    """Where a :class:`Session`'s fetches come from: the network, or stored evidence.

    The seam tests and audits plug into (httpx's ``BaseTransport.handle_request``): a
    session takes a transport, it is never subclassed. ``fetch`` is asked once per URL
    per run and, like the session, returns a failure as a :class:`Fetched` with
    ``error`` set rather than raising.
    """

    def fetch(self, url: str) -> Fetched:
        """The body at ``url``, or why there is none."""
        ...

    def close(self) -> None:
        """Release what the transport holds (connections)."""
        ...


class Session:
    """The run's fetcher: resolvers call :meth:`get`; every URL is fetched once per run.

    The fetches themselves are the ``transport``'s: by default the network, through a
    :class:`NetworkTransport` that ``allow_loopback``, ``limits``, ``cache`` and
    ``clock`` configure (they are refused alongside another transport).
    """

    def __init__(
        self,
        transport: Transport | None = None,
        *,
        allow_loopback: Iterable[str] = (),
        limits: Limits | None = None,
        cache: Path | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        if transport is None:
            transport = NetworkTransport(allow_loopback=allow_loopback, limits=limits, cache=cache, clock=clock)
        elif allow_loopback or limits or cache or clock:
            raise TypeError("allow_loopback, limits, cache and clock configure the network transport; not with another")
        self.transport = transport
        self.fetched: dict[str, Fetched] = {}
        self._local = threading.local()  # each thread records its own fetches
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def get(self, url: str) -> Fetched:
        """The body at ``url`` (fetched at most once per run, whatever the threads), recorded as evidence."""
        result = self.fetched.get(url)
        if result is None:
            with self._locks_lock:
                lock = self._locks.setdefault(url, threading.Lock())
            with lock:  # a second thread asking for the same URL waits for the first one's fetch
                result = self.fetched.get(url)
                if result is None:
                    result = self.fetched[url] = self.transport.fetch(url)
        log = getattr(self._local, "log", None)
        if log is not None and result not in log:
            log.append(result)
        return result

    @contextmanager
    def recording(self) -> Iterator[list[Fetched]]:
        """Collect every fetch this thread makes inside the block (cached ones included)."""
        previous = getattr(self._local, "log", None)
        self._local.log = []
        try:
            yield self._local.log
        finally:
            self._local.log = previous

    def close(self) -> None:
        self.transport.close()


class NetworkTransport:
    """The default transport: the network, behind the rules in this module's docstring."""

    def __init__(
        self,
        *,
        allow_loopback: Iterable[str] = (),
        limits: Limits | None = None,
        cache: Path | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.limits = limits or Limits()
        self.cache = cache
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.requests = 0  # (counted without a lock: a figure for tests, not for decisions)
        self._http = requests.Session()
        self._http.trust_env = False  # no proxies from the environment: the peer must be the server
        self._http.headers.update({"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"})
        self.allowed = frozenset(allow_loopback)
        self._adapter = GuardedAdapter(self.allowed)
        self._http.mount("http://", self._adapter)
        self._http.mount("https://", self._adapter)

    def close(self) -> None:
        self._http.close()

    def fetch(self, url: str) -> Fetched:
        """One fetch, inside its deadline; whatever goes wrong is the :class:`Fetched`'s ``error``."""
        now = self.clock()
        if urlsplit(url).scheme not in ("http", "https"):
            return Fetched(url, None, b"", now, error="only http and https URLs are fetched")
        with Deadline(self.limits.deadline) as deadline:
            self._adapter.fetches.deadline = deadline  # this thread's sockets, shut down when it passes
            try:
                fetched = self._follow(url, now, time.monotonic())
                if not deadline.expired:  # (a body cut by the deadline can parse as complete: "0000" as a last chunk)
                    return fetched
                why = "cut off"
            except Blocked as error:
                why = str(error)
            except requests.Timeout:
                why = "timed out"
            except requests.RequestException as error:
                why = f"request failed: {_reason(error)}"
            finally:
                self._adapter.fetches.deadline = None
        if deadline.expired:  # whatever broke, it broke because the deadline shut the connection
            why = f"over the {self.limits.deadline:g} s deadline (the server was still sending)"
        return Fetched(url, None, b"", now, error=why)

    def _follow(self, url: str, now: dt.datetime, started: float) -> Fetched:
        """The fetch itself: redirects followed and retries made, each inside the deadline."""
        remembered = self._remembered(url)
        headers = {}
        if remembered.get("etag"):
            headers["If-None-Match"] = remembered["etag"]
        if remembered.get("last_modified"):
            headers["If-Modified-Since"] = remembered["last_modified"]
        current = url
        attempt = 0
        for _ in range(REDIRECTS + 1):
            if urlsplit(current).scheme not in ("http", "https"):
                raise Blocked(f"redirected to {current}: only http and https are followed")
            why = _literal_refusal(current, self.allowed)
            if why:
                raise Blocked(f"refused {current}: {why}")
            response = self._request(current, headers, started)
            if response.status_code in (301, 302, 303, 307, 308) and "Location" in response.headers:
                response.close()
                current = urljoin(current, response.headers["Location"])
                continue
            if response.status_code in RETRY_STATUSES and attempt < self.limits.retries:
                attempt += 1
                wait = self._wait(response, attempt)
                response.close()
                if time.monotonic() - started + wait > self.limits.deadline:
                    error = "gave up: retries would pass the deadline"
                    return Fetched(url, response.status_code, b"", now, error=error)
                time.sleep(wait)
                continue
            if response.status_code == 304 and remembered.get("sha256"):
                response.close()
                body = self._cached_body(remembered["sha256"])
                if body is not None:
                    return Fetched(url, 200, body, now, remembered.get("content_type", ""), final_url=current)
                headers = {}  # the cached body is gone: ask again, unconditionally
                continue
            body = self._read(response, started)
            content_type = response.headers.get("Content-Type", "")
            fetched = Fetched(url, response.status_code, body, now, content_type, final_url=current)
            if fetched.ok:
                self._remember(url, response, fetched)
            return fetched
        return Fetched(url, None, b"", now, error=f"more than {REDIRECTS} redirects")

    def _request(self, url: str, headers: dict[str, str], started: float) -> requests.Response:
        left = self.limits.deadline - (time.monotonic() - started)
        if left <= 0:
            raise Blocked(f"over the {self.limits.deadline:g} s deadline")
        self.requests += 1
        timeout = (min(self.limits.connect_timeout, left), min(self.limits.read_timeout, left))
        return self._http.get(url, headers=headers, stream=True, allow_redirects=False, timeout=timeout)

    def _wait(self, response: requests.Response, attempt: int) -> float:
        asked = retry_after(response.headers.get("Retry-After", ""), dt.datetime.now(dt.UTC))
        wait = self.limits.backoff * 2 ** (attempt - 1) if asked is None else asked
        return min(wait, self.limits.max_wait)

    def _read(self, response: requests.Response, started: float) -> bytes:
        """The decoded body, stopping at the cap and the deadline; a compressed one only if it is whole."""
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("", "identity", *_Decoder.WBITS):
            response.close()
            raise Blocked(f"unsupported Content-Encoding {encoding!r}")
        decoder = _Decoder(encoding) if encoding in _Decoder.WBITS else None
        cap = self.limits.max_bytes
        parts: list[bytes] = []
        size = 0
        try:
            while True:
                if time.monotonic() - started > self.limits.deadline:
                    raise Blocked(f"body still arriving after the {self.limits.deadline:g} s deadline")
                chunk = response.raw.read1(64 * 1024, decode_content=False)  # what has arrived, so far
                piece = chunk if decoder is None else decoder.decode(chunk, cap - size)
                size += len(piece)
                if size > cap:
                    raise Blocked(f"body over the {cap:,}-byte cap (decoded)")
                parts.append(piece)
                if not chunk:
                    break
            if decoder is not None:
                decoder.finish()
        except zlib.error as error:
            raise Blocked(f"body does not decode as {encoding}: {error}") from None
        except Exception as error:
            if isinstance(error, Blocked):
                raise
            raise Blocked(f"body broken off: {_reason(error)}") from None
        finally:
            response.close()
        return b"".join(parts)

    # --- conditional requests across runs ----------------------------------------

    def _meta_path(self, url: str) -> Path | None:
        if self.cache is None:
            return None
        return self.cache / (hashlib.sha256(url.encode()).hexdigest() + ".json")

    def _remembered(self, url: str) -> dict[str, str]:
        path = self._meta_path(url)
        try:
            return json.loads(path.read_text(encoding="utf-8")) if path else {}
        except (OSError, ValueError):
            return {}

    def _cached_body(self, sha256: str) -> bytes | None:
        assert self.cache is not None
        try:
            body = (self.cache / "bodies" / sha256).read_bytes()
        except OSError:
            return None
        return body if hashlib.sha256(body).hexdigest() == sha256 else None

    def _remember(self, url: str, response: requests.Response, fetched: Fetched) -> None:
        path = self._meta_path(url)
        etag, modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
        if path is None or not (etag or modified):
            return
        assert self.cache is not None
        write_atomic(self.cache / "bodies" / fetched.sha256, fetched.body)
        meta = {"url": url, "etag": etag, "last_modified": modified, "sha256": fetched.sha256}
        meta["content_type"] = fetched.content_type
        write_atomic(path, json.dumps(meta, sort_keys=True, allow_nan=False).encode())


class _Decoder:
    """A gzip or deflate body undone as it arrives, accepted only whole.

    zlib alone takes any prefix of a stream: a body cut in half decodes to the first
    half without complaint (and an ``expect: absent`` question resolved yes on it).
    So the end of the body must be the end of the stream, and nothing may follow it
    but, for gzip, another whole member: RFC 1952 allows members one after another
    (``gzip`` appends them), and they decode to the parts joined. A deflate body is
    one zlib stream. A body with no bytes at all is empty, not cut: no stream began.
    """

    WBITS: ClassVar[dict[str, int]] = {
        "gzip": zlib.MAX_WBITS | 32,  # (| 32: a zlib header is read too, as before, for servers that mislabel)
        "x-gzip": zlib.MAX_WBITS | 32,
        "deflate": zlib.MAX_WBITS,  # the zlib wrapper, as RFC 9110 has it; raw deflate does not decode
    }

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._stream: Any = zlib.decompressobj(self.WBITS[encoding])
        self._began = False
        self._held = b""  # one byte after a member: perhaps the first of the next one's magic number

    def decode(self, data: bytes, room: int) -> bytes:
        """What ``data`` decodes to, up to ``room`` + 1 bytes (more and the caller refuses the body anyway)."""
        data, self._held = self._held + data, b""
        self._began = self._began or bool(data)
        pieces = []
        while data and room >= 0:
            if self._stream is None:  # a member has ended: what follows must be another
                if len(data) < len(_GZIP_MAGIC):
                    self._held = data
                    break
                self._stream = self._next_member(data)
            piece = self._stream.decompress(data, room + 1)
            data = self._stream.unconsumed_tail
            if self._stream.eof:
                data, self._stream = self._stream.unused_data, None
            pieces.append(piece)
            room -= len(piece)
        return b"".join(pieces)

    def finish(self) -> None:
        """The body is over: :class:`Blocked` unless it ended exactly where a stream did."""
        if self._held:
            self._next_member(self._held)
        if self._began and self._stream is not None:
            raise Blocked(f"body cut short: it ends inside its {self.encoding} stream")

    def _next_member(self, rest: bytes) -> Any:
        if self.encoding == "deflate" or not rest.startswith(_GZIP_MAGIC):
            raise Blocked(f"body has data after the end of its {self.encoding} stream")
        return zlib.decompressobj(self.WBITS[self.encoding])


_GZIP_MAGIC = b"\x1f\x8b"


def retry_after(value: str, now: dt.datetime) -> float | None:
    """The seconds a Retry-After header asks for (RFC 9110 10.2.3), or None for anything else.

    Strictly ASCII digits or an HTTP date: ``str.isdigit`` and ``float`` also take
    ``²``, ``1e9`` and ``٣``, and a date without a zone compares with nothing.
    """
    value = value.strip(" \t")
    if value and len(value) <= 12 and all("0" <= c <= "9" for c in value):
        return float(value)
    if value and all("0" <= c <= "9" for c in value):
        return math.inf  # (more digits than any wait: whatever the cap is, it is asked for)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None or not _HTTP_DATE.match(value):
        return None
    when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)  # "-0000": UTC, source unknown
    return max(0.0, (when - now).total_seconds())


_HTTP_DATE = re.compile(r"[A-Za-z]{3}, [0-9]{2} [A-Za-z]{3} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} ", re.ASCII)


def _reason(error: BaseException) -> str:
    """The innermost cause of a requests/urllib3 error, in a few words."""
    while error.__context__ is not None and not isinstance(error, Blocked):
        error = error.__context__
    if isinstance(error, Blocked):
        return str(error)
    return f"{type(error).__name__}: {error}"[:300]
