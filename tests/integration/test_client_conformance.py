"""The real SDK-backed clients pass the public ChatCompletionClient conformance suite over HTTP."""

from __future__ import annotations

import anthropic_wire
import openai_wire
from provider_kits import FAST_RETRIES
from provider_server import ProviderServer

from flowgen.models.anthropic import AnthropicChatCompletionClient
from flowgen.models.openai import OpenAIChatCompletionClient
from flowgen.testing import check_chat_completion_client


async def test_openai_client_conforms(server: ProviderServer) -> None:
    server.script(
        openai_wire.completion("Paris.", usage=(12, 2)),
        openai_wire.stream(["The capital ", "is ", "Paris."], usage=(12, 5)),
        openai_wire.completion("Paris again.", usage=(12, 2)),
    )
    await check_chat_completion_client(
        lambda: OpenAIChatCompletionClient(
            model="gpt-4o-mini", api_key="test", base_url=f"{server.base_url}/v1", retry_policy=FAST_RETRIES
        )
    )


async def test_anthropic_client_conforms(server: ProviderServer) -> None:
    server.script(
        anthropic_wire.message(anthropic_wire.text("Paris."), usage=(12, 2)),
        anthropic_wire.stream(anthropic_wire.text("The capital is Paris."), usage=(12, 5)),
        anthropic_wire.message(anthropic_wire.text("Paris again."), usage=(12, 2)),
    )
    await check_chat_completion_client(
        lambda: AnthropicChatCompletionClient(
            model="claude-sonnet-4-6", api_key="test", base_url=server.base_url, retry_policy=FAST_RETRIES
        )
    )
