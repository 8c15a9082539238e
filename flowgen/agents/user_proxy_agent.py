"""UserProxyAgent: a human in the conversation, asked for input through ``input_func``."""

from __future__ import annotations

import asyncio
import inspect
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import ClassVar, cast

from flowgen.agents.base_chat_agent import BaseChatAgent, final_response
from flowgen.base import Response
from flowgen.core import CancellationToken
from flowgen.errors import HandoffError
from flowgen.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    HandoffMessage,
    TextMessage,
    UserInputRequestedEvent,
)
from flowgen.valid_text import valid_text

SyncInputFunc = Callable[[str], str]
AsyncInputFunc = Callable[[str, CancellationToken | None], Awaitable[str]]
InputFuncType = SyncInputFunc | AsyncInputFunc

DEFAULT_PROMPT = "Enter your response: "


async def cancellable_input(prompt: str, cancellation_token: CancellationToken | None) -> str:
    """``input(prompt)`` in a worker thread, so waiting neither blocks the loop nor ignores cancellation."""
    work: asyncio.Future[str] = asyncio.ensure_future(asyncio.to_thread(input, prompt))
    if cancellation_token is not None:
        cancellation_token.link_future(work)
    return await work


class UserProxyAgent(BaseChatAgent):
    """Stands for a human: each turn it asks ``input_func`` and says what the human typed.

    ``input_func`` is ``fn(prompt) -> str`` (run in a worker thread) or
    ``async fn(prompt, cancellation_token) -> str``; the default reads the terminal. Before asking,
    the agent emits a UserInputRequestedEvent. When the last message is a handoff to this agent,
    the reply is a HandoffMessage back to whoever handed off.

    Example:
        >>> import asyncio
        >>> user = UserProxyAgent("user", input_func=lambda prompt: "looks good")
        >>> asyncio.run(user.run(task="Review this.")).messages[-1].content
        'looks good'
    """

    class InputRequestContext:
        """The id of the input request being served, readable from inside ``input_func``."""

        _request_id: ClassVar[ContextVar[str]] = ContextVar("_request_id")

        def __init__(self) -> None:
            raise RuntimeError("InputRequestContext cannot be instantiated; call request_id() on the class")

        @classmethod
        @contextmanager
        def populate_context(cls, request_id: str) -> Iterator[None]:
            token = cls._request_id.set(request_id)
            try:
                yield
            finally:
                cls._request_id.reset(token)

        @classmethod
        def request_id(cls) -> str:
            try:
                return cls._request_id.get()
            except LookupError as e:
                raise RuntimeError(
                    "InputRequestContext.request_id() is only available inside a UserProxyAgent's input_func"
                ) from e

    def __init__(
        self,
        name: str,
        *,
        description: str = "A human user",
        input_func: InputFuncType | None = None,
    ) -> None:
        super().__init__(name, description)
        self.input_func: InputFuncType = input_func if input_func is not None else cancellable_input
        self._is_async = inspect.iscoroutinefunction(self.input_func)

    @property
    def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
        return (TextMessage, HandoffMessage)

    def _handoff_to_me(self, messages: Sequence[BaseChatMessage]) -> HandoffMessage | None:
        last = messages[-1] if messages else None
        if not isinstance(last, HandoffMessage):
            return None
        if last.target != self.name:
            raise HandoffError(
                f"{self.name!r} received a handoff addressed to {last.target!r} (from {last.source!r}); "
                "route handoffs only to their target"
            )
        return last

    async def _get_input(self, prompt: str, cancellation_token: CancellationToken) -> str:
        if self._is_async:
            func = cast(AsyncInputFunc, self.input_func)
            work: asyncio.Future[str] = asyncio.ensure_future(func(prompt, cancellation_token))
        else:
            sync_func = cast(SyncInputFunc, self.input_func)
            work = asyncio.ensure_future(asyncio.to_thread(sync_func, prompt))
        # A cancelled token stops the wait at once, even if the human never answers.
        cancellation_token.link_future(work)
        return await work

    async def on_messages(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> Response:
        return await final_response(self.on_messages_stream(messages, cancellation_token))

    async def on_messages_stream(
        self, messages: Sequence[BaseChatMessage], cancellation_token: CancellationToken
    ) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | Response, None]:
        handoff = self._handoff_to_me(messages)
        prompt = f"Handoff received from {handoff.source}. {DEFAULT_PROMPT}" if handoff else DEFAULT_PROMPT
        request_id = str(uuid.uuid4())
        yield UserInputRequestedEvent(request_id=request_id, source=self.name)
        with UserProxyAgent.InputRequestContext.populate_context(request_id):
            try:
                text = valid_text(await self._get_input(prompt, cancellation_token))
            except Exception as e:
                e.add_note(f"raised by the input_func of user proxy {self.name!r}")
                raise
        if handoff is not None:
            reply: BaseChatMessage = HandoffMessage(content=text, target=handoff.source, source=self.name)
        else:
            reply = TextMessage(content=text, source=self.name)
        yield Response(chat_message=reply)

    async def on_reset(self, cancellation_token: CancellationToken | None = None) -> None:
        """Nothing to forget: the human keeps their own memory."""
