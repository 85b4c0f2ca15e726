"""A seeded fault-injecting HTTP proxy in front of a loopback endpoint, to test how clients survive faults.

``FaultProxy`` listens on 127.0.0.1 and forwards each request to an upstream on 127.0.0.1 (the embedded
server's ``endpoint_url``), or, by a seeded random draw per request, injects one fault:

- ``drop_request``: closes the connection without forwarding or answering (the write never happened);
- ``lose_response``: forwards, lets the upstream answer, then closes without answering (the write happened);
- ``delay_response``: forwards, then holds the answer for ``delay_seconds`` (longer than the client's read
  timeout) before sending it;
- ``server_error``: answers ``error_status`` with an HTML body, as a load balancer does, without forwarding.

Over TCP a dropped request and a lost response look the same to the client (botocore's
``ConnectionClosedError``): the connection was accepted, the request sent, and no answer came. A refused
connection (botocore's ``EndpointConnectionError``) happens before any request exists, so it is not a per
request fault: ``refusing_endpoint()`` gives an address that refuses every connection.

Every request is recorded (``events``, ``counts``); ``max_faults`` bounds how many faults are injected, after
which everything passes through, so a retrying client always gets through eventually. Every wait is bounded:
``stop()`` (or leaving the ``with`` block) cuts delays short and closes idle connections.
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import random
import socket
import socketserver
import threading
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, Self

Fault = Literal["pass", "drop_request", "lose_response", "delay_response", "server_error"]
FAULTS: tuple[Fault, ...] = ("drop_request", "lose_response", "delay_response", "server_error")

LOOPBACK = "127.0.0.1"
# Bounds every socket wait of the proxy: reading a request, an idle keep-alive connection, the upstream.
SOCKET_TIMEOUT_SECONDS = 10.0
# Headers that belong to one connection, never forwarded across the proxy.
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "te", "trailer", "upgrade"}
)
_ERROR_PAGE = b"<html><head><title>{status}</title></head><body><h1>{status}</h1></body></html>"


@dataclass(frozen=True)
class ProxyEvent:
    """What the proxy did with one request."""

    index: int
    fault: Fault
    method: str
    target: str | None  # X-Amz-Target, e.g. DynamoDB_20120810.PutItem
    upstream_status: int | None  # None when the request was not forwarded or the upstream never answered

    @property
    def upstream_answered(self) -> bool:
        return self.upstream_status is not None


class FaultProxy:
    """A loopback HTTP proxy injecting faults by seeded draws; a context manager that starts and stops it."""

    def __init__(
        self,
        upstream_url: str,
        *,
        seed: int = 0,
        drop_request: float = 0.0,
        lose_response: float = 0.0,
        delay_response: float = 0.0,
        server_error: float = 0.0,
        delay_seconds: float = 2.0,
        error_status: int = 500,
        max_faults: int | None = None,
    ) -> None:
        parsed = urllib.parse.urlsplit(upstream_url)
        if parsed.scheme != "http" or parsed.hostname != LOOPBACK or parsed.port is None:
            raise ValueError(f"upstream_url must be http://{LOOPBACK}:<port>, got {upstream_url!r}")
        if not 500 <= error_status <= 599:
            raise ValueError(f"error_status must be a 5xx status, got {error_status}")
        if delay_seconds <= 0:
            raise ValueError(f"delay_seconds must be positive, got {delay_seconds}")
        self.upstream_port: int = parsed.port
        self.delay_seconds = delay_seconds
        self.error_status = error_status
        self.max_faults = max_faults
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._rates: dict[Fault, float] = {}
        self.configure(
            drop_request=drop_request,
            lose_response=lose_response,
            delay_response=delay_response,
            server_error=server_error,
        )
        self._events: list[ProxyEvent] = []
        self._arrivals = 0
        self._faults_injected = 0
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def configure(
        self,
        *,
        drop_request: float = 0.0,
        lose_response: float = 0.0,
        delay_response: float = 0.0,
        server_error: float = 0.0,
    ) -> None:
        """Replace the fault rates (each in [0, 1], summing to at most 1) for the requests that follow."""
        rates: dict[Fault, float] = {
            "drop_request": drop_request,
            "lose_response": lose_response,
            "delay_response": delay_response,
            "server_error": server_error,
        }
        for name, rate in rates.items():
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {rate}")
        if sum(rates.values()) > 1.0 + 1e-9:
            raise ValueError(f"the fault rates must sum to at most 1, got {sum(rates.values())}")
        with self._lock:
            self._rates = rates

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FaultProxy is not running; call start() first")
        return f"http://{LOOPBACK}:{self._server.server_address[1]}"

    @property
    def events(self) -> list[ProxyEvent]:
        with self._lock:
            return list(self._events)

    @property
    def counts(self) -> Counter[Fault]:
        """How many requests got each treatment, ``"pass"`` included."""
        return Counter(event.fault for event in self.events)

    def start(self) -> Self:
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server((LOOPBACK, 0), _Handler)
        server.proxy = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="fault-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, cut delays short, close open connections and wait for every handler thread."""
        server, thread, self._server, self._thread = self._server, self._thread, None, None
        if server is None or thread is None:
            return
        self._stopping.set()
        server.shutdown()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            _shutdown(connection)
        server.server_close()  # joins the handler threads (block_on_close)
        thread.join()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- used by the handler ---

    def _draw(self) -> tuple[int, Fault]:
        """The request's index (in arrival order) and its treatment."""
        with self._lock:
            index = self._arrivals
            self._arrivals += 1
            draw = self._random.random()  # drawn for every request: the sequence depends on the seed only
            if self.max_faults is not None and self._faults_injected >= self.max_faults:
                return index, "pass"
            bound = 0.0
            for fault in FAULTS:
                bound += self._rates[fault]
                if draw < bound:
                    self._faults_injected += 1
                    return index, fault
            return index, "pass"

    def _record(self, event: ProxyEvent) -> None:
        with self._lock:
            self._events.append(event)
            self._events.sort(key=lambda recorded: recorded.index)

    def _track(self, connection: socket.socket, *, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections.add(connection)
                if self._stopping.is_set():  # accepted while stopping: stop() may not have seen it
                    _shutdown(connection)
            else:
                self._connections.discard(connection)


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = False
    block_on_close = True
    allow_reuse_address = False
    proxy: FaultProxy


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = SOCKET_TIMEOUT_SECONDS
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.proxy._track(self.connection, open_=True)

    def finish(self) -> None:
        self.server.proxy._track(self.connection, open_=False)
        with contextlib.suppress(OSError):  # the client is gone; nothing left to flush
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        return None  # quiet: the events record what happened

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def _handle(self) -> None:
        proxy = self.server.proxy
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        index, fault = proxy._draw()
        target = self.headers.get("X-Amz-Target")
        upstream_status: int | None = None
        try:
            if fault == "drop_request":
                self._abort()
                return
            if fault == "server_error":
                self._answer_error(proxy.error_status)
                return
            response = self._forward(body)
            upstream_status = None if response is None else response[0]
            if fault == "lose_response":  # lost whether or not the upstream answered, as events record
                self._abort()
                return
            if response is None:
                self._answer_error(502)  # the upstream failed: answer as a gateway does
                return
            if fault == "delay_response" and proxy._stopping.wait(proxy.delay_seconds):
                self._abort()  # stopping: do not hold the connection any longer
                return
            self._answer(*response)
        except OSError:
            self.close_connection = True  # the client went away, e.g. after its read timeout
        finally:
            proxy._record(ProxyEvent(index, fault, self.command, target, upstream_status))

    def _forward(self, body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes] | None:
        """Send the request upstream as received (its Host header included, which the signature covers)."""
        proxy = self.server.proxy
        upstream = http.client.HTTPConnection(LOOPBACK, proxy.upstream_port, timeout=SOCKET_TIMEOUT_SECONDS)
        try:
            upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
                    upstream.putheader(name, value)
            upstream.putheader("Content-Length", str(len(body)))
            upstream.endheaders(body)
            response = upstream.getresponse()
            payload = response.read()
            headers = [
                (name, value) for name, value in response.getheaders() if name.lower() not in _HOP_BY_HOP
            ]
            return response.status, response.reason, headers, payload
        except (OSError, http.client.HTTPException):
            return None
        finally:
            upstream.close()

    def _answer(self, status: int, reason: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response_only(status, reason)
        for name, value in headers:
            if name.lower() not in ("content-length", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def _answer_error(self, status: int) -> None:
        reason = http.client.responses.get(status, "Server Error")
        page = _ERROR_PAGE.replace(b"{status}", f"{status} {reason}".encode())
        self._answer(status, reason, [("Content-Type", "text/html")], page)

    def _abort(self) -> None:
        """Close the connection without a word: the client sees it closed before any response."""
        self.close_connection = True
        _shutdown(self.connection)


def _shutdown(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the other side
        connection.shutdown(socket.SHUT_RDWR)


@contextmanager
def refusing_endpoint() -> Iterator[str]:
    """A loopback URL whose port is held (bound, never listening), so that every connection is refused."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        holder.bind((LOOPBACK, 0))
        yield f"http://{LOOPBACK}:{holder.getsockname()[1]}"
    finally:
        holder.close()


class CannedServer(http.server.ThreadingHTTPServer):
    """A loopback server answering every POST with one canned response, counting the requests."""

    def __init__(self, status: int, content_type: str, body: bytes) -> None:
        super().__init__((LOOPBACK, 0), _CannedHandler)
        self.status, self.content_type, self.body = status, content_type, body
        self.requests = 0

    @property
    def endpoint_url(self) -> str:
        return f"http://{LOOPBACK}:{self.server_address[1]}"


class _CannedHandler(http.server.BaseHTTPRequestHandler):
    server: CannedServer

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.requests += 1
        self.send_response(self.server.status)
        self.send_header("Content-Type", self.server.content_type)
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)

    def log_message(self, format: str, *args: Any) -> None:
        return None


@contextmanager
def canned_server(status: int, content_type: str, body: bytes) -> Iterator[CannedServer]:
    """A started :class:`CannedServer`, stopped at the end of the ``with`` block."""
    server = CannedServer(status, content_type, body)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
