"""OpenAIChatCompletionClient over real HTTP: the real openai SDK against the local scripted server."""

from __future__ import annotations

import asyncio
import json
import logging

import openai
import openai_wire as wire
import pytest
from client_inputs import ASK, WEATHER, CityAnswer, collect
from provider_kits import FAST_RETRIES, openai_client_for
from provider_server import Event, ProviderServer, Stream

from flowgen.core import CancellationToken, FunctionCall
from flowgen.errors import ModelClientError
from flowgen.models import (
    AssistantMessage,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    RequestUsage,
)
from flowgen.models.openai import AzureOpenAIChatCompletionClient, OpenAIChatCompletionClient


async def test_create_returns_the_text_and_the_usage(
    server: ProviderServer, openai_client: OpenAIChatCompletionClient
) -> None:
    server.script(wire.completion("Paris.", usage=(21, 3)))
    result = await openai_client.create(ASK)
    assert (result.content, result.finish_reason) == ("Paris.", "stop")
    assert result.usage == RequestUsage(21, 3)
    assert openai_client.actual_usage() == RequestUsage(21, 3)


async def test_create_sends_the_conversation_in_the_chat_completions_format(
    server: ProviderServer, openai_client: OpenAIChatCompletionClient
) -> None:
    server.script(wire.completion("Paris."))
    await openai_client.create(ASK)
    request = server.requests[0]
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer test"
    assert request.body["model"] == "gpt-4o-mini"
    assert request.body["messages"] == [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "Capital of France?", "name": "user"},
    ]


async def test_constructor_create_arguments_go_with_every_request(server: ProviderServer) -> None:
    client = openai_client_for(server, temperature=0.25, seed=7, max_tokens=64, stop=["\n\n"])
    server.script(wire.completion("one"), wire.completion("two"))
    await client.create(ASK)
    await client.create(ASK, extra_create_args={"temperature": 0.9})
    first, second = server.bodies()
    assert (first["temperature"], first["seed"], first["max_tokens"], first["stop"]) == (
        0.25,
        7,
        64,
        ["\n\n"],
    )
    assert second["temperature"] == 0.9  # a per-call argument wins over the constructor's
    await client.close()


async def test_total_usage_adds_up_every_call(
    server: ProviderServer, openai_client: OpenAIChatCompletionClient
) -> None:
    server.script(wire.completion("a", usage=(10, 2)), wire.completion("b", usage=(30, 4)))
    await openai_client.create(ASK)
    await openai_client.create(ASK)
    assert openai_client.total_usage() == RequestUsage(40, 6)
    assert openai_client.actual_usage() == RequestUsage(30, 4)


async def test_stream_yields_text_chunks_then_the_result_with_usage(
    server: ProviderServer, openai_client: OpenAIChatCompletionClient
) -> None:
    server.script(wire.stream(["The capital ", "is ", "Paris."], usage=(17, 5)))
    chunks, result = await collect(openai_client.create_stream(ASK))
    assert chunks == ["The capital ", "is ", "Paris."]
    assert result.content == "The capital is Paris."
    assert (result.finish_reason, result.usage) == ("stop", RequestUsage(17, 5))
    assert server.requests[0].body["stream"] is True
    assert server.requests[0].body["stream_options"] == {"include_usage": True}


async def test_stream_without_usage_reports_zero_usage(
    server: ProviderServer, openai_client: OpenAIChatCompletionClient
) -> None:
    server.script(wire.stream(["hi"], usage=None))
    _, result = await collect(openai_client.create_stream(ASK, include_usage=False))
    assert result.usage == RequestUsage(0, 0)
    assert server.requests[0].body["stream_options"] == {"include_usage": False}


async def test_a_tool_call_becomes_a_function_call_result(
    server: ProviderServer, openai_client: OpenAIChatCompletionClient
) -> None:
    server.script(wire.completion(tool_calls=[wire.tool_call("call_1", "get_weather", '{"city": "Paris"}')]))
    result = await openai_client.create(ASK, tools=[WEATHER])
    assert result.finish_reason == "function_calls"
    assert result.content == [FunctionCall(id="call_1", name="get_weather", arguments='{"city": "Paris"}')]
    sent = server.requests[0].body
    assert sent["tools"] == [{"type": "function", "function": WEATHER}]
    assert "tool_choice" not in sent  # "auto" is the API's default


async def test_several_tool_calls_in_one_reply_keep_their_order(
    server: ProviderServer, openai_client: OpenAIChatCompletionClient
) -> None:
    calls = [
        wire.tool_call("call_1", "get_weather", '{"city": "Paris"}'),
        wire.tool_call("call_2", "get_weather", '{"city": "Rome"}'),
    ]
    server.script(wire.completion("Checking both.", tool_calls=calls))
    result = await openai_client.create(ASK, tools=[WEATHER])
    assert isinstance(result.content, list)
    assert [(c.id, c.arguments) for c in result.content] == [
        ("call_1", '{"city": "Paris"}'),
        ("call_2", '{"city": "Rome"}'),
    ]
    assert result.thought == "Checking both."


async def test_parallel_tool_calls_setting_is_sent_only_with_tools(server: ProviderServer) -> None:
    client = openai_client_for(server, parallel_tool_calls=False)
    server.script(wire.completion("no tools"), wire.completion("with tools"))
    await client.create(ASK)
    await client.create(ASK, tools=[WEATHER], tool_choice="required")
    without, with_tools = server.bodies()
    assert "parallel_tool_calls" not in without
    assert with_tools["parallel_tool_calls"] is False
    assert with_tools["tool_choice"] == "required"
    await client.close()


async def test_streamed_tool_calls_are_assembled_from_their_deltas(
    server: ProviderServer, openai_client: OpenAIChatCompletionClient
) -> None:
    calls = [
        wire.tool_call("call_1", "get_weather", '{"city": "Paris"}'),
        wire.tool_call("call_2", "get_weather", '{"city": "Rome"}'),
    ]
    server.script(wire.stream(tool_calls=calls, argument_pieces=4))
    chunks, result = await collect(openai_client.create_stream(ASK, tools=[WEATHER]))
    assert chunks == []
    assert result.finish_reason == "function_calls"
    assert result.content == [
        FunctionCall(id="call_1", name="get_weather", arguments='{"city": "Paris"}'),
        FunctionCall(id="call_2", name="get_weather", arguments='{"city": "Rome"}'),
    ]


async def test_function_calls_and_results_are_sent_back_as_tool_messages(
    server: ProviderServer, openai_client: OpenAIChatCompletionClient
) -> None:
    history: list[LLMMessage] = [
        *ASK,
        AssistantMessage(
            content=[FunctionCall(id="call_1", name="get_weather", arguments='{"city": "Paris"}')],
            thought="Let me check.",
            source="assistant",
        ),
        FunctionExecutionResultMessage(
            content=[FunctionExecutionResult(content="sunny", name="get_weather", call_id="call_1")]
        ),
    ]
    server.script(wire.completion("It is sunny."))
    await openai_client.create(history, tools=[WEATHER])
    messages = server.requests[0].body["messages"]
    assert messages[2] == {
        "role": "assistant",
        "name": "assistant",
        "content": "Let me check.",
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
            }
        ],
    }
    assert messages[3] == {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}


async def test_structured_output_sends_a_strict_json_schema(
    server: ProviderServer, openai_client: OpenAIChatCompletionClient
) -> None:
    server.script(wire.completion('{"city": "Paris", "confident": true}'))
    result = await openai_client.create(ASK, json_output=CityAnswer)
    assert isinstance(result.content, str)
    assert CityAnswer.model_validate_json(result.content) == CityAnswer(city="Paris", confident=True)
    response_format = server.requests[0].body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "CityAnswer"
    assert response_format["json_schema"]["strict"] is True
    assert response_format["json_schema"]["schema"]["additionalProperties"] is False


async def test_json_mode_asks_for_a_json_object(
    server: ProviderServer, openai_client: OpenAIChatCompletionClient
) -> None:
    server.script(wire.completion('{"answer": "Paris"}'))
    result = await openai_client.create(ASK, json_output=True)
    assert json.loads(str(result.content)) == {"answer": "Paris"}
    assert server.requests[0].body["response_format"] == {"type": "json_object"}


async def test_reasoning_content_from_compatible_servers_becomes_the_thought(
    server: ProviderServer, openai_client: OpenAIChatCompletionClient
) -> None:
    server.script(
        wire.completion("Paris.", extra_message={"reasoning_content": "France's capital is Paris."})
    )
    result = await openai_client.create(ASK)
    assert (result.content, result.thought) == ("Paris.", "France's capital is Paris.")


async def test_malformed_tool_call_json_passes_through_untouched(
    server: ProviderServer, openai_client: OpenAIChatCompletionClient
) -> None:
    server.script(wire.completion(tool_calls=[wire.tool_call("call_1", "get_weather", '{"city": "Par')]))
    result = await openai_client.create(ASK, tools=[WEATHER])
    assert result.content == [FunctionCall(id="call_1", name="get_weather", arguments='{"city": "Par')]


async def test_malformed_streamed_tool_call_json_passes_through_untouched(
    server: ProviderServer, openai_client: OpenAIChatCompletionClient
) -> None:
    server.script(wire.stream(tool_calls=[wire.tool_call("call_1", "get_weather", "{city: Paris")]))
    _, result = await collect(openai_client.create_stream(ASK, tools=[WEATHER]))
    assert result.content == [FunctionCall(id="call_1", name="get_weather", arguments="{city: Paris")]


async def test_a_429_is_retried_after_the_servers_retry_after(
    server: ProviderServer, openai_client: OpenAIChatCompletionClient, caplog: pytest.LogCaptureFixture
) -> None:
    server.script(wire.error(429, "slow down", headers={"retry-after-ms": "20"}), wire.completion("Paris."))
    with caplog.at_level(logging.WARNING, logger="flowgen.models.retry"):
        result = await openai_client.create(ASK)
    assert result.content == "Paris."
    assert len(server.requests) == 2
    assert server.requests[0].body == server.requests[1].body
    assert "retry 1 of 2 in 0.020s" in caplog.text


async def test_a_stream_is_retried_when_opening_it_is_rate_limited(
    server: ProviderServer, openai_client: OpenAIChatCompletionClient
) -> None:
    server.script(wire.error(429, "slow down", headers={"retry-after": "0"}), wire.stream(["ok"]))
    chunks, result = await collect(openai_client.create_stream(ASK))
    assert (chunks, result.content, len(server.requests)) == (["ok"], "ok", 2)


async def test_server_errors_past_max_retries_raise_a_retryable_model_client_error(
    server: ProviderServer, openai_client: OpenAIChatCompletionClient
) -> None:
    server.script(*[wire.error(500, "boom")] * 3)
    with pytest.raises(ModelClientError) as caught:
        await openai_client.create(ASK)
    assert caught.value.retryable is True
    assert caught.value.status_code == 500
    assert isinstance(caught.value.__cause__, openai.InternalServerError)
    assert "boom" in str(caught.value)
    assert len(server.requests) == 3  # the first attempt and max_retries=2 retries


async def test_a_bad_request_is_not_retried(
    server: ProviderServer, openai_client: OpenAIChatCompletionClient
) -> None:
    server.script(wire.error(400, "unknown parameter: foo"))
    with pytest.raises(ModelClientError) as caught:
        await openai_client.create(ASK)
    assert (caught.value.retryable, caught.value.status_code, len(server.requests)) == (False, 400, 1)
    assert isinstance(caught.value.__cause__, openai.BadRequestError)


async def test_max_retries_zero_fails_on_the_first_error(server: ProviderServer) -> None:
    client = openai_client_for(server, max_retries=0)
    server.script(wire.error(503, "unavailable"))
    with pytest.raises(ModelClientError) as caught:
        await client.create(ASK)
    assert (caught.value.retryable, len(server.requests)) == (True, 1)
    await client.close()


async def test_cancelling_mid_stream_closes_the_connection(
    server: ProviderServer, openai_client: OpenAIChatCompletionClient
) -> None:
    server.script(wire.stream(["one ", "two ", "three"], hold_after=3))  # role chunk + two text chunks
    token = CancellationToken()
    stream = openai_client.create_stream(ASK, cancellation_token=token)
    assert await anext(stream) == "one "
    assert await anext(stream) == "two "
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await anext(stream)
    assert await asyncio.to_thread(server.client_left.wait, 5.0)


async def test_an_already_cancelled_token_sends_nothing(
    server: ProviderServer, openai_client: OpenAIChatCompletionClient
) -> None:
    token = CancellationToken()
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await openai_client.create(ASK, cancellation_token=token)
    assert server.requests == []


async def test_azure_sends_to_the_deployment_with_the_api_key_header(server: ProviderServer) -> None:
    client = AzureOpenAIChatCompletionClient(
        model="gpt-4o",
        azure_endpoint=server.base_url,
        azure_deployment="prod-chat",
        api_version="2024-10-21",
        api_key="test",
        retry_policy=FAST_RETRIES,
    )
    server.script(wire.completion("Paris."))
    result = await client.create(ASK)
    request = server.requests[0]
    assert result.content == "Paris."
    assert request.path == "/openai/deployments/prod-chat/chat/completions?api-version=2024-10-21"
    assert request.headers["api-key"] == "test"
    await client.close()


async def test_an_error_inside_a_stream_raises_a_model_client_error(
    server: ProviderServer, openai_client: OpenAIChatCompletionClient
) -> None:
    events = list(wire.stream(["partial "]).events[:2])
    events.append(Event({"error": {"message": "the model crashed", "type": "server_error"}}))
    server.script(Stream(events))
    stream = openai_client.create_stream(ASK)
    assert await anext(stream) == "partial "
    with pytest.raises(ModelClientError, match="the model crashed") as caught:
        await anext(stream)
    assert caught.value.retryable is True
    assert isinstance(caught.value.__cause__, openai.APIError)
    assert len(server.requests) == 1  # a started stream is never retried: its text was already yielded


async def test_an_unreachable_server_is_a_retryable_connection_error(server: ProviderServer) -> None:
    client = openai_client_for(server, max_retries=0)
    server.stop()
    with pytest.raises(ModelClientError, match="could not reach the OpenAI server") as caught:
        await client.create(ASK)
    assert caught.value.retryable is True
    assert isinstance(caught.value.__cause__, openai.APIConnectionError)
    await client.close()
