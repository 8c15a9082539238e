"""Turning a ``task`` argument (text, a message, or a list of messages) into the messages an agent reads."""

from __future__ import annotations

from collections.abc import Sequence

from flowgen.errors import ConfigurationError
from flowgen.messages import BaseChatMessage, TextMessage

Task = str | BaseChatMessage | Sequence[BaseChatMessage] | None


def task_messages(task: Task) -> list[BaseChatMessage]:
    """The task as chat messages; text becomes a TextMessage from ``user``."""
    if task is None:
        return []
    if isinstance(task, str):
        return [TextMessage(content=task, source="user")]
    if isinstance(task, BaseChatMessage):
        return [task]
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
            messages.append(message)
        return messages
    raise ConfigurationError(
        f"a task must be a string, a chat message or a list of chat messages, not {type(task).__name__}"
    )
