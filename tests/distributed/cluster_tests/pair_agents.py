"""Agents of one type that send to each other inside one actor, for the in-process delivery tests."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from typing import Any

from cluster_agents import QuotaExceeded, UnregisteredProblem

from flowgen.core import (
    AgentId,
    CancellationToken,
    DefaultInterventionHandler,
    MessageContext,
    RoutedAgent,
    message_handler,
)
from flowgen.errors import RemoteAgentError

# Set by a peer's held handler; read by its partner in the same process (one actor: one process).
HOLDING: dict[str, asyncio.Event] = {}


@dataclass
class Ask:
    """What a peer asks its partner: ``echo <text>``, ``lookup``, ``quota``, ``unregistered``, ``hold``."""

    text: str


@dataclass
class Echo:
    text: str
    pid: int
    ids: list[int] = field(default_factory=list)


@dataclass
class Pass:
    """Asks a peer to send ``ask`` to the peer ``to`` (of the same type: in the same actor)."""

    to: str
    ask: str


@dataclass
class Passed:
    """What the partner answered, or the exception its send raised (by type), and where."""

    pid: int
    text: str = ""
    partner_pid: int = 0
    same_object: bool = False
    error_type: str = ""
    error_text: str = ""
    remote_type: str = ""
    seen: list[str] = field(default_factory=list)


@dataclass
class Seen:
    """Asks a peer what happened to its held handlers."""


class Peer(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("sends to its partner in the same actor")
        self.seen: list[str] = []

    @message_handler
    async def on_ask(self, message: Ask, ctx: MessageContext) -> Echo:
        if message.text == "lookup":
            raise LookupError("no such entry")
        if message.text == "quota":
            raise QuotaExceeded("7 calls over the quota")
        if message.text == "unregistered":
            raise UnregisteredProblem("only this process understands it")
        if message.text == "hold":
            self.seen.append("holding")
            HOLDING.setdefault(self.id.key, asyncio.Event()).set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                self.seen.append("cancelled")
                raise
        return Echo(message.text, os.getpid(), [id(message)])

    @message_handler
    async def on_pass(self, message: Pass, ctx: MessageContext) -> Passed:
        partner = AgentId(self.id.type, message.to)
        out = Passed(os.getpid())
        ask = Ask(message.ask)
        try:
            if message.ask == "hold":
                await self._cancel_held(ask, partner, out)
                return out
            echo: Echo = await self.send_message(ask, partner)
        except RemoteAgentError as exc:
            out.error_type, out.error_text, out.remote_type = type(exc).__name__, str(exc), exc.remote_type
            return out
        except Exception as exc:
            out.error_type, out.error_text = type(exc).__name__, str(exc)
            return out
        # The partner got its own copy of the message (decoded from JSON), not the sender's object.
        out.text, out.partner_pid, out.same_object = echo.text, echo.pid, echo.ids == [id(ask)]
        return out

    async def _cancel_held(self, ask: Ask, partner: AgentId, out: Passed) -> None:
        token = CancellationToken()
        held = HOLDING.setdefault(partner.key, asyncio.Event())
        call = asyncio.ensure_future(self.send_message(ask, partner, cancellation_token=token))
        await held.wait()
        token.cancel()
        try:
            await call
        except asyncio.CancelledError:
            out.error_type = "CancelledError"
        out.seen = await self.send_message(Seen(), partner)

    @message_handler
    async def on_seen(self, message: Seen, ctx: MessageContext) -> list[str]:
        return self.seen


class Exclaim(DefaultInterventionHandler):
    """Rewrites every Ask on its way (in whichever process sends it): the chain ran there."""

    async def on_send(self, message: Any, *, message_context: MessageContext, recipient: AgentId) -> Any:
        return (
            Ask(message.text + "!")
            if isinstance(message, Ask) and message.text.startswith("echo")
            else message
        )
