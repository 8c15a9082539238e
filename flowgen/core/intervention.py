"""Intervention handlers: see, rewrite or drop every send, publish and response the runtime carries.

flowgen chains them: each handler sees the message as the previous one left it, so several rewrites
compose (AutoGen hands every handler the original message, so only the last rewrite counts).
"""

from __future__ import annotations

from typing import Any, Protocol, final

from flowgen.core.ids import AgentId
from flowgen.core.message_context import MessageContext


@final
class DropMessage:
    """Returned (the class itself) by an intervention handler to drop the message."""


class InterventionHandler(Protocol):
    """Called by the runtime before it delivers a message; return the message, a new one, or DropMessage."""

    async def on_send(
        self, message: Any, *, message_context: MessageContext, recipient: AgentId
    ) -> Any | type[DropMessage]: ...

    async def on_publish(
        self, message: Any, *, message_context: MessageContext
    ) -> Any | type[DropMessage]: ...

    async def on_response(
        self, message: Any, *, sender: AgentId, recipient: AgentId | None
    ) -> Any | type[DropMessage]: ...


class DefaultInterventionHandler:
    """Passes every message through unchanged; subclass it and override what you need.

    Example:
        >>> import asyncio
        >>> asyncio.run(DefaultInterventionHandler().on_response("hi", sender=AgentId("a", "k"), recipient=None))
        'hi'
    """

    async def on_send(
        self, message: Any, *, message_context: MessageContext, recipient: AgentId
    ) -> Any | type[DropMessage]:
        return message

    async def on_publish(self, message: Any, *, message_context: MessageContext) -> Any | type[DropMessage]:
        return message

    async def on_response(
        self, message: Any, *, sender: AgentId, recipient: AgentId | None
    ) -> Any | type[DropMessage]:
        return message
