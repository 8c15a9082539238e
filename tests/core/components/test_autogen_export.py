"""A flowgen team converted with to_autogen loads in AutoGen 0.7.5 and runs as it runs in flowgen."""

from __future__ import annotations

import json
from typing import Any

import pytest

from flowgen.agents import AssistantAgent
from flowgen.components.autogen_export import to_autogen
from flowgen.conditions import MaxMessageTermination, TextMentionTermination
from flowgen.core import FunctionCall
from flowgen.errors import ComponentConfigError
from flowgen.model_context import BufferedChatCompletionContext
from flowgen.models import CreateResult, ReplayChatCompletionClient, RequestUsage
from flowgen.teams import RoundRobinGroupChat, SelectorGroupChat
from flowgen.testing.component_strategies import TOOL_MODEL, word_count
from flowgen.tools import FunctionTool

autogen_agentchat = pytest.importorskip("autogen_agentchat", reason="AutoGen is the compat extra")


def round_robin() -> RoundRobinGroupChat:
    call = FunctionCall(id="call_1", name="word_count", arguments='{"text": "one two three"}')
    counter = AssistantAgent(
        "counter",
        ReplayChatCompletionClient(
            [
                CreateResult(
                    finish_reason="function_calls", content=[call], usage=RequestUsage(0, 0), cached=False
                ),
                "Three. DONE",
            ],
            model_info=TOOL_MODEL,
        ),
        tools=[FunctionTool(word_count, "Count words.")],
        model_context=BufferedChatCompletionContext(4),
    )
    writer = AssistantAgent("writer", ReplayChatCompletionClient(["Counted it."]), system_message="Write.")
    stop = TextMentionTermination("DONE") | MaxMessageTermination(10)
    return RoundRobinGroupChat([counter, writer], termination_condition=stop, max_turns=5)


def selector() -> SelectorGroupChat:
    a = AssistantAgent("a", ReplayChatCompletionClient(["from a"]), description="First.")
    b = AssistantAgent("b", ReplayChatCompletionClient(["from b TERMINATE"]), description="Second.")
    return SelectorGroupChat(
        [a, b],
        ReplayChatCompletionClient(["a", "b"]),
        termination_condition=TextMentionTermination("TERMINATE"),
    )


def outcome(result: Any) -> tuple[list[tuple[str, str, str]], str | None]:
    return [(m.type, m.source, m.to_text()) for m in result.messages], result.stop_reason


@pytest.mark.filterwarnings(
    "ignore:(?s).*SECURITY WARNING:UserWarning"
)  # AutoGen warns that it runs the tool's source
@pytest.mark.parametrize("make", [round_robin, selector])
async def test_autogen_loads_and_runs_the_converted_team_as_flowgen_runs_it(make: Any) -> None:
    from autogen_core import ComponentLoader

    config = json.loads(json.dumps(to_autogen(make())))
    assert config["provider"].startswith("autogen_agentchat.teams.")
    theirs = ComponentLoader.load_component(config)
    ours = await make().run(task="Go.")
    assert outcome(await theirs.run(task="Go.")) == outcome(ours)


def test_what_autogen_cannot_say_is_refused_with_its_path() -> None:
    team = RoundRobinGroupChat(
        [AssistantAgent("a", ReplayChatCompletionClient(["x"]))],
        termination_condition=TextMentionTermination("DONE", sources=["a"]),
    )
    with pytest.raises(ComponentConfigError, match=r"^config\.termination_condition\.config\.sources: "):
        to_autogen(team)


def test_a_function_tool_is_written_in_autogens_source_form() -> None:
    tool = to_autogen(FunctionTool(word_count, "Count words."))
    assert tool["provider"] == "autogen_core.tools.FunctionTool"
    assert tool["config"]["source_code"].startswith("def word_count(text: str) -> int:")


def test_an_openai_key_is_left_to_autogens_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from flowgen.models.openai import OpenAIChatCompletionClient

    monkeypatch.setenv("OPENAI_API_KEY", "sk-export-123456789")
    converted = to_autogen(OpenAIChatCompletionClient(model="gpt-4o", temperature=0.1))
    assert converted["provider"] == "autogen_ext.models.openai.OpenAIChatCompletionClient"
    assert "api_key" not in converted["config"] and converted["config"]["temperature"] == 0.1
    assert "sk-export" not in json.dumps(converted)
