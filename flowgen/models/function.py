"""FunctionChatCompletionClient: a model whose replies a Python function computes from what it is sent."""

from __future__ import annotations

import inspect
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flowgen.core import CancellationToken
from flowgen.models.client import ChatCompletionClient, JsonOutput, ToolChoice, Tools, validate_model_info
from flowgen.models.scripted import PromptCounter, UsageMeter, count_words, stream_words
from flowgen.models.types import (
    CreateResult,
    LLMMessage,
    ModelFamily,
    ModelInfo,
    RequestUsage,
    ToolSchema,
    tool_schema,
)

FULL_INFO = ModelInfo(
    vision=True,
    function_calling=True,
    json_output=True,
    family=ModelFamily.UNKNOWN,
    structured_output=True,
)


@dataclass(frozen=True)
class CallInfo:
    """What the agent offered the model on this call, and how many calls came before it."""

    tools: list[ToolSchema] = field(default_factory=list)
    tool_choice: str = "auto"
    json_output: JsonOutput = None
    extra_create_args: Mapping[str, Any] = field(default_factory=dict)
    call_index: int = 0

    @property
    def tool_names(self) -> list[str]:
        return [t["name"] for t in self.tools]

    @property
    def output_schema(self) -> dict[str, Any] | None:
        """The JSON schema of the structured output asked for, if any."""
        if isinstance(self.json_output, type):
            return self.json_output.model_json_schema()
        return None


ReplyFn = Callable[[Sequence[LLMMessage], CallInfo], "CreateResult | str | Awaitable[CreateResult | str]"]


class FunctionChatCompletionClient(ChatCompletionClient):
    """Calls ``fn(messages, info)`` for each reply; ``fn`` may be sync or async and return text or a CreateResult.

    Example:
        >>> import asyncio
        >>> from flowgen.models import UserMessage
        >>> echo = FunctionChatCompletionClient(lambda messages, info: f"you said {messages[-1].content}")
        >>> asyncio.run(echo.create([UserMessage(content="hi", source="user")])).content
        'you said hi'
    """

    def __init__(self, fn: ReplyFn, model_info: ModelInfo | None = None) -> None:
        if model_info is not None:
            validate_model_info(model_info)
        self._fn = fn
        self._model_info: ModelInfo = model_info if model_info is not None else FULL_INFO
        self._usage = UsageMeter()
        self.calls: list[tuple[list[LLMMessage], CallInfo]] = []
        self._prompt = PromptCounter()

    async def _reply(
        self,
        messages: Sequence[LLMMessage],
        tools: Tools,
        tool_choice: ToolChoice,
        json_output: JsonOutput,
        extra_create_args: Mapping[str, Any],
    ) -> CreateResult:
        choice = tool_choice if isinstance(tool_choice, str) else tool_choice.schema["name"]
        info = CallInfo(
            tools=[tool_schema(t) for t in tools],
            tool_choice=choice,
            json_output=json_output,
            extra_create_args=dict(extra_create_args),
            call_index=len(self.calls),
        )
        self.calls.append((list(messages), info))
        reply = self._fn(messages, info)
        if inspect.isawaitable(reply):
            reply = await reply
        prompt_tokens = self._prompt.count(messages)
        if isinstance(reply, str):
            reply = CreateResult(
                finish_reason="stop", content=reply, usage=RequestUsage(prompt_tokens, count_words(reply))
            )
        elif not isinstance(reply, CreateResult):
            raise TypeError(
                f"the reply function returned {type(reply).__name__}; return a str or a CreateResult"
            )
        self._usage.record(reply.usage)
        return reply

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
        return await self._reply(messages, tools, tool_choice, json_output, extra_create_args)

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
        result = await self._reply(messages, tools, tool_choice, json_output, extra_create_args)
        if isinstance(result.content, str):
            for chunk in stream_words(result.content):
                yield chunk
        yield result

    def actual_usage(self) -> RequestUsage:
        return self._usage.current

    def total_usage(self) -> RequestUsage:
        return self._usage.total

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Tools = ()) -> int:
        return count_words(messages)

    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Tools = ()) -> int:
        return max(128_000 - self.count_tokens(messages), 0)

    @property
    def model_info(self) -> ModelInfo:
        return self._model_info
