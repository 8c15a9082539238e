"""Agents the cluster tests host on Ray actors (importable by the workers through PYTHONPATH)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ray

from flowgen.core import AgentId, MessageContext, RoutedAgent, TopicId, message_handler


@dataclass
class Where:
    """Asks an agent where it runs."""

    tag: str


@dataclass
class Place:
    """Where an agent ran: its Ray node, its process and the key it answered as."""

    node_id: str
    pid: int
    key: str
    tag: str


@dataclass
class Note:
    """Published to every subscriber."""

    text: str


@dataclass
class Recall:
    """Asks for the notes an agent received."""


@dataclass
class Fail:
    """Makes the handler raise ``kind``."""

    kind: str


@dataclass
class Hang:
    """A handler that never returns by itself."""

    seconds: float


class QuotaExceeded(Exception):
    """An application exception type registered with the runtime on both sides."""


class UnregisteredProblem(Exception):
    """An exception type the driver never registers: it must arrive as RemoteAgentError."""


class Probe(RoutedAgent):
    """Reports its node, remembers what was published to it, raises and hangs on request."""

    def __init__(self) -> None:
        super().__init__("reports where it runs")
        self.notes: list[str] = []

    async def save_state(self) -> dict[str, list[str]]:
        return {"notes": list(self.notes)}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        self.notes = list(state["notes"])

    @message_handler
    async def on_where(self, message: Where, ctx: MessageContext) -> Place:
        node = ray.get_runtime_context().get_node_id()
        return Place(node_id=node, pid=os.getpid(), key=self.id.key, tag=message.tag)

    @message_handler
    async def on_note(self, message: Note, ctx: MessageContext) -> None:
        self.notes.append(message.text)

    @message_handler
    async def on_recall(self, message: Recall, ctx: MessageContext) -> list[str]:
        return self.notes

    @message_handler
    async def on_fail(self, message: Fail, ctx: MessageContext) -> None:
        if message.kind == "value":
            raise ValueError("the amount must be positive")
        if message.kind == "quota":
            raise QuotaExceeded("42 calls over the quota")
        raise UnregisteredProblem("something only this process understands")

    @message_handler
    async def on_hang(self, message: Hang, ctx: MessageContext) -> None:
        try:
            await asyncio.sleep(message.seconds)
        except asyncio.CancelledError:
            self.notes.append("hang cancelled")
            raise


@dataclass
class Relay:
    """Asks a Relayer to ask ``target`` where it runs, or to publish ``note`` to topic ``news``."""

    target_type: str
    key: str
    note: str


class Relayer(RoutedAgent):
    """An agent that itself sends and publishes to agents in other actors."""

    def __init__(self) -> None:
        super().__init__("relays")

    @message_handler
    async def on_relay(self, message: Relay, ctx: MessageContext) -> Place:
        if message.note:
            await self.publish_message(Note(message.note), TopicId("news", message.key))
        return await self.send_message(Where("relayed"), AgentId(message.target_type, message.key))
