"""Replies that are not what they seem: cut-off streams, non-JSON 200 bodies, malformed events.

The real SDKs parse what the scripted server sends; each case must become a ModelClientError that
names the provider and what was wrong, retried where a retry can help.
"""

from __future__ import annotations

import anthropic_wire as awire
import openai_wire as owire
import pytest
from client_inputs import ASK, WEATHER, collect
from provider_server import Event, ProviderServer, Raw, Stream

from flowgen.core import FunctionCall
from flowgen.errors import ModelClientError
from flowgen.models.anthropic import AnthropicChatCompletionClient
from flowgen.models.openai import OpenAIChatCompletionClient

HTML = Raw(b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")


def _openai_cut(stream: Stream) -> Stream:
    """The stream without its finish-reason chunk, usage chunk and [DONE]."""
    keep = [
        e
        for e in stream.events
        if isinstance(e.data, dict) and e.data["choices"] and e.data["choices"][0]["finish_reason"] is None
    ]
    return Stream(keep)


def _anthropic_cut(stream: Stream, drop_last: int = 2) -> Stream:
    """The stream without its last events (message_delta and message_stop by default)."""
    return Stream(list(stream.events)[:-drop_last])


async def test_openai_stream_without_a_finish_reason_is_retried_not_accepted(
    server: ProviderServer, openai_client: OpenAIChatCompletionClient
) -> None:
    cut = _openai_cut(owire.stream(["The answer ", "is forty two "]))
    server.script(cut)
    stream = openai_client.create_stream(ASK)
    assert await anext(stream) == "The answer "
    assert await anext(stream) == "is forty two "
    with pytest.raises(ModelClientError, match="OpenAI stream ended before its final event") as caught:
        await anext(stream)
    assert caught.value.retryable is True
    assert len(server.requests) == 1  # text was already passed on: a retry could repeat it


async def test_anthropic_stream_without_message_stop_is_an_error(
    server: ProviderServer, anthropic_client: AnthropicChatCompletionClient
) -> None:
    server.script(_anthropic_cut(awire.stream(awire.text("The answer is forty two"))))
    with pytest.raises(ModelClientError, match="Anthropic stream ended before its final event") as caught:
        await collect(anthropic_client.create_stream(ASK))
    assert caught.value.retryable is True


async def test_openai_tool_call_cut_off_mid_stream_is_retried(
    server: ProviderServer, openai_client: OpenAIChatCompletionClient
) -> None:
    whole = owire.stream(tool_calls=[owire.tool_call("call_1", "get_weather", '{"city": "Paris"}')])
    cut = Stream(list(_openai_cut(whole).events)[:-1])  # the last argument piece is lost too
    server.script(cut, whole)
    chunks, result = await collect(openai_client.create_stream(ASK, tools=[WEATHER]))
    assert chunks == []
    assert result.content == [FunctionCall(id="call_1", name="get_weather", arguments='{"city": "Paris"}')]
    assert len(server.requests) == 2


async def test_anthropic_tool_call_cut_off_mid_stream_is_retried(
    server: ProviderServer, anthropic_client: AnthropicChatCompletionClient
) -> None:
    whole = awire.stream(awire.tool_use("toolu_1", "get_weather", {"city": "Paris"}))
    server.script(_anthropic_cut(whole, drop_last=4), whole)  # cut inside the tool_use block
    chunks, result = await collect(anthropic_client.create_stream(ASK, tools=[WEATHER]))
    assert chunks == []
    assert result.content == [FunctionCall(id="toolu_1", name="get_weather", arguments='{"city": "Paris"}')]
    assert len(server.requests) == 2


async def test_a_cut_off_stream_fails_once_retries_run_out(
    server: ProviderServer, openai_client: OpenAIChatCompletionClient
) -> None:
    cut = _openai_cut(owire.stream(tool_calls=[owire.tool_call("call_1", "get_weather", "{}")]))
    server.script(cut, cut, cut)
    with pytest.raises(ModelClientError, match="ended before its final event") as caught:
        await collect(openai_client.create_stream(ASK, tools=[WEATHER]))
    assert "gave up after 3 attempts" in "".join(caught.value.__notes__)
    assert len(server.requests) == 3


async def test_a_connection_dropped_before_any_text_is_retried(
    server: ProviderServer, openai_client: OpenAIChatCompletionClient
) -> None:
    server.script(Stream(owire.stream(["ok"]).events, drop_after=1), owire.stream(["ok"]))
    chunks, result = await collect(openai_client.create_stream(ASK))
    assert (chunks, result.content, len(server.requests)) == (["ok"], "ok", 2)


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (HTML, "not a chat completion: '<html>"),
        (Raw(b'{"id": "chatcmpl-1", "choi'), "malformed body \\(JSONDecodeError"),
    ],
    ids=["html", "truncated-json"],
)
async def test_openai_200_with_a_broken_body_is_a_retried_model_client_error(
    server: ProviderServer, openai_client: OpenAIChatCompletionClient, body: Raw, what: str
) -> None:
    server.script(body, owire.completion("Paris."))
    assert (await openai_client.create(ASK)).content == "Paris."
    server.script(body, body, body)
    with pytest.raises(ModelClientError, match=f"OpenAI server answered.*{what}") as caught:
        await openai_client.create(ASK)
    assert caught.value.retryable is True
    assert len(server.requests) == 5


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (HTML, "not a message: '<html>"),
        (Raw(b'{"id": "msg_1", "conte'), "malformed body \\(JSONDecodeError"),
    ],
    ids=["html", "truncated-json"],
)
async def test_anthropic_200_with_a_broken_body_is_a_retried_model_client_error(
    server: ProviderServer, anthropic_client: AnthropicChatCompletionClient, body: Raw, what: str
) -> None:
    server.script(body, awire.message(awire.text("Paris.")))
    assert (await anthropic_client.create(ASK)).content == "Paris."
    server.script(body, body, body)
    with pytest.raises(ModelClientError, match=f"Anthropic server answered.*{what}"):
        await anthropic_client.create(ASK)


async def test_openai_json_of_the_wrong_shape_is_not_retried(
    server: ProviderServer, openai_client: OpenAIChatCompletionClient
) -> None:
    server.script(Raw(b'{"unexpected": true}'), Raw(b'{"choices": [{"index": 0}]}'))
    with pytest.raises(ModelClientError, match="no choices; check that it speaks the Chat") as caught:
        await openai_client.create(ASK)
    assert caught.value.retryable is False
    with pytest.raises(ModelClientError, match="OpenAI server answered HTTP 200 with something") as caught:
        await openai_client.create(ASK)
    assert caught.value.retryable is False
    assert len(server.requests) == 2


async def test_openai_malformed_stream_event_is_a_model_client_error(
    server: ProviderServer, openai_client: OpenAIChatCompletionClient
) -> None:
    first = owire.stream(["ok"]).events[0]
    server.script(Stream([first, Event("{not json")]), owire.stream(["ok"]))
    chunks, result = await collect(openai_client.create_stream(ASK))  # nothing shown yet: retried
    assert (chunks, result.content, len(server.requests)) == (["ok"], "ok", 2)
    events = [*owire.stream(["partial "]).events[:2], Event("{not json")]
    server.script(Stream(events))
    with pytest.raises(ModelClientError, match="OpenAI server answered with a malformed body"):
        await collect(openai_client.create_stream(ASK))


async def test_anthropic_malformed_stream_events_are_model_client_errors(
    server: ProviderServer, anthropic_client: AnthropicChatCompletionClient
) -> None:
    events = list(awire.stream(awire.text("The answer is forty two")).events)
    bad_json = Stream([*events[:4], Event("{not json", "content_block_delta")])
    wrong_shape = Stream(
        [*events[:4], Event({"type": "content_block_delta", "index": 0}, "content_block_delta")]
    )
    server.script(bad_json)
    with pytest.raises(ModelClientError, match="Anthropic server answered with a malformed body"):
        await collect(anthropic_client.create_stream(ASK))
    server.script(wrong_shape)
    with pytest.raises(ModelClientError, match="Anthropic server sent a malformed stream event") as caught:
        await collect(anthropic_client.create_stream(ASK))
    assert caught.value.retryable is True
