"""What a run is asked to do (the request body) and what it executes: the served team on the thread.

:func:`execute` is the executor the run registry consumes: an async iterator of ``(kind, data)``
pairs — ``message`` / ``event`` as they happen, then ``end``. The registry numbers them, keeps them
and ends the run; the executor knows nothing of HTTP.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from flowgen.base import TaskResult
from flowgen.errors import RequestError, ThreadBusyError
from flowgen.messages import BaseAgentEvent, BaseChatMessage
from flowgen.server.agents import Agents
from flowgen.server.handoff_reply import addressed_input


class RunRequest(BaseModel):
    """The body of ``POST /threads/{id}/runs``, ``/runs/wait`` and ``/runs/stream``."""

    model_config = ConfigDict(extra="forbid")

    agent: str = Field(min_length=1, description="the served agent to run")
    input: str | None = Field(default=None, description="the task; none continues the thread")
    multitask_strategy: Literal["reject", "enqueue"] = Field(
        default="reject", description="a run on a busy thread: refused (409), or run after the current one"
    )
    on_disconnect: Literal["cancel", "continue"] = Field(
        default="cancel", description="/runs/stream: what the run does when its client disconnects"
    )


async def execute(
    agents: Agents, thread_id: str, request: RunRequest
) -> AsyncGenerator[tuple[str, dict[str, Any]], None]:
    """The run's items as (kind, JSON) pairs: ``message`` / ``event`` as they happen, then ``end``."""
    team = agents.build(request.agent)
    task = await addressed_input(team, thread_id, request.input)
    try:
        async with aclosing(team.run_stream(task=task, thread_id=thread_id)) as items:
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
        raise busy(thread_id) from None


def busy(thread_id: str) -> RequestError:
    return RequestError(
        409,
        "thread_busy",
        f"thread {thread_id!r} is running a run; wait for it to finish (GET /threads/{thread_id} shows "
        "status 'idle' when it has, or GET its run's /join), send this run again with "
        '"multitask_strategy": "enqueue" to run it after the current one, or create another thread',
    )
