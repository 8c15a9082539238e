"""The host actor's end of the direct link: a TCP server in the actor's own event loop.

A RayAgentRuntime asks a host actor to open it (``AgentHost.open_link``, a Ray call: Ray's channel is
authenticated, so the token travels only there). The server listens on the node's address on a port
the system picks, and serves a connection only after it has sent the actor's token (compared in
constant time). Then it reads ``batch`` frames, starts each envelope's handler as the actor would for
a Ray call, and writes back the outcomes (and progress chunks) as they finish, gathered per loop turn
into one ``outcomes`` frame; a ``cancel`` frame cancels a running handler and is answered once it
stopped. A wrong token, a frame that fails validation or one over the size limit closes that
connection only; a connection that ends cancels the handlers it started (no one awaits their replies).
Given an ``ssl.SSLContext`` (link_tls.py: when the cluster runs Ray with TLS), the server speaks TLS
and requires a client certificate from the cluster's CA before the token is even read; a connection
failing the handshake never reaches the server's code (asyncio closes it).
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging
import secrets
import ssl
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from flowgen.distributed.frames import (
    LENGTH,
    MAX_FRAME_BYTES,
    TOKEN_BYTES,
    batch_envelopes,
    decode_frame,
    encode_cancelled,
    encode_outcomes,
    outcome_head,
)
from flowgen.distributed.wire import Envelope, Outcome, encode_failure
from flowgen.errors import FrameError

logger = logging.getLogger(__name__)
_HELLO_TIMEOUT_S = 10.0  # a connection that sends no token within this is closed
_FRAME_ROOM = 1 << 16  # room left in a frame for the header beside a reply's payload

Push = Callable[[int, bytes], None]


class Deliveries(Protocol):
    """What the server asks of its actor (AgentHost): start a handler, cancel one."""

    @property
    def node(self) -> str: ...

    def start(self, index: int, envelope: Envelope, push: Push) -> asyncio.Future[tuple[int, Outcome]]: ...

    def cancel(self, message_id: str) -> Awaitable[bool]: ...


class LinkServer:
    """The TCP server of one host actor; ``open`` starts it once, ``close`` stops it and its connections."""

    def __init__(self, deliveries: Deliveries) -> None:
        self._deliveries = deliveries
        self._server: asyncio.Server | None = None
        self._token = b""
        self._address: tuple[str, int] = ("", 0)
        self._connections: set[asyncio.Task[Any]] = set()
        self._opening = asyncio.Lock()  # two callers at once get one server
        #: Envelopes received over the link, connections served and refused (for tests and telemetry).
        self.counts = {"envelopes": 0, "connections": 0, "refused": 0}

    async def open(self, host: str, tls: ssl.SSLContext | None = None) -> tuple[str, int, bytes]:
        """Listen on ``host`` (a port the system picks) if not yet; the address and the token.

        With ``tls`` (a server context), every connection is TLS; the first call decides.
        """
        async with self._opening:
            if self._server is None:
                self._token = secrets.token_bytes(TOKEN_BYTES)
                self._server = await asyncio.start_server(
                    self._serve,
                    host=host,
                    port=0,
                    ssl=tls,
                    ssl_handshake_timeout=_HELLO_TIMEOUT_S if tls is not None else None,
                )
                self._address = (host, self._server.sockets[0].getsockname()[1])
                logger.debug("direct link listening on %s:%d", *self._address)
        return (*self._address, self._token)

    async def close(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        connection = _Connection(self, writer)
        try:
            if await self._admitted(reader):
                self.counts["connections"] += 1
                await connection.serve(reader)
            else:
                self.counts["refused"] += 1
                logger.warning("refused a direct link connection: it did not send the actor's token")
        except FrameError as exc:
            logger.warning("closed a direct link connection: %s", exc)
        except (OSError, asyncio.IncompleteReadError, TimeoutError):
            pass  # the peer went away (or never said anything): nothing to answer
        finally:
            connection.end()
            writer.close()
            self._connections.discard(task)

    async def _admitted(self, reader: asyncio.StreamReader) -> bool:
        async with asyncio.timeout(_HELLO_TIMEOUT_S):
            token = await reader.readexactly(TOKEN_BYTES)
        return hmac.compare_digest(token, self._token)


class _Connection:
    """One authenticated connection: the handlers it started and the outcomes waiting to leave."""

    __slots__ = (
        "_deliveries",
        "_ended",
        "_outgoing",
        "_running",
        "_scheduled",
        "_server",
        "_tasks",
        "_writer",
    )

    def __init__(self, server: LinkServer, writer: asyncio.StreamWriter) -> None:
        self._server = server
        self._deliveries = server._deliveries
        self._writer = writer
        self._running: set[asyncio.Future[tuple[int, Outcome]]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._outgoing: list[tuple[dict[str, Any], bytes | None]] = []
        self._scheduled = False
        self._ended = False

    async def serve(self, reader: asyncio.StreamReader) -> None:
        while True:
            (size,) = LENGTH.unpack(await reader.readexactly(LENGTH.size))
            if size > MAX_FRAME_BYTES:
                raise FrameError(f"a frame of {size} bytes exceeds the limit of {MAX_FRAME_BYTES}")
            head, payloads = decode_frame(await reader.readexactly(size))
            if head["kind"] == "batch":
                self._start(head["batch"], batch_envelopes(head, payloads))
            elif head["kind"] == "cancel":
                task = asyncio.get_running_loop().create_task(self._cancel(head["message_id"]))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            else:
                raise FrameError(f"a {head['kind']!r} frame, which only a host sends")

    def _start(self, batch: int, envelopes: list[Envelope]) -> None:
        self._server.counts["envelopes"] += len(envelopes)
        push = functools.partial(self._progress, batch)
        for index, envelope in enumerate(envelopes):
            started = self._deliveries.start(index, envelope, push)
            if started.done():  # finished without waiting: its outcome leaves with this turn's others
                self._finished(batch, index, started)
            else:
                self._running.add(started)
                started.add_done_callback(functools.partial(self._finished, batch, index))

    def _progress(self, batch: int, index: int, chunk: bytes) -> None:
        self._queue(outcome_head(batch, index, Outcome(progress=chunk)))

    def _finished(self, batch: int, index: int, started: asyncio.Future[tuple[int, Outcome]]) -> None:
        self._running.discard(started)
        if started.cancelled():
            outcome = self._failure(asyncio.CancelledError("the host actor stopped"))
        elif (error := started.exception()) is not None:
            outcome = self._failure(error)
        else:
            outcome = started.result()[1]
        entry = outcome_head(batch, index, outcome)
        if entry[1] is not None and len(entry[1]) > MAX_FRAME_BYTES - _FRAME_ROOM:
            too_big = ValueError(
                f"the reply of {len(entry[1])} bytes exceeds the direct link's frame limit of "
                f"{MAX_FRAME_BYTES} bytes (RayAgentRuntime(direct=False) sends it by Ray calls)"
            )
            entry = outcome_head(batch, index, self._failure(too_big))
        self._queue(entry)

    def _failure(self, error: BaseException) -> Outcome:
        return Outcome(failure=encode_failure(error, self._deliveries.node))

    def _queue(self, entry: tuple[dict[str, Any], bytes | None]) -> None:
        if self._ended:
            return
        self._outgoing.append(entry)
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        """Write the outcomes gathered this turn, as few frames as the size limit allows."""
        self._scheduled = False
        outgoing, self._outgoing = self._outgoing, []
        if self._ended:
            return
        frame: list[tuple[dict[str, Any], bytes | None]] = []
        size = 0
        for entry in outgoing:
            entry_size = len(entry[1] or b"") + 256
            if frame and size + entry_size > MAX_FRAME_BYTES - _FRAME_ROOM:
                self._writer.write(encode_outcomes(frame))
                frame, size = [], 0
            frame.append(entry)
            size += entry_size
        if frame:
            self._writer.write(encode_outcomes(frame))

    async def _cancel(self, message_id: str) -> None:
        stopped = await self._deliveries.cancel(message_id)
        if not self._ended:
            self._writer.write(encode_cancelled(message_id, stopped))

    def end(self) -> None:
        """The connection is over: stop the handlers it started, since no one awaits their replies."""
        self._ended = True
        for started in list(self._running):
            started.cancel()
        for task in list(self._tasks):
            task.cancel()
