"""OpenAIChatCompletionClient: OpenAI's Chat Completions API (and any compatible server) over the official SDK."""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from contextlib import aclosing
from functools import partial
from typing import Any, cast

import openai
from openai.types.chat import ChatCompletion, ChatCompletionChunk, ChatCompletionMessageParam

from flowgen.core import CancellationToken
from flowgen.errors import ConfigurationError
from flowgen.models.client import ChatCompletionClient, JsonOutput, ToolChoice, Tools
from flowgen.models.features import check_features
from flowgen.models.http_client import HttpClient
from flowgen.models.http_failure import not_a_reply
from flowgen.models.openai import errors
from flowgen.models.openai.model_info import context_window, resolve_model_info
from flowgen.models.openai.request import Json, build_body
from flowgen.models.openai.response import StreamAccumulator, from_completion
from flowgen.models.request_limits import RequestLimiter, RequestLimits, limiter_for
from flowgen.models.retry import RetryPolicy
from flowgen.models.scripted import UsageMeter
from flowgen.models.sdk_call import SdkCalls, resolve_policy
from flowgen.models.sdk_options import SplitOptions, constructor_keywords, split_options
from flowgen.models.token_estimate import estimate_tokens
from flowgen.models.token_scope import TokenScope
from flowgen.models.types import CreateResult, LLMMessage, ModelFamily, ModelInfo, RequestUsage
from flowgen.telemetry import hooks


class BaseOpenAIChatCompletionClient(ChatCompletionClient):
    """What OpenAI and Azure OpenAI share: building requests, reading replies, retries, usage."""

    _provider = "openai"  # the GenAI conventions' gen_ai.provider.name

    def __init__(
        self,
        sdk: openai.AsyncOpenAI,
        *,
        model: str,
        model_info: ModelInfo | None,
        create_args: Mapping[str, Any],
        add_name_prefixes: bool,
        include_name_in_message: bool,
        retry_policy: RetryPolicy,
        limits: RequestLimits | RequestLimiter | None = None,
    ) -> None:
        self._sdk = sdk
        self._model = model
        self._model_info = resolve_model_info(model, model_info)
        self._create_args = {k: v for k, v in create_args.items() if v is not None}
        if self._create_args.get("n", 1) != 1:
            raise ConfigurationError("n must be 1: flowgen reads exactly one choice per call")
        self._add_name_prefixes = add_name_prefixes
        self._include_name = include_name_in_message
        self._calls = SdkCalls("OpenAI", errors.classify, retry_policy, limiter_for(limits))
        self._usage = UsageMeter()
        # The SDK's close() closes its HTTP client; one passed in is shared and belongs to the caller.
        self._owns_transport = True
        if sdk.api_key != "not-needed":  # the placeholder sent to local servers
            hooks.add_secret(sdk.api_key)

    def _telemetry_request(self) -> tuple[str, str | None, Mapping[str, Any]]:
        return self._provider, self._model, self._create_args

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
            include_name=self._include_name,
            add_name_prefixes=self._add_name_prefixes,
        )

    @property
    def _parse_think(self) -> bool:
        return self._model_info["family"] == ModelFamily.R1

    # The body is plain JSON built by request.py; everything but the required fields rides in
    # extra_body, so each field reaches the server exactly as built, whichever typed parameters this
    # SDK version happens to know. Two methods because the SDK types the two reply shapes apart.
    async def _send(self, body: Json) -> ChatCompletion:
        rest = {k: v for k, v in body.items() if k not in ("messages", "model")}
        return await self._sdk.chat.completions.create(
            messages=cast("list[ChatCompletionMessageParam]", body["messages"]),
            model=body["model"],
            stream=False,
            extra_body=rest,
            extra_headers=_trace_headers(),
        )

    async def _open_stream(self, body: Json) -> openai.AsyncStream[ChatCompletionChunk]:
        rest = {k: v for k, v in body.items() if k not in ("messages", "model")}
        return await self._sdk.chat.completions.create(
            messages=cast("list[ChatCompletionMessageParam]", body["messages"]),
            model=body["model"],
            stream=True,
            extra_body=rest,
            extra_headers=_trace_headers(),
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
            result = await self._calls.request(lambda: self._complete(body), scope)
            ticket.used(result.usage.prompt_tokens + result.usage.completion_tokens)
        self._usage.record(result.usage)
        return result

    async def _complete(self, body: Json) -> CreateResult:
        # Reading the reply is part of the attempt, so a body that fails its checks is retried.
        completion: object = await self._send(body)
        if not isinstance(completion, ChatCompletion):
            raise not_a_reply("OpenAI", "a chat completion", completion)
        if hooks.observer is not None:
            hooks.observer.model_response(completion.id, completion.model)
        try:
            if not completion.choices:
                raise errors.empty_reply(completion.model)
            return from_completion(completion, parse_think=self._parse_think)
        except (AttributeError, KeyError, TypeError, IndexError, ValueError) as exc:
            raise not_a_reply("OpenAI", "a chat completion", completion.model_dump()) from exc

    async def create_stream(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Tools = (),
        tool_choice: ToolChoice = "auto",
        json_output: JsonOutput = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
        include_usage: bool | None = None,
    ) -> AsyncGenerator[str | CreateResult, None]:
        """Yield text as it arrives, then the CreateResult (usage included unless ``include_usage=False``)."""
        body = self._body(messages, tools, tool_choice, json_output, extra_create_args)
        configured = extra_create_args.get("stream_options") or self._create_args.get("stream_options")
        options = dict(configured or {"include_usage": True})
        if include_usage is not None:
            options["include_usage"] = include_usage
        body["stream_options"] = options
        scope = TokenScope(cancellation_token)
        chunks: StreamAccumulator | None = None
        new_reader = partial(StreamAccumulator, parse_think=self._parse_think)
        # The request slot is held until the stream ends: an open stream is a request in flight.
        async with self._calls.admit(self._planned_tokens(messages, tools, body), scope) as ticket:
            opened = self._calls.stream(lambda: self._open_stream(body), scope, new_reader)
            async with aclosing(opened) as items:
                async for item in items:
                    if isinstance(item, str):
                        yield item
                    else:
                        chunks = item
            assert chunks is not None  # the stream ends with its reader or raises
            result = chunks.result()
            ticket.used(result.usage.prompt_tokens + result.usage.completion_tokens)
        self._usage.record(result.usage)
        if hooks.observer is not None:
            hooks.observer.model_response(chunks.response_id, chunks.response_model)
        yield result

    def _planned_tokens(self, messages: Sequence[LLMMessage], tools: Tools, body: Json) -> int:
        """What a request may cost against a tokens-per-minute budget, before the reply says."""
        if not self._calls.limited:
            return 0
        reply = body.get("max_completion_tokens") or body.get("max_tokens") or 0
        return self.count_tokens(messages, tools=tools) + int(reply)

    async def close(self) -> None:
        if self._owns_transport:
            await self._sdk.close()

    def actual_usage(self) -> RequestUsage:
        return self._usage.current

    def total_usage(self) -> RequestUsage:
        return self._usage.total

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Tools = ()) -> int:
        """An estimate (about four characters a token); flowgen ships no tokenizer."""
        return estimate_tokens(messages, tools=tools)

    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Tools = ()) -> int:
        return max(context_window(self._model) - self.count_tokens(messages, tools=tools), 0)

    def cache_identity(self) -> dict[str, Any]:
        """What a reply cache must key on besides the request: the model and the fixed create args."""
        return {"provider": "openai", "model": self._model, "create_args": self._create_args}

    @property
    def model_info(self) -> ModelInfo:
        return self._model_info


def _trace_headers() -> dict[str, str] | None:
    """The current span's W3C trace context for the request, when telemetry is on (else none)."""
    return hooks.observer.http_headers() if hooks.observer is not None else None


class OpenAIChatCompletionClient(BaseOpenAIChatCompletionClient):
    """A model served by OpenAI, or by any server speaking its Chat Completions API via ``base_url``.

    Known OpenAI models (``gpt-4o``, ``gpt-4.1``, ``o3`` ...) need only ``model``; any other model
    (Ollama, vLLM, llama.cpp's server) needs ``model_info``. The key comes from ``api_key`` or
    ``OPENAI_API_KEY``; with ``base_url`` set and no key, a placeholder is sent (local servers ignore
    it). Retries follow ``retry_policy`` (``max_retries`` overrides its count); the SDK's own retries
    are off so that failures always surface as ``ModelClientError``.

    Example:
        >>> client = OpenAIChatCompletionClient(model="gpt-4o-mini", api_key="sk-test", temperature=0.0)
        >>> client.model_info["family"], client.model_info["function_calling"]
        ('gpt-4o', True)
        >>> try:
        ...     OpenAIChatCompletionClient(model="llama3.2", base_url="http://localhost:11434/v1")
        ... except ConfigurationError as error:
        ...     print(str(error)[:33])
        model_info is required when the m
    """

    def __init__(
        self,
        model: str,
        *,
        api_key: str | None = None,
        organization: str | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        model_info: ModelInfo | None = None,
        add_name_prefixes: bool = False,
        include_name_in_message: bool = True,
        default_headers: Mapping[str, str] | None = None,
        retry_policy: RetryPolicy | None = None,
        frequency_penalty: float | None = None,
        logit_bias: Mapping[str, int] | None = None,
        max_tokens: int | None = None,
        max_completion_tokens: int | None = None,
        n: int | None = None,
        presence_penalty: float | None = None,
        response_format: Mapping[str, Any] | None = None,
        seed: int | None = None,
        stop: str | list[str] | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        user: str | None = None,
        stream_options: Mapping[str, bool] | None = None,
        parallel_tool_calls: bool | None = None,
        reasoning_effort: str | None = None,
        http_client: HttpClient | None = None,
        limits: RequestLimits | RequestLimiter | None = None,
        **options: Any,
    ) -> None:
        extra = openai_options("OpenAIChatCompletionClient", openai.AsyncOpenAI, options)
        key = api_key or os.environ.get("OPENAI_API_KEY")
        if not key:
            if base_url is None:
                raise ConfigurationError(
                    "no OpenAI API key: set the OPENAI_API_KEY environment variable or pass api_key=; "
                    "for a local OpenAI-compatible server pass base_url="
                )
            key = "not-needed"
        sdk = openai.AsyncOpenAI(
            api_key=key,
            organization=organization,
            base_url=base_url,
            timeout=timeout if timeout is not None else openai.NOT_GIVEN,
            max_retries=0,
            default_headers=default_headers,
            http_client=cast("Any", http_client),
            **extra.sdk,
        )
        create_args = {
            "frequency_penalty": frequency_penalty,
            "logit_bias": logit_bias,
            "max_tokens": max_tokens,
            "max_completion_tokens": max_completion_tokens,
            "n": n,
            "presence_penalty": presence_penalty,
            "response_format": response_format,
            "seed": seed,
            "stop": stop,
            "temperature": temperature,
            "top_p": top_p,
            "user": user,
            "stream_options": stream_options,
            "parallel_tool_calls": parallel_tool_calls,
            "reasoning_effort": reasoning_effort,
            **extra.create,
        }
        super().__init__(
            sdk,
            model=model,
            model_info=model_info,
            create_args=create_args,
            add_name_prefixes=add_name_prefixes,
            include_name_in_message=include_name_in_message,
            retry_policy=resolve_policy(retry_policy, max_retries),
            limits=limits,
        )
        self._owns_transport = http_client is None


#: Request fields the client builds itself for every call.
_RESERVED = frozenset({"messages", "model", "tools", "tool_choice", "functions", "function_call", "stream"})


def openai_options(client: str, sdk_class: Callable[..., object], options: Mapping[str, Any]) -> SplitOptions:
    """Sort a client's extra keywords into SDK-constructor and create-request ones (as AutoGen does)."""
    from openai.types.chat.completion_create_params import CompletionCreateParamsBase

    return split_options(
        client,
        options,
        # Retries are flowgen's (see RetryPolicy); the SDK's own stay off.
        sdk_keywords=constructor_keywords(sdk_class) - {"max_retries"},
        create_keywords=frozenset(CompletionCreateParamsBase.__annotations__),
        reserved=_RESERVED,
    )
