"""A Core application: a coordinator hands out work to per-key workers and adds up their results.

The coordinator publishes each work item to the ``work`` topic (its source picks the worker key),
collects every worker's total with ``send_message``, and publishes a summary that a ClosureAgent
gathers. Run, draw and check it with the ``flowgen`` command::

    flowgen run graphs/core_workers.py --task 6
    flowgen render graphs/core_workers.py -o core.svg
    flowgen check graphs/core_workers.py
"""

from __future__ import annotations

import asyncio

from pydantic import BaseModel

from flowgen.core import (
    AgentId,
    ClosureAgent,
    ClosureContext,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypeSubscription,
    event,
    message_handler,
    rpc,
)

WORKERS = ("w0", "w1", "w2")


class Job(BaseModel):
    count: int


class WorkItem(BaseModel):
    number: int


class Collect(BaseModel):
    pass


class Result(BaseModel):
    worker: str
    value: int


class Summary(BaseModel):
    total: int
    parts: list[tuple[str, int]]


class Worker(RoutedAgent):
    """Squares each number it is given; answers Collect with the sum so far."""

    def __init__(self) -> None:
        super().__init__("squares numbers")
        self.done: list[int] = []

    @event
    async def on_work(self, message: WorkItem, ctx: MessageContext) -> None:
        self.done.append(message.number * message.number)

    @rpc
    async def on_collect(self, message: Collect, ctx: MessageContext) -> Result:
        return Result(worker=self.id.key, value=sum(self.done))


class Coordinator(RoutedAgent):
    """Hands out the numbers 1..count round robin, then collects and publishes the total."""

    def __init__(self) -> None:
        super().__init__("hands out work and adds up the results")

    @message_handler
    async def on_job(self, message: Job, ctx: MessageContext) -> int:
        for number in range(1, message.count + 1):
            key = WORKERS[number % len(WORKERS)]
            await self.publish_message(WorkItem(number=number), TopicId("work", key))
        results = [await self.send_message(Collect(), AgentId("worker", key)) for key in WORKERS]
        total = sum(r.value for r in results)
        await self.publish_message(
            Summary(total=total, parts=[(r.worker, r.value) for r in results]), TopicId("output", "default")
        )
        return total


OUTPUT: asyncio.Queue[Summary] = asyncio.Queue()


async def gather(_agent: ClosureContext, message: Summary, ctx: MessageContext) -> None:
    await OUTPUT.put(message)


async def build_runtime() -> SingleThreadedAgentRuntime:
    """The runtime with the agents and subscriptions registered (not started)."""
    runtime = SingleThreadedAgentRuntime()
    await Worker.register(runtime, "worker", Worker)
    await runtime.add_subscription(TypeSubscription("work", "worker"))
    await Coordinator.register(runtime, "coordinator", Coordinator)
    await ClosureAgent.register_closure(
        runtime, "output", gather, subscriptions=lambda: [TypeSubscription("output", "output")]
    )
    return runtime


async def drive(runtime: SingleThreadedAgentRuntime, task: str) -> int:
    """Run one job of ``task`` numbers (default 6) and stop when everything is delivered."""
    runtime.start()
    total: int = await runtime.send_message(Job(count=int(task or 6)), AgentId("coordinator", "default"))
    await runtime.stop_when_idle()
    return total
