"""AnthropicChatCompletionClient: Claude through Anthropic's Messages API and the official SDK."""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, Mapping, Sequence
from contextlib import aclosing
from typing import Any, cast

import anthropic
from anthropic.types import Message, MessageParam, RawMessageStreamEvent
from anthropic.types.message_create_params import MessageCreateParamsBase

from flowgen.core import CancellationToken
from flowgen.errors import ConfigurationError
from flowgen.models.anthropic import errors
from flowgen.models.anthropic.model_info import CONTEXT_WINDOW, resolve_model_info
from flowgen.models.anthropic.request import Json, build_body
from flowgen.models.anthropic.response import StreamAccumulator, from_message
from flowgen.models.anthropic.thinking import ThinkingMemory
from flowgen.models.client import ChatCompletionClient, JsonOutput, ToolChoice, Tools
from flowgen.models.features import check_features
from flowgen.models.http_client import HttpClient
from flowgen.models.http_failure import not_a_reply
from flowgen.models.request_limits import RequestLimiter, RequestLimits, limiter_for
from flowgen.models.retry import RetryPolicy
from flowgen.models.scripted import UsageMeter
from flowgen.models.sdk_call import SdkCalls, resolve_policy
from flowgen.models.sdk_options import constructor_keywords, split_options
from flowgen.models.token_estimate import estimate_tokens
from flowgen.models.token_scope import TokenScope
from flowgen.models.types import CreateResult, LLMMessage, ModelInfo, RequestUsage
from flowgen.telemetry import hooks

DEFAULT_MAX_TOKENS = 4096

#: Request fields the client builds itself for every call.
_RESERVED = frozenset({"messages", "model", "system", "tools", "tool_choice", "stream"})


class AnthropicChatCompletionClient(ChatCompletionClient):
    """A Claude model over Anthropic's Messages API.

    System messages are joined into the request's ``system`` parameter; tool calls and results map
    to ``tool_use`` / ``tool_result`` blocks; thinking blocks (enable them with
    ``thinking={"type": "enabled", "budget_tokens": N}``) come back as ``CreateResult.thought``, and
    the client keeps their signed originals to send back with the tool-calling turn, as the API
    requires.
    Structured output (``json_output=SomeModel``) uses the API's native JSON-schema output format;
    ``json_output=True`` adds a JSON-only instruction to the system prompt, since Anthropic has no
    JSON mode. The key comes from ``api_key`` or ``ANTHROPIC_API_KEY``.

    Example:
        >>> client = AnthropicChatCompletionClient(model="claude-sonnet-4-5", api_key="sk-test")
        >>> client.model_info["structured_output"], client.model_info["family"]
        (True, 'claude-4-5-sonnet')
    """

    def __init__(
        self,
        model: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        model_info: ModelInfo | None = None,
        default_headers: Mapping[str, str] | None = None,
        retry_policy: RetryPolicy | None = None,
        add_name_prefixes: bool = False,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        stop_sequences: Sequence[str] | None = None,
        metadata: Mapping[str, str] | None = None,
        thinking: Mapping[str, Any] | None = None,
        parallel_tool_calls: bool | None = None,
        http_client: HttpClient | None = None,
        limits: RequestLimits | RequestLimiter | None = None,
        **options: Any,
    ) -> None:
        extra = split_options(
            "AnthropicChatCompletionClient",
            options,
            sdk_keywords=constructor_keywords(anthropic.AsyncAnthropic) - {"max_retries"},
            create_keywords=frozenset(MessageCreateParamsBase.__annotations__),
            reserved=_RESERVED,
        )
        key = api_key or os.environ.get("ANTHROPIC_API_KEY")
        if not key:
            raise ConfigurationError(
                "no Anthropic API key: set the ANTHROPIC_API_KEY environment variable or pass api_key="
            )
        self._sdk = anthropic.AsyncAnthropic(
            api_key=key,
            base_url=base_url,
            timeout=timeout if timeout is not None else anthropic.NOT_GIVEN,
            max_retries=0,
            default_headers=default_headers,
            http_client=cast("Any", http_client),
            **extra.sdk,
        )
        # The SDK's close() closes its HTTP client; one passed in is shared and belongs to the caller.
        self._owns_transport = http_client is None
        self._model = model
        self._model_info = resolve_model_info(model, model_info)
        self._calls = SdkCalls(
            "Anthropic", errors.classify, resolve_policy(retry_policy, max_retries), limiter_for(limits)
        )
        self._add_name_prefixes = add_name_prefixes
        create_args = {
            "max_tokens": max_tokens,
            "temperature": temperature,
            "top_p": top_p,
            "top_k": top_k,
            "stop_sequences": list(stop_sequences) if stop_sequences is not None else None,
            "metadata": dict(metadata) if metadata is not None else None,
            "thinking": dict(thinking) if thinking is not None else None,
            "parallel_tool_calls": parallel_tool_calls,
            **extra.create,
        }
        self._create_args = {k: v for k, v in create_args.items() if v is not None}
        self._usage = UsageMeter()
        self._thinking = ThinkingMemory()
        hooks.add_secret(key)

    def _telemetry_request(self) -> tuple[str, str | None, Mapping[str, Any]]:
        return "anthropic", self._model, self._create_args

    def _body(
        self,
        messages: Sequence[LLMMessage],
        tools: Tools,
        tool_choice: ToolChoice,
        json_output: JsonOutput,
        extra_create_args: Mapping[str, Any],
    ) -> Json:
        check_features(self._model, self._model_info, tools, tool_choice, json_output)
        return build_body(
            model=str(extra_create_args.get("model", self._model)),
            messages=messages,
            tools=tools,
            tool_choice=tool_choice,
            json_output=json_output,
            create_args={**self._create_args, **extra_create_args},
            add_name_prefixes=self._add_name_prefixes,
            thinking=self._thinking,
        )

    # The body is plain JSON built by request.py; everything but the required fields rides in
    # extra_body, so each field reaches the server exactly as built, whichever typed parameters this
    # SDK version happens to know. Two methods because the SDK types the two reply shapes apart.
    async def _send(self, body: Json) -> Message:
        rest = {k: v for k, v in body.items() if k not in ("messages", "model", "max_tokens")}
        return await self._sdk.messages.create(
            max_tokens=int(body["max_tokens"]),
            messages=cast("list[MessageParam]", body["messages"]),
            model=body["model"],
            stream=False,
            extra_body=rest,
            extra_headers=hooks.observer.http_headers() if hooks.observer is not None else None,
        )

    async def _open_stream(self, body: Json) -> anthropic.AsyncStream[RawMessageStreamEvent]:
        rest = {k: v for k, v in body.items() if k not in ("messages", "model", "max_tokens")}
        return await self._sdk.messages.create(
            max_tokens=int(body["max_tokens"]),
            messages=cast("list[MessageParam]", body["messages"]),
            model=body["model"],
            stream=True,
            extra_body=rest,
            extra_headers=hooks.observer.http_headers() if hooks.observer is not None else None,
        )

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
        body = self._body(messages, tools, tool_choice, json_output, extra_create_args)
        scope = TokenScope(cancellation_token)
        async with self._calls.admit(self._planned_tokens(messages, tools, body), scope) as ticket:
            result, prefix = await self._calls.request(lambda: self._complete(body), scope)
            ticket.used(result.usage.prompt_tokens + result.usage.completion_tokens)
        self._finish(result, prefix)
        return result

    async def _complete(self, body: Json) -> tuple[CreateResult, list[Json]]:
        # Reading the reply is part of the attempt, so a body that fails its checks is retried.
        message: object = await self._send(body)
        if not isinstance(message, Message):
            raise not_a_reply("Anthropic", "a message", message)
        if hooks.observer is not None:
            hooks.observer.model_response(message.id, message.model)
        try:
            return from_message(message)
        except (AttributeError, KeyError, TypeError, IndexError, ValueError) as exc:
            raise not_a_reply("Anthropic", "a message", message.model_dump()) from exc

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
        """Yield text as it arrives, then the CreateResult with the usage the stream reported."""
        body = self._body(messages, tools, tool_choice, json_output, extra_create_args)
        scope = TokenScope(cancellation_token)
        events: StreamAccumulator | None = None
        # The request slot is held until the stream ends: an open stream is a request in flight.
        async with self._calls.admit(self._planned_tokens(messages, tools, body), scope) as ticket:
            opened = self._calls.stream(lambda: self._open_stream(body), scope, StreamAccumulator)
            async with aclosing(opened) as items:
                async for item in items:
                    if isinstance(item, str):
                        yield item
                    else:
                        events = item
            assert events is not None  # the stream ends with its reader or raises
            result = events.result()
            ticket.used(result.usage.prompt_tokens + result.usage.completion_tokens)
        self._finish(result, events.prefix())
        if hooks.observer is not None:
            hooks.observer.model_response(events.response_id, events.response_model)
        yield result

    def _finish(self, result: CreateResult, prefix: list[Json]) -> None:
        self._usage.record(result.usage)
        if isinstance(result.content, list):
            self._thinking.remember(result.content, prefix)

    def _planned_tokens(self, messages: Sequence[LLMMessage], tools: Tools, body: Json) -> int:
        """What a request may cost against a tokens-per-minute budget, before the reply says."""
        if not self._calls.limited:
            return 0
        return self.count_tokens(messages, tools=tools) + int(body.get("max_tokens") or 0)

    async def close(self) -> None:
        if self._owns_transport:
            await self._sdk.close()

    def actual_usage(self) -> RequestUsage:
        return self._usage.current

    def total_usage(self) -> RequestUsage:
        return self._usage.total

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Tools = ()) -> int:
        """An estimate (about four characters a token); the exact count needs an API call."""
        return estimate_tokens(messages, tools=tools)

    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Tools = ()) -> int:
        return max(CONTEXT_WINDOW - self.count_tokens(messages, tools=tools), 0)

    def cache_identity(self) -> dict[str, Any]:
        """What a reply cache must key on besides the request: the model and the fixed create args."""
        return {"provider": "anthropic", "model": self._model, "create_args": self._create_args}

    @property
    def model_info(self) -> ModelInfo:
        return self._model_info
