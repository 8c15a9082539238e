"""Agents for the delivery tests: many of one type in one actor, some slow, one failing, one holding."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from flowgen.core import AgentId, MessageContext, RoutedAgent, TopicId, message_handler


@dataclass
class Bulletin:
    """Published once, to every subscriber."""

    text: str


@dataclass
class Received:
    """Asks a subscriber what reached it."""


@dataclass
class Hold:
    """A handler that holds on until it is cancelled."""


class Reader(RoutedAgent):
    """Keeps what is published to it; a ``slow*`` key waits first, the ``bad`` key raises."""

    def __init__(self) -> None:
        super().__init__("reads bulletins")
        self.seen: list[str] = []

    @message_handler
    async def on_bulletin(self, message: Bulletin, ctx: MessageContext) -> None:
        if self.id.key == "bad":
            raise LookupError(f"{self.id.key} cannot read {message.text!r}")
        if self.id.key.startswith("slow"):
            await asyncio.sleep(0)  # gives up the loop: this delivery cannot finish at once
        self.seen.append(message.text)

    @message_handler
    async def on_received(self, message: Received, ctx: MessageContext) -> list[str]:
        return self.seen

    @message_handler
    async def on_hold(self, message: Hold, ctx: MessageContext) -> None:
        self.seen.append("holding")
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.seen.append("released")
            raise


class ToAgent:
    """A subscription delivering every message on one topic type to one fixed agent."""

    def __init__(self, topic_type: str, agent: AgentId) -> None:
        self.topic_type, self.agent = topic_type, agent

    @property
    def id(self) -> str:
        return f"{self.topic_type}->{self.agent}"

    def is_match(self, topic_id: TopicId) -> bool:
        return topic_id.type == self.topic_type

    def map_to_agent(self, topic_id: TopicId) -> AgentId:
        return self.agent
