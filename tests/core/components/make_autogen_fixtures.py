"""Writes the component JSON files AutoGen 0.7.5 dumps, and what its runs of them produce.

Run with AutoGen installed (the ``compat`` extra): ``python tests/core/components/make_autogen_fixtures.py``.
The tests read the files it writes; they do not need AutoGen.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.conditions import MaxMessageTermination, TextMentionTermination
from autogen_agentchat.teams import DiGraphBuilder, GraphFlow, RoundRobinGroupChat, SelectorGroupChat
from autogen_core import FunctionCall
from autogen_core.model_context import BufferedChatCompletionContext
from autogen_core.models import CreateResult, RequestUsage
from autogen_core.tools import FunctionTool
from autogen_ext.models.replay import ReplayChatCompletionClient

HERE = Path(__file__).parent
TOOLS = {
    "vision": False,
    "function_calling": True,
    "json_output": False,
    "family": "unknown",
    "structured_output": False,
}


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def round_robin() -> RoundRobinGroupChat:
    writer = AssistantAgent(
        "writer",
        model_client=ReplayChatCompletionClient(["Paris is the capital.", "Agreed."]),
        system_message="You write answers.",
        model_context=BufferedChatCompletionContext(buffer_size=6),
    )
    call = FunctionCall(id="call_1", name="add", arguments='{"a": 2, "b": 3}')
    checker = AssistantAgent(
        "checker",
        model_client=ReplayChatCompletionClient(
            [
                CreateResult(
                    finish_reason="function_calls",
                    content=[call],
                    usage=RequestUsage(prompt_tokens=0, completion_tokens=0),
                    cached=False,
                ),
                "All checked. TERMINATE",
            ],
            model_info=TOOLS,  # type: ignore[arg-type]
        ),
        tools=[FunctionTool(add, description="Add two numbers.")],
        description="Checks the answer.",
    )
    stop = MaxMessageTermination(8) | TextMentionTermination("TERMINATE")
    return RoundRobinGroupChat([writer, checker], termination_condition=stop, max_turns=6)


def selector() -> SelectorGroupChat:
    planner = AssistantAgent(
        "planner", ReplayChatCompletionClient(["Plan: go to Oslo."]), description="Plans trips."
    )
    booker = AssistantAgent(
        "booker", ReplayChatCompletionClient(["Booked. TERMINATE"]), description="Books trips."
    )
    chooser = ReplayChatCompletionClient(["planner", "booker"])
    return SelectorGroupChat(
        [planner, booker], model_client=chooser, termination_condition=TextMentionTermination("TERMINATE")
    )


def graph_flow() -> GraphFlow:
    writer = AssistantAgent("writer", ReplayChatCompletionClient(["Draft one.", "Draft two."]))
    reviewer = AssistantAgent("reviewer", ReplayChatCompletionClient(["REVISE the ending.", "APPROVE"]))
    editor = AssistantAgent("editor", ReplayChatCompletionClient(["Edited and published."]))
    builder = DiGraphBuilder()
    builder.add_node(writer).add_node(reviewer).add_node(editor)
    builder.add_edge(writer, reviewer)
    builder.add_edge(reviewer, writer, condition="REVISE")
    builder.add_edge(reviewer, editor, condition="APPROVE")
    builder.set_entry_point(writer)
    return GraphFlow(builder.get_participants(), builder.build(), max_turns=10)


async def record(name: str, team: RoundRobinGroupChat | SelectorGroupChat | GraphFlow, task: str) -> None:
    (HERE / f"autogen_{name}.json").write_text(team.dump_component().model_dump_json(indent=2) + "\n")
    result = await team.run(task=task)
    run = {
        "task": task,
        "messages": [{"type": m.type, "source": m.source, "text": m.to_text()} for m in result.messages],
        "stop_reason": result.stop_reason,
    }
    (HERE / f"autogen_{name}.run.json").write_text(json.dumps(run, indent=2) + "\n")


async def main() -> None:
    await record("round_robin", round_robin(), "What is the capital of France?")
    await record("selector", selector(), "Plan and book a trip.")
    await record("graph_flow", graph_flow(), "Write a story.")


if __name__ == "__main__":
    asyncio.run(main())
