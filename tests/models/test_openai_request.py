"""Building OpenAI request bodies and model info from flowgen messages (no network)."""

from __future__ import annotations

import base64

import pytest

from flowgen.core import Image
from flowgen.errors import ConfigurationError, UnsupportedModelFeatureError
from flowgen.models import ModelInfo, SystemMessage, UserMessage
from flowgen.models.openai import OpenAIChatCompletionClient
from flowgen.models.openai.request import build_body, to_messages

PIXEL = Image.from_bytes(
    base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    )
)
NO_TOOLS = ModelInfo(
    vision=False, function_calling=False, json_output=False, family="unknown", structured_output=False
)


def test_names_are_made_safe_for_the_api() -> None:
    [message] = to_messages([UserMessage(content="hi", source="Research Agent #1")])
    assert message["name"] == "Research_Agent__1"


def test_names_can_be_left_out_for_servers_that_reject_them() -> None:
    [message] = to_messages([UserMessage(content="hi", source="user")], include_name=False)
    assert "name" not in message


def test_name_prefixes_put_the_speaker_into_the_text() -> None:
    [message] = to_messages([UserMessage(content="hi", source="alice")], add_name_prefixes=True)
    assert message["content"] == "alice said:\nhi"


def test_images_become_image_url_parts() -> None:
    [message] = to_messages([UserMessage(content=["Describe this", PIXEL], source="user")])
    assert message["content"][0] == {"type": "text", "text": "Describe this"}
    assert message["content"][1]["image_url"]["url"].startswith("data:image/png;base64,")


def test_per_call_arguments_override_configured_ones_and_stream_flags_are_dropped() -> None:
    body = build_body(
        model="gpt-4o",
        messages=[SystemMessage(content="x")],
        tools=(),
        tool_choice="auto",
        json_output=None,
        create_args={"temperature": 0.1, "stream": True, "stream_options": {"include_usage": True}},
        include_name=True,
        add_name_prefixes=False,
    )
    assert body == {"temperature": 0.1, "model": "gpt-4o", "messages": [{"role": "system", "content": "x"}]}


def test_an_unknown_model_without_model_info_is_refused_naming_model_info() -> None:
    with pytest.raises(ConfigurationError, match="model_info is required"):
        OpenAIChatCompletionClient("my-local-model", api_key="test", base_url="http://127.0.0.1:9/v1")


def test_an_unknown_model_with_model_info_is_accepted() -> None:
    client = OpenAIChatCompletionClient("my-local-model", api_key="test", model_info=NO_TOOLS)
    assert client.model_info == NO_TOOLS


def test_no_key_and_no_server_names_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY"):
        OpenAIChatCompletionClient("gpt-4o")


async def test_tools_on_a_model_without_function_calling_fail_before_any_request() -> None:
    client = OpenAIChatCompletionClient(
        "my-local-model", api_key="test", base_url="http://127.0.0.1:9/v1", model_info=NO_TOOLS
    )
    with pytest.raises(UnsupportedModelFeatureError, match="function_calling"):
        await client.create([UserMessage(content="hi", source="user")], tools=[{"name": "f"}])


def test_count_tokens_grows_with_the_conversation() -> None:
    client = OpenAIChatCompletionClient("gpt-4o", api_key="test")
    short = [UserMessage(content="hi", source="user")]
    long = [UserMessage(content="hi " * 400, source="user")]
    assert 0 < client.count_tokens(short) < client.count_tokens(long)
    assert client.remaining_tokens(long) == 128_000 - client.count_tokens(long)
