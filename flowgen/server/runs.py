"""What the run registry executes for one run: the served team on the thread, checked as it starts.

:func:`execute_checked` is the executor the registry consumes: an async iterator of ``(kind, data)``
pairs (see :mod:`flowgen.server.run_exec`). The registry numbers them, keeps them and ends the run;
the executor knows nothing of HTTP.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

from flowgen.base import TaskResult
from flowgen.checkpoint.protocol import Checkpointer
from flowgen.engine.durable import StepCommitted
from flowgen.errors import RequestError, ThreadBusyError
from flowgen.messages import BaseAgentEvent, BaseChatMessage
from flowgen.server.agents import Agents
from flowgen.server.run_exec import StepEvents, check_run, execute
from flowgen.server.run_request import RunRequest


async def execute_checked(
    agents: Agents, store: Checkpointer, thread_id: str, request: RunRequest
) -> AsyncGenerator[tuple[str, dict[str, Any]], None]:
    """:func:`~flowgen.server.run_exec.execute`, after checking the request against the thread now.

    The route checked it too, for a plain 4xx; an enqueued run is checked again when its turn comes,
    since the run before it may have changed the thread (ended it interrupted, say).
    """
    await check_run(store, agents, thread_id, request)
    try:
        async with aclosing(execute(agents, thread_id, request)) as items:
            async for item in items:
                yield item
    except ThreadBusyError:  # another server process holds the thread's lease
        raise busy(thread_id) from None


async def execute_on_pool(
    pool: Any, agents: Agents, store: Checkpointer, thread_id: str, request: RunRequest
) -> AsyncGenerator[tuple[str, dict[str, Any]], None]:
    """The run on a started ``flowgen.distributed.RunPool`` serving the same teams by name
    (``flowgen serve --workers ray``): a worker on the cluster runs it and streams its items as it
    stores each step; they come as ``message`` / ``event``, ``node`` and ``step`` events, as a local
    run's do (see :mod:`flowgen.server.run_exec`), then ``end``."""
    await check_run(store, agents, thread_id, request)
    if request.interrupt_before or request.interrupt_after or request.checkpoint_id:
        raise RequestError(
            422,
            "not_on_workers",
            "interrupt_before, interrupt_after and checkpoint_id are not available when runs go to Ray "
            "workers (--workers ray); serve without --workers ray to use them",
        )
    nodes = agents.graph(request.agent)["nodes"]
    steps = StepEvents(n["name"] for n in nodes if n["kind"] == "agent")
    stream = pool.stream(request.task, thread_id=thread_id, team=request.agent, steps=True)
    ended = False
    try:
        async with aclosing(aiter(stream)) as items:
            async for item in items:
                if isinstance(item, TaskResult):
                    for event in steps.flush():
                        yield event
                    result, ended = stream.result, True
                    yield (
                        "end",
                        {
                            "thread_id": thread_id,
                            "status": "success",
                            "stop_reason": result.stop_reason,
                            "checkpoint_id": result.checkpoint_id,
                        },
                    )
                elif isinstance(item, (BaseChatMessage, BaseAgentEvent)):
                    for event in steps.before(item):
                        yield event
                    yield ("message" if isinstance(item, BaseChatMessage) else "event"), item.dump()
                else:  # a stored step (the pool's StepNotice), after its messages
                    for event in steps.told(
                        StepCommitted(
                            item.step, tuple(item.ran), tuple(item.frontier), item.checkpoint_id,
                            item.stop_reason, (), item.blocked,
                        )
                    ):  # fmt: skip
                        yield event
    except ThreadBusyError:
        ended = True
        raise busy(thread_id) from None
    except Exception:
        ended = True
        for event in steps.flush("error"):
            yield event
        raise
    finally:
        if not ended:  # the run was cancelled here (the client left, or a cancel request): stop it there
            stream.cancel()


def busy(thread_id: str) -> RequestError:
    return RequestError(
        409,
        "thread_busy",
        f"thread {thread_id!r} is running a run; wait for it to finish (GET /threads/{thread_id} shows "
        "status 'idle' when it has, or GET its run's /join), send this run again with "
        '"multitask_strategy": "enqueue" to run it after the current one, or create another thread',
    )
