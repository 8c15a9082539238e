"""An agent with idempotent and ordinary handlers, for the at-most-once / retry-once tests."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flowgen.core import AgentId, MessageContext, RoutedAgent, idempotent, message_handler
from flowgen.errors import AgentUnavailableError


@dataclass
class Append:
    """Adds an entry (not idempotent: twice adds it twice). Hangs in process ``stall_in``."""

    entry: str
    stall_in: int = 0


@dataclass
class Entries:
    """Asks for the entries (idempotent). Hangs in process ``stall_in``."""

    stall_in: int = 0


@dataclass
class Served:
    """The entries, and the process that served them."""

    pid: int
    entries: list[str]


class Ledger(RoutedAgent):
    """Keeps a list of entries; its state is the list."""

    def __init__(self) -> None:
        super().__init__("keeps entries")
        self.entries: list[str] = []

    async def save_state(self) -> dict[str, list[str]]:
        return {"entries": list(self.entries)}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        self.entries = list(state["entries"])

    @message_handler
    async def on_append(self, message: Append, ctx: MessageContext) -> Served:
        await _stall_if_in(message.stall_in)
        self.entries.append(message.entry)
        return Served(os.getpid(), list(self.entries))

    @idempotent
    @message_handler
    async def on_entries(self, message: Entries, ctx: MessageContext) -> Served:
        await _stall_if_in(message.stall_in)
        return Served(os.getpid(), list(self.entries))


async def _stall_if_in(pid: int) -> None:
    """Never return in process ``pid`` (the one the test kills); answer at once anywhere else."""
    if pid == os.getpid():
        await asyncio.Event().wait()


@dataclass
class Forward:
    """Asks a Clerk to send the ledger ``key`` an Append (``entry`` given) or an Entries request."""

    key: str
    entry: str = ""
    stall_in: int = 0


@dataclass
class Forwarded:
    """What the Clerk got back: the ledger's answer, or the AgentUnavailableError it raised."""

    clerk_node: str
    pid: int = 0
    entries: list[str] = field(default_factory=list)
    lost_agent: str = ""
    lost_text: str = ""


class Clerk(RoutedAgent):
    """An agent that itself sends to a Ledger in another actor (its own sends, not the driver's)."""

    def __init__(self) -> None:
        super().__init__("forwards to a ledger")

    @message_handler
    async def on_forward(self, message: Forward, ctx: MessageContext) -> Forwarded:
        import ray

        node = ray.get_runtime_context().get_node_id()
        ask: Append | Entries = (
            Append(message.entry, message.stall_in) if message.entry else Entries(message.stall_in)
        )
        try:
            served: Served = await self.send_message(ask, AgentId("ledger", message.key))
        except AgentUnavailableError as lost:
            return Forwarded(node, lost_agent=lost.agent, lost_text=str(lost))
        return Forwarded(node, pid=served.pid, entries=served.entries)
