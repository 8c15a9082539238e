"""The intervention chain a runtime runs its sends, responses and publishes through.

Both runtimes use it: the single-process one, and a RayAgentRuntime in each process that sends (the
driver for what it sends and publishes, a host actor's member runtime for what its agents send each
other). Handlers are chained: each sees the message as the previous one left it. ``DropMessage``
drops a send (the sender gets ``MessageDroppedException``), a response (likewise) or a publish
(silently); a publish handler that raises drops that publish and is reported, never lost. Drops are
recorded in the delivery log when there is one, and counted by telemetry when it is on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from flowgen.core.delivery import DeliveryLog
from flowgen.core.ids import AgentId
from flowgen.core.intervention import DropMessage, InterventionHandler
from flowgen.core.message_context import MessageContext
from flowgen.errors import MessageDroppedException
from flowgen.telemetry import hooks

logger = logging.getLogger("flowgen.core")

#: Told when a publish handler raised: the message, its context, the error, and which handler.
PublishFailed = Callable[[Any, MessageContext, Exception, str], None]


def _log_publish_failure(message: Any, ctx: MessageContext, error: Exception, stage: str) -> None:
    logger.error(
        "%s raised: the publish of %s to %s is dropped", stage, type(message).__name__, ctx.topic_id,
        exc_info=error,
    )  # fmt: skip


class Interception:
    """The intervention chain of one runtime, and the delivery log it records drops in."""

    __slots__ = ("_publish_failed", "handlers", "log")

    def __init__(
        self,
        handlers: Sequence[InterventionHandler],
        log: DeliveryLog | None,
        publish_failed: PublishFailed = _log_publish_failure,
    ) -> None:
        self.handlers = tuple(handlers)
        self.log = log
        self._publish_failed = publish_failed

    async def send(self, message: Any, ctx: MessageContext, recipient: AgentId) -> Any:
        """The message to send after every handler; raises MessageDroppedException when one drops it."""
        type_name = type(message).__name__
        for handler in self.handlers:
            message = await handler.on_send(message, message_context=ctx, recipient=recipient)
            if _dropped(message):
                if self.log is not None:
                    self.log.dropped(ctx.sender, recipient, None, type_name)
                _count_dropped(handler)
                raise MessageDroppedException(f"{type(handler).__name__} dropped the send to {recipient}")
        return message

    async def response(self, response: Any, responder: AgentId, asker: AgentId | None) -> Any:
        """The response after every handler; raises MessageDroppedException when one drops it."""
        for handler in self.handlers:
            response = await handler.on_response(response, sender=responder, recipient=asker)
            if _dropped(response):
                _count_dropped(handler)
                raise MessageDroppedException(f"{type(handler).__name__} dropped the response of {responder}")
        return response

    async def publish(self, message: Any, ctx: MessageContext) -> Any:
        """The message to publish after every handler, or DropMessage."""
        type_name = type(message).__name__
        for handler in self.handlers:
            try:
                message = await handler.on_publish(message, message_context=ctx)
            except Exception as exc:
                # AutoGen drops the message silently here and never marks it done, so
                # stop_when_idle() waits for ever; flowgen reports and drops it.
                self._publish_failed(message, ctx, exc, f"on_publish of {type(handler).__name__}")
                return DropMessage
            if _dropped(message):
                if self.log is not None:
                    self.log.dropped(ctx.sender, None, ctx.topic_id, type_name)
                _count_dropped(handler)
                return DropMessage
        return message


def _dropped(value: Any) -> bool:
    return value is DropMessage or isinstance(value, DropMessage)


def _count_dropped(handler: InterventionHandler) -> None:
    if hooks.observer is not None:
        hooks.observer.messages_dropped(1, type(handler).__name__)
