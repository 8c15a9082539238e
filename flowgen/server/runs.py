"""Running a served team on a thread: one run per thread at a time, every item encoded for JSON.

A second run on a busy thread is refused (409) with what to do instead; the store's lease refuses
one started by another server process the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from flowgen.base import TaskResult
from flowgen.errors import RequestError, ThreadBusyError
from flowgen.messages import BaseAgentEvent, BaseChatMessage, MessageFactory
from flowgen.server.agents import Agents


class RunRequest(BaseModel):
    """The body of ``POST /threads/{id}/runs/wait`` and ``/runs/stream``."""

    model_config = ConfigDict(extra="forbid")

    agent: str = Field(min_length=1, description="the served agent to run")
    input: str | None = Field(default=None, description="the task; none continues the thread")


class Runs:
    """Which threads are running, and running one."""

    def __init__(self, agents: Agents, pool: Any = None) -> None:
        self._agents = agents
        self._busy: set[str] = set()
        # A started flowgen.distributed.RunPool serving the same teams by name (`--workers ray`):
        # runs then go to its workers on a Ray cluster instead of running in this process.
        self._pool = pool

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
        """The run's items as (kind, JSON) pairs: ``message`` / ``event`` as they happen, then ``end``.

        On a run pool they all come when the run has finished on its worker.
        """
        if self._pool is not None:
            async for pooled in self._stream_on_pool(thread_id, request):
                yield pooled
            return
        team = self._agents.build(request.agent)
        try:
            async with aclosing(team.run_stream(task=request.input, thread_id=thread_id)) as items:
                async for item in items:
                    if isinstance(item, TaskResult):
                        head = await team.checkpointer.head(thread_id) if team.checkpointer else None
                        yield (
                            "end",
                            {"thread_id": thread_id, "stop_reason": item.stop_reason, "checkpoint_id": head},
                        )
                    elif isinstance(item, BaseChatMessage):
                        yield "message", item.dump()
                    elif isinstance(item, BaseAgentEvent):
                        yield "event", item.dump()
        except ThreadBusyError:
            raise _busy(thread_id) from None

    async def _stream_on_pool(
        self, thread_id: str, request: RunRequest
    ) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        self._agents.require(request.agent)
        try:
            result = await self._pool.run(request.input, thread_id=thread_id, team=request.agent)
        except ThreadBusyError:
            raise _busy(thread_id) from None
        factory = MessageFactory()
        for data in result.messages:
            yield _kind(factory, data), data
        yield (
            "end",
            {
                "thread_id": thread_id,
                "stop_reason": result.stop_reason,
                "checkpoint_id": result.checkpoint_id,
            },
        )


def _kind(factory: MessageFactory, data: dict[str, Any]) -> str:
    """``event`` for a dumped agent event, ``message`` for a chat message (or a type unknown here)."""
    try:
        return "event" if isinstance(factory.create(data), BaseAgentEvent) else "message"
    except ValueError:
        return "message"


def _busy(thread_id: str) -> RequestError:
    return RequestError(
        409,
        "thread_busy",
        f"thread {thread_id!r} is running a run; wait for it to finish (GET /threads/{thread_id} shows "
        "status 'idle' when it has) and send this run again, or create another thread",
    )
