"""ReplayChatCompletionClient: a model that answers from a fixed script, for tests and offline demos."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any

from flowgen.core import CancellationToken
from flowgen.errors import ReplayExhaustedError, UnusedRepliesError
from flowgen.models.client import ChatCompletionClient, JsonOutput, ToolChoice, Tools, validate_model_info
from flowgen.models.scripted import DEFAULT_INFO, PromptCounter, UsageMeter, count_words, stream_words
from flowgen.models.types import CreateResult, LLMMessage, ModelInfo, RequestUsage


class ReplayChatCompletionClient(ChatCompletionClient):
    """Replies with ``chat_completions`` in order: strings become text replies, CreateResults are returned as is.

    Each call is recorded in ``create_calls`` (pass ``record_calls=False`` to keep none, for long runs
    whose prompts would otherwise all stay in memory). Asking past the end raises ReplayExhaustedError
    (a ValueError); :meth:`assert_complete` fails when replies were left unused.

    Example:
        >>> import asyncio
        >>> from flowgen.models import UserMessage
        >>> client = ReplayChatCompletionClient(["Hello there"])
        >>> result = asyncio.run(client.create([UserMessage(content="hi", source="user")]))
        >>> result.content
        'Hello there'
        >>> client.assert_complete()
    """

    def __init__(
        self,
        chat_completions: Sequence[str | CreateResult],
        model_info: ModelInfo | None = None,
        *,
        record_calls: bool = True,
    ) -> None:
        self.chat_completions = list(chat_completions)
        self.provided_message_count = len(self.chat_completions)
        if model_info is not None:
            validate_model_info(model_info)
        self._model_info: ModelInfo = model_info if model_info is not None else DEFAULT_INFO
        self._total_available_tokens = 10000
        self._usage = UsageMeter()
        self._current_index = 0
        self._cached_bool_value = True
        self._create_calls: list[dict[str, Any]] = []
        self._record_calls = record_calls
        self._prompt = PromptCounter()

    @property
    def create_calls(self) -> list[dict[str, Any]]:
        """Every call's arguments, in order: messages, tools, tool_choice, json_output, ..."""
        return self._create_calls

    def _next(self, messages: Sequence[LLMMessage]) -> str | CreateResult:
        if self._current_index >= len(self.chat_completions):
            raise ReplayExhaustedError(
                f"No more mock responses available: the script held {len(self.chat_completions)} "
                f"replies and all were used; add replies to the ReplayChatCompletionClient or "
                "lower max_turns / the termination condition"
            )
        return self.chat_completions[self._current_index]

    def _record_call(self, messages: Sequence[LLMMessage], **kwargs: Any) -> None:
        if self._record_calls:
            self._create_calls.append({"messages": list(messages), **kwargs})

    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Tools = (),
        tool_choice: ToolChoice = "auto",
        json_output: JsonOutput = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        response = self._next(messages)
        prompt_tokens = self._prompt.count(messages)
        if isinstance(response, str):
            usage = RequestUsage(prompt_tokens, count_words(response))
            response = CreateResult(
                finish_reason="stop", content=response, usage=usage, cached=self._cached_bool_value
            )
        else:
            usage = RequestUsage(prompt_tokens, 0)
        self._usage.record(usage)
        self._current_index += 1
        self._record_call(
            messages,
            tools=tools,
            tool_choice=tool_choice,
            json_output=json_output,
            extra_create_args=extra_create_args,
            cancellation_token=cancellation_token,
        )
        return response

    async def create_stream(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Tools = (),
        tool_choice: ToolChoice = "auto",
        json_output: JsonOutput = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> AsyncGenerator[str | CreateResult, None]:
        response = self._next(messages)
        prompt_tokens = self._prompt.count(messages)
        self._record_call(
            messages,
            tools=tools,
            tool_choice=tool_choice,
            json_output=json_output,
            extra_create_args=extra_create_args,
            cancellation_token=cancellation_token,
        )
        self._current_index += 1
        if isinstance(response, str):
            usage = RequestUsage(prompt_tokens, count_words(response))
            for chunk in stream_words(response):
                yield chunk
            self._usage.record(usage)
            yield CreateResult(
                finish_reason="stop", content=response, usage=usage, cached=self._cached_bool_value
            )
        else:
            self._usage.record(RequestUsage(prompt_tokens, 0))
            yield response

    def actual_usage(self) -> RequestUsage:
        return self._usage.current

    def total_usage(self) -> RequestUsage:
        return self._usage.total

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Tools = ()) -> int:
        return count_words(messages)

    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Tools = ()) -> int:
        used = self._usage.total.prompt_tokens + self._usage.total.completion_tokens
        return max(self._total_available_tokens - used - self.count_tokens(messages), 0)

    def set_cached_bool_value(self, value: bool) -> None:
        self._cached_bool_value = value

    def reset(self) -> None:
        """Start the script again from its first reply, with zero usage."""
        self._usage.reset()
        self._current_index = 0

    @property
    def remaining_replies(self) -> int:
        return len(self.chat_completions) - self._current_index

    def assert_complete(self) -> None:
        """Fail when the script still holds replies that no call used."""
        if self.remaining_replies:
            unused = self.chat_completions[self._current_index :]
            preview = ", ".join(repr(r if isinstance(r, str) else r.content)[:60] for r in unused[:3])
            raise UnusedRepliesError(
                f"{len(unused)} of {len(self.chat_completions)} scripted replies were never used "
                f"(next: {preview}); the run stopped earlier than the script expected"
            )

    @property
    def model_info(self) -> ModelInfo:
        return self._model_info
