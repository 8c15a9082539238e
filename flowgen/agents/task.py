"""Turning a ``task`` argument (text, a message, or a list of messages) into the messages an agent reads."""

from __future__ import annotations

from collections.abc import Sequence

from flowgen.errors import ConfigurationError
from flowgen.messages import BaseChatMessage, TextMessage
from flowgen.valid_text import valid_text

Task = str | BaseChatMessage | Sequence[BaseChatMessage] | None


def _valid(message: BaseChatMessage) -> BaseChatMessage:
    """The user's message, with any lone surrogate in its text repaired (see flowgen.valid_text)."""
    content = getattr(message, "content", None)
    if isinstance(content, str):
        fixed = valid_text(content)
        if fixed is not content:
            return message.model_copy(update={"content": fixed})
    return message


def task_messages(task: Task) -> list[BaseChatMessage]:
    """The task as chat messages; text becomes a TextMessage from ``user``."""
    if task is None:
        return []
    if isinstance(task, str):
        return [TextMessage(content=valid_text(task), source="user")]
    if isinstance(task, BaseChatMessage):
        return [_valid(task)]
    if isinstance(task, Sequence):
        items: list[object] = list(task)
        if not items:
            raise ConfigurationError("the task list is empty; pass at least one message, a string, or None")
        messages: list[BaseChatMessage] = []
        for message in items:
            if not isinstance(message, BaseChatMessage):
                raise ConfigurationError(
                    f"the task list holds a {type(message).__name__}; every item must be a chat message "
                    "(e.g. TextMessage(content=..., source='user'))"
                )
            messages.append(_valid(message))
        return messages
    raise ConfigurationError(
        f"a task must be a string, a chat message or a list of chat messages, not {type(task).__name__}"
    )
