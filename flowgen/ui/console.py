"""Print an agent's or a team's run to the terminal as it streams (AutoGen's ``Console``)."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import TypeVar

from rich.console import Console as RichConsole
from rich.text import Text

from flowgen.base import Response, TaskResult
from flowgen.errors import ConfigurationError
from flowgen.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    ModelClientStreamingChunkEvent,
    MultiModalMessage,
    UserInputRequestedEvent,
)
from flowgen.models import RequestUsage
from flowgen.ui.user_input import UserInputManager
from flowgen.valid_text import valid_text

__all__ = ["Console"]

T = TypeVar("T", bound=TaskResult | Response)

_RULE = "-" * 10


def _header(title: str) -> Text:
    return Text(f"{_RULE} {title} {_RULE}", style="bold")


def _usage_line(usage: RequestUsage) -> str:
    return f"[Prompt tokens: {usage.prompt_tokens}, Completion tokens: {usage.completion_tokens}]"


@dataclass
class _Renderer:
    """Prints one stream: remembers the chunks of a reply being streamed, and the usage so far."""

    out: RichConsole
    output_stats: bool
    iterm_images: bool
    started: float = field(default_factory=time.perf_counter)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    chunks: list[str] = field(default_factory=list)
    chunk_message_id: str | None = None
    chunk_source: str | None = None

    def line(self, text: str | Text = "", end: str = "\n") -> None:
        # markup, highlight and emoji off: agent text is printed as written, brackets and :codes: all;
        # a lone surrogate that got this far would stop the terminal's encoder, so it is repaired.
        if isinstance(text, str):
            text = valid_text(text)
        self.out.print(text, end=end, markup=False, highlight=False, emoji=False, soft_wrap=True)

    def body(self, message: BaseAgentEvent | BaseChatMessage) -> str:
        if isinstance(message, MultiModalMessage):
            return message.to_text(iterm=self.iterm_images)
        return message.to_text()

    def count_usage(self, usage: RequestUsage | None) -> None:
        if usage is None:
            return
        self.prompt_tokens += usage.prompt_tokens
        self.completion_tokens += usage.completion_tokens
        if self.output_stats:
            self.line(_usage_line(usage))

    def end_chunks(self) -> None:
        if self.chunks:
            self.line()  # end the streamed line
        self.chunks.clear()
        self.chunk_message_id = None
        self.chunk_source = None

    def chunk(self, event: ModelClientStreamingChunkEvent) -> None:
        if self.chunks and event.source != self.chunk_source:
            self.end_chunks()  # another speaker's stream began before the first one's message
        if not self.chunks:
            self.line(_header(f"{type(event).__name__} ({event.source})"))
            self.chunk_source = event.source
        self.line(event.content, end="")
        self.chunks.append(event.content)
        self.chunk_message_id = event.full_message_id or self.chunk_message_id

    def _repeats_chunks(self, message: BaseAgentEvent | BaseChatMessage) -> bool:
        if self.chunk_message_id is not None:
            return message.id == self.chunk_message_id
        return message.to_text() == "".join(self.chunks)

    def message(self, message: BaseAgentEvent | BaseChatMessage) -> None:
        if self.chunks:
            repeated = self._repeats_chunks(message)
            self.end_chunks()
            if repeated:  # already on screen, chunk by chunk
                self.count_usage(message.models_usage)
                return
        self.line(_header(f"{type(message).__name__} ({message.source})"))
        self.line(self.body(message))
        self.count_usage(message.models_usage)

    def summary(self, **counts: object) -> None:
        if not self.output_stats:
            return
        self.line(_header("Summary"))
        for label, value in counts.items():
            self.line(f"{label}: {value}")
        self.line(f"Total prompt tokens: {self.prompt_tokens}")
        self.line(f"Total completion tokens: {self.completion_tokens}")
        self.line(f"Duration: {time.perf_counter() - self.started:.2f} seconds")

    def response(self, response: Response) -> None:
        chat = response.chat_message
        repeated = bool(self.chunks) and self._repeats_chunks(chat)
        self.end_chunks()
        if not repeated:
            self.line(_header(chat.source))
            self.line(self.body(chat))
        self.count_usage(chat.models_usage)
        inner = len(response.inner_messages) if response.inner_messages is not None else 0
        self.summary(**{"Number of inner messages": inner})

    def task_result(self, result: TaskResult) -> None:
        self.end_chunks()  # a stream cut off mid-reply still ends its line
        self.summary(**{"Number of messages": len(result.messages), "Finish reason": result.stop_reason})


def _iterm_images(no_inline_images: bool, out: RichConsole) -> bool:
    return not no_inline_images and os.getenv("TERM_PROGRAM") == "iTerm.app" and out.is_terminal


async def Console(  # capitalised: the AutoGen name
    stream: AsyncGenerator[BaseAgentEvent | BaseChatMessage | T, None],
    *,
    no_inline_images: bool = False,
    output_stats: bool = False,
    user_input_manager: UserInputManager | None = None,
    output: RichConsole | None = None,
) -> T:
    """Print a run as it streams and return its final ``TaskResult`` (or ``Response``).

    Each message gets a header naming its type and speaker
    (``---------- TextMessage (writer) ----------``) followed by its text. Streamed chunks are printed
    as they arrive, under one header, and the complete message that follows them is not printed again.
    ``UserInputRequestedEvent`` is not printed: it tells ``user_input_manager`` that the user proxy is
    now waiting, so the prompt appears after everything before it.

    Args:
        stream: ``run_stream(...)`` of an agent or a team, or ``on_messages_stream(...)`` of an agent.
        no_inline_images: Do not draw images inline, even in iTerm2.
        output_stats: Also print each message's token usage and a summary (message count, stop reason,
            total tokens, duration) at the end.
        user_input_manager: Told when a user proxy starts waiting for input.
        output: Where to print (a ``rich.console.Console``); the terminal by default.

    Returns:
        The last ``TaskResult`` or ``Response`` in the stream.

    Raises:
        ConfigurationError: (a ValueError) The stream ended without a ``TaskResult`` or ``Response``.

    Example:
        >>> import asyncio
        >>> from flowgen.messages import TextMessage
        >>> async def run():
        ...     message = TextMessage(content="Hello", source="writer")
        ...     yield message
        ...     yield TaskResult(messages=[message], stop_reason="done")
        >>> result = asyncio.run(Console(run()))
        ---------- TextMessage (writer) ----------
        Hello
        >>> result.stop_reason
        'done'
    """
    out = output if output is not None else RichConsole()
    renderer = _Renderer(out, output_stats, _iterm_images(no_inline_images, out))
    last: T | None = None
    async for item in stream:
        if isinstance(item, TaskResult):
            renderer.task_result(item)
            last = item
        elif isinstance(item, Response):
            renderer.response(item)
            last = item
        elif isinstance(item, UserInputRequestedEvent):
            if user_input_manager is not None:
                user_input_manager.notify_event_received(item.request_id)
        elif isinstance(item, ModelClientStreamingChunkEvent):
            renderer.chunk(item)
        else:
            renderer.message(item)
    if last is None:
        raise ConfigurationError(
            "the stream ended without a TaskResult or Response; pass Console the generator returned by "
            "run_stream(...) or on_messages_stream(...) and let it run to the end"
        )
    return last
