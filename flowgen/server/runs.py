"""Running a served team on a thread: one run per thread at a time, every item encoded for JSON.

A second run on a busy thread is refused (409) with what to do instead; the store's lease refuses
one started by another server process the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

from flowgen.errors import RequestError, ThreadBusyError
from flowgen.server.agents import Agents
from flowgen.server.run_exec import execute
from flowgen.server.run_request import RunRequest


class Runs:
    """Which threads are running, and running one."""

    def __init__(self, agents: Agents) -> None:
        self._agents = agents
        self._busy: set[str] = set()

    def is_busy(self, thread_id: str) -> bool:
        return thread_id in self._busy

    def claim(self, thread_id: str) -> None:
        """Mark the thread running (released by :meth:`release`); 409 when it already is."""
        if thread_id in self._busy:
            raise _busy(thread_id)
        self._busy.add(thread_id)

    def release(self, thread_id: str) -> None:
        self._busy.discard(thread_id)

    async def stream(self, thread_id: str, request: RunRequest) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """The run's items as (kind, JSON) pairs (see :mod:`flowgen.server.run_exec`)."""
        try:
            async with aclosing(execute(self._agents, thread_id, request)) as items:
                async for item in items:
                    yield item
        except ThreadBusyError:
            raise _busy(thread_id) from None


def _busy(thread_id: str) -> RequestError:
    return RequestError(
        409,
        "thread_busy",
        f"thread {thread_id!r} is running a run; wait for it to finish (GET /threads/{thread_id} shows "
        "status 'idle' when it has) and send this run again, or create another thread",
    )
