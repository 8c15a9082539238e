"""AssistantAgent and RoundRobinGroupChat on real SDK clients, over HTTP, for each provider."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from provider_kits import ProviderKit
from provider_server import ProviderServer
from pydantic import BaseModel

from flowgen.agents import AssistantAgent
from flowgen.conditions import MaxMessageTermination, TextMentionTermination
from flowgen.messages import (
    ModelClientStreamingChunkEvent,
    StructuredMessage,
    TextMessage,
    ToolCallExecutionEvent,
    ToolCallRequestEvent,
    ToolCallSummaryMessage,
)
from flowgen.models import ChatCompletionClient
from flowgen.teams import RoundRobinGroupChat


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


@pytest.fixture
async def client(kit: ProviderKit, server: ProviderServer) -> AsyncIterator[ChatCompletionClient]:
    model_client = kit.make_client(server)
    yield model_client
    await model_client.close()


async def test_assistant_agent_runs_a_tool_loop(
    kit: ProviderKit, server: ProviderServer, client: ChatCompletionClient
) -> None:
    server.script(
        kit.calls(
            [("call_1", "get_weather", '{"city": "Paris"}'), ("call_2", "get_weather", '{"city": "Rome"}')]
        ),
        kit.text("Sunny in both Paris and Rome."),
    )
    agent = AssistantAgent("assistant", client, tools=[get_weather], reflect_on_tool_use=True)
    result = await agent.run(task="Weather in Paris and Rome?")
    kinds = [type(m) for m in result.messages]
    assert kinds == [TextMessage, ToolCallRequestEvent, ToolCallExecutionEvent, TextMessage]
    execution = result.messages[2]
    assert isinstance(execution, ToolCallExecutionEvent)
    assert [r.content for r in execution.content] == ["sunny in Paris", "sunny in Rome"]
    assert result.messages[-1].to_text() == "Sunny in both Paris and Rome."
    # The second request carried both results back to the model, in its provider's format.
    assert kit.tool_results(server.requests[1].body) == [
        ("call_1", "sunny in Paris"),
        ("call_2", "sunny in Rome"),
    ]


async def test_malformed_tool_arguments_become_an_error_the_model_sees(
    kit: ProviderKit, server: ProviderServer, client: ChatCompletionClient
) -> None:
    server.script(
        kit.streamed_calls([("call_1", "get_weather", '{"city": "Par')]),
        kit.streamed_text("Sorry, let me try again later."),
    )
    agent = AssistantAgent(
        "assistant", client, tools=[get_weather], reflect_on_tool_use=True, model_client_stream=True
    )
    result = await agent.run(task="Weather in Paris?")
    execution = next(m for m in result.messages if isinstance(m, ToolCallExecutionEvent))
    [outcome] = execution.content
    assert outcome.is_error
    [(call_id, sent_back)] = kit.tool_results(server.requests[1].body)
    assert call_id == "call_1"
    assert sent_back == outcome.content
    assert result.messages[-1].to_text() == "Sorry, let me try again later."


async def test_a_streaming_agent_passes_text_chunks_through(
    kit: ProviderKit, server: ProviderServer, client: ChatCompletionClient
) -> None:
    server.script(kit.streamed_text("Paris is the capital."))
    agent = AssistantAgent("assistant", client, model_client_stream=True)
    events = [event async for event in agent.run_stream(task="Capital of France?")]
    chunks = [e.content for e in events if isinstance(e, ModelClientStreamingChunkEvent)]
    assert chunks
    assert "".join(chunks) == "Paris is the capital."


async def test_tool_results_without_reflection_become_a_summary(
    kit: ProviderKit, server: ProviderServer, client: ChatCompletionClient
) -> None:
    server.script(kit.calls([("call_1", "get_weather", '{"city": "Oslo"}')]))
    agent = AssistantAgent("assistant", client, tools=[get_weather])
    result = await agent.run(task="Weather in Oslo?")
    assert isinstance(result.messages[-1], ToolCallSummaryMessage)
    assert result.messages[-1].to_text() == "sunny in Oslo"


async def test_round_robin_group_chat_takes_turns_over_http(
    kit: ProviderKit, server: ProviderServer, client: ChatCompletionClient
) -> None:
    server.script(kit.text("Draft: the sky is blue."), kit.text("Looks right. APPROVE"))
    writer = AssistantAgent("writer", client, system_message="Write one sentence.")
    critic = AssistantAgent("critic", client, system_message="Review it; say APPROVE when done.")
    team = RoundRobinGroupChat(
        [writer, critic], termination_condition=TextMentionTermination("APPROVE") | MaxMessageTermination(6)
    )
    result = await team.run(task="Describe the sky.")
    assert [(m.source, m.to_text()) for m in result.messages] == [
        ("user", "Describe the sky."),
        ("writer", "Draft: the sky is blue."),
        ("critic", "Looks right. APPROVE"),
    ]
    assert result.stop_reason is not None and "APPROVE" in result.stop_reason
    assert len(server.requests) == 2
    # The critic's request shows the writer's turn as another speaker's message.
    assert "Draft: the sky is blue." in str(server.requests[1].body["messages"])


class Forecast(BaseModel):
    city: str
    sunny: bool


async def test_structured_output_reaches_the_agent_as_a_structured_message(
    kit: ProviderKit, server: ProviderServer, client: ChatCompletionClient
) -> None:
    server.script(kit.text('{"city": "Paris", "sunny": true}'))
    agent = AssistantAgent("assistant", client, output_content_type=Forecast)
    result = await agent.run(task="Forecast for Paris?")
    final = result.messages[-1]
    assert isinstance(final, StructuredMessage)
    assert final.content == Forecast(city="Paris", sunny=True)
    assert "Forecast" in json.dumps(server.requests[0].body)  # the schema went out with the request
