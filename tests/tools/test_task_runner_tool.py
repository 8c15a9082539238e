"""AgentTool and TeamTool: an agent or team called as a tool with a ``task`` argument."""

from __future__ import annotations

import pytest

from flowgen.agents import AssistantAgent
from flowgen.base import TaskResult
from flowgen.core import CancellationToken
from flowgen.errors import ToolArgumentsError
from flowgen.messages import ModelClientStreamingChunkEvent, TextMessage
from flowgen.models import ReplayChatCompletionClient
from flowgen.tools import AgentTool, TeamTool


def writer(*replies: str, stream: bool = False) -> AssistantAgent:
    return AssistantAgent(
        "writer",
        ReplayChatCompletionClient(list(replies)),
        description="Writes short poems.",
        model_client_stream=stream,
    )


def test_agent_tool_is_named_and_described_by_the_agent() -> None:
    tool = AgentTool(writer("x"))
    assert tool.name == "writer"
    assert tool.description == "Writes short poems."
    assert tool.schema["parameters"]["required"] == ["task"]
    assert tool.schema["parameters"]["properties"]["task"]["type"] == "string"


def test_team_tool_takes_its_name_and_description() -> None:
    tool = TeamTool(writer("x"), name="poets", description="A team of poets.")
    assert (tool.name, tool.description) == ("poets", "A team of poets.")


async def test_run_json_runs_the_agent_on_the_task() -> None:
    agent = writer("Roses are red.")
    result = await AgentTool(agent).run_json({"task": "Write a poem."}, CancellationToken())
    assert isinstance(result, TaskResult)
    assert [m.to_text() for m in result.messages] == ["Write a poem.", "Roses are red."]  # as AutoGen
    sent = agent._model_client.create_calls[0]["messages"]  # type: ignore[attr-defined]
    assert sent[-1].content == "Write a poem."


async def test_result_text_is_the_transcript_without_the_task() -> None:
    tool = AgentTool(writer("Roses are red."))
    result = TaskResult(
        messages=[
            TextMessage(content="Write.", source="user"),
            TextMessage(content="Roses.", source="writer"),
        ]
    )
    assert tool.return_value_as_string(result) == "writer: Roses."


async def test_result_text_can_be_just_the_last_message() -> None:
    tool = AgentTool(writer("x"), return_value_as_last_message=True)
    result = TaskResult(
        messages=[
            TextMessage(content="draft", source="writer"),
            TextMessage(content="final", source="editor"),
        ]
    )
    assert tool.return_value_as_string(result) == "final"


async def test_run_json_stream_yields_inner_events_then_the_result() -> None:
    tool = AgentTool(writer("Roses are red.", stream=True))
    items = [item async for item in tool.run_json_stream({"task": "Poem."}, CancellationToken())]
    assert any(isinstance(i, ModelClientStreamingChunkEvent) for i in items)
    assert isinstance(items[-2], TextMessage)
    assert isinstance(items[-1], TaskResult)
    assert items[-1].messages[-1].to_text() == "Roses are red."


async def test_missing_task_argument_is_a_tool_arguments_error() -> None:
    with pytest.raises(ToolArgumentsError, match="task"):
        await AgentTool(writer("x")).run_json({}, CancellationToken())


async def test_state_round_trips_through_the_wrapped_agent() -> None:
    tool = AgentTool(writer("Roses."))
    await tool.run_json({"task": "Poem."}, CancellationToken())
    state = await tool.save_state_json()
    fresh = AgentTool(writer())
    await fresh.load_state_json(state)
    assert await fresh.save_state_json() == state
