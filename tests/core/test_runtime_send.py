"""send_message: RPC replies, errors with their types, unknown recipients, cancellation."""

from __future__ import annotations

import asyncio

import pytest

from flowgen.core import (
    AgentId,
    CancellationToken,
    CantHandleException,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    UndeliverableException,
    message_handler,
)
from flowgen.errors import FlowgenError
from tests.core.core_app import Boom, Echo, Failing, KeyReporter, Note, Ping, Pong


async def test_send_returns_the_handlers_reply() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Echo.register(runtime, "echo", Echo)
    runtime.start()
    assert await runtime.send_message(Ping("hi"), AgentId("echo", "k")) == Pong("HI")
    echo = await runtime.try_get_underlying_agent_instance(AgentId("echo", "k"), Echo)
    assert echo.seen == ["hi"]
    await runtime.stop()


async def test_handler_exception_reaches_the_sender_with_its_type() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Failing.register(runtime, "failing", Failing)
    runtime.start()
    with pytest.raises(Boom, match="cannot x"):
        await runtime.send_message(Ping("x"), AgentId("failing", "k"))
    await runtime.stop()


async def test_unknown_recipient_raises_undeliverable_also_a_lookup_error() -> None:
    runtime = SingleThreadedAgentRuntime()
    runtime.start()
    with pytest.raises(UndeliverableException, match="no agent type 'ghost'") as info:
        await runtime.send_message(Ping("x"), AgentId("ghost", "k"))
    assert isinstance(info.value, LookupError) and isinstance(info.value, FlowgenError)
    await runtime.stop()


async def test_a_type_nobody_handles_raises_cant_handle() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Echo.register(runtime, "echo", Echo)
    runtime.start()
    with pytest.raises(CantHandleException, match="no handler for Note"):
        await runtime.send_message(Note("x"), AgentId("echo", "k"))
    await runtime.stop()


async def test_generic_annotations_route_on_their_origin() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Echo.register(runtime, "echo", Echo)
    runtime.start()
    assert await runtime.send_message(["a", "b", "c"], AgentId("echo", "k")) == 3
    await runtime.stop()


async def test_an_already_cancelled_token_does_not_run_the_handler() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Echo.register(runtime, "echo", Echo)
    runtime.start()
    token = CancellationToken()
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await runtime.send_message(Ping("x"), AgentId("echo", "k"), cancellation_token=token)
    echo = await runtime.try_get_underlying_agent_instance(AgentId("echo", "k"), Echo)
    assert echo.seen == []
    await runtime.stop()


class Slow(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("slow")
        self.started = asyncio.Event()
        self.cancelled = asyncio.Event()

    @message_handler
    async def on_ping(self, message: Ping, ctx: MessageContext) -> str:
        self.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        return "never"


async def test_cancelling_an_in_flight_send_stops_the_handler() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Slow.register(runtime, "slow", Slow)
    runtime.start()
    slow = await runtime.try_get_underlying_agent_instance(AgentId("slow", "k"), Slow)
    token = CancellationToken()
    sending = asyncio.ensure_future(
        runtime.send_message(Ping("x"), AgentId("slow", "k"), cancellation_token=token)
    )
    await slow.started.wait()
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sending
    await slow.cancelled.wait()
    await runtime.stop()


async def test_default_topic_inside_a_handler_takes_the_agents_key() -> None:
    runtime = SingleThreadedAgentRuntime()
    await KeyReporter.register(runtime, "reporter", KeyReporter)
    assert await runtime.send_message(Ping("x"), AgentId("reporter", "session-9")) == "default/session-9"


async def test_sender_need_not_be_a_registered_agent() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Echo.register(runtime, "echo", Echo)
    reply = await runtime.send_message(Ping("x"), AgentId("echo", "k"), sender=AgentId("outside", "me"))
    assert reply == Pong("X")


async def test_context_carries_sender_rpc_flag_and_message_id() -> None:
    seen: list[MessageContext] = []

    class Spy(RoutedAgent):
        @message_handler
        async def on_ping(self, message: Ping, ctx: MessageContext) -> None:
            seen.append(ctx)

    Spy.__init__ = lambda self: RoutedAgent.__init__(self, "spy")  # type: ignore[method-assign]
    runtime = SingleThreadedAgentRuntime()
    await Spy.register(runtime, "spy", Spy)
    await runtime.send_message(Ping("x"), AgentId("spy", "k"), sender=AgentId("a", "b"), message_id="m-1")
    assert (seen[0].sender, seen[0].topic_id, seen[0].is_rpc, seen[0].message_id) == (
        AgentId("a", "b"),
        None,
        True,
        "m-1",
    )
