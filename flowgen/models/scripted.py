"""What the deterministic clients share: word tokenizing, usage accounting, streaming by words."""

from __future__ import annotations

import json
from collections.abc import Sequence

from flowgen.core import FunctionCall
from flowgen.models.types import (
    CreateResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    ModelFamily,
    ModelInfo,
    RequestUsage,
)

DEFAULT_INFO = ModelInfo(
    vision=False,
    function_calling=False,
    json_output=False,
    family=ModelFamily.UNKNOWN,
    structured_output=False,
)


def message_words(message: LLMMessage | str) -> list[str]:
    """The whitespace-separated words of a message: the scripted models' notion of tokens."""
    if isinstance(message, str):
        return message.split()
    if isinstance(message, FunctionExecutionResultMessage):
        return " ".join(r.content for r in message.content).split()
    content = message.content
    if isinstance(content, str):
        return content.split()
    words: list[str] = []
    for part in content:
        if isinstance(part, str):
            words.extend(part.split())
        elif isinstance(part, FunctionCall):
            words.extend(json.dumps({"name": part.name, "arguments": part.arguments}).split())
    return words


def count_words(messages: Sequence[LLMMessage] | str) -> int:
    if isinstance(messages, str):
        return len(messages.split())
    return sum(len(message_words(m)) for m in messages)


def stream_words(text: str) -> list[str]:
    """Chunks that join back to exactly ``text``: each word with the whitespace after it."""
    chunks: list[str] = []
    current = ""
    for ch in text:
        if current and not current[-1].isspace() and ch.isspace():
            current += ch
            continue
        if current and current[-1].isspace() and not ch.isspace():
            chunks.append(current)
            current = ch
            continue
        current += ch
    if current:
        chunks.append(current)
    return chunks


class PromptCounter:
    """Counts a prompt's words, re-counting only what was appended since the previous call.

    Agents send the whole history on every call, and it grows by a few messages a turn; counting it
    all again each time would make a scripted model's cost grow with the conversation. A prompt that
    still holds the previous prompt's messages (the same objects, at the same places) is counted
    incrementally; anything else is counted in full.
    """

    __slots__ = ("_count", "_first", "_last", "_length")

    def __init__(self) -> None:
        self._length = 0
        self._first: object = None
        self._last: object = None
        self._count = 0

    def count(self, messages: Sequence[LLMMessage]) -> int:
        n = self._length
        if n and len(messages) >= n and messages[0] is self._first and messages[n - 1] is self._last:
            total = self._count + count_words(messages[n:])
        else:
            total = count_words(messages)
        self._length = len(messages)
        self._first = messages[0] if messages else None
        self._last = messages[-1] if messages else None
        self._count = total
        return total


class UsageMeter:
    """Current and total usage, as every client reports them."""

    __slots__ = ("current", "total")

    def __init__(self) -> None:
        self.current = RequestUsage(0, 0)
        self.total = RequestUsage(0, 0)

    def record(self, usage: RequestUsage) -> None:
        self.current = usage
        self.total = RequestUsage(
            self.total.prompt_tokens + usage.prompt_tokens,
            self.total.completion_tokens + usage.completion_tokens,
        )

    def reset(self) -> None:
        self.current = RequestUsage(0, 0)
        self.total = RequestUsage(0, 0)


def text_result(text: str, prompt_tokens: int, cached: bool = False) -> CreateResult:
    return CreateResult(
        finish_reason="stop",
        content=text,
        usage=RequestUsage(prompt_tokens, len(text.split())),
        cached=cached,
    )
