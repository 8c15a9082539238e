"""publish_message: subscriptions, never back to the sender, handler failures kept, stopping."""

from __future__ import annotations

import asyncio
import logging

import pytest

from flowgen.core import (
    AgentId,
    DefaultTopicId,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypeSubscription,
    default_subscription,
    event,
)
from tests.core.core_app import Boom, Listener, Note, Relay


async def _listener(runtime: SingleThreadedAgentRuntime, key: str) -> Listener:
    return await runtime.try_get_underlying_agent_instance(AgentId("listener", key), Listener)


async def test_publish_reaches_the_subscribed_agent_keyed_by_topic_source() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Listener.register(runtime, "listener", Listener)
    runtime.start()
    await runtime.publish_message(Note("a"), DefaultTopicId(source="s1"))
    await runtime.publish_message(Note("b"), DefaultTopicId(source="s2"))
    await runtime.stop_when_idle()
    assert (await _listener(runtime, "s1")).notes == ["a"]
    assert (await _listener(runtime, "s2")).notes == ["b"]


@default_subscription
class Chatty(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("speaks and listens")
        self.heard: list[str] = []

    @event
    async def on_note(self, message: Note, ctx: MessageContext) -> None:
        self.heard.append(message.text)
        if message.text == "start":
            await self.publish_message(Note(f"from {self.id.type}"), DefaultTopicId())


async def test_publish_never_comes_back_to_its_sender() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Chatty.register(runtime, "a", Chatty)
    await Chatty.register(runtime, "b", Chatty)
    runtime.start()
    await runtime.publish_message(Note("start"), DefaultTopicId())
    await runtime.stop_when_idle()
    a = await runtime.try_get_underlying_agent_instance(AgentId("a", "default"), Chatty)
    b = await runtime.try_get_underlying_agent_instance(AgentId("b", "default"), Chatty)
    assert a.heard == ["start", "from b"]
    assert b.heard == ["start", "from a"]


async def test_an_unregistered_sender_still_reaches_every_subscriber() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Listener.register(runtime, "listener", Listener)
    runtime.start()
    await runtime.publish_message(Note("n"), DefaultTopicId(), sender=AgentId("nobody", "x"))
    await runtime.stop_when_idle()
    assert (await _listener(runtime, "default")).notes == ["n"]


async def test_stop_when_idle_waits_for_messages_still_being_produced() -> None:
    runtime = SingleThreadedAgentRuntime()
    log: list[int] = []
    await Relay.register(runtime, "relay", lambda: Relay(log))
    await Relay.register(runtime, "relay2", lambda: Relay(log))
    runtime.start()
    await runtime.publish_message(3, TopicId("chain", "x"))
    await runtime.stop_when_idle()
    # Both hear 3 from outside; then each hears only the other's publishes (never its own).
    assert sorted(log) == [0, 0, 1, 1, 2, 2, 3, 3]
    assert runtime.unprocessed_messages_count == 0


@default_subscription
class Exploding(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("explodes")

    @event
    async def on_note(self, message: Note, ctx: MessageContext) -> None:
        raise Boom("publish handler failed")


async def test_publish_handler_failures_are_recorded_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    runtime = SingleThreadedAgentRuntime()
    await Exploding.register(runtime, "exploding", Exploding)
    await Listener.register(runtime, "listener", Listener)
    runtime.start()
    with caplog.at_level(logging.ERROR, logger="flowgen.core"):
        await runtime.publish_message(Note("n"), DefaultTopicId())
        await runtime.stop_when_idle()
    (failure,) = runtime.handler_failures
    assert failure.agent_id == AgentId("exploding", "default") and failure.message_type == "Note"
    assert isinstance(failure.error, Boom)
    assert "exploding/default" in caplog.text and "Note" in caplog.text
    assert (await _listener(runtime, "default")).notes == ["n"]  # the others still got it


async def test_without_ignoring_a_publish_failure_stops_and_raises_from_stop_when_idle() -> None:
    runtime = SingleThreadedAgentRuntime(ignore_unhandled_exceptions=False)
    await Exploding.register(runtime, "exploding", Exploding)
    runtime.start()
    await runtime.publish_message(Note("n"), DefaultTopicId())
    with pytest.raises(Boom):
        await runtime.stop_when_idle()


async def test_messages_published_before_start_wait_for_it() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Listener.register(runtime, "listener", Listener)
    await runtime.publish_message(Note("early"), DefaultTopicId())
    assert runtime.unprocessed_messages_count == 1
    runtime.start()
    await runtime.stop_when_idle()
    assert (await _listener(runtime, "default")).notes == ["early"]


async def test_stop_when_stops_as_soon_as_the_condition_holds() -> None:
    runtime = SingleThreadedAgentRuntime()
    log: list[int] = []
    await Relay.register(runtime, "relay", lambda: Relay(log))
    await runtime.add_subscription(TypeSubscription("chain", "relay2"))
    await Relay.register(runtime, "relay2", lambda: Relay(log), skip_class_subscriptions=True)
    runtime.start()
    await runtime.publish_message(50, TopicId("chain", "x"))
    await asyncio.wait_for(runtime.stop_when(lambda: len(log) >= 5), timeout=5)
    assert 5 <= len(log) < 100


async def test_remove_subscription_stops_delivery_and_unknown_ids_are_refused() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Listener.register(runtime, "listener", Listener, skip_class_subscriptions=True)
    sub = TypeSubscription("news", "listener")
    await runtime.add_subscription(sub)
    with pytest.raises(ValueError, match="already exists"):
        await runtime.add_subscription(TypeSubscription("news", "listener"))
    runtime.start()
    await runtime.publish_message(Note("1"), TopicId("news", "k"))
    await runtime.stop_when_idle()
    await runtime.remove_subscription(sub.id)
    with pytest.raises(ValueError, match="no subscription"):
        await runtime.remove_subscription(sub.id)
    runtime.start()
    await runtime.publish_message(Note("2"), TopicId("news", "k"))
    await runtime.stop_when_idle()
    assert (await _listener(runtime, "k")).notes == ["1"]


async def test_start_twice_and_stop_unstarted_are_refused() -> None:
    runtime = SingleThreadedAgentRuntime()
    with pytest.raises(RuntimeError, match="not started"):
        await runtime.stop()
    runtime.start()
    with pytest.raises(RuntimeError, match="already started"):
        runtime.start()
    await runtime.stop()
