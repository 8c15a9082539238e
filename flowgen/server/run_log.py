"""One run's events, numbered 1, 2, 3 ... and kept so a client can rejoin after the last one it saw.

Each event is encoded once, as its SSE text. :meth:`RunLog.follow` replays the events after an id and
then waits for new ones, so a reader that disconnects and comes back with ``Last-Event-ID`` gets every
event exactly once. A follower is told when ``heartbeat`` seconds pass with nothing new (it sends a
``: ping`` comment).

Example:
    >>> import asyncio
    >>> log = RunLog()
    >>> log.append("metadata", {"run_id": "r"}); log.append("end", {}); log.close()
    >>> async def after(n: int) -> list[int]:
    ...     return [e.id async for e in log.follow(n, heartbeat=1.0) if e is not None]
    >>> asyncio.run(after(0)), asyncio.run(after(1))
    ([1, 2], [2])
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from typing import Any


class RunEvent:
    """One numbered event: its id, kind and SSE text."""

    __slots__ = ("id", "kind", "sse")

    def __init__(self, id: int, kind: str, data: Any) -> None:
        self.id, self.kind = id, kind
        self.sse = f"id: {id}\nevent: {kind}\ndata: {json.dumps(data)}\n\n".encode()


class RunLog:
    """The events of one run, in order; closed once the run has ended."""

    __slots__ = ("_closed", "_events", "_grew")

    def __init__(self) -> None:
        self._events: list[RunEvent] = []
        self._grew = asyncio.Event()  # replaced by a fresh one at every change
        self._closed = False

    def __len__(self) -> int:
        return len(self._events)

    @property
    def closed(self) -> bool:
        return self._closed

    def append(self, kind: str, data: Any) -> None:
        if self._closed:
            raise RuntimeError(f"the run's log is closed; {kind!r} came after its last event")
        self._events.append(RunEvent(len(self._events) + 1, kind, data))
        self._wake()

    def close(self) -> None:
        self._closed = True
        self._wake()

    def _wake(self) -> None:
        grew, self._grew = self._grew, asyncio.Event()
        grew.set()

    async def follow(self, after: int, heartbeat: float) -> AsyncGenerator[RunEvent | None, None]:
        """The events after id ``after``, then each new one until the log closes; None after
        ``heartbeat`` seconds without one."""
        sent = max(after, 0)
        while True:
            while sent < len(self._events):
                sent += 1
                yield self._events[sent - 1]
            if self._closed:
                return
            grew = self._grew  # taken before waiting: no append can slip between the check and the wait
            try:
                async with asyncio.timeout(heartbeat):
                    await grew.wait()
            except TimeoutError:
                yield None
