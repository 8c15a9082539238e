"""Property: model output is untrusted input — whatever a model replies, an AssistantAgent's run completes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from flowgen.agents import AssistantAgent
from flowgen.messages import BaseChatMessage, ToolCallExecutionEvent
from flowgen.models import CreateResult, ReplayChatCompletionClient
from flowgen.models.function import FULL_INFO
from flowgen.testing.strategies import create_results
from flowgen.tools import FunctionTool


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def shout(text: str, times: int = 1) -> str:
    """Repeat text loudly."""
    return (text.upper() + " ") * max(times, 0)


TOOLS = [FunctionTool(add, description="Add two integers."), FunctionTool(shout, description="Shout.")]
SCHEMAS = [tool.schema for tool in TOOLS]


@given(create_results(SCHEMAS), st.booleans())
async def test_any_model_reply_ends_in_an_answer_never_a_crash(reply: CreateResult, reflect: bool) -> None:
    final = CreateResult(finish_reason="stop", content="final", usage=reply.usage)
    model = ReplayChatCompletionClient([reply, final], model_info=FULL_INFO)
    agent = AssistantAgent("calculator", model, tools=TOOLS, reflect_on_tool_use=reflect)
    result = await agent.run(task="compute something")
    assert isinstance(result.messages[-1], BaseChatMessage)
    known = {tool.name for tool in TOOLS}
    for event in result.messages:
        if isinstance(event, ToolCallExecutionEvent):
            for outcome in event.content:
                assert outcome.name in known or outcome.is_error, "an unknown tool must give an error result"
