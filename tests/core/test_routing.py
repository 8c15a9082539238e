"""RoutedAgent routing: exact types, unions, @event vs @rpc, match=, handler order, strictness."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from flowgen.core import (
    AgentId,
    CantHandleException,
    DefaultTopicId,
    MessageContext,
    RoutedAgent,
    SequentialRoutedAgent,
    SingleThreadedAgentRuntime,
    TypeSubscription,
    message_handler,
)
from tests.core.core_app import Modes, Note, Ping


@dataclass
class Special(Note):
    pass


async def _modes() -> tuple[SingleThreadedAgentRuntime, AgentId]:
    runtime = SingleThreadedAgentRuntime()
    await Modes.register(runtime, "modes", Modes)
    await runtime.add_subscription(TypeSubscription("default", "modes"))
    return runtime, AgentId("modes", "default")


async def test_rpc_handles_sends_and_event_handles_publishes() -> None:
    runtime, modes = await _modes()
    runtime.start()
    assert await runtime.send_message("hi", modes) == "rpc:hi"
    await runtime.publish_message("hi", DefaultTopicId())
    await runtime.stop_when_idle()
    agent = await runtime.try_get_underlying_agent_instance(modes, Modes)
    assert agent.calls == ["rpc", "event"]


async def test_handlers_of_one_type_are_tried_in_name_order_with_match() -> None:
    runtime, modes = await _modes()
    assert await runtime.send_message(Note("first"), modes) == "a_first"
    assert await runtime.send_message(Note("other"), modes) == "b_any_note"


async def test_a_union_annotation_routes_each_member() -> None:
    runtime, modes = await _modes()
    assert await runtime.send_message(3, modes) == "d_union"
    assert await runtime.send_message(Ping("p"), modes) == "d_union"


async def test_routing_is_by_exact_type_not_subclass() -> None:
    runtime, modes = await _modes()
    with pytest.raises(CantHandleException):
        await runtime.send_message(Special("first"), modes)


class WrongReturn(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("returns the wrong type")

    @message_handler
    async def strict_one(self, message: Ping, ctx: MessageContext) -> int:
        return "not an int"  # type: ignore[return-value]

    @message_handler(strict=False)
    async def lenient(self, message: Note, ctx: MessageContext) -> int:
        return "tolerated"  # type: ignore[return-value]


async def test_strict_handlers_refuse_a_wrong_return_type_lenient_ones_log_it() -> None:
    runtime = SingleThreadedAgentRuntime()
    await WrongReturn.register(runtime, "w", WrongReturn)
    with pytest.raises(ValueError, match="returned str"):
        await runtime.send_message(Ping("x"), AgentId("w", "k"))
    assert await runtime.send_message(Note("x"), AgentId("w", "k")) == "tolerated"


def test_a_handler_without_annotations_is_refused_at_class_definition() -> None:
    with pytest.raises(AssertionError, match="annotate the 'message'"):

        class Bad(RoutedAgent):
            @message_handler
            async def on(self, message, ctx: MessageContext) -> None:  # type: ignore[no-untyped-def]
                return None


async def test_publish_of_an_unhandled_type_is_ignored_not_failed() -> None:
    runtime, _ = await _modes()
    runtime.start()
    await runtime.publish_message(Special("x"), DefaultTopicId())
    await runtime.stop_when_idle()
    assert list(runtime.handler_failures) == []


class Ordered(SequentialRoutedAgent):
    def __init__(self) -> None:
        super().__init__("one at a time", sequential_message_types=[Note])
        self.events: list[str] = []

    @message_handler
    async def on_note(self, message: Note, ctx: MessageContext) -> None:
        import asyncio

        self.events.append("start " + message.text)
        for _ in range(3):
            await asyncio.sleep(0)
        self.events.append("end " + message.text)


async def test_sequential_routed_agent_handles_listed_types_one_at_a_time_in_order() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Ordered.register(runtime, "ordered", Ordered)
    await runtime.add_subscription(TypeSubscription("default", "ordered"))
    runtime.start()
    for text in "abc":
        await runtime.publish_message(Note(text), DefaultTopicId())
    await runtime.stop_when_idle()
    agent = await runtime.try_get_underlying_agent_instance(AgentId("ordered", "default"), Ordered)
    assert agent.events == ["start a", "end a", "start b", "end b", "start c", "end c"]


class Plain(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("concurrent")
        self.events: list[str] = []

    @message_handler
    async def on_note(self, message: Note, ctx: MessageContext) -> None:
        import asyncio

        self.events.append("start " + message.text)
        for _ in range(3):
            await asyncio.sleep(0)
        self.events.append("end " + message.text)


async def test_plain_routed_agent_handles_publishes_concurrently() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Plain.register(runtime, "plain", Plain)
    await runtime.add_subscription(TypeSubscription("default", "plain"))
    runtime.start()
    for text in "ab":
        await runtime.publish_message(Note(text), DefaultTopicId())
    await runtime.stop_when_idle()
    agent = await runtime.try_get_underlying_agent_instance(AgentId("plain", "default"), Plain)
    assert agent.events[:2] == ["start a", "start b"]
