"""One interface over both providers' wire formats, so agent and team tests run against each."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import anthropic
import anthropic_wire
import openai
import openai_wire
from provider_server import ProviderServer, Step

from flowgen.models import ChatCompletionClient
from flowgen.models.anthropic import AnthropicChatCompletionClient
from flowgen.models.openai import OpenAIChatCompletionClient
from flowgen.models.retry import RetryPolicy

#: Retries in tests wait a millisecond, not half a second.
FAST_RETRIES = RetryPolicy(max_retries=2, initial_delay=0.001, max_delay=0.002, jitter=0.0)


def openai_client_for(server: ProviderServer, **options: Any) -> OpenAIChatCompletionClient:
    """An OpenAI client talking to ``server`` with fast retries; ``options`` add or override settings."""
    settings: dict[str, Any] = {
        "api_key": "test",
        "base_url": f"{server.base_url}/v1",
        "retry_policy": FAST_RETRIES,
    }
    return OpenAIChatCompletionClient("gpt-4o-mini", **{**settings, **options})


def anthropic_client_for(server: ProviderServer, **options: Any) -> AnthropicChatCompletionClient:
    """An Anthropic client talking to ``server`` with fast retries; ``options`` add or override settings."""
    settings: dict[str, Any] = {"api_key": "test", "base_url": server.base_url, "retry_policy": FAST_RETRIES}
    return AnthropicChatCompletionClient("claude-sonnet-4-6", **{**settings, **options})


#: (call id, tool name, raw JSON arguments)
Call = tuple[str, str, str]


@dataclass(frozen=True)
class ProviderKit:
    name: str
    make_client: Callable[..., ChatCompletionClient]
    """Called with the server and any client options to add or override."""
    timeout_error: type[Exception]
    """The SDK's exception for a request that outlived its timeout."""
    text: Callable[[str], Step]
    streamed_text: Callable[[str], Step]
    calls: Callable[[Sequence[Call]], Step]
    streamed_calls: Callable[[Sequence[Call]], Step]
    tool_results: Callable[[dict[str, Any]], list[tuple[str, str]]]
    """(call id, content) of every tool result in a request body."""


def _openai_results(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(m["tool_call_id"], m["content"]) for m in body["messages"] if m["role"] == "tool"]


def _anthropic_results(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (block["tool_use_id"], block["content"])
        for turn in body["messages"]
        for block in turn["content"]
        if block["type"] == "tool_result"
    ]


def _anthropic_input(raw: str) -> dict[str, Any] | str:
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError:
        return raw
    return parsed if isinstance(parsed, dict) else raw


OPENAI = ProviderKit(
    name="openai",
    make_client=openai_client_for,
    timeout_error=openai.APITimeoutError,
    text=lambda text: openai_wire.completion(text),
    streamed_text=lambda text: openai_wire.stream(re.findall(r"\S+\s*", text)),
    calls=lambda calls: openai_wire.completion(tool_calls=[openai_wire.tool_call(*c) for c in calls]),
    streamed_calls=lambda calls: openai_wire.stream(tool_calls=[openai_wire.tool_call(*c) for c in calls]),
    tool_results=_openai_results,
)

ANTHROPIC = ProviderKit(
    name="anthropic",
    make_client=anthropic_client_for,
    timeout_error=anthropic.APITimeoutError,
    text=lambda text: anthropic_wire.message(anthropic_wire.text(text)),
    streamed_text=lambda text: anthropic_wire.stream(anthropic_wire.text(text)),
    calls=lambda calls: anthropic_wire.message(
        *[anthropic_wire.tool_use(i, n, _anthropic_input(a)) for i, n, a in calls]
    ),
    streamed_calls=lambda calls: anthropic_wire.stream(
        *[anthropic_wire.tool_use(i, n, _anthropic_input(a)) for i, n, a in calls]
    ),
    tool_results=_anthropic_results,
)

KITS = [OPENAI, ANTHROPIC]
