"""How the fetcher connects: which addresses it may reach, and a deadline over every socket it uses.

- The address rules are :func:`refusal`'s. A host name is resolved here, before any
  connection, and only the addresses that pass are connected to, the very address
  checked (no second lookup that DNS could answer differently). A name with no
  address that passes is refused before a packet is sent, in the same words whether
  the port behind it is open or closed, so that an error cannot tell a resolver
  which internal ports listen.
- A fetch's deadline (:class:`Deadline`) holds every socket the fetch is using: when
  it passes, those sockets are shut down, so a read blocked in the middle of a status
  line, a header, a chunk-size line or a TLS handshake returns at once. Read timeouts
  alone cannot do that: a server that sends one byte every half second never lets
  one expire.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from .errors import Blocked


def refusal(address: str, port: int | None = None, allowed: frozenset[str] = frozenset()) -> str | None:
    """Why the IP ``address`` may not be fetched from, or None if it may.

    ``allowed`` holds loopback origins (``127.0.0.1:8123``) permitted despite the rules.
    """
    ip = ipaddress.ip_address(address.split("%")[0])
    if f"{ip}:{port}" in allowed and ip.is_loopback:
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            why = refusal(str(embedded))
            return f"{why} (inside {ip})" if why else None
    if ip.is_loopback:
        return f"{ip} is a loopback address"
    if ip.is_link_local:
        return f"{ip} is link-local (cloud metadata lives there)"
    if isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10"):
        return f"{ip} is carrier-grade NAT space"
    if ip.is_private or ip.is_multicast or ip.is_reserved or ip.is_unspecified or not ip.is_global:
        return f"{ip} is not a public address"
    return None


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class Deadline:
    """One fetch's deadline over the sockets it uses: at the deadline they are shut down.

    Each socket is held through a duplicate of its descriptor, so that shutting it
    down never reaches a descriptor the system has since given to another file, and
    the original may be wrapped in TLS (which detaches it) without the deadline losing
    hold of the connection.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._held: dict[int, socket.socket] = {}  # id(connection) -> duplicate of its socket
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._timer.cancel()
        with self._lock:
            held, self._held = self._held, {}
        for duplicate in held.values():
            duplicate.close()

    def hold(self, connection: object, sock: socket.socket) -> None:
        """Shut ``sock`` down at the deadline (at once if it has passed), until :meth:`release`."""
        duplicate = socket.socket(sock.family, sock.type, sock.proto, fileno=socket.dup(sock.fileno()))
        with self._lock:
            previous = self._held.pop(id(connection), None)
            self._held[id(connection)] = duplicate
            if self.expired:
                _shut(duplicate)
        if previous is not None:
            previous.close()

    def release(self, connection: object) -> None:
        """Stop holding ``connection``'s socket: it went back to the pool, another fetch may take it."""
        with self._lock:
            duplicate = self._held.pop(id(connection), None)
        if duplicate is not None:
            duplicate.close()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for duplicate in self._held.values():
                _shut(duplicate)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # (already closed by the other end)
        sock.shutdown(socket.SHUT_RDWR)  # the blocked recv() in the fetching thread returns


def addresses(host: str, port: int, seconds: float) -> list[tuple[Any, ...]]:
    """``getaddrinfo`` for a TCP connection to ``host``, waiting at most ``seconds`` for the answer.

    The lookup runs in a thread of its own: a resolver that never answers cannot be
    interrupted, but it need not be waited for.
    """
    answer: list[Any] = []

    def look_up() -> None:
        try:
            answer.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as error:
            answer.append(error)

    lookup = threading.Thread(target=look_up, daemon=True)
    lookup.start()
    lookup.join(seconds)
    if not answer:
        raise TimeoutError(f"no answer for {host} within {seconds:g} s")
    if isinstance(answer[0], OSError):
        raise answer[0]
    return list(answer[0])


def _connect_checked(connection: Any, allowed: frozenset[str]) -> socket.socket:
    """A TCP socket to ``connection``'s host, connected only to an address the rules permit."""
    timeout = connection.timeout if isinstance(connection.timeout, int | float) else None
    try:
        found = addresses(connection._dns_host, connection.port, timeout or 30.0)
    except socket.gaierror as error:
        raise NameResolutionError(connection.host, connection, error) from error
    except TimeoutError as error:
        raise ConnectTimeoutError(connection, f"looking up {connection.host} timed out") from error
    permitted = [entry for entry in found if refusal(entry[4][0], entry[4][1], allowed) is None]
    if not permitted:  # decided before connecting: the same words for an open port and a closed one
        raise Blocked(f"refused to connect to {connection.host}: {refusal(found[0][4][0], found[0][4][1], allowed)}")
    failure: OSError | None = None
    for family, kind, proto, _, address in permitted:
        sock = socket.socket(family, kind, proto)
        try:
            for option in connection.socket_options or ():
                sock.setsockopt(*option)
            sock.settimeout(timeout)
            sock.connect(address)
            return sock
        except OSError as error:
            sock.close()
            failure = error
    if isinstance(failure, TimeoutError):
        raise ConnectTimeoutError(connection, f"connecting to {connection.host} timed out") from failure
    raise NewConnectionError(connection, f"Failed to establish a new connection: {failure}") from failure


def _guarded(base: type, allowed: frozenset[str], fetches: threading.local) -> type:
    """``base`` (an HTTP(S)Connection) that connects only where the rules allow, under the fetch's deadline."""

    def _new_conn(self: Any) -> socket.socket:
        sock = _connect_checked(self, allowed)
        address, port = sock.getpeername()[:2]
        why = refusal(address, port, allowed)  # (the address checked is the one connected; kept as a backstop)
        if why:
            sock.close()
            raise Blocked(f"refused to connect to {self.host}: {why}")
        deadline = getattr(fetches, "deadline", None)
        if deadline is not None:
            deadline.hold(self, sock)
        return sock

    return type(f"Guarded{base.__name__}", (base,), {"_new_conn": _new_conn})


def _pooled(base: type, connection: type, fetches: threading.local) -> type:
    """A connection pool whose kept-alive connections come under the deadline of the fetch that takes them."""

    def _get_conn(self: Any, timeout: float | None = None) -> Any:
        conn = base._get_conn(self, timeout)  # type: ignore[attr-defined]
        deadline = getattr(fetches, "deadline", None)
        if deadline is not None and conn.sock is not None:
            deadline.hold(conn, conn.sock)
        return conn

    def _put_conn(self: Any, conn: Any) -> None:
        deadline = getattr(fetches, "deadline", None)
        if deadline is not None and conn is not None:
            deadline.release(conn)
        base._put_conn(self, conn)  # type: ignore[attr-defined]

    methods = {"ConnectionCls": connection, "_get_conn": _get_conn, "_put_conn": _put_conn}
    return type(f"Guarded{base.__name__}", (base,), methods)


class GuardedAdapter(HTTPAdapter):
    """requests' adapter with the guarded connections; ``fetches.deadline`` is the calling thread's fetch."""

    def __init__(self, allowed: frozenset[str]) -> None:
        self.allowed = allowed
        self.fetches = threading.local()
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        http = _guarded(HTTPConnection, self.allowed, self.fetches)
        https = _guarded(HTTPSConnection, self.allowed, self.fetches)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _pooled(HTTPConnectionPool, http, self.fetches),
            "https": _pooled(HTTPSConnectionPool, https, self.fetches),
        }
