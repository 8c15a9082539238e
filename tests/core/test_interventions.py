"""Intervention handlers: chained rewrites, dropped sends / publishes / responses, failures."""

from __future__ import annotations

from typing import Any

import pytest

from flowgen.core import (
    AgentId,
    DefaultInterventionHandler,
    DefaultTopicId,
    DropMessage,
    MessageContext,
    MessageDroppedException,
    SingleThreadedAgentRuntime,
)
from tests.core.core_app import Echo, Listener, Note, Ping, Pong


class Suffix(DefaultInterventionHandler):
    def __init__(self, suffix: str) -> None:
        self.suffix = suffix

    async def on_send(self, message: Any, *, message_context: MessageContext, recipient: AgentId) -> Any:
        return Ping(message.text + self.suffix)

    async def on_publish(self, message: Any, *, message_context: MessageContext) -> Any:
        return Note(message.text + self.suffix)


class DropAll(DefaultInterventionHandler):
    async def on_send(self, message: Any, *, message_context: MessageContext, recipient: AgentId) -> Any:
        return DropMessage

    async def on_publish(self, message: Any, *, message_context: MessageContext) -> Any:
        return DropMessage


class DropResponses(DefaultInterventionHandler):
    async def on_response(self, message: Any, *, sender: AgentId, recipient: AgentId | None) -> Any:
        return DropMessage


class Raising(DefaultInterventionHandler):
    async def on_publish(self, message: Any, *, message_context: MessageContext) -> Any:
        raise RuntimeError("intervention broke")


async def test_several_handlers_chain_their_rewrites() -> None:
    runtime = SingleThreadedAgentRuntime(intervention_handlers=[Suffix("1"), Suffix("2")])
    await Echo.register(runtime, "echo", Echo)
    await Listener.register(runtime, "listener", Listener)
    runtime.start()
    assert await runtime.send_message(Ping("x"), AgentId("echo", "k")) == Pong("X12")
    await runtime.publish_message(Note("n"), DefaultTopicId())
    await runtime.stop_when_idle()
    listener = await runtime.try_get_underlying_agent_instance(AgentId("listener", "default"), Listener)
    assert listener.notes == ["n12"]


async def test_a_dropped_send_raises_message_dropped_and_never_reaches_the_agent() -> None:
    runtime = SingleThreadedAgentRuntime(intervention_handlers=[DropAll()])
    await Echo.register(runtime, "echo", Echo)
    runtime.start()
    with pytest.raises(MessageDroppedException):
        await runtime.send_message(Ping("x"), AgentId("echo", "k"))
    assert list(runtime.live_agents()) == []
    await runtime.stop()


async def test_a_dropped_publish_reaches_nobody_and_does_not_wedge_stop_when_idle() -> None:
    runtime = SingleThreadedAgentRuntime(intervention_handlers=[DropAll()])
    await Listener.register(runtime, "listener", Listener)
    runtime.start()
    await runtime.publish_message(Note("n"), DefaultTopicId())
    await runtime.stop_when_idle()
    assert list(runtime.live_agents()) == []


async def test_a_raising_publish_intervention_is_recorded_and_does_not_wedge() -> None:
    runtime = SingleThreadedAgentRuntime(intervention_handlers=[Raising()])
    await Listener.register(runtime, "listener", Listener)
    runtime.start()
    await runtime.publish_message(Note("n"), DefaultTopicId())
    await runtime.stop_when_idle()
    (failure,) = runtime.handler_failures
    assert "on_publish of Raising" in failure.stage and isinstance(failure.error, RuntimeError)


async def test_a_dropped_response_raises_at_the_sender_after_the_handler_ran() -> None:
    runtime = SingleThreadedAgentRuntime(intervention_handlers=[DropResponses()])
    await Echo.register(runtime, "echo", Echo)
    with pytest.raises(MessageDroppedException):
        await runtime.send_message(Ping("x"), AgentId("echo", "k"))
    echo = await runtime.try_get_underlying_agent_instance(AgentId("echo", "k"), Echo)
    assert echo.seen == ["x"]
