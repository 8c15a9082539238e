"""MessageContext: what a handler learns about the message it is handling."""

from __future__ import annotations

from dataclasses import dataclass

from flowgen.core.cancellation import CancellationToken
from flowgen.core.ids import AgentId, TopicId


@dataclass(slots=True)
class MessageContext:
    """Who sent the message, on which topic (None for a direct send), whether a reply is awaited.

    Example:
        >>> ctx = MessageContext(None, None, True, CancellationToken(), "m1")
        >>> ctx.is_rpc, ctx.message_id
        (True, 'm1')
    """

    sender: AgentId | None
    topic_id: TopicId | None
    is_rpc: bool
    cancellation_token: CancellationToken
    message_id: str
