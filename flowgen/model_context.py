"""What an agent shows its model of the conversation so far (AutoGen's ``autogen_core.model_context``).

A context stores every LLM message an agent adds and decides which of them the next model call sees:
all of them, the last *n*, as many as fit a token budget, or the first *n* plus the last *m*.

Every window keeps tool calls and their results together: a window never starts with a tool result
whose call fell outside it (models reject that), and the head of a head-and-tail window never ends
with a call whose result was cut away.

Example:
    >>> import asyncio
    >>> from flowgen.models import UserMessage
    >>> ctx = BufferedChatCompletionContext(buffer_size=2)
    >>> for text in ["one", "two", "three"]:
    ...     asyncio.run(ctx.add_message(UserMessage(content=text, source="user")))
    >>> [m.content for m in asyncio.run(ctx.get_messages())]
    ['two', 'three']
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from flowgen.core import FunctionCall
from flowgen.core.component import Component
from flowgen.errors import ConfigurationError
from flowgen.models import (
    AssistantMessage,
    ChatCompletionClient,
    FunctionExecutionResultMessage,
    LLMMessage,
    ToolSchema,
    UserMessage,
)
from flowgen.models.types import no_llm_messages

__all__ = [
    "BufferedChatCompletionContext",
    "ChatCompletionContext",
    "ChatCompletionContextState",
    "HeadAndTailChatCompletionContext",
    "TokenLimitedChatCompletionContext",
    "UnboundedChatCompletionContext",
]


class ChatCompletionContextState(BaseModel):
    """The saved form of a context: every message it holds.

    Example:
        >>> from flowgen.models import UserMessage
        >>> state = ChatCompletionContextState(messages=[UserMessage(content="hi", source="user")])
        >>> ChatCompletionContextState.model_validate(state.model_dump()) == state
        True
    """

    model_config = ConfigDict(defer_build=True)  # built when a state is first saved or loaded

    messages: list[LLMMessage] = Field(default_factory=no_llm_messages)


def _is_tool_call(message: LLMMessage) -> bool:
    return (
        isinstance(message, AssistantMessage)
        and isinstance(message.content, list)
        and bool(message.content)
        and all(isinstance(item, FunctionCall) for item in message.content)
    )


def _without_leading_results(messages: list[LLMMessage]) -> list[LLMMessage]:
    """Drop tool results at the start of a window: their calls were cut off, and models reject them."""
    start = 0
    while start < len(messages) and isinstance(messages[start], FunctionExecutionResultMessage):
        start += 1
    return messages[start:]


def _without_trailing_call(messages: list[LLMMessage]) -> list[LLMMessage]:
    """Drop a tool call at the end of a head window: its result lies outside the head."""
    if messages and _is_tool_call(messages[-1]):
        return messages[:-1]
    return messages


class ChatCompletionContext(ABC, Component[Any]):
    """Holds an agent's LLM messages and chooses which ones the model sees.

    Subclasses implement :meth:`get_messages`; everything else (adding, clearing, saving) is shared.

    Args:
        initial_messages: Messages the context starts with (they are kept, not shared).

    Example:
        >>> import asyncio
        >>> from flowgen.models import UserMessage
        >>> ctx = UnboundedChatCompletionContext([UserMessage(content="hi", source="user")])
        >>> state = asyncio.run(ctx.save_state())
        >>> fresh = UnboundedChatCompletionContext()
        >>> asyncio.run(fresh.load_state(state))
        >>> asyncio.run(fresh.get_messages()) == asyncio.run(ctx.get_messages())
        True
    """

    def __init__(self, initial_messages: Sequence[LLMMessage] | None = None) -> None:
        self._messages: list[LLMMessage] = list(initial_messages) if initial_messages else []
        self._initial_messages = tuple(self._messages)  # what a component config describes
        #: JSON dumps of ``_messages[:len(_dumped)]``, made from the list ``_dumped_of``: the context
        #: only ever appends to its list (or replaces it), so each message is dumped once, and saving
        #: a long context after every step (a checkpoint) costs what the step added.
        self._dumped: list[dict[str, Any]] = []
        self._dumped_of: list[LLMMessage] | None = None

    async def add_message(self, message: LLMMessage) -> None:
        """Append a message to the context."""
        self._messages.append(message)

    @abstractmethod
    async def get_messages(self) -> list[LLMMessage]:
        """The messages the next model call sees."""

    async def clear(self) -> None:
        """Forget every message, including the initial ones."""
        self._messages = []

    async def save_state(self) -> Mapping[str, Any]:
        """Every message held, as JSON-ready data (the message dicts are shared: copy before editing)."""
        messages = self._messages
        if self._dumped_of is not messages or len(self._dumped) > len(messages):
            self._dumped, self._dumped_of = [], messages
        if len(self._dumped) < len(messages):
            self._dumped.extend(m.model_dump(mode="json") for m in messages[len(self._dumped) :])
        return {"messages": list(self._dumped)}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Replace the messages held with those :meth:`save_state` returned."""
        self._messages = list(ChatCompletionContextState.model_validate(state).messages)


class UnboundedChatCompletionContext(ChatCompletionContext):
    """Shows the model every message.

    Example:
        >>> import asyncio
        >>> from flowgen.models import UserMessage
        >>> ctx = UnboundedChatCompletionContext()
        >>> asyncio.run(ctx.add_message(UserMessage(content="hi", source="user")))
        >>> len(asyncio.run(ctx.get_messages()))
        1
    """

    async def get_messages(self) -> list[LLMMessage]:
        return list(self._messages)


async def add_messages(context: ChatCompletionContext, messages: Sequence[LLMMessage]) -> None:
    """Add ``messages`` in order; at once when the context keeps the shared ``add_message``."""
    if type(context).add_message is ChatCompletionContext.add_message:
        context._messages.extend(messages)
        return
    for message in messages:
        await context.add_message(message)


def shared_history(context: ChatCompletionContext) -> Sequence[LLMMessage] | None:
    """The context's own list when it shows the model everything, else None (ask ``get_messages``).

    For a caller that copies the history into the request anyway: copying the whole history twice per
    model call is what made a long conversation's turns slower. A plain function, so that the usual
    case has no coroutine to create and await. The caller must not keep or change what it gets.
    """
    if type(context) is UnboundedChatCompletionContext:
        return context._messages
    return None


class BufferedChatCompletionContext(ChatCompletionContext):
    """Shows the model the last ``buffer_size`` messages (fewer if the window would open on a tool result).

    Args:
        buffer_size: How many of the most recent messages to show; at least 1.
        initial_messages: Messages the context starts with.

    Raises:
        ConfigurationError: ``buffer_size`` is not positive (also a ValueError, as in AutoGen).

    Example:
        >>> import asyncio
        >>> from flowgen.models import UserMessage
        >>> ctx = BufferedChatCompletionContext(buffer_size=1)
        >>> asyncio.run(ctx.add_message(UserMessage(content="a", source="user")))
        >>> asyncio.run(ctx.add_message(UserMessage(content="b", source="user")))
        >>> [m.content for m in asyncio.run(ctx.get_messages())]
        ['b']
    """

    def __init__(self, buffer_size: int, initial_messages: Sequence[LLMMessage] | None = None) -> None:
        super().__init__(initial_messages)
        if buffer_size <= 0:
            raise ConfigurationError(f"buffer_size must be greater than 0, got {buffer_size}")
        self._buffer_size = buffer_size

    async def get_messages(self) -> list[LLMMessage]:
        return _without_leading_results(self._messages[-self._buffer_size :])


class HeadAndTailChatCompletionContext(ChatCompletionContext):
    """Shows the first ``head_size`` and the last ``tail_size`` messages, with a note of how many were skipped.

    The head loses a trailing tool call whose result lies in the skipped middle, and the tail loses a
    leading tool result whose call was skipped, so neither half breaks a call from its result. The
    note counts every message left out, those two included.

    Args:
        head_size: How many of the first messages to keep; at least 1.
        tail_size: How many of the last messages to keep; at least 1.
        initial_messages: Messages the context starts with.

    Raises:
        ConfigurationError: a size is not positive (also a ValueError, as in AutoGen).

    Example:
        >>> import asyncio
        >>> from flowgen.models import UserMessage
        >>> ctx = HeadAndTailChatCompletionContext(head_size=1, tail_size=1)
        >>> for text in "abcd":
        ...     asyncio.run(ctx.add_message(UserMessage(content=text, source="user")))
        >>> [m.content for m in asyncio.run(ctx.get_messages())]
        ['a', 'Skipped 2 messages.', 'd']
    """

    def __init__(
        self, head_size: int, tail_size: int, initial_messages: Sequence[LLMMessage] | None = None
    ) -> None:
        super().__init__(initial_messages)
        if head_size <= 0:
            raise ConfigurationError(f"head_size must be greater than 0, got {head_size}")
        if tail_size <= 0:
            raise ConfigurationError(f"tail_size must be greater than 0, got {tail_size}")
        self._head_size = head_size
        self._tail_size = tail_size

    async def get_messages(self) -> list[LLMMessage]:
        if len(self._messages) <= self._head_size + self._tail_size:
            return list(self._messages)
        head = _without_trailing_call(self._messages[: self._head_size])
        tail = _without_leading_results(self._messages[-self._tail_size :])
        skipped = len(self._messages) - len(head) - len(tail)
        note = UserMessage(content=f"Skipped {skipped} messages.", source="System")
        return [*head, note, *tail]


class TokenLimitedChatCompletionContext(ChatCompletionContext):
    """Shows as many messages as fit a token budget, dropping from the middle of the conversation first.

    The first messages (the task) and the last ones (the current exchange) matter most, so messages are
    removed from the middle. A tool call and its result are removed together.

    Args:
        model_client: Counts tokens (``count_tokens`` / ``remaining_tokens``).
        token_limit: The budget. ``None`` means whatever the model has left (``remaining_tokens``).
        tool_schema: Tools the model is offered; their schemas count against the budget.
        initial_messages: Messages the context starts with.

    Example:
        >>> import asyncio
        >>> from flowgen.models import ReplayChatCompletionClient, UserMessage
        >>> ctx = TokenLimitedChatCompletionContext(ReplayChatCompletionClient([]), token_limit=2)
        >>> for text in ["first", "middle", "last"]:
        ...     asyncio.run(ctx.add_message(UserMessage(content=text, source="user")))
        >>> [m.content for m in asyncio.run(ctx.get_messages())]
        ['first', 'last']
    """

    def __init__(
        self,
        model_client: ChatCompletionClient,
        token_limit: int | None = None,
        tool_schema: list[ToolSchema] | None = None,
        initial_messages: Sequence[LLMMessage] | None = None,
    ) -> None:
        super().__init__(initial_messages)
        if token_limit is not None and token_limit <= 0:
            raise ConfigurationError(f"token_limit must be greater than 0 (or None), got {token_limit}")
        self._model_client = model_client
        self._token_limit = token_limit
        self._tool_schema = list(tool_schema or [])

    def _over_budget(self, messages: list[LLMMessage]) -> bool:
        if self._token_limit is None:
            # Zero left means no room for the reply either, so that is over budget too.
            return self._model_client.remaining_tokens(messages, tools=self._tool_schema) <= 0
        return self._model_client.count_tokens(messages, tools=self._tool_schema) > self._token_limit

    async def get_messages(self) -> list[LLMMessage]:
        messages = list(self._messages)
        while messages and self._over_budget(messages):
            _remove_middle_unit(messages)
        return _without_leading_results(messages)


def _remove_middle_unit(messages: list[LLMMessage]) -> None:
    """Remove the middle message, together with its tool call or tool result partner."""
    index = len(messages) // 2
    start, stop = index, index + 1
    middle = messages[index]
    if (
        isinstance(middle, FunctionExecutionResultMessage)
        and index > 0
        and _is_tool_call(messages[index - 1])
    ):
        start = index - 1
    elif (
        _is_tool_call(middle)
        and index + 1 < len(messages)
        and isinstance(messages[index + 1], FunctionExecutionResultMessage)
    ):
        stop = index + 2
    del messages[start:stop]
