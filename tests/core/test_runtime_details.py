"""Details of the Core API: direct subscriptions, prefixes, hooks, factories, and suspended handlers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from flowgen.core import (
    Agent,
    AgentId,
    AgentInstantiationContext,
    CantHandleException,
    DefaultSubscription,
    MessageContext,
    NotAccessibleError,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypePrefixSubscription,
    TypeSubscription,
    UnknownPayload,
    event,
    handles,
    message_handler,
)
from flowgen.core.serialization import SerializationRegistry
from flowgen.errors import FlowgenError
from tests.core.core_app import Echo, Listener, Note, Ping, Pong


async def test_the_direct_message_subscription_reaches_a_type_by_its_prefix() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Listener.register(runtime, "listener", Listener, skip_class_subscriptions=True)
    runtime.start()
    await runtime.publish_message(Note("direct"), TopicId("listener:inbox", "k1"))
    await runtime.stop_when_idle()
    listener = await runtime.try_get_underlying_agent_instance(AgentId("listener", "k1"), Listener)
    assert listener.notes == ["direct"]


async def test_a_prefix_subscription_matches_every_topic_type_it_starts() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Listener.register(runtime, "listener", Listener, skip_class_subscriptions=True)
    await runtime.add_subscription(TypePrefixSubscription("news.", "listener", id="p1"))
    runtime.start()
    await runtime.publish_message(Note("a"), TopicId("news.sport", "k"))
    await runtime.publish_message(Note("b"), TopicId("news.art", "k"))
    await runtime.publish_message(Note("c"), TopicId("weather", "k"))
    await runtime.stop_when_idle()
    listener = await runtime.try_get_underlying_agent_instance(AgentId("listener", "k"), Listener)
    assert listener.notes == ["a", "b"]
    assert [s.id for s in runtime.subscriptions if isinstance(s, TypePrefixSubscription)][-1] == "p1"


class Fallback(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("handles what others do not")

    @message_handler
    async def on_ping(self, message: Ping, ctx: MessageContext) -> Pong:
        return Pong(message.text)

    async def on_unhandled_message(self, message: Any, ctx: MessageContext) -> Any:
        return f"fallback for {type(message).__name__}"


async def test_on_unhandled_message_can_be_overridden() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Fallback.register(runtime, "fallback", Fallback)
    assert isinstance(await runtime.try_get_underlying_agent_instance(AgentId("fallback", "k")), Agent)
    assert await runtime.send_message(Note("x"), AgentId("fallback", "k")) == "fallback for Note"


def test_default_subscription_outside_registration_needs_an_agent_type() -> None:
    with pytest.raises(CantHandleException, match="agent_type"):
        DefaultSubscription()
    assert DefaultSubscription(agent_type="a").agent_type == "a"


def test_static_contexts_cannot_be_instantiated_and_errors_sit_in_the_tree() -> None:
    with pytest.raises(RuntimeError, match="static class"):
        AgentInstantiationContext()
    assert issubclass(NotAccessibleError, FlowgenError)
    assert not isinstance(Echo(), Agent)  # no id yet, as with AutoGen's unbound agents


async def test_handles_registers_a_serializer_and_unknown_payloads_stay_bytes() -> None:
    @handles(Note)
    class Typed(Echo):
        pass

    runtime = SingleThreadedAgentRuntime()
    await Typed.register(runtime, "typed", Typed)
    assert runtime._serializers.is_registered("Note", "application/json")
    registry = SerializationRegistry()
    unknown = registry.deserialize(b"{}", type_name="Mystery", data_content_type="application/json")
    assert unknown == UnknownPayload("Mystery", "application/json", b"{}")
    with pytest.raises(ValueError, match="no serializer for type 'Mystery'"):
        registry.serialize(object(), type_name="Mystery", data_content_type="application/json")


async def test_an_async_factory_runs_once_for_concurrent_first_messages() -> None:
    made: list[AgentId] = []
    gate = asyncio.Event()

    async def factory() -> Echo:
        await gate.wait()
        made.append(AgentInstantiationContext.current_agent_id())
        return Echo()

    runtime = SingleThreadedAgentRuntime()
    await Echo.register(runtime, "echo", factory)
    first = asyncio.ensure_future(runtime.send_message(Ping("a"), AgentId("echo", "k")))
    second = asyncio.ensure_future(runtime.send_message(Ping("b"), AgentId("echo", "k")))
    await asyncio.sleep(0)
    gate.set()
    assert await first == Pong("A") and await second == Pong("B")
    assert made == [AgentId("echo", "k")]


async def test_two_argument_factories_still_work_with_a_deprecation_warning() -> None:
    runtime = SingleThreadedAgentRuntime()
    await runtime.register_factory("echo", lambda rt, agent_id: Echo())  # type: ignore[arg-type,misc]
    with pytest.warns(DeprecationWarning, match="AgentInstantiationContext"):
        assert await runtime.send_message(Ping("x"), AgentId("echo", "k")) == Pong("X")


class Waiter(RoutedAgent):
    """Its handler for Note waits for a later message: the runtime must keep delivering meanwhile."""

    def __init__(self) -> None:
        super().__init__("waits")
        self.release = asyncio.Event()
        self.log: list[str] = []

    @event
    async def on_note(self, message: Note, ctx: MessageContext) -> None:
        if message.text == "wait":
            async with asyncio.timeout(30):  # bound to this handler's task, not to the runtime
                await self.release.wait()
            self.log.append("released")
        elif message.text == "timeout":
            async with asyncio.timeout(0.01):
                await asyncio.Event().wait()
        else:
            self.log.append(message.text)
            self.release.set()


async def test_a_suspended_publish_handler_does_not_hold_up_later_deliveries() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Waiter.register(runtime, "waiter", Waiter)
    await runtime.add_subscription(TypeSubscription("t", "waiter"))
    runtime.start()
    await runtime.publish_message(Note("wait"), TopicId("t", "k"))
    await runtime.publish_message(Note("go"), TopicId("t", "k"))
    await runtime.stop_when_idle()
    waiter = await runtime.try_get_underlying_agent_instance(AgentId("waiter", "k"), Waiter)
    assert waiter.log == ["go", "released"]


async def test_a_timeout_inside_a_handler_fails_that_handler_only() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Waiter.register(runtime, "waiter", Waiter)
    await runtime.add_subscription(TypeSubscription("t", "waiter"))
    runtime.start()
    await runtime.publish_message(Note("timeout"), TopicId("t", "k"))
    await runtime.publish_message(Note("after"), TopicId("t", "k"))
    await runtime.stop_when_idle()
    (failure,) = runtime.handler_failures
    assert isinstance(failure.error, TimeoutError)
    waiter = await runtime.try_get_underlying_agent_instance(AgentId("waiter", "k"), Waiter)
    assert waiter.log == ["after"]


async def test_stop_cancels_running_publish_handlers() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Waiter.register(runtime, "waiter", Waiter)
    await runtime.add_subscription(TypeSubscription("t", "waiter"))
    runtime.start()
    await runtime.publish_message(Note("wait"), TopicId("t", "k"))
    waiter = await runtime.try_get_underlying_agent_instance(AgentId("waiter", "k"), Waiter)
    while runtime.unprocessed_messages_count:
        await asyncio.sleep(0)  # let the processor pick the message up
    await runtime.stop()
    assert waiter.log == []
    assert all(t.done() for t in runtime._processors)


class CancelsItself(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("a handler whose own wait was cancelled")

    @event
    async def on_note(self, message: Note, ctx: MessageContext) -> None:
        if message.text == "cancel":
            raise asyncio.CancelledError("the thing it waited for was cancelled")


async def test_a_handler_raising_cancelled_error_does_not_stop_the_runtime() -> None:
    runtime = SingleThreadedAgentRuntime()
    await CancelsItself.register(runtime, "c", CancelsItself)
    await Listener.register(runtime, "listener", Listener, skip_class_subscriptions=True)
    for agent_type in ("c", "listener"):
        await runtime.add_subscription(TypeSubscription("t", agent_type))
    runtime.start()
    await runtime.publish_message(Note("cancel"), TopicId("t", "k"))
    await runtime.publish_message(Note("after"), TopicId("t", "k"))
    await runtime.stop_when_idle()
    (failure,) = runtime.handler_failures
    assert isinstance(failure.error, asyncio.CancelledError)
    listener = await runtime.try_get_underlying_agent_instance(AgentId("listener", "k"), Listener)
    assert listener.notes == ["cancel", "after"]


async def test_wrong_address_types_are_refused_with_the_fix() -> None:
    runtime = SingleThreadedAgentRuntime()
    with pytest.raises(TypeError, match="recipient must be an AgentId"):
        await runtime.send_message(Ping("x"), "echo/default")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="topic_id must be a TopicId"):
        await runtime.publish_message(Note("x"), "news/default")  # type: ignore[arg-type]
