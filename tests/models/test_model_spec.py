"""Model spec strings and the environment lookup: which client, configured how, or which clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flowgen.errors import ConfigurationError
from flowgen.models import ReplayChatCompletionClient, UserMessage
from flowgen.models.anthropic import AnthropicChatCompletionClient
from flowgen.models.cassette import CassetteChatCompletionClient
from flowgen.models.openai import AzureOpenAIChatCompletionClient, OpenAIChatCompletionClient
from flowgen.models.spec import COMPATIBLE_INFO, client_from_spec, default_client

OPENAI_ENV = {"OPENAI_API_KEY": "sk-test"}


def test_openai_spec_builds_an_openai_client() -> None:
    client = client_from_spec("openai:gpt-4o-mini", env=OPENAI_ENV)
    assert isinstance(client, OpenAIChatCompletionClient)
    assert client.model_info["family"] == "gpt-4o"


def test_anthropic_spec_builds_an_anthropic_client() -> None:
    client = client_from_spec("anthropic:claude-sonnet-4-5", env={"ANTHROPIC_API_KEY": "sk-ant-test"})
    assert isinstance(client, AnthropicChatCompletionClient)
    assert client.model_info["structured_output"] is True


@pytest.mark.parametrize(
    ("spec", "variable"),
    [("openai:gpt-4o", "OPENAI_API_KEY"), ("anthropic:claude-sonnet-4-5", "ANTHROPIC_API_KEY")],
)
def test_a_missing_key_names_the_environment_variable(spec: str, variable: str) -> None:
    with pytest.raises(ConfigurationError, match=variable):
        client_from_spec(spec, env={})


def test_azure_spec_reads_the_azure_variables() -> None:
    env = {
        "AZURE_OPENAI_ENDPOINT": "https://example.openai.azure.com",
        "AZURE_OPENAI_API_KEY": "test",
        "AZURE_OPENAI_MODEL": "gpt-4o",
    }
    client = client_from_spec("azure:prod-chat", env=env)
    assert isinstance(client, AzureOpenAIChatCompletionClient)
    assert client.model_info["family"] == "gpt-4o"


def test_azure_spec_without_an_endpoint_names_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="AZURE_OPENAI_ENDPOINT"):
        client_from_spec("azure:prod-chat", env={"AZURE_OPENAI_API_KEY": "test"})


def test_openai_compatible_spec_needs_no_key_and_assumes_a_capable_model() -> None:
    client = client_from_spec("openai-compatible:llama3.2@http://127.0.0.1:8000/v1", env={})
    assert isinstance(client, OpenAIChatCompletionClient)
    assert client.model_info == COMPATIBLE_INFO


def test_openai_compatible_spec_without_a_server_explains_the_form() -> None:
    with pytest.raises(ConfigurationError, match="<model>@<base_url>"):
        client_from_spec("openai-compatible:llama3.2", env={})


def test_ollama_spec_points_at_the_local_ollama() -> None:
    assert isinstance(client_from_spec("ollama:llama3.2", env={}), OpenAIChatCompletionClient)


async def test_replay_spec_reads_a_json_list_of_replies(tmp_path: Path) -> None:
    path = tmp_path / "replies.json"
    path.write_text(json.dumps(["Hello", "Bye"]))
    client = client_from_spec(f"replay:{path}", env={})
    assert isinstance(client, ReplayChatCompletionClient)
    assert (await client.create([UserMessage(content="hi", source="user")])).content == "Hello"


def test_replay_spec_with_a_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no such file"):
        client_from_spec(f"replay:{tmp_path / 'none.json'}", env={})


def test_cassette_spec_replays_offline(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    CassetteChatCompletionClient(ReplayChatCompletionClient([]), path, mode="record")
    client = client_from_spec(f"cassette:{path}", env={})
    assert isinstance(client, CassetteChatCompletionClient) and client.mode == "replay"


def test_cassette_spec_with_a_model_records_what_is_missing(tmp_path: Path) -> None:
    client = client_from_spec(f"cassette:{tmp_path / 'run.jsonl'}@openai:gpt-4o-mini", env=OPENAI_ENV)
    assert isinstance(client, CassetteChatCompletionClient) and client.mode == "auto"


@pytest.mark.parametrize("spec", ["gpt-4o", "mistral:large", "openai:"])
def test_a_malformed_spec_lists_the_valid_forms(spec: str) -> None:
    with pytest.raises(ConfigurationError, match="openai-compatible:<model>@<base_url>"):
        client_from_spec(spec, env={})


def test_no_spec_and_no_key_runs_offline_and_says_so() -> None:
    offline = ReplayChatCompletionClient(["scripted"])
    choice = default_client(None, offline, env={})
    assert choice.client is offline
    assert choice.offline
    assert "offline deterministic model" in choice.notice
    assert "FLOWGEN_MODEL" in choice.notice


def test_the_offline_fallback_may_be_a_factory() -> None:
    choice = default_client(None, lambda: ReplayChatCompletionClient(["scripted"]), env={})
    assert isinstance(choice.client, ReplayChatCompletionClient)


def test_an_explicit_spec_wins_over_the_environment() -> None:
    env = {"FLOWGEN_MODEL": "anthropic:claude-sonnet-4-5", **OPENAI_ENV}
    choice = default_client("openai:gpt-4o", None, env=env)
    assert choice.spec == "openai:gpt-4o"
    assert not choice.offline


def test_flowgen_model_names_the_spec_when_none_is_given() -> None:
    choice = default_client(None, None, env={"FLOWGEN_MODEL": "ollama:llama3.2"})
    assert (choice.spec, choice.notice) == ("ollama:llama3.2", "model: ollama:llama3.2 (from FLOWGEN_MODEL)")


def test_an_openai_key_alone_picks_the_default_openai_model() -> None:
    choice = default_client(None, None, env=OPENAI_ENV)
    assert choice.spec == "openai:gpt-4o-mini"
    assert "OPENAI_API_KEY is set" in choice.notice


def test_an_anthropic_key_alone_picks_the_default_anthropic_model() -> None:
    choice = default_client(None, None, env={"ANTHROPIC_API_KEY": "sk-ant-test"})
    assert choice.spec is not None and choice.spec.startswith("anthropic:")
