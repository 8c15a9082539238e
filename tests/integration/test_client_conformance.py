"""The real SDK-backed clients pass the public ChatCompletionClient conformance suite over HTTP."""

from __future__ import annotations

import anthropic_wire
import openai_wire
from provider_kits import anthropic_client_for, openai_client_for
from provider_server import ProviderServer

from flowgen.testing import check_chat_completion_client


async def test_openai_client_conforms(server: ProviderServer) -> None:
    server.script(
        openai_wire.completion("Paris.", usage=(12, 2)),
        openai_wire.stream(["The capital ", "is ", "Paris."], usage=(12, 5)),
        openai_wire.completion("Paris again.", usage=(12, 2)),
    )
    await check_chat_completion_client(lambda: openai_client_for(server))


async def test_anthropic_client_conforms(server: ProviderServer) -> None:
    server.script(
        anthropic_wire.message(anthropic_wire.text("Paris."), usage=(12, 2)),
        anthropic_wire.stream(anthropic_wire.text("The capital is Paris."), usage=(12, 5)),
        anthropic_wire.message(anthropic_wire.text("Paris again."), usage=(12, 2)),
    )
    await check_chat_completion_client(lambda: anthropic_client_for(server))
