"""An AssistantAgent calling another agent through AgentTool passes the inner events through its stream."""

from __future__ import annotations

from assistant_support import CAPABLE, call, calls

from flowgen.agents import AssistantAgent
from flowgen.messages import ModelClientStreamingChunkEvent, TextMessage, ToolCallExecutionEvent
from flowgen.models import ReplayChatCompletionClient
from flowgen.tools import AgentTool


async def test_inner_agent_events_stream_through_the_outer_agent() -> None:
    poet = AssistantAgent(
        "poet",
        ReplayChatCompletionClient(["Roses are red."]),
        description="Writes poems.",
        model_client_stream=True,
    )
    boss = AssistantAgent(
        "boss",
        ReplayChatCompletionClient([calls(call("poet", {"task": "A poem."}))], model_info=CAPABLE),
        tools=[AgentTool(poet)],
    )
    items = [item async for item in boss.run_stream(task="Get me a poem.")]
    inner_chunks = [i for i in items if isinstance(i, ModelClientStreamingChunkEvent) and i.source == "poet"]
    inner_reply = next(i for i in items if isinstance(i, TextMessage) and i.source == "poet")
    execution = next(i for i in items if isinstance(i, ToolCallExecutionEvent))
    assert "".join(c.content for c in inner_chunks) == "Roses are red."
    assert items.index(inner_reply) < items.index(execution)
    assert execution.content[0].content == "poet: Roses are red."
    assert items[-2].to_text() == "poet: Roses are red."  # type: ignore[union-attr]
