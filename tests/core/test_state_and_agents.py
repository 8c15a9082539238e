"""State round trips, metadata, instances, factories, closure agents and serializers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from pydantic import BaseModel

from flowgen.core import (
    AgentId,
    AgentInstantiationContext,
    BaseAgent,
    ClosureAgent,
    ClosureContext,
    DataclassJsonMessageSerializer,
    DefaultSubscription,
    DefaultTopicId,
    MessageContext,
    PydanticJsonMessageSerializer,
    SingleThreadedAgentRuntime,
    TypeSubscription,
    try_get_known_serializers_for_type,
)
from tests.core.core_app import Echo, Listener, Note, Ping, Pong


async def test_runtime_state_round_trips_into_a_fresh_runtime() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Listener.register(runtime, "listener", Listener)
    runtime.start()
    await runtime.publish_message(Note("a"), DefaultTopicId(source="s1"))
    await runtime.stop_when_idle()
    state = await runtime.save_state()
    assert state == {"listener/s1": {"notes": ["a"]}}

    fresh = SingleThreadedAgentRuntime()
    await Listener.register(fresh, "listener", Listener)
    await fresh.load_state(state)
    assert await fresh.agent_save_state(AgentId("listener", "s1")) == {"notes": ["a"]}
    await fresh.agent_load_state(AgentId("listener", "s1"), {"notes": ["z"]})
    listener = await fresh.try_get_underlying_agent_instance(AgentId("listener", "s1"), Listener)
    assert listener.notes == ["z"]


async def test_metadata_and_lazy_get() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Echo.register(runtime, "echo", Echo)
    agent_id = await runtime.get("echo", key="k")
    assert agent_id == AgentId("echo", "k") and list(runtime.live_agents()) == []
    await runtime.get("echo", key="k", lazy=False)
    assert list(runtime.live_agents()) == [agent_id]
    assert await runtime.agent_metadata(agent_id) == {
        "type": "echo",
        "key": "k",
        "description": "echoes pings",
    }
    with pytest.raises(TypeError, match="not a Listener"):
        await runtime.try_get_underlying_agent_instance(agent_id, Listener)


async def test_registering_a_type_twice_or_a_wrong_class_is_refused() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Echo.register(runtime, "echo", Echo)
    with pytest.raises(ValueError, match="already registered"):
        await Echo.register(runtime, "echo", Echo)
    await Echo.register(runtime, "liar", Listener)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="made a Listener, not the registered Echo"):
        await runtime.send_message(Ping("x"), AgentId("liar", "k"))


async def test_register_instance_serves_its_id_and_its_key_topic() -> None:
    runtime = SingleThreadedAgentRuntime()
    listener = Listener()
    await listener.register_instance(runtime, AgentId("listener", "inbox"))
    runtime.start()
    await runtime.publish_message(Note("direct"), DefaultTopicId("inbox", "inbox"))
    await runtime.stop_when_idle()
    assert listener.notes == ["direct"] and listener.id == AgentId("listener", "inbox")
    with pytest.raises(ValueError, match="already registered"):
        await runtime.register_agent_instance(Listener(), AgentId("listener", "inbox"))


async def test_instantiation_context_gives_factories_their_id() -> None:
    made: list[AgentId] = []

    def factory() -> Echo:
        made.append(AgentInstantiationContext.current_agent_id())
        return Echo()

    runtime = SingleThreadedAgentRuntime()
    await Echo.register(runtime, "echo", factory)
    assert await runtime.send_message(Ping("x"), AgentId("echo", "k7")) == Pong("X")
    assert made == [AgentId("echo", "k7")]
    with pytest.raises(RuntimeError, match="no agent is being instantiated"):
        AgentInstantiationContext.current_runtime()


async def test_closure_agent_gathers_published_results() -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()

    async def gather(_agent: ClosureContext, message: Note, ctx: MessageContext) -> None:
        await queue.put(message.text)

    runtime = SingleThreadedAgentRuntime()
    await ClosureAgent.register_closure(
        runtime, "collect", gather, subscriptions=lambda: [DefaultSubscription(topic_type="results")]
    )
    runtime.start()
    await runtime.publish_message(Note("r1"), DefaultTopicId("results"))
    await runtime.stop_when_idle()
    assert queue.get_nowait() == "r1"
    with pytest.raises(RuntimeError, match="made by its runtime"):
        ClosureAgent("x", gather)


async def test_closure_agent_unknown_type_policy_error() -> None:
    async def only_notes(_agent: ClosureContext, message: Note, ctx: MessageContext) -> str:
        return message.text

    runtime = SingleThreadedAgentRuntime()
    await ClosureAgent.register_closure(runtime, "strict", only_notes, unknown_type_policy="error")
    assert await runtime.send_message(Note("n"), AgentId("strict", "k")) == "n"
    from flowgen.core import CantHandleException

    with pytest.raises(CantHandleException):
        await runtime.send_message(Ping("p"), AgentId("strict", "k"))


@dataclass
class Flat:
    n: int
    name: str


@dataclass
class Nested:
    inner: Flat


class Model(BaseModel):
    items: list[Flat]


def test_json_serializers_for_dataclasses_and_pydantic_models() -> None:
    (dc,) = try_get_known_serializers_for_type(Flat)
    assert isinstance(dc, DataclassJsonMessageSerializer)
    assert dc.deserialize(dc.serialize(Flat(1, "a"))) == Flat(1, "a")
    (pm,) = try_get_known_serializers_for_type(Model)
    assert isinstance(pm, PydanticJsonMessageSerializer)
    assert pm.deserialize(pm.serialize(Model(items=[Flat(2, "b")]))) == Model(items=[Flat(2, "b")])
    with pytest.raises(ValueError, match="use a pydantic model"):
        DataclassJsonMessageSerializer(Nested)
    assert try_get_known_serializers_for_type(str) == []


async def test_register_adds_serializers_for_the_handled_types() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Echo.register(runtime, "echo", Echo)
    assert runtime._serializers.is_registered("Ping", "application/json")


async def test_close_closes_every_agent() -> None:
    closed: list[AgentId] = []

    class Closing(Echo):
        async def close(self) -> None:
            closed.append(self.id)

    runtime = SingleThreadedAgentRuntime()
    await Closing.register(runtime, "c", Closing)
    runtime.start()
    await runtime.send_message(Ping("x"), AgentId("c", "1"))
    await runtime.close()
    assert closed == [AgentId("c", "1")]


def test_base_agent_outside_a_runtime_has_no_id() -> None:
    with pytest.raises(AttributeError, match="has no id yet"):
        _ = Echo().id
    assert isinstance(Echo(), BaseAgent)
    assert TypeSubscription("t", "a") == TypeSubscription("t", "a")
