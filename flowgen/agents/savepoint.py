"""Savepoints of agents' model contexts: what undoes a step an agent took part in.

A built-in context only ever appends to its message list or swaps the list for another (``clear``,
``load_state``), so remembering the list and its length is a complete savepoint that costs nothing
per step. A context of the user's own class may keep more, so its savepoint is its saved state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

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


class HistoryOwner(Protocol):
    """An agent that derives something from its context, told when a savepoint put the context back."""

    def _history_restored(self) -> None: ...


class ContextSavepoint(Savepoint):
    """A built-in context's message list and its length; ``restore`` cuts the list back and reinstates it.

    ``owner`` is told after restoring. It is the agent itself rather than a bound method: a savepoint
    lives through its step's model call, and a bound method made per step would live with it.
    """

    __slots__ = ("_context", "_length", "_messages", "_owner")

    def __init__(self, context: ChatCompletionContext, owner: HistoryOwner | None = None) -> None:
        self._context = context
        self._messages: list[LLMMessage] = context._messages
        self._length = len(self._messages)
        self._owner = owner

    async def restore(self) -> None:
        del self._messages[self._length :]
        self._context._messages = self._messages
        if self._owner is not None:
            self._owner._history_restored()


class StatefulContextSavepoint(Savepoint):
    """A context of the user's own class: its saved state, loaded back."""

    __slots__ = ("_context", "_owner", "_state")

    def __init__(
        self, context: ChatCompletionContext, state: Mapping[str, Any], owner: HistoryOwner | None
    ) -> None:
        self._context = context
        self._state = state
        self._owner = owner

    async def restore(self) -> None:
        await self._context.load_state(self._state)
        if self._owner is not None:
            self._owner._history_restored()


async def context_savepoint(context: ChatCompletionContext, owner: HistoryOwner | None = None) -> Savepoint:
    """The cheapest complete savepoint of ``context``."""
    if type(context) in LIST_ONLY_CONTEXTS:
        return ContextSavepoint(context, owner)
    return StatefulContextSavepoint(context, await context.save_state(), owner)


class Savepoints(Savepoint):
    """Several savepoints restored as one, the last taken first."""

    __slots__ = ("_parts",)

    def __init__(self, parts: Sequence[Savepoint]) -> None:
        self._parts = tuple(parts)

    async def restore(self) -> None:
        for part in reversed(self._parts):
            await part.restore()
