"""Loading is safe by default: an allowlist of providers, no source code unless trusted, secrets by
reference, and every error naming the JSON path of the problem."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from flowgen.agents import AssistantAgent
from flowgen.conditions import MaxMessageTermination
from flowgen.core import dump_component, load_component
from flowgen.errors import ComponentConfigError, UntrustedSourceCodeError
from flowgen.models import ReplayChatCompletionClient
from flowgen.models.openai import OpenAIChatCompletionClient
from flowgen.teams import RoundRobinGroupChat
from flowgen.tools.mcp import McpWorkbench, StdioServerParams, StreamableHttpServerParams


def team_config() -> dict[str, Any]:
    agents = [AssistantAgent(n, ReplayChatCompletionClient(["hi"])) for n in ("a", "b")]
    team = RoundRobinGroupChat(agents, termination_condition=MaxMessageTermination(3))
    return dump_component(team).model_dump()


def error(config: dict[str, Any], **options: Any) -> str:
    with pytest.raises(ComponentConfigError) as caught:
        load_component(config, **options)
    return str(caught.value)


def test_a_provider_off_the_allowlist_is_refused_with_its_path_before_any_import() -> None:
    config = team_config()
    config["config"]["participants"][1]["config"]["model_client"]["provider"] = "os.system"
    message = error(config)
    assert message.startswith(
        "config.participants[1].config.model_client.provider: not an allowed provider ('os.system')"
    )
    assert "allowed_providers=" in message


def test_an_allowed_provider_that_is_no_component_class_is_refused() -> None:
    config = team_config()
    config["config"]["termination_condition"]["provider"] = "collections.OrderedDict"
    message = error(config, allowed_providers=["collections"])
    assert message.startswith(
        "config.termination_condition.provider: 'collections.OrderedDict' is not a component class"
    )


def test_a_bad_value_names_its_path() -> None:
    config = team_config()
    config["config"]["termination_condition"]["config"]["max_messages"] = "three"
    assert error(config).startswith(
        "config.termination_condition.config.max_messages: Input should be a valid integer"
    )


def test_a_missing_field_names_its_path() -> None:
    config = team_config()
    del config["config"]["participants"][0]["config"]["model_client"]["config"]["chat_completions"]
    assert error(config).startswith(
        "config.participants[0].config.model_client.config.chat_completions: Field required"
    )


def test_a_constructor_refusal_names_the_component() -> None:
    config = team_config()
    config["config"]["participants"][1]["config"]["name"] = "a"
    assert error(config).startswith("config: ")
    assert "a" in error(config)


def test_source_code_anywhere_is_refused_unless_trusted() -> None:
    config = team_config()
    config["config"]["participants"][0]["config"]["tools"] = [
        {
            "provider": "autogen_core.tools.FunctionTool",
            "config": {
                "name": "x",
                "description": "x",
                "source_code": "import os\ndef x() -> None:\n    os.abort()\n",
            },
        }
    ]
    with pytest.raises(
        UntrustedSourceCodeError,
        match=r"^config\.participants\[0\]\.config\.tools\[0\]\.config\.source_code: ",
    ):
        load_component(config)


def test_a_function_reference_outside_allowed_modules_is_refused() -> None:
    tool = {
        "provider": "flowgen.tools.FunctionTool",
        "config": {"name": "system", "description": "Run a command.", "function": "os:system"},
    }
    assert error(tool).startswith("config.function: 'os:system' is not in an allowed module")
    assert load_component(tool, allowed_providers=["os"]).name == "system"


def test_an_agent_provider_off_the_allowlist_is_refused() -> None:
    config = team_config()
    config["config"]["participants"][0]["provider"] = "evil.Agent"
    assert error(config).startswith("config.participants[0].provider: not an allowed provider")


def test_not_a_component_document() -> None:
    assert error({"config": {}}).startswith("provider: Field required")


# --- secrets ------------------------------------------------------------------------------


def test_an_openai_key_is_dumped_as_an_environment_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-live-123456789")
    dumped = dump_component(OpenAIChatCompletionClient(model="gpt-4o", temperature=0.5))
    assert dumped.config["api_key"] == {"$env": "OPENAI_API_KEY"}
    assert "sk-live" not in dumped.model_dump_json()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-rotated-987654321")
    loaded = load_component(dumped)
    assert loaded._sdk.api_key == "sk-rotated-987654321"
    assert dump_component(loaded) == dumped


def test_a_literal_key_held_by_no_variable_cannot_be_dumped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    client = OpenAIChatCompletionClient(model="gpt-4o", api_key="sk-literal-not-in-env")
    with pytest.raises(ComponentConfigError) as caught:
        dump_component(client)
    assert str(caught.value).startswith("config.api_key: this secret is held by no environment variable")
    assert "sk-literal" not in str(caught.value)


def test_autogens_masked_key_is_never_loaded_as_the_mask(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env-123456")
    config = {
        "provider": "autogen_ext.models.openai.OpenAIChatCompletionClient",
        "component_type": "model",
        "config": {"model": "gpt-4o", "api_key": "**********"},
    }
    assert load_component(config)._sdk.api_key == "sk-from-env-123456"


def test_a_missing_environment_variable_names_the_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_SUCH_KEY", raising=False)
    config = {
        "provider": "flowgen.models.openai.OpenAIChatCompletionClient",
        "config": {"model": "gpt-4o", "api_key": {"$env": "NO_SUCH_KEY"}},
    }
    assert (
        error(config) == "config.api_key: environment variable NO_SUCH_KEY is not set; set it to the secret"
    )


def test_mcp_secrets_are_dumped_as_references(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_abcdefgh12345")
    stdio = StdioServerParams(command="server", env={"GITHUB_TOKEN": "ghp_abcdefgh12345", "MODE": "fast"})
    http = StreamableHttpServerParams(
        url="http://127.0.0.1:1/mcp", headers={"Authorization": "Bearer ghp_abcdefgh12345"}
    )
    stdio_dump = dump_component(McpWorkbench(stdio))
    http_dump = dump_component(McpWorkbench(http))
    assert stdio_dump.config["server_params"]["env"] == {
        "GITHUB_TOKEN": {"$env": "GITHUB_TOKEN"},
        "MODE": "fast",
    }
    assert http_dump.config["server_params"]["headers"] == {
        "Authorization": {"$env": "GITHUB_TOKEN", "prefix": "Bearer "}
    }
    assert "ghp_" not in stdio_dump.model_dump_json() + http_dump.model_dump_json()
    loaded = load_component(copy.deepcopy(http_dump))
    assert loaded.server_params.headers == {"Authorization": "Bearer ghp_abcdefgh12345"}


def test_an_anthropic_key_is_dumped_as_an_environment_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    from flowgen.models.anthropic import AnthropicChatCompletionClient

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-123456789")
    client = AnthropicChatCompletionClient(model="claude-sonnet-4-5", temperature=0.2, max_tokens=512)
    dumped = dump_component(client)
    assert dumped.provider == "flowgen.models.anthropic.AnthropicChatCompletionClient"
    assert dumped.config["api_key"] == {"$env": "ANTHROPIC_API_KEY"}
    assert "sk-ant" not in dumped.model_dump_json()
    assert dump_component(load_component(dumped)) == dumped


def test_an_sdk_client_config_loads_in_a_fresh_process() -> None:
    import subprocess
    import sys

    code = (
        "from flowgen.core import load_component\n"
        "client = load_component({'provider': 'autogen_ext.models.openai.OpenAIChatCompletionClient',"
        " 'config': {'model': 'gpt-4o', 'api_key': {'$env': 'FLOWGEN_TEST_KEY'}}})\n"
        "print(type(client).__name__, client._sdk.api_key)\n"
    )
    env = {"FLOWGEN_TEST_KEY": "sk-fresh-123456789", "PATH": "/usr/bin:/bin"}
    import os

    env["PYTHONPATH"] = os.environ.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "OpenAIChatCompletionClient sk-fresh-123456789"


def test_an_autogen_component_flowgen_lacks_says_so() -> None:
    config = {"provider": "autogen_agentchat.agents.CodeExecutorAgent", "config": {}}
    assert error(config) == (
        "provider: 'autogen_agentchat.agents.CodeExecutorAgent' has no flowgen counterpart that loads from a config yet"
    )
