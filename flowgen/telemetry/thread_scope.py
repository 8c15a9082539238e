"""Which conversation (thread) the runs in a block belong to: ``gen_ai.conversation.id`` on their spans."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flowgen.telemetry import hooks


@contextmanager
def conversation(thread_id: str | None) -> Iterator[None]:
    """Mark the runs started inside the block as turns of the conversation ``thread_id``.

    Example:
        >>> with conversation("thread-42"):
        ...     hooks.conversation_id.get()
        'thread-42'
        >>> hooks.conversation_id.get() is None
        True
    """
    token = hooks.conversation_id.set(thread_id)
    try:
        yield
    finally:
        hooks.conversation_id.reset(token)
