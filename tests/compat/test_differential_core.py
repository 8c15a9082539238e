"""An AutoGen Core program runs unchanged (apart from its imports) under flowgen.core and autogen_core.

A coordinator publishes work to per-key worker agents, collects their results through send_message,
and publishes a summary that a ClosureAgent gathers; a second program checks default subscriptions,
DefaultTopicId sessions, state round trips and that a publish never returns to its sender. Each
program is run by :mod:`tests.compat.differential` against the recorded observations in
``programs/test_differential_core.json`` and, when AutoGen is installed, under autogen_core too.
"""

from __future__ import annotations

import pytest

from tests.compat.differential import cases, check

HEADER = """
import asyncio

from pydantic import BaseModel

from flowgen.core import (
    AgentId,
    ClosureAgent,
    ClosureContext,
    DefaultTopicId,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypeSubscription,
    default_subscription,
    message_handler,
    rpc,
    event,
)


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
    def __init__(self) -> None:
        super().__init__("squares numbers")
        self.done = []

    @event
    async def on_work(self, message: WorkItem, ctx: MessageContext) -> None:
        self.done.append(message.number * message.number)

    @rpc
    async def on_collect(self, message: Collect, ctx: MessageContext) -> Result:
        return Result(worker=self.id.key, value=sum(self.done))

    async def save_state(self):
        return {"done": list(self.done)}

    async def load_state(self, state):
        self.done = list(state["done"])


class Coordinator(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("hands out work and adds up the results")

    async def save_state(self):
        return {}

    async def load_state(self, state):
        return None

    @message_handler
    async def on_job(self, message: Job, ctx: MessageContext) -> int:
        for number in range(1, message.count + 1):
            await self.publish_message(WorkItem(number=number), TopicId("work", f"w{number % 2}"))
        results = []
        for key in ("w0", "w1"):
            results.append(await self.send_message(Collect(), AgentId("worker", key)))
        total = sum(r.value for r in results)
        await self.publish_message(
            Summary(total=total, parts=[(r.worker, r.value) for r in results]), TopicId("output", "default")
        )
        return total


async def build(gathered):
    runtime = SingleThreadedAgentRuntime()
    await Worker.register(runtime, "worker", Worker)
    await runtime.add_subscription(TypeSubscription("work", "worker"))
    await Coordinator.register(runtime, "coordinator", Coordinator)

    async def gather(_agent: ClosureContext, message: Summary, ctx: MessageContext) -> None:
        await gathered.put((message.total, message.parts, str(ctx.sender), str(ctx.topic_id)))

    await ClosureAgent.register_closure(
        runtime, "output", gather, subscriptions=lambda: [TypeSubscription("output", "output")]
    )
    return runtime
"""

PROGRAMS = {
    "coordinator_workers_and_closure": """
async def main():
    gathered = asyncio.Queue()
    runtime = await build(gathered)
    runtime.start()
    total = await runtime.send_message(Job(count=5), AgentId("coordinator", "default"))
    await runtime.stop_when_idle()
    outputs = []
    while not gathered.empty():
        outputs.append(gathered.get_nowait())
    state = await runtime.save_state()
    await runtime.close()
    return total, outputs, {key: state[key] for key in sorted(state) if key.startswith("worker/")}
""",
    "state_round_trip_into_a_new_runtime": """
async def main():
    first = await build(asyncio.Queue())
    first.start()
    await first.send_message(Job(count=4), AgentId("coordinator", "default"))
    await first.stop_when_idle()
    saved = await first.save_state()
    second = await build(asyncio.Queue())
    await second.load_state({k: v for k, v in saved.items() if k.startswith("worker/")})
    second.start()
    result = await second.send_message(Collect(), AgentId("worker", "w1"))
    await second.stop()
    return result.worker, result.value
""",
    "default_subscription_sessions_and_no_echo": """
class Say(BaseModel):
    text: str


@default_subscription
class Member(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("a member of a session")
        self.heard = []

    @message_handler
    async def on_say(self, message: Say, ctx: MessageContext) -> None:
        self.heard.append((message.text, str(ctx.sender), str(ctx.topic_id)))
        if message.text == "hello":
            await self.publish_message(Say(text=f"{self.id.type} says hi"), DefaultTopicId())


async def main():
    runtime = SingleThreadedAgentRuntime()
    await Member.register(runtime, "alice", Member)
    await Member.register(runtime, "bob", Member)
    runtime.start()
    await runtime.publish_message(Say(text="hello"), DefaultTopicId(source="s1"))
    await runtime.stop_when_idle()
    heard = {}
    for name in ("alice", "bob"):
        agent = await runtime.try_get_underlying_agent_instance(AgentId(name, "s1"), Member)
        heard[name] = sorted(agent.heard)
    metadata = await runtime.agent_metadata(AgentId("alice", "s1"))
    return heard, dict(metadata), str(DefaultTopicId())
""",
    "unhandled_type_sent": """
async def main():
    runtime = await build(asyncio.Queue())
    runtime.start()
    try:
        outcome = await runtime.send_message(Collect(), AgentId("coordinator", "default"))
    except Exception as e:
        outcome = type(e).__name__
    await runtime.stop()
    return outcome
""",
    "unknown_recipient": """
async def main():
    runtime = await build(asyncio.Queue())
    runtime.start()
    try:
        await runtime.send_message(Collect(), AgentId("nobody", "default"))
        outcome = "delivered"
    except LookupError as e:
        outcome = ("LookupError", type(e).__name__)
    except Exception as e:
        outcome = ("Exception", type(e).__name__)
    await runtime.stop()
    return outcome
""",
    "chained_interventions": """
from flowgen.core import DefaultInterventionHandler


class Tag(DefaultInterventionHandler):
    def __init__(self, tag):
        self.tag = tag

    async def on_send(self, message, *, message_context, recipient):
        if isinstance(message, Job):
            return Job(count=message.count * 10 + self.tag)
        return message


async def main():
    runtime = SingleThreadedAgentRuntime(intervention_handlers=[Tag(1), Tag(2)])
    seen = []

    async def record(_agent: ClosureContext, message: Job, ctx: MessageContext) -> None:
        seen.append(message.count)

    await ClosureAgent.register_closure(runtime, "sink", record)
    runtime.start()
    await runtime.send_message(Job(count=0), AgentId("sink", "default"))
    await runtime.stop()
    return seen
""",
}

DIFFERENCES = {
    "unhandled_type_sent": "AutoGen returns None to the sender; flowgen raises CantHandleException",
    "unknown_recipient": "AutoGen raises a bare Exception; flowgen raises UndeliverableException (a LookupError)",
    "chained_interventions": "AutoGen hands every intervention the original message; flowgen chains them",
}


@pytest.mark.parametrize("name", cases(PROGRAMS))
async def test_core_program(name: str) -> None:
    await check(__name__, name, HEADER + PROGRAMS[name], differs=DIFFERENCES.get(name))
