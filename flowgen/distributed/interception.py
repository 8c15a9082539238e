"""Interventions and the delivery log of a RayAgentRuntime, with the single-process runtime's rules.

Handlers run in the process that sends: the driver for what it sends and publishes (a team's turns
among them), a host actor's member runtime for what its agents send each other (the handlers travel
to the actors in the directory, so they must be picklable; each process has its own copies). They are
chained: each sees the message as the previous one left it; ``DropMessage`` drops a send (the sender
gets ``MessageDroppedException``) or a publish (silently, logged); a publish handler that raises drops
that publish and is logged, never lost. Responses pass ``on_response`` on their way back.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from flowgen.core.delivery import DeliveryLog
from flowgen.core.ids import AgentId
from flowgen.core.intervention import DropMessage, InterventionHandler
from flowgen.core.message_context import MessageContext
from flowgen.errors import MessageDroppedException

logger = logging.getLogger("flowgen.distributed")


def _dropped(value: Any) -> bool:
    return value is DropMessage or isinstance(value, DropMessage)


class Interception:
    """The intervention chain of one process, and where it records drops."""

    __slots__ = ("handlers", "log")

    def __init__(self, handlers: Sequence[InterventionHandler], log: DeliveryLog | None) -> None:
        self.handlers = tuple(handlers)
        self.log = log

    async def send(self, message: Any, ctx: MessageContext, recipient: AgentId) -> Any:
        """The message to send after every handler; raises MessageDroppedException when one drops it."""
        type_name = type(message).__name__
        for handler in self.handlers:
            message = await handler.on_send(message, message_context=ctx, recipient=recipient)
            if _dropped(message):
                if self.log is not None:
                    self.log.dropped(ctx.sender, recipient, None, type_name)
                raise MessageDroppedException(f"{type(handler).__name__} dropped the send to {recipient}")
        return message

    async def response(self, response: Any, responder: AgentId, asker: AgentId | None) -> Any:
        for handler in self.handlers:
            response = await handler.on_response(response, sender=responder, recipient=asker)
            if _dropped(response):
                raise MessageDroppedException(f"{type(handler).__name__} dropped the response of {responder}")
        return response

    async def publish(self, message: Any, ctx: MessageContext) -> Any:
        """The message to publish after every handler, or DropMessage."""
        type_name = type(message).__name__
        for handler in self.handlers:
            try:
                message = await handler.on_publish(message, message_context=ctx)
            except Exception:
                logger.exception(
                    "on_publish of %s raised: the publish of %s to %s is dropped",
                    type(handler).__name__,
                    type_name,
                    ctx.topic_id,
                )
                return DropMessage
            if _dropped(message):
                if self.log is not None:
                    self.log.dropped(ctx.sender, None, ctx.topic_id, type_name)
                return DropMessage
        return message
