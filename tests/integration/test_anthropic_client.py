"""AnthropicChatCompletionClient over real HTTP: the real anthropic SDK against the local scripted server."""

from __future__ import annotations

import asyncio
import logging

import anthropic
import anthropic_wire as wire
import pytest
from client_inputs import ASK, WEATHER, CityAnswer, collect
from provider_kits import anthropic_client_for
from provider_server import Event, ProviderServer, Stream

from flowgen.core import CancellationToken, FunctionCall
from flowgen.errors import ModelClientError
from flowgen.models import (
    AssistantMessage,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    RequestUsage,
    SystemMessage,
    UserMessage,
)
from flowgen.models.anthropic import AnthropicChatCompletionClient
from flowgen.models.anthropic.request import JSON_INSTRUCTION


async def test_create_returns_the_text_and_the_usage(
    server: ProviderServer, anthropic_client: AnthropicChatCompletionClient
) -> None:
    server.script(wire.message(wire.text("Paris."), usage=(25, 4)))
    result = await anthropic_client.create(ASK)
    assert (result.content, result.finish_reason) == ("Paris.", "stop")
    assert result.usage == RequestUsage(25, 4)
    assert anthropic_client.total_usage() == RequestUsage(25, 4)


async def test_system_messages_are_collapsed_into_the_system_parameter(
    server: ProviderServer, anthropic_client: AnthropicChatCompletionClient
) -> None:
    server.script(wire.message(wire.text("Paris.")))
    await anthropic_client.create([*ASK, SystemMessage(content="Use one word.")])
    request = server.requests[0]
    assert request.path == "/v1/messages"
    assert request.headers["authorization"] == "Bearer test"
    assert "anthropic-version" in request.headers
    assert request.body["model"] == "claude-sonnet-4-6"
    assert request.body["max_tokens"] == 4096
    assert request.body["system"] == "Answer briefly.\n\nUse one word."
    assert request.body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Capital of France?"}]}
    ]


async def test_constructor_arguments_go_with_every_request(server: ProviderServer) -> None:
    client = anthropic_client_for(server, temperature=0.2, max_tokens=300, stop_sequences=["END"])
    server.script(wire.message(wire.text("ok")))
    await client.create(ASK)
    body = server.requests[0].body
    assert (body["temperature"], body["max_tokens"], body["stop_sequences"]) == (0.2, 300, ["END"])
    await client.close()


async def test_stream_yields_text_chunks_then_the_result_with_usage(
    server: ProviderServer, anthropic_client: AnthropicChatCompletionClient
) -> None:
    server.script(
        wire.stream(
            wire.text("The capital is Paris."), text_pieces=["The capital ", "is ", "Paris."], usage=(19, 6)
        )
    )
    chunks, result = await collect(anthropic_client.create_stream(ASK))
    assert chunks == ["The capital ", "is ", "Paris."]
    assert result.content == "The capital is Paris."
    assert (result.finish_reason, result.usage) == ("stop", RequestUsage(19, 6))
    assert server.requests[0].body["stream"] is True


async def test_a_tool_use_becomes_a_function_call_result(
    server: ProviderServer, anthropic_client: AnthropicChatCompletionClient
) -> None:
    server.script(wire.message(wire.tool_use("toolu_1", "get_weather", {"city": "Paris"})))
    result = await anthropic_client.create(ASK, tools=[WEATHER])
    assert result.finish_reason == "function_calls"
    assert result.content == [FunctionCall(id="toolu_1", name="get_weather", arguments='{"city": "Paris"}')]
    assert server.requests[0].body["tools"] == [
        {"name": "get_weather", "description": "Weather for a city", "input_schema": WEATHER["parameters"]}
    ]


async def test_several_tool_uses_with_text_keep_order_and_text_becomes_the_thought(
    server: ProviderServer, anthropic_client: AnthropicChatCompletionClient
) -> None:
    server.script(
        wire.message(
            wire.text("Checking both."),
            wire.tool_use("toolu_1", "get_weather", {"city": "Paris"}),
            wire.tool_use("toolu_2", "get_weather", {"city": "Rome"}),
        )
    )
    result = await anthropic_client.create(ASK, tools=[WEATHER])
    assert isinstance(result.content, list)
    assert [(c.id, c.arguments) for c in result.content] == [
        ("toolu_1", '{"city": "Paris"}'),
        ("toolu_2", '{"city": "Rome"}'),
    ]
    assert result.thought == "Checking both."


async def test_tool_choice_and_parallel_setting_map_to_anthropic_tool_choice(server: ProviderServer) -> None:
    client = anthropic_client_for(server, parallel_tool_calls=False)
    server.script(wire.message(wire.tool_use("toolu_1", "get_weather", {"city": "Paris"})))
    await client.create(ASK, tools=[WEATHER], tool_choice="required")
    assert server.requests[0].body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    assert "parallel_tool_calls" not in server.requests[0].body
    await client.close()


async def test_streamed_tool_uses_are_assembled_from_input_json_deltas(
    server: ProviderServer, anthropic_client: AnthropicChatCompletionClient
) -> None:
    server.script(
        wire.stream(
            wire.tool_use("toolu_1", "get_weather", {"city": "Paris"}),
            wire.tool_use("toolu_2", "get_weather", {"city": "Rome"}),
        )
    )
    chunks, result = await collect(anthropic_client.create_stream(ASK, tools=[WEATHER]))
    assert chunks == []
    assert result.finish_reason == "function_calls"
    assert result.content == [
        FunctionCall(id="toolu_1", name="get_weather", arguments='{"city": "Paris"}'),
        FunctionCall(id="toolu_2", name="get_weather", arguments='{"city": "Rome"}'),
    ]


async def test_tool_calls_and_results_are_sent_back_as_tool_use_and_tool_result_blocks(
    server: ProviderServer, anthropic_client: AnthropicChatCompletionClient
) -> None:
    history: list[LLMMessage] = [
        *ASK,
        AssistantMessage(
            content=[FunctionCall(id="toolu_1", name="get_weather", arguments='{"city": "Paris"}')],
            thought="Let me check.",
            source="assistant",
        ),
        FunctionExecutionResultMessage(
            content=[
                FunctionExecutionResult(
                    content="sunny", name="get_weather", call_id="toolu_1", is_error=False
                )
            ]
        ),
        UserMessage(content="And tomorrow?", source="user"),
    ]
    server.script(wire.message(wire.text("Also sunny.")))
    await anthropic_client.create(history, tools=[WEATHER])
    messages = server.requests[0].body["messages"]
    assert messages[1] == {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "Let me check."},
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
        ],
    }
    assert messages[2] == {  # the tool result and the next user text share one user turn
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny", "is_error": False},
            {"type": "text", "text": "And tomorrow?"},
        ],
    }


async def test_thinking_blocks_become_the_thought(
    server: ProviderServer, anthropic_client: AnthropicChatCompletionClient
) -> None:
    server.script(wire.message(wire.thinking("France's capital is Paris."), wire.text("Paris.")))
    result = await anthropic_client.create(
        ASK, extra_create_args={"thinking": {"type": "enabled", "budget_tokens": 1024}}
    )
    assert (result.content, result.thought) == ("Paris.", "France's capital is Paris.")
    assert server.requests[0].body["thinking"] == {"type": "enabled", "budget_tokens": 1024}


async def test_streamed_thinking_becomes_the_thought_and_is_not_streamed_as_text(
    server: ProviderServer, anthropic_client: AnthropicChatCompletionClient
) -> None:
    server.script(
        wire.stream(wire.thinking("France's capital is Paris."), wire.text("Paris."), text_pieces=["Paris."])
    )
    chunks, result = await collect(anthropic_client.create_stream(ASK))
    assert chunks == ["Paris."]
    assert (result.content, result.thought) == ("Paris.", "France's capital is Paris.")


async def test_structured_output_uses_the_native_json_schema_format(
    server: ProviderServer, anthropic_client: AnthropicChatCompletionClient
) -> None:
    server.script(wire.message(wire.text('{"city": "Paris", "confident": true}')))
    result = await anthropic_client.create(ASK, json_output=CityAnswer)
    assert CityAnswer.model_validate_json(str(result.content)) == CityAnswer(city="Paris", confident=True)
    output_format = server.requests[0].body["output_config"]["format"]
    assert output_format["type"] == "json_schema"
    assert output_format["schema"]["required"] == ["city", "confident"]
    assert output_format["schema"]["additionalProperties"] is False


async def test_json_mode_is_asked_for_in_the_system_prompt(
    server: ProviderServer, anthropic_client: AnthropicChatCompletionClient
) -> None:
    server.script(wire.message(wire.text('{"answer": "Paris"}')))
    await anthropic_client.create(ASK, json_output=True)
    assert server.requests[0].body["system"] == f"Answer briefly.\n\n{JSON_INSTRUCTION}"


async def test_malformed_streamed_tool_input_passes_through_untouched(
    server: ProviderServer, anthropic_client: AnthropicChatCompletionClient
) -> None:
    server.script(wire.stream(wire.tool_use("toolu_1", "get_weather", '{"city": "Par')))
    _, result = await collect(anthropic_client.create_stream(ASK, tools=[WEATHER]))
    assert result.content == [FunctionCall(id="toolu_1", name="get_weather", arguments='{"city": "Par')]


async def test_max_tokens_stop_reason_maps_to_length(
    server: ProviderServer, anthropic_client: AnthropicChatCompletionClient
) -> None:
    server.script(wire.message(wire.text("The capital of Fra"), stop_reason="max_tokens"))
    result = await anthropic_client.create(ASK)
    assert result.finish_reason == "length"


async def test_a_429_is_retried_after_the_servers_retry_after(
    server: ProviderServer, anthropic_client: AnthropicChatCompletionClient, caplog: pytest.LogCaptureFixture
) -> None:
    server.script(
        wire.error(429, "slow down", headers={"retry-after": "0.015"}), wire.message(wire.text("Paris."))
    )
    with caplog.at_level(logging.WARNING, logger="flowgen.models.retry"):
        result = await anthropic_client.create(ASK)
    assert result.content == "Paris."
    assert len(server.requests) == 2
    assert "retry 1 of 2 in 0.015s" in caplog.text


async def test_overloaded_past_max_retries_raises_a_retryable_model_client_error(
    server: ProviderServer, anthropic_client: AnthropicChatCompletionClient
) -> None:
    server.script(*[wire.error(529, "Overloaded")] * 3)
    with pytest.raises(ModelClientError) as caught:
        await anthropic_client.create(ASK)
    assert (caught.value.retryable, caught.value.status_code) == (True, 529)
    assert isinstance(caught.value.__cause__, anthropic.APIStatusError)
    assert "Overloaded" in str(caught.value)
    assert len(server.requests) == 3


async def test_a_server_error_past_max_retries_raises_a_model_client_error(
    server: ProviderServer, anthropic_client: AnthropicChatCompletionClient
) -> None:
    server.script(*[wire.error(500, "internal")] * 3)
    with pytest.raises(ModelClientError) as caught:
        await anthropic_client.create(ASK)
    assert (caught.value.retryable, caught.value.status_code, len(server.requests)) == (True, 500, 3)
    assert isinstance(caught.value.__cause__, anthropic.InternalServerError)


async def test_an_invalid_request_is_not_retried(
    server: ProviderServer, anthropic_client: AnthropicChatCompletionClient
) -> None:
    server.script(wire.error(400, "messages: roles must alternate"))
    with pytest.raises(ModelClientError) as caught:
        await anthropic_client.create(ASK)
    assert (caught.value.retryable, len(server.requests)) == (False, 1)
    assert "roles must alternate" in str(caught.value)


async def test_cancelling_mid_stream_closes_the_connection(
    server: ProviderServer, anthropic_client: AnthropicChatCompletionClient
) -> None:
    # message_start, ping, content_block_start, then the first text delta; then the server waits.
    server.script(
        wire.stream(wire.text("one two three"), text_pieces=["one ", "two ", "three"], hold_after=4)
    )
    token = CancellationToken()
    stream = anthropic_client.create_stream(ASK, cancellation_token=token)
    assert await anext(stream) == "one "
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await anext(stream)
    assert await asyncio.to_thread(server.client_left.wait, 5.0)


@pytest.mark.parametrize("streamed", [False, True], ids=["create", "stream"])
async def test_signed_thinking_goes_back_with_the_tool_calling_turn(
    server: ProviderServer, anthropic_client: AnthropicChatCompletionClient, streamed: bool
) -> None:
    blocks = (
        wire.thinking("I need the weather."),
        wire.tool_use("toolu_1", "get_weather", {"city": "Paris"}),
    )
    server.script(
        wire.stream(*blocks) if streamed else wire.message(*blocks), wire.message(wire.text("Sunny."))
    )
    if streamed:
        _, first = await collect(anthropic_client.create_stream(ASK, tools=[WEATHER]))
    else:
        first = await anthropic_client.create(ASK, tools=[WEATHER])
    assert isinstance(first.content, list)
    history: list[LLMMessage] = [
        *ASK,
        AssistantMessage(content=first.content, thought=first.thought, source="assistant"),
        FunctionExecutionResultMessage(
            content=[FunctionExecutionResult(content="sunny", name="get_weather", call_id="toolu_1")]
        ),
    ]
    await anthropic_client.create(history, tools=[WEATHER])
    assistant_turn = server.requests[1].body["messages"][1]
    assert assistant_turn["content"][0] == {
        "type": "thinking",
        "thinking": "I need the weather.",
        "signature": "sig-test",
    }
    assert assistant_turn["content"][1]["type"] == "tool_use"


async def test_an_error_event_inside_a_stream_raises_a_model_client_error(
    server: ProviderServer, anthropic_client: AnthropicChatCompletionClient
) -> None:
    events = list(wire.stream(wire.text("partial"), text_pieces=["partial"]).events[:4])
    events.append(
        Event({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}, "error")
    )
    server.script(Stream(events))
    stream = anthropic_client.create_stream(ASK)
    assert await anext(stream) == "partial"
    with pytest.raises(ModelClientError, match=r"mid-stream \(overloaded_error\): Overloaded") as caught:
        await anext(stream)
    assert caught.value.retryable is True
    assert isinstance(caught.value.__cause__, anthropic.APIStatusError)
