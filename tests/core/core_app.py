"""Message types and agents shared by the Core runtime tests (module level, so annotations resolve)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flowgen.core import (
    DefaultTopicId,
    MessageContext,
    RoutedAgent,
    TopicId,
    default_subscription,
    event,
    message_handler,
    rpc,
    type_subscription,
)


@dataclass
class Ping:
    text: str


@dataclass
class Pong:
    text: str


@dataclass
class Note:
    text: str


class Boom(ValueError):
    pass


class Echo(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("echoes pings")
        self.seen: list[str] = []

    @message_handler
    async def on_ping(self, message: Ping, ctx: MessageContext) -> Pong:
        self.seen.append(message.text)
        return Pong(message.text.upper())

    @message_handler
    async def on_words(self, message: list[str], ctx: MessageContext) -> int:
        return len(message)


class Failing(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("fails")

    @message_handler
    async def on_ping(self, message: Ping, ctx: MessageContext) -> Pong:
        raise Boom(f"cannot {message.text}")


@default_subscription
class Listener(RoutedAgent):
    """Records every Note published to it; counts them in its state."""

    def __init__(self) -> None:
        super().__init__("listens")
        self.notes: list[str] = []

    @event
    async def on_note(self, message: Note, ctx: MessageContext) -> None:
        self.notes.append(message.text)

    async def save_state(self) -> Mapping[str, Any]:
        return {"notes": list(self.notes)}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        self.notes = list(state["notes"])


@type_subscription("chain")
class Relay(RoutedAgent):
    """Publishes n-1 on the same topic until 0: messages produced while stop_when_idle waits."""

    def __init__(self, log: list[int]) -> None:
        super().__init__("relays")
        self.log = log

    @event
    async def on_count(self, message: int, ctx: MessageContext) -> None:
        self.log.append(message)
        await asyncio.sleep(0)  # suspend: the handler runs concurrently, in its own processor task
        if message > 0:
            await self.publish_message(message - 1, TopicId("chain", "x"))


class Modes(RoutedAgent):
    """Several handlers for one type: event vs rpc, match= filters, and name order."""

    def __init__(self) -> None:
        super().__init__("modes")
        self.calls: list[str] = []

    @rpc
    async def a_rpc(self, message: str, ctx: MessageContext) -> str:
        self.calls.append("rpc")
        return "rpc:" + message

    @event
    async def b_event(self, message: str, ctx: MessageContext) -> None:
        self.calls.append("event")

    @message_handler(match=lambda m, c: m.text == "first")
    async def a_first(self, message: Note, ctx: MessageContext) -> str:
        return "a_first"

    @message_handler
    async def b_any_note(self, message: Note, ctx: MessageContext) -> str:
        return "b_any_note"

    @message_handler
    async def d_union(self, message: int | Ping, ctx: MessageContext) -> str:
        return "d_union"


class KeyReporter(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("reports its default topic")

    @message_handler
    async def on_ping(self, message: Ping, ctx: MessageContext) -> str:
        return str(DefaultTopicId())
