"""An AutoGen 0.7 SelectorGroupChat program, unchanged apart from its imports, runs on flowgen.

The program is written the way AutoGen's documentation writes one: a planner, a web searcher and a
data analyst with tools, a selector model, a custom selector prompt, a ``selector_func`` that hands
the floor back to the planner after every other agent, and a combined termination condition. Every
model is a ReplayChatCompletionClient. When AutoGen itself is installed, the very same program text
also runs under AutoGen's imports and both runs must say the same things in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from tests.compat.twin import autogen_twin, said

# isort: split
# --- the only lines that differ from the AutoGen program ---------------------------------------
from flowgen.agents import AssistantAgent
from flowgen.base import TaskResult
from flowgen.conditions import MaxMessageTermination, TextMentionTermination
from flowgen.core import FunctionCall
from flowgen.messages import BaseAgentEvent, BaseChatMessage
from flowgen.models import CreateResult, ModelFamily, ModelInfo, ReplayChatCompletionClient, RequestUsage
from flowgen.teams import SelectorGroupChat

# --- end of imports -------------------------------------------------------------------------------

AUTOGEN_IMPORTS = """
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.base import TaskResult
from autogen_agentchat.conditions import MaxMessageTermination, TextMentionTermination
from autogen_core import FunctionCall
from autogen_agentchat.messages import BaseAgentEvent, BaseChatMessage
from autogen_core.models import CreateResult, ModelFamily, ModelInfo, RequestUsage
from autogen_ext.models.replay import ReplayChatCompletionClient
from autogen_agentchat.teams import SelectorGroupChat
"""

TOOL_MODEL: ModelInfo = {
    "vision": False,
    "function_calling": True,
    "json_output": False,
    "family": ModelFamily.UNKNOWN,
    "structured_output": False,
}


def search_web_tool(query: str) -> str:
    if "2006-2007" in query:
        return "Udonis Haslem: 844 points"
    if "2007-2008" in query:
        return "Udonis Haslem: 441 total rebounds"
    return "Udonis Haslem: 718 total rebounds"


def percentage_change_tool(start: float, end: float) -> float:
    return ((end - start) / start) * 100


def call(name: str, arguments: str) -> CreateResult:
    return CreateResult(
        finish_reason="function_calls",
        content=[FunctionCall(id=f"call_{name}", name=name, arguments=arguments)],
        usage=RequestUsage(prompt_tokens=0, completion_tokens=0),
        cached=False,
    )


async def program() -> list[BaseAgentEvent | BaseChatMessage | TaskResult]:
    planner_model = ReplayChatCompletionClient(
        [
            "1. WebSearchAgent: find the rebounds in 2007-2008 and 2008-2009\n"
            "2. DataAnalystAgent: compute the percentage change",
            "The search is done; now the percentage change.",
            "The rebounds rose by 62.8%. TERMINATE",
        ]
    )
    search_model = ReplayChatCompletionClient(
        [call("search_web_tool", '{"query": "rebounds 2007-2008"}')], model_info=TOOL_MODEL
    )
    analyst_model = ReplayChatCompletionClient(
        [call("percentage_change_tool", '{"start": 441, "end": 718}')], model_info=TOOL_MODEL
    )
    selector_model = ReplayChatCompletionClient(["WebSearchAgent", "I pick DataAnalystAgent."])

    planning_agent = AssistantAgent(
        "PlanningAgent",
        description="Plans the work and hands out subtasks; speaks first when a new task arrives.",
        model_client=planner_model,
        system_message="You are a planner. Break the task into subtasks and say TERMINATE when done.",
    )
    web_search_agent = AssistantAgent(
        "WebSearchAgent",
        description="Searches the web for facts.",
        tools=[search_web_tool],
        model_client=search_model,
        system_message="You search the web with your tool, one query at a time.",
    )
    data_analyst_agent = AssistantAgent(
        "DataAnalystAgent",
        description="Does arithmetic on the facts found.",
        tools=[percentage_change_tool],
        model_client=analyst_model,
        system_message="You compute things with your tools.",
    )

    selector_prompt = """Choose who acts next.
{roles}

The conversation so far:
{history}

Pick exactly one of {participants}. The planner must have handed out the work first.
"""

    def selector_func(messages: Sequence[BaseAgentEvent | BaseChatMessage]) -> str | None:
        if messages[-1].source != planning_agent.name:
            return planning_agent.name
        return None

    termination = TextMentionTermination("TERMINATE") | MaxMessageTermination(max_messages=25)
    team = SelectorGroupChat(
        [planning_agent, web_search_agent, data_analyst_agent],
        model_client=selector_model,
        termination_condition=termination,
        selector_prompt=selector_prompt,
        allow_repeated_speaker=True,
        selector_func=selector_func,
    )
    task = "Who was the Miami Heat player with the most points in 2006-2007, and how did his rebounds change?"
    streamed = [message async for message in team.run_stream(task=task)]
    await team.reset()
    return streamed


# --- end of program -------------------------------------------------------------------------------


def autogen_program() -> object:
    """This file's program, compiled against AutoGen's imports instead of flowgen's."""
    return autogen_twin(__name__, "from collections.abc import Sequence\n" + AUTOGEN_IMPORTS)["program"]


async def test_the_program_runs_and_stops_on_terminate() -> None:
    streamed = await program()
    result = streamed[-1]
    assert isinstance(result, TaskResult)
    assert result.stop_reason == "Text 'TERMINATE' mentioned"
    assert [source for _, source, _ in said(streamed)] == [
        "user",
        "PlanningAgent",
        "WebSearchAgent",
        "PlanningAgent",
        "DataAnalystAgent",
        "PlanningAgent",
    ]


async def test_the_same_program_says_the_same_under_autogen() -> None:
    pytest.importorskip("autogen_agentchat")
    pytest.importorskip("autogen_ext.models.replay")
    ours = await program()
    theirs = await autogen_program()()  # type: ignore[operator]
    assert said(ours) == said(theirs)
    assert ours[-1].stop_reason == theirs[-1].stop_reason  # type: ignore[union-attr]
