"""A scripted HTTP server on 127.0.0.1 that speaks just enough of the providers' wire protocols.

Tests script the replies in order (JSON bodies, server-sent event streams, error statuses, stalls),
point a real SDK at ``base_url`` and then read back what the SDK actually sent from ``requests``.
The server runs on the standard library only (a threading HTTP server), so nothing about the
transport is faked: the SDKs open real sockets, parse real HTTP and real SSE.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import sys
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    """Answer with ``body`` as JSON."""

    body: Any
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    """One server-sent event: ``data`` (a JSON value, or a raw string) under an optional event name."""

    data: Any
    name: str | None = None

    def encode(self) -> bytes:
        data = self.data if isinstance(self.data, str) else json.dumps(self.data)
        head = f"event: {self.name}\n" if self.name else ""
        return f"{head}data: {data}\n\n".encode()


@dataclass(frozen=True)
class Stream:
    """Answer with a server-sent event stream.

    With ``hold_after=n`` the server sends the first ``n`` events, then keeps the connection open
    (sending nothing) until the client goes away, which it reports through ``client_left``.
    With ``drop_after=n`` it sends the first ``n`` events and then closes the connection without
    ending the chunked body: a connection dropped mid-stream.
    """

    events: Sequence[Event]
    hold_after: int | None = None
    drop_after: int | None = None


@dataclass(frozen=True)
class Raw:
    """Answer 200 with ``body`` sent byte for byte under ``content_type`` (HTML, truncated JSON...)."""

    body: bytes
    content_type: str = "application/json"


@dataclass(frozen=True)
class Stall:
    """Never answer: the request hangs until the client gives up (for timeout tests)."""


Step = Reply | Raw | Stream | Stall


@dataclass(frozen=True)
class Recorded:
    """A request as the server received it."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: Any


class ProviderServer:
    """The scripted server. Use :meth:`script` to queue replies, :attr:`requests` to see what came in.

    Example:
        >>> server = ProviderServer().start()
        >>> server.base_url.startswith("http://127.0.0.1:")
        True
        >>> server.stop()
    """

    def __init__(self, *, answer: Callable[[Recorded], Step] | None = None) -> None:
        self.answer = answer  # replies to requests beyond the script (load tests); None: unexpected
        self.connections_opened = 0  # TCP connections accepted: pooled clients open few
        self.peak_connections = 0  # most connections open at one time
        self.requests: list[Recorded] = []
        self.unexpected: list[Recorded] = []
        self.client_left = threading.Event()
        self.request_arrived = threading.Event()
        self._steps: deque[Step] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = _Server(self)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05})

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> ProviderServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every connection; calling it again does nothing."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        self._thread.join()

    def script(self, *steps: Step) -> None:
        """Queue replies; each request takes the next one, whatever its path."""
        with self._lock:
            self._steps.extend(steps)

    @property
    def pending(self) -> int:
        """Scripted replies not yet taken."""
        return len(self._steps)

    def bodies(self) -> list[Any]:
        return [r.body for r in self.requests]

    def _take(self, request: Recorded) -> Step | None:
        with self._lock:
            self.requests.append(request)
            self.request_arrived.set()
            if self._steps:
                return self._steps.popleft()
            if self.answer is not None:
                return self.answer(request)
            self.unexpected.append(request)
            return None

    def wait_for_client_to_leave(self, sock: socket.socket) -> bool:
        """Block until the peer closes ``sock`` (True) or the server stops (False)."""
        while not self._stopping.is_set():
            readable, _, _ = select.select([sock], [], [], 0.05)
            if not readable:
                continue
            try:
                peeked = sock.recv(1, socket.MSG_PEEK)
            except OSError:
                peeked = b""
            if not peeked:
                self.client_left.set()
                return True
        return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # load tests connect many clients at once; the default backlog is 5

    def __init__(self, owner: ProviderServer) -> None:
        self.owner = owner
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
            self.owner.connections_opened += 1
            self.owner.peak_connections = max(self.owner.peak_connections, len(self._connections))
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up (after a dropped or abandoned stream) is expected here, not an error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Unblock handler threads idling on kept-alive connections so the server can join them."""
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes; do not stall on ACKs
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        headers = {k.lower(): v for k, v in self.headers.items()}
        owner = self.server.owner
        step = owner._take(Recorded("POST", self.path, headers, body))
        try:
            if step is None:
                self._json(
                    500,
                    {
                        "error": {
                            "type": "test_error",
                            "message": "the test scripted no reply for this request",
                        }
                    },
                    {"x-should-retry": "false"},
                )
            elif isinstance(step, Reply):
                self._json(step.status, step.body, step.headers)
            elif isinstance(step, Raw):
                self._raw(step)
            elif isinstance(step, Stream):
                self._stream(step)
            else:
                self.close_connection = True
                owner.wait_for_client_to_leave(self.connection)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            owner.client_left.set()

    def _json(self, status: int, body: Any, headers: Mapping[str, str]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()

    def _raw(self, step: Raw) -> None:
        self.send_response(200)
        self.send_header("Content-Type", step.content_type)
        self.send_header("Content-Length", str(len(step.body)))
        self.end_headers()
        self.wfile.write(step.body)
        self.wfile.flush()

    def _stream(self, step: Stream) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for index, event in enumerate(step.events):
            if step.hold_after is not None and index == step.hold_after:
                self.wfile.flush()
                self.close_connection = True
                self.server.owner.wait_for_client_to_leave(self.connection)
                return
            if step.drop_after is not None and index == step.drop_after:
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self._chunk(event.encode())
        self._chunk(b"")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()
