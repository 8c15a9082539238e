"""AssistantAgent with ``workbench=``: tools listed once per turn, calls routed to their workbench."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from assistant_support import CAPABLE, call, calls

from flowgen.agents import AssistantAgent
from flowgen.core import CancellationToken
from flowgen.errors import ConfigurationError
from flowgen.messages import TextMessage, ToolCallExecutionEvent, ToolCallSummaryMessage
from flowgen.models import ReplayChatCompletionClient
from flowgen.models.types import ToolSchema
from flowgen.tools import AgentTool, FunctionTool, StaticStreamWorkbench, StaticWorkbench, ToolResult


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def shout(text: str) -> str:
    """Upper-case the text."""
    if not text:
        raise ValueError("nothing to shout")
    return text.upper()


class CountingWorkbench(StaticWorkbench):
    """Counts list_tools calls, to show the agent lists once per turn."""

    listed = 0

    async def list_tools(self) -> list[ToolSchema]:
        self.listed += 1
        return await super().list_tools()

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        cancellation_token: CancellationToken | None = None,
        call_id: str | None = None,
    ) -> ToolResult:
        return await super().call_tool(name, arguments, cancellation_token, call_id)


async def test_the_agent_offers_and_runs_workbench_tools() -> None:
    model = ReplayChatCompletionClient([calls(call("add", {"a": 2, "b": 3}))], model_info=CAPABLE)
    agent = AssistantAgent("a", model, workbench=StaticWorkbench([FunctionTool(add, "Add.")]))
    result = await agent.run(task="2+3?")
    summary = result.messages[-1]
    assert isinstance(summary, ToolCallSummaryMessage) and summary.content == "5"
    assert [t.name for t in model.create_calls[0]["tools"]] == ["add"]  # type: ignore[index]


async def test_tools_are_listed_once_per_turn_across_tool_iterations() -> None:
    workbench = CountingWorkbench([FunctionTool(add, "Add.")])
    replies = [calls(call("add", {"a": 1, "b": 1}, "c1")), calls(call("add", {"a": 2, "b": 2}, "c2")), "done"]
    model = ReplayChatCompletionClient(replies, model_info=CAPABLE)
    agent = AssistantAgent("a", model, workbench=workbench, max_tool_iterations=3)
    await agent.run(task="go")
    assert workbench.listed == 1


async def test_an_error_result_reaches_the_model_as_an_error() -> None:
    model = ReplayChatCompletionClient([calls(call("shout", {"text": ""}))], model_info=CAPABLE)
    agent = AssistantAgent("a", model, workbench=StaticWorkbench([FunctionTool(shout, "Shout.")]))
    result = await agent.run(task="shout")
    executed = next(m for m in result.messages if isinstance(m, ToolCallExecutionEvent))
    assert executed.content[0].is_error and executed.content[0].content == "nothing to shout"


async def test_calls_go_to_the_workbench_offering_the_tool() -> None:
    model = ReplayChatCompletionClient(
        [calls(call("add", {"a": 1, "b": 2}, "c1"), call("shout", {"text": "hi"}, "c2"))], model_info=CAPABLE
    )
    benches = [StaticWorkbench([FunctionTool(add, "Add.")]), StaticWorkbench([FunctionTool(shout, "Shout.")])]
    result = await AssistantAgent("a", model, workbench=benches).run(task="go")
    assert result.messages[-1].to_text() == "3\nHI"


async def test_a_stream_workbench_passes_inner_agent_messages_through() -> None:
    poet = AssistantAgent("poet", ReplayChatCompletionClient(["Roses."]), description="Poems.")
    model = ReplayChatCompletionClient([calls(call("poet", {"task": "poem"}))], model_info=CAPABLE)
    agent = AssistantAgent("boss", model, workbench=StaticStreamWorkbench([AgentTool(poet)]))
    items = [i async for i in agent.run_stream(task="go")]
    assert any(isinstance(i, TextMessage) and i.source == "poet" for i in items)
    assert items[-2].to_text() == "poet: Roses."  # type: ignore[union-attr]


async def test_handoffs_work_beside_a_workbench() -> None:
    model = ReplayChatCompletionClient([calls(call("transfer_to_b"))], model_info=CAPABLE)
    agent = AssistantAgent("a", model, workbench=StaticWorkbench([FunctionTool(add, "Add.")]), handoffs=["b"])
    result = await agent.run(task="go")
    assert result.messages[-1].type == "HandoffMessage"
    assert [t.name for t in model.create_calls[0]["tools"]] == ["add", "transfer_to_b"]  # type: ignore[index]


def test_tools_and_a_workbench_together_are_refused() -> None:
    with pytest.raises(ValueError, match="Tools cannot be used with a workbench"):
        AssistantAgent(
            "a",
            ReplayChatCompletionClient([], model_info=CAPABLE),
            tools=[add],
            workbench=StaticWorkbench([]),
        )


def test_a_workbench_that_is_not_one_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="workbench must be a Workbench"):
        AssistantAgent("a", ReplayChatCompletionClient([], model_info=CAPABLE), workbench=[add])  # type: ignore[list-item]
