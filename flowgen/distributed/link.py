"""The driver's end of the direct link to one host actor: batches out, outcomes back, over one socket.

A Ray call into an asyncio actor costs about 1 ms whatever it carries; a frame on an open TCP
connection costs tens of microseconds. So once a host actor has opened its link server (link_server.py)
the runtime's Outbox sends its batches here: one ``batch`` frame per batch, its outcomes (and progress
chunks) coming back as they finish, matched to the callers' futures by batch id and index. Ray still
places, restarts and watches the actor, and hands over the link's address and token.

When the connection breaks (the actor's process died, or a frame failed validation), every call in
flight on it fails through ``on_error`` (the runtime turns :class:`~flowgen.errors.LinkLostError`
into AgentUnavailableError naming the agent) and ``on_lost`` tells the Outbox to forget the link: the
next batch asks Ray for the actor's link again, which a recreated actor opens anew with a new token.
Given an ``ssl.SSLContext`` (link_tls.py: when the cluster runs Ray with TLS), the connection is TLS,
the server's certificate verified against the cluster's CA before the token is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Callable

from flowgen.distributed.frames import (
    LENGTH,
    MAX_FRAME_BYTES,
    decode_frame,
    encode_batch,
    encode_cancel,
    frame_outcomes,
)
from flowgen.distributed.wire import Envelope, Outcome
from flowgen.errors import FrameError, LinkLostError

# (envelope, the caller's future, its progress callback): what the Outbox queues.
Queued = tuple[Envelope, "asyncio.Future[Outcome]", Callable[[bytes], None] | None]
OnError = Callable[[BaseException, Envelope], BaseException]
_CONNECT_TIMEOUT_S = 5.0  # an unreachable address must not hold the first batch for long
# A peer lost without closing its connection (a node cut off) must not leave calls waiting forever:
# TCP probes an idle connection after 5 s, every 2 s, 3 times; unacknowledged data waits 15 s at most.
_KEEPALIVE = (("TCP_KEEPIDLE", 5), ("TCP_KEEPINTVL", 2), ("TCP_KEEPCNT", 3), ("TCP_USER_TIMEOUT", 15_000))


class _Batch:
    __slots__ = ("entries", "left")

    def __init__(self, entries: list[Queued]) -> None:
        self.entries = entries
        self.left = len(entries)


class Link:
    """One open connection to a host actor's link server; ``open`` makes it, ``close`` ends it."""

    __slots__ = ("_batches", "_cancels", "_lost", "_next", "_on_error", "_on_lost", "_reading", "_writer")

    def __init__(
        self, writer: asyncio.StreamWriter, on_error: OnError, on_lost: Callable[[Link], None]
    ) -> None:
        self._writer = writer
        self._on_error = on_error
        self._on_lost = on_lost
        self._batches: dict[int, _Batch] = {}
        self._cancels: dict[str, list[asyncio.Future[bool]]] = {}
        self._next = 0
        self._lost: BaseException | None = None
        self._reading: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls,
        host: str,
        port: int,
        token: bytes,
        on_error: OnError,
        on_lost: Callable[[Link], None],
        tls: ssl.SSLContext | None = None,
    ) -> Link:
        """Connect (over TLS with ``tls``, a client context) and authenticate.

        Raises OSError or TimeoutError when the address is unreachable, ssl.SSLError (an OSError)
        when the server's certificate is refused.
        """
        async with asyncio.timeout(_CONNECT_TIMEOUT_S):
            if tls is None:
                reader, writer = await asyncio.open_connection(host, port)
            else:
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=tls, server_hostname=host, ssl_handshake_timeout=_CONNECT_TIMEOUT_S
                )
        _keep_alive(writer.get_extra_info("socket"))
        writer.write(token)
        link = cls(writer, on_error, on_lost)
        link._reading = asyncio.get_running_loop().create_task(link._read(reader))
        return link

    @property
    def up(self) -> bool:
        return self._lost is None

    def send(self, entries: list[Queued]) -> bool:
        """Send a batch in one frame; False when it would exceed the frame limit (send it another way)."""
        try:
            frame = encode_batch(self._next, [envelope for envelope, _, _ in entries])
        except FrameError:
            return False
        self._batches[self._next] = _Batch(entries)
        self._next += 1
        self._writer.write(frame)
        return True

    async def cancel(self, message_id: str) -> bool:
        """Cancel a send's handler in the actor; returns once it stopped (False if none was running).

        Raises LinkLostError if the link breaks first (the actor then cancels it by itself).
        """
        if self._lost is not None:
            raise LinkLostError("the direct link is closed") from self._lost
        answered: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._cancels.setdefault(message_id, []).append(answered)
        self._writer.write(encode_cancel(message_id))
        return await answered

    def busy(self) -> bool:
        return bool(self._batches)

    async def close(self) -> None:
        """End the connection; calls still in flight on it are cancelled."""
        for batch in self._batches.values():
            for _, future, _ in batch.entries:
                future.cancel()
        self._batches.clear()
        self._broken(LinkLostError("the direct link was closed by this process"))
        if self._reading is not None:
            self._reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reading

    # ---------------------------------------------------------------- reading

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                (size,) = LENGTH.unpack(await reader.readexactly(LENGTH.size))
                if size > MAX_FRAME_BYTES:
                    raise FrameError(f"a frame of {size} bytes exceeds the limit of {MAX_FRAME_BYTES}")
                head, payloads = decode_frame(await reader.readexactly(size))
                if head["kind"] == "outcomes":
                    self._settle(frame_outcomes(head, payloads))
                elif head["kind"] == "cancelled":
                    for answered in self._cancels.pop(head["message_id"], []):
                        if not answered.done():
                            answered.set_result(head["stopped"])
                else:
                    raise FrameError(f"a {head['kind']!r} frame, which only a driver sends")
        except (asyncio.IncompleteReadError, OSError) as exc:
            self._broken(LinkLostError(f"the host actor's connection ended ({type(exc).__name__})"))
        except FrameError as exc:
            self._broken(LinkLostError(f"the host actor sent a bad frame: {exc}"))
        except Exception as exc:  # never leave the calls in flight waiting on a reader that stopped
            self._broken(LinkLostError(f"reading the host actor's frames failed: {exc!r}"))

    def _settle(self, outcomes: list[tuple[int, int, Outcome]]) -> None:
        for batch_id, index, outcome in outcomes:
            batch = self._batches.get(batch_id)
            if batch is None or index >= len(batch.entries):
                raise FrameError(f"an outcome for batch {batch_id}, index {index}, which was not sent")
            _, future, on_progress = batch.entries[index]
            if "progress" in outcome:
                if on_progress is not None and not future.done():
                    try:
                        on_progress(outcome["progress"])
                    except Exception as exc:  # the caller's own callback: its call fails with it
                        future.set_exception(exc)
                continue
            if not future.done():
                future.set_result(outcome)
            batch.left -= 1
            if not batch.left:
                del self._batches[batch_id]

    def _broken(self, error: LinkLostError) -> None:
        """Fail everything in flight (once), close the socket and tell the owner to forget this link."""
        if self._lost is not None:
            return
        self._lost = error
        for batch in self._batches.values():
            for envelope, future, _ in batch.entries:
                if not future.done():
                    future.set_exception(self._on_error(error, envelope))
        self._batches.clear()
        for waiting in self._cancels.values():
            for answered in waiting:
                if not answered.done():
                    answered.set_exception(error)
        self._cancels.clear()
        self._writer.close()
        self._on_lost(self)


def _keep_alive(sock: socket.socket | None) -> None:
    """Let TCP notice a peer that vanished without closing the connection (where the system allows)."""
    if sock is None:
        return
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for name, value in _KEEPALIVE:
        option = getattr(socket, name, None)
        if option is not None:
            sock.setsockopt(socket.IPPROTO_TCP, option, value)
