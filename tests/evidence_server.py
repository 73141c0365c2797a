"""A real HTTP server on loopback that serves recorded evidence, faults included, and counts requests."""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

Route = Callable[[BaseHTTPRequestHandler, int], None]
"""Answers a request; the int is how many times this path was asked for before."""

RECORDED = Path(__file__).parent / "data" / "recorded"


def body(data: bytes | str, status: int = 200, content_type: str = "text/html; charset=utf-8", **headers: str) -> Route:
    payload = data.encode() if isinstance(data, str) else data

    def route(handler: BaseHTTPRequestHandler, _: int) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            handler.send_header(name.replace("_", "-"), value)
        handler.end_headers()
        handler.wfile.write(payload)

    return route


def recorded(name: str, content_type: str = "application/json") -> Route:
    """A response body recorded from the real service, kept under tests/data/recorded/."""
    return body((RECORDED / name).read_bytes(), content_type=content_type)


def redirect(location: str, status: int = 302) -> Route:
    def route(handler: BaseHTTPRequestHandler, _: int) -> None:
        handler.send_response(status)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return route


def stall(seconds: float = 5.0) -> Route:
    """Promise 1,000 bytes, send 10, then go quiet."""

    def route(handler: BaseHTTPRequestHandler, _: int) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        handler.wfile.write(b"0123456789")
        handler.wfile.flush()
        time.sleep(seconds)

    return route


def trickle(seconds: float = 5.0) -> Route:
    """A byte at a time, each well inside a read timeout, for ``seconds``."""

    def route(handler: BaseHTTPRequestHandler, _: int) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(0.05)

    return route


def short_body() -> Route:
    """Content-Length says 100, the body is 20 bytes and the connection closes."""

    def route(handler: BaseHTTPRequestHandler, _: int) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "100")
        handler.end_headers()
        handler.wfile.write(b"x" * 20)
        handler.close_connection = True

    return route


def gzip_bomb(decoded_bytes: int) -> Route:
    payload = gzip.compress(b"\0" * decoded_bytes, compresslevel=9)
    return body(payload, content_type="text/plain", Content_Encoding="gzip")


def sequence(*routes: Route) -> Route:
    """The n-th request gets the n-th route (the last one from then on)."""

    def route(handler: BaseHTTPRequestHandler, seen: int) -> None:
        routes[min(seen, len(routes) - 1)](handler, seen)

    return route


class EvidenceServer:
    def __init__(self, server: ThreadingHTTPServer) -> None:
        self._server = server
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.requests: list[dict[str, str]] = []
        self.times: list[float] = []

    @property
    def origin(self) -> str:
        port = self._server.server_address[1]
        return f"127.0.0.1:{port}"

    def url(self, path: str) -> str:
        return f"http://{self.origin}{path}"

    @property
    def total(self) -> int:
        return sum(self.hits.values())


@contextmanager
def serving() -> Iterator[EvidenceServer]:
    state: EvidenceServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else each small response waits on a delayed ACK

        def do_GET(self) -> None:
            path = self.path
            seen = state.hits[path]
            state.hits[path] += 1
            state.requests.append({"path": path, **{k.lower(): v for k, v in self.headers.items()}})
            state.times.append(time.monotonic())
            route = state.routes.get(path) or state.routes.get(path.split("?")[0])
            if route is None:
                body("not found", 404, "text/plain")(self, seen)
            else:
                route(self, seen)

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: object, client_address: object) -> None:
            pass  # a client that hangs up mid-body is what several tests do on purpose

    server = Server(("127.0.0.1", 0), Handler)
    state = EvidenceServer(server)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


# --- raw sockets: servers that break HTTP's framing on purpose, byte by byte -------------

Exchange = Callable[[socket.socket], None]
"""Talks to one accepted client: reads its request, then answers however the test needs."""


class RawServer:
    def __init__(self, listener: socket.socket) -> None:
        self.port = int(listener.getsockname()[1])
        self.accepted = 0

    @property
    def origin(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return f"http://{self.origin}{path}"


@contextmanager
def raw_serving(exchange: Exchange) -> Iterator[RawServer]:
    """A TCP server on loopback that hands each connection to ``exchange``, in a thread of its own."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    state = RawServer(listener)
    stop = threading.Event()

    def talk(client: socket.socket) -> None:
        with client, contextlib.suppress(OSError):  # the client hung up, as a fetch cut off at its deadline does
            exchange(client)

    def accept() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            state.accepted += 1
            threading.Thread(target=talk, args=(client,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        stop.set()
        thread.join()
        listener.close()


def _read_request(client: socket.socket) -> None:
    seen = b""
    while b"\r\n\r\n" not in seen:
        data = client.recv(4096)
        if not data:
            raise ConnectionError("client gone")
        seen += data


def trickling(head: bytes, tail: bytes, every: float = 0.5, lasting: float = 30.0) -> Exchange:
    """Send ``head``, then ``tail`` one byte each ``every`` seconds (repeated) for ``lasting`` seconds.

    Each byte comes well inside any read timeout, so only a deadline on the whole
    exchange ends it.
    """

    def exchange(client: socket.socket) -> None:
        _read_request(client)
        client.sendall(head)
        end = time.monotonic() + lasting
        while time.monotonic() < end:
            for byte in tail:
                client.sendall(bytes([byte]))
                time.sleep(every)

    return exchange


def answering(response: bytes) -> Exchange:
    """Send one fixed response (status line, headers and body as given) and close."""

    def exchange(client: socket.socket) -> None:
        _read_request(client)
        client.sendall(response)

    return exchange
