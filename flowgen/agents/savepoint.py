"""Savepoints of agents' model contexts: what undoes a step an agent took part in.

A built-in context only ever appends to its message list or swaps the list for another (``clear``,
``load_state``), so remembering the list and its length is a complete savepoint that costs nothing
per step. A context of the user's own class may keep more, so its savepoint is its saved state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flowgen.base import Savepoint
from flowgen.model_context import (
    BufferedChatCompletionContext,
    ChatCompletionContext,
    HeadAndTailChatCompletionContext,
    TokenLimitedChatCompletionContext,
    UnboundedChatCompletionContext,
)
from flowgen.models import LLMMessage

#: Contexts whose whole state is their message list.
LIST_ONLY_CONTEXTS = frozenset(
    {
        UnboundedChatCompletionContext,
        BufferedChatCompletionContext,
        HeadAndTailChatCompletionContext,
        TokenLimitedChatCompletionContext,
    }
)


class ContextSavepoint(Savepoint):
    """A built-in context's message list and its length; ``restore`` cuts the list back and reinstates it.

    ``then`` runs after restoring (an agent resetting what it derived from its context).
    """

    __slots__ = ("_context", "_length", "_messages", "_then")

    def __init__(self, context: ChatCompletionContext, then: Callable[[], None] | None = None) -> None:
        self._context = context
        self._messages: list[LLMMessage] = context._messages
        self._length = len(self._messages)
        self._then = then

    async def restore(self) -> None:
        del self._messages[self._length :]
        self._context._messages = self._messages
        if self._then is not None:
            self._then()


class StatefulContextSavepoint(Savepoint):
    """A context of the user's own class: its saved state, loaded back."""

    __slots__ = ("_context", "_state", "_then")

    def __init__(
        self, context: ChatCompletionContext, state: Mapping[str, Any], then: Callable[[], None] | None
    ) -> None:
        self._context = context
        self._state = state
        self._then = then

    async def restore(self) -> None:
        await self._context.load_state(self._state)
        if self._then is not None:
            self._then()


async def context_savepoint(
    context: ChatCompletionContext, then: Callable[[], None] | None = None
) -> Savepoint:
    """The cheapest complete savepoint of ``context``."""
    if type(context) in LIST_ONLY_CONTEXTS:
        return ContextSavepoint(context, then)
    return StatefulContextSavepoint(context, await context.save_state(), then)


class Savepoints(Savepoint):
    """Several savepoints restored as one, the last taken first."""

    __slots__ = ("_parts",)

    def __init__(self, parts: Sequence[Savepoint]) -> None:
        self._parts = tuple(parts)

    async def restore(self) -> None:
        for part in reversed(self._parts):
            await part.restore()
