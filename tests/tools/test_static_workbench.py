"""StaticWorkbench and StaticStreamWorkbench: fixed tools behind the workbench interface."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from flowgen.agents import AssistantAgent
from flowgen.core import CancellationToken
from flowgen.errors import ConfigurationError
from flowgen.messages import TextMessage
from flowgen.models import ReplayChatCompletionClient
from flowgen.tools import (
    AgentTool,
    FunctionTool,
    StaticStreamWorkbench,
    StaticWorkbench,
    ToolOverride,
    ToolResult,
)


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def fail(reason: str) -> str:
    """Always fails."""
    raise LookupError(f"no such thing: {reason}")


class Counter(FunctionTool):
    """A tool with state, to show save/load reach the tools."""

    def __init__(self) -> None:
        self.count = 0
        super().__init__(self._bump, "Count calls.", name="counter")

    def _bump(self) -> int:
        self.count += 1
        return self.count

    async def save_state_json(self) -> dict[str, Any]:
        return {"count": self.count}

    async def load_state_json(self, state: Any) -> None:
        self.count = state["count"]


def bench(**overrides: ToolOverride) -> StaticWorkbench:
    return StaticWorkbench([FunctionTool(add, "Add."), FunctionTool(fail, "Fail.")], overrides)


async def test_list_tools_gives_each_tool_schema_in_order() -> None:
    schemas = await bench().list_tools()
    assert [s["name"] for s in schemas] == ["add", "fail"]
    assert schemas[0]["parameters"]["required"] == ["a", "b"]


async def test_call_tool_returns_the_text_result() -> None:
    result = await bench().call_tool("add", {"a": 2, "b": 3})
    assert result == ToolResult(name="add", result=[{"type": "TextResultContent", "content": "5"}])  # type: ignore[list-item]


async def test_a_raising_tool_is_an_error_result_with_its_message() -> None:
    result = await bench().call_tool("fail", {"reason": "x"})
    assert result.is_error and result.to_text() == "no such thing: x"


async def test_bad_arguments_are_an_error_result_naming_the_field() -> None:
    result = await bench().call_tool("add", {"a": "two"})
    assert result.is_error and "a:" in result.to_text() and "b:" in result.to_text()


async def test_an_unknown_tool_is_an_error_result_listing_the_tools() -> None:
    result = await bench().call_tool("mul", {})
    assert result.is_error and result.to_text() == "Tool mul not found; available tools: add, fail"


async def test_overrides_rename_and_redescribe_and_calls_use_the_new_name() -> None:
    workbench = bench(add=ToolOverride(name="plus", description="Sum."))
    schemas = await workbench.list_tools()
    assert (schemas[0]["name"], schemas[0]["description"]) == ("plus", "Sum.")
    assert schemas[0]["parameters"] == FunctionTool(add, "Add.").schema["parameters"]
    result = await workbench.call_tool("plus", {"a": 1, "b": 1})
    assert (result.name, result.to_text()) == ("plus", "2")


def test_an_override_colliding_with_a_tool_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="collides with the tool named 'fail'"):
        bench(add=ToolOverride(name="fail"))


def test_two_overrides_with_one_name_are_refused() -> None:
    with pytest.raises(ValueError, match="both renamed to 'x'"):
        bench(add=ToolOverride(name="x"), fail=ToolOverride(name="x"))


async def test_state_round_trips_through_the_tools() -> None:
    counter = Counter()
    workbench = StaticWorkbench([counter])
    await workbench.call_tool("counter")
    saved = await workbench.save_state()
    assert saved == {"type": "StaticWorkbenchState", "tools": {"counter": {"count": 1}}}
    fresh = Counter()
    await StaticWorkbench([fresh]).load_state(saved)
    assert fresh.count == 1


async def test_context_manager_starts_and_stops() -> None:
    async with bench() as workbench:
        assert (await workbench.call_tool("add", {"a": 1, "b": 2})).to_text() == "3"


async def test_cancelling_the_token_cancels_the_call() -> None:
    started = asyncio.Event()

    async def wait_forever() -> str:
        started.set()
        await asyncio.Event().wait()
        return "never"

    token = CancellationToken()
    call = asyncio.ensure_future(
        StaticWorkbench([FunctionTool(wait_forever, "Wait.")]).call_tool("wait_forever", {}, token)
    )
    await started.wait()
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call


async def test_stream_workbench_passes_inner_events_then_the_result_under_the_override_name() -> None:
    poet = AssistantAgent("poet", ReplayChatCompletionClient(["Roses are red."]), description="Poems.")
    workbench = StaticStreamWorkbench([AgentTool(poet)], {"poet": ToolOverride(name="bard")})
    items = [i async for i in workbench.call_tool_stream("bard", {"task": "A poem."})]
    assert any(isinstance(i, TextMessage) and i.source == "poet" for i in items[:-1])
    assert isinstance(items[-1], ToolResult)
    assert (items[-1].name, items[-1].to_text()) == ("bard", "poet: Roses are red.")


async def test_stream_workbench_runs_plain_tools_as_one_result() -> None:
    items = [
        i
        async for i in StaticStreamWorkbench([FunctionTool(add, "Add.")]).call_tool_stream(
            "add", {"a": 1, "b": 2}
        )
    ]
    assert [i.to_text() for i in items] == ["3"]
