"""A run's messages as a sequence of arrows between lifelines: who said what to whom, in order.

A chat message goes from its source to the next agent that speaks after it (the one that acts on
it); the last one goes back to whoever opened the thread (usually ``user``). A handoff goes to its
target. Tool calls, tool results and other agent events are arrows from an agent to itself.
Streaming chunks are left out: the message they build is shown instead.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from flowgen.base import TaskResult
from flowgen.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    CodeExecutionEvent,
    HandoffMessage,
    ModelClientStreamingChunkEvent,
    StopMessage,
    ToolCallExecutionEvent,
    ToolCallRequestEvent,
    ToolCallSummaryMessage,
)

ArrowKind = Literal["text", "tool_call", "tool_result", "handoff", "event", "stop"]
AnyMessage = BaseAgentEvent | BaseChatMessage


@dataclass(frozen=True, slots=True)
class Arrow:
    """One message drawn in a sequence diagram.

    Example:
        >>> Arrow(0, "user", "bot", "text", "TextMessage", "a fairly long question").summary(12)
        'a fairly lo…'
    """

    index: int
    source: str
    target: str
    kind: ArrowKind
    type: str
    full: str
    error: bool = False

    def summary(self, limit: int = 60) -> str:
        """The content on one line, cut to ``limit`` characters."""
        flat = " ".join(self.full.split())
        return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class SequenceDiagram:
    """The lifelines in order of first appearance, and the arrows in message order.

    Example:
        >>> from flowgen.messages import TextMessage
        >>> diagram = build_sequence([TextMessage(source="user", content="hi"), TextMessage(source="bot", content="yo")])
        >>> diagram.participants, [(a.source, a.target) for a in diagram.arrows]
        (('user', 'bot'), [('user', 'bot'), ('bot', 'user')])
    """

    participants: tuple[str, ...]
    arrows: tuple[Arrow, ...]


def messages_of(obj: Any) -> Sequence[AnyMessage]:
    """The messages of a TaskResult, or the sequence itself."""
    if isinstance(obj, TaskResult):
        return obj.messages
    return list(obj)


def build_sequence(obj: TaskResult | Sequence[AnyMessage]) -> SequenceDiagram:
    """The arrows for ``obj``'s messages (a TaskResult or a list of messages)."""
    messages = [m for m in messages_of(obj) if not isinstance(m, ModelClientStreamingChunkEvent)]
    chats = [(i, m.source) for i, m in enumerate(messages) if isinstance(m, BaseChatMessage)]
    opener = chats[0][1] if chats else ""
    arrows = []
    for index, message in enumerate(messages):
        target = _target(message, index, chats, opener)
        arrows.append(
            Arrow(
                index,
                message.source,
                target,
                _kind(message),
                type(message).__name__,
                message_text(message),
                _is_error(message),
            )
        )
    participants: dict[str, None] = {}
    for arrow in arrows:
        participants.setdefault(arrow.source)
        participants.setdefault(arrow.target)
    return SequenceDiagram(tuple(participants), tuple(arrows))


def _target(message: AnyMessage, index: int, chats: list[tuple[int, str]], opener: str) -> str:
    if isinstance(message, HandoffMessage):
        return message.target
    if not isinstance(message, BaseChatMessage):
        return message.source
    for later, source in chats:
        if later > index and source != message.source:
            return source
    return opener or message.source


def _kind(message: AnyMessage) -> ArrowKind:
    if isinstance(message, HandoffMessage):
        return "handoff"
    if isinstance(message, StopMessage):
        return "stop"
    if isinstance(message, ToolCallRequestEvent):
        return "tool_call"
    if isinstance(message, ToolCallExecutionEvent | ToolCallSummaryMessage):
        return "tool_result"
    if isinstance(message, BaseAgentEvent):
        return "event"
    return "text"


def _is_error(message: AnyMessage) -> bool:
    if isinstance(message, CodeExecutionEvent):
        return message.result.exit_code != 0
    if isinstance(message, ToolCallExecutionEvent):
        return any(r.is_error for r in message.content)
    if isinstance(message, ToolCallSummaryMessage):
        return any(r.is_error for r in message.results)
    return False


def message_text(message: AnyMessage) -> str:
    """The full text shown for a message: tool calls as ``name(arguments)``, results by tool name."""
    if isinstance(message, ToolCallRequestEvent):
        return "\n".join(f"{c.name}({c.arguments})" for c in message.content)
    if isinstance(message, ToolCallExecutionEvent):
        return "\n".join(f"{r.name} → {r.content}" for r in message.content)
    if isinstance(message, HandoffMessage):
        return f"handoff to {message.target}: {message.content}"
    try:
        return message.to_text()
    except Exception:  # a custom message type with a broken to_text must not break the drawing
        return json.dumps(message.model_dump(mode="json", exclude={"id", "created_at"}), sort_keys=True)
