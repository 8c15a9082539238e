"""A run's log sent as Server-Sent Events: replay after an id, follow live, heartbeats, and disconnects.

The response listens for the client going away while it streams, so a stream opened with
``on_disconnect="cancel"`` stops its run as soon as the client leaves rather than at the next write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import aclosing

from starlette.types import Receive, Scope, Send

from flowgen.server.run_log import RunLog

PING = b": ping\n\n"

_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"x-accel-buffering", b"no"),
]


class EventStream:
    """An ASGI response streaming ``log`` after event id ``after``; ``on_disconnect`` runs if the client
    leaves before the log has ended."""

    __slots__ = ("_after", "_heartbeat", "_log", "_on_disconnect")

    def __init__(
        self,
        log: RunLog,
        after: int,
        heartbeat: float,
        on_disconnect: Callable[[], None] | None = None,
    ) -> None:
        self._log, self._after, self._heartbeat = log, after, heartbeat
        self._on_disconnect = on_disconnect

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") == "HEAD":  # headers only: a HEAD must not wait for the run to end
            await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        finished = False
        try:
            async with asyncio.TaskGroup() as group:
                listener = group.create_task(_until_disconnect(receive))
                sender = group.create_task(self._send_all(send))
                sender.add_done_callback(lambda _: listener.cancel())
                listener.add_done_callback(lambda _: sender.cancel())
            finished = not sender.cancelled() and sender.result()
        finally:
            if not finished and self._on_disconnect is not None:
                self._on_disconnect()

    async def _send_all(self, send: Send) -> bool:
        """Send every event to the log's end; False when the client is gone (a send failed)."""
        try:
            await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
            async with aclosing(self._log.follow(self._after, self._heartbeat)) as events:
                async for event in events:
                    body = PING if event is None else event.sse
                    await send({"type": "http.response.body", "body": body, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:  # ASGI 2.4 servers raise it for a send after the client has gone
            return False
        return True


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
