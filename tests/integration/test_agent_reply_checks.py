"""An agent's checks on what the model sent back, over HTTP with the real SDKs, for each provider."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from provider_kits import ProviderKit
from provider_server import ProviderServer
from pydantic import BaseModel

from flowgen.agents import AssistantAgent
from flowgen.core import CancellationToken
from flowgen.errors import ModelClientError, StructuredOutputError
from flowgen.messages import StructuredMessage
from flowgen.models import AssistantMessage, ChatCompletionClient, CreateResult, LLMMessage, RequestUsage
from flowgen.models.function import FunctionChatCompletionClient


class CityAnswer(BaseModel):
    city: str
    confident: bool


@pytest.fixture
async def client(kit: ProviderKit, server: ProviderServer) -> AsyncIterator[ChatCompletionClient]:
    model_client = kit.make_client(server)
    yield model_client
    await model_client.close()


def _texts(body: dict[str, Any]) -> list[str]:
    """Every text the request carried, whatever the provider's message format."""
    out: list[str] = []
    for message in body["messages"]:
        content = message["content"]
        if isinstance(content, str):
            out.append(content)
        else:
            out += [block["text"] for block in content if block.get("type") == "text"]
    return out


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
async def test_structured_output_failing_validation_is_retried_with_the_error(
    kit: ProviderKit, server: ProviderServer, client: ChatCompletionClient, stream: bool
) -> None:
    reply = kit.streamed_text if stream else kit.text
    server.script(reply('{"city": "Paris"}'), reply('{"city": "Paris", "confident": true}'))
    agent = AssistantAgent("geo", client, output_content_type=CityAnswer, model_client_stream=stream)
    result = await agent.run(task="Capital of France?")
    final = result.messages[-1]
    assert isinstance(final, StructuredMessage)
    assert final.content == CityAnswer(city="Paris", confident=True)
    retry = _texts(server.requests[1].body)
    assert retry[-2] == '{"city": "Paris"}'  # the invalid reply, shown once to the model ...
    assert "did not match the required CityAnswer JSON schema" in retry[-1]
    assert "confident" in retry[-1]  # ... with what was wrong with it
    history = await agent.model_context.get_messages()
    assert [m.content for m in history if isinstance(m, AssistantMessage)] == [
        '{"city": "Paris", "confident": true}'
    ]  # ... and kept in neither the context nor the next request
    assert len(history) == 2


async def test_structured_output_failing_every_retry_names_the_agent_and_schema(
    kit: ProviderKit, server: ProviderServer, client: ChatCompletionClient
) -> None:
    server.script(kit.text("not json"), kit.text('{"city": 3}'), kit.text('{"city": "Paris"}'))
    agent = AssistantAgent("geo", client, output_content_type=CityAnswer)
    with pytest.raises(StructuredOutputError, match=r"agent 'geo'.*output_content_type CityAnswer") as caught:
        await agent.run(task="Capital of France?")
    assert isinstance(caught.value, ValueError)  # as the raw validation error was
    assert "confident" in str(caught.value)
    assert not [m for m in await agent.model_context.get_messages() if isinstance(m, AssistantMessage)]
    assert len(server.requests) == 3


class _NoContentClient(FunctionChatCompletionClient):
    """A custom client that hands back a reply built without validation, holding content=None."""

    async def create(self, messages: Sequence[LLMMessage], **kwargs: Any) -> CreateResult:
        return CreateResult.model_construct(
            finish_reason="stop", content=None, usage=RequestUsage(0, 0), cached=False, thought=None
        )


class _ValidatingNoneClient(FunctionChatCompletionClient):
    """A custom client that builds CreateResult(content=None) the ordinary way."""

    async def create(self, messages: Sequence[LLMMessage], **kwargs: Any) -> CreateResult:
        return CreateResult(finish_reason="stop", content=json.loads("null"), usage=RequestUsage(0, 0))


@pytest.mark.parametrize("client_type", [_NoContentClient, _ValidatingNoneClient])
async def test_a_custom_client_returning_no_content_is_named(
    client_type: type[FunctionChatCompletionClient],
) -> None:
    agent = AssistantAgent("writer", client_type(lambda messages, info: "unused"))
    with pytest.raises(ModelClientError, match="the model returned no content") as caught:
        await agent.on_messages([], CancellationToken())
    assert client_type.__name__ in str(caught.value)
    assert "'writer'" in str(caught.value)
