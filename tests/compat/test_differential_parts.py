"""The parts a program uses directly — termination conditions, tools, handoffs, model contexts and
the replay client — behave the same under flowgen and AutoGen when called outside any team.

Each program is text run by :mod:`tests.compat.differential`: with flowgen's imports against the
values recorded in ``programs/test_differential_parts.json`` (AutoGen's observations), and, when
AutoGen is installed, with AutoGen's imports against flowgen's.
"""

from __future__ import annotations

import pytest

from tests.compat.differential import cases, check

HEADER = '''
from typing import Annotated

from pydantic import BaseModel

from flowgen.base import Handoff, TerminatedException
from flowgen.conditions import (
    ExternalTermination,
    FunctionCallTermination,
    HandoffTermination,
    MaxMessageTermination,
    SourceMatchTermination,
    StopMessageTermination,
    TextMentionTermination,
    TextMessageTermination,
    TokenUsageTermination,
)
from flowgen.core import CancellationToken, FunctionCall
from flowgen.messages import (
    HandoffMessage,
    MultiModalMessage,
    StopMessage,
    TextMessage,
    ToolCallExecutionEvent,
    ToolCallRequestEvent,
)
from flowgen.model_context import (
    BufferedChatCompletionContext,
    HeadAndTailChatCompletionContext,
    UnboundedChatCompletionContext,
)
from flowgen.models import (
    AssistantMessage,
    CreateResult,
    FunctionExecutionResult,
    ReplayChatCompletionClient,
    RequestUsage,
    SystemMessage,
    UserMessage,
)
from flowgen.tools import FunctionTool

USAGE = RequestUsage(prompt_tokens=10, completion_tokens=5)


def text(content, source="a", usage=None):
    return TextMessage(content=content, source=source, models_usage=usage)


async def feed(condition, *batches):
    """What the condition says after each batch, and whether it calls itself terminated."""
    said = []
    for batch in batches:
        try:
            stop = await condition(list(batch))
        except (TerminatedException, RuntimeError) as e:
            said.append(("raised", type(e).__name__))
            continue
        said.append(None if stop is None else (stop.content, stop.source))
    return said, condition.terminated
'''

PROGRAMS = {
    "max_message": """
async def main():
    condition = MaxMessageTermination(3)
    first = await feed(condition, [text("1"), text("2")], [text("3")], [text("4")])
    await condition.reset()
    return first, await feed(condition, [text("1")])
""",
    "max_message_skips_events": """
async def main():
    event = ToolCallRequestEvent(content=[FunctionCall(id="1", name="f", arguments="{}")], source="a")
    return await feed(MaxMessageTermination(2), [event, text("1")], [event], [text("2")])
""",
    "text_mention_sources_and_multimodal": """
async def main():
    condition = TextMentionTermination("DONE", sources=["b"])
    return await feed(
        condition,
        [text("DONE", "a")],
        [MultiModalMessage(content=["nearly", "DONE"], source="b")],
    )
""",
    "text_mention_in_events": """
async def main():
    event = ToolCallExecutionEvent(
        content=[FunctionExecutionResult(content="DONE", name="f", call_id="1", is_error=False)], source="a"
    )
    return await feed(TextMentionTermination("DONE"), [event])
""",
    "stop_message": """
async def main():
    return await feed(StopMessageTermination(), [text("x")], [StopMessage(content="bye", source="b")])
""",
    "token_usage": """
async def main():
    return await feed(
        TokenUsageTermination(max_total_token=25, max_completion_token=100), [text("x", usage=USAGE)], [text("y", usage=USAGE)]
    )
""",
    "handoff": """
async def main():
    return await feed(
        HandoffTermination(target="user"),
        [HandoffMessage(content="go", source="a", target="b")],
        [HandoffMessage(content="go", source="b", target="user")],
    )
""",
    "source_match": """
async def main():
    return await feed(SourceMatchTermination(["b", "c"]), [text("x", "a")], [text("x", "c"), text("y", "b")])
""",
    "text_message": """
async def main():
    return await feed(TextMessageTermination(source="b"), [text("x", "a")], [text("y", "b")])
""",
    "function_call": """
async def main():
    event = ToolCallExecutionEvent(
        content=[FunctionExecutionResult(content="ok", name="approve", call_id="1", is_error=False)], source="a"
    )
    return await feed(FunctionCallTermination("approve"), [text("approve")], [event])
""",
    "external": """
async def main():
    condition = ExternalTermination()
    first = await feed(condition, [text("x")])
    condition.set()
    return first, await feed(condition, [])
""",
    "and_terminated": """
async def main():
    both = MaxMessageTermination(2) & TextMentionTermination("X")
    return await feed(both, [text("X")], [text("Y")], [text("Z")])
""",
    "or_terminated": """
async def main():
    either = MaxMessageTermination(1) | TextMentionTermination("X")
    return await feed(either, [text("X")], [text("more")])
""",
    "function_tool_schema": """
class Place(BaseModel):
    city: str
    country: str = "FR"


async def weather(place: Place, days: Annotated[int, "How many days"] = 1, units: str | None = None) -> str:
    '''Forecast for a place.'''
    return "sun"


async def main():
    tool = FunctionTool(weather, description="The weather.")
    return tool.name, tool.description, tool.schema, tool.return_type().__name__ if hasattr(tool, "return_type") else None
""",
    "function_tool_strict_and_name": """
def add(a: int, b: int) -> int:
    return a + b


async def main():
    tool = FunctionTool(add, description="Add.", name="plus", strict=True)
    value = await tool.run_json({"a": 1, "b": 2}, CancellationToken())
    return tool.schema, value, tool.return_value_as_string(value)
""",
    "handoff_defaults": """
async def main():
    handoff = Handoff(target="billing")
    custom = Handoff(target="user", description="Ask the user.", name="ask_user", message="Over to you.")
    return (
        handoff.name, handoff.description, handoff.message, handoff.handoff_tool.schema,
        custom.name, custom.description, custom.message, custom.handoff_tool.schema,
    )
""",
    "buffered_context": """
async def main():
    context = BufferedChatCompletionContext(buffer_size=2)
    for i in range(4):
        await context.add_message(UserMessage(content=f"m{i}", source="u"))
    state = await context.save_state()
    return await context.get_messages(), state
""",
    "head_and_tail_context": """
async def main():
    context = HeadAndTailChatCompletionContext(head_size=1, tail_size=1)
    for i in range(4):
        await context.add_message(UserMessage(content=f"m{i}", source="u"))
    return await context.get_messages()
""",
    "unbounded_context_state": """
async def main():
    context = UnboundedChatCompletionContext(initial_messages=[SystemMessage(content="sys")])
    await context.add_message(AssistantMessage(content="hi", source="a"))
    state = await context.save_state()
    fresh = UnboundedChatCompletionContext()
    await fresh.load_state(state)
    return state, await fresh.get_messages()
""",
    "replay_client_usage_and_stream": """
async def main():
    client = ReplayChatCompletionClient(["one two three", "four"])
    first = await client.create([UserMessage(content="hi there", source="u")])
    chunks = [c async for c in client.create_stream([UserMessage(content="x", source="u")])]
    return (
        first.content, first.finish_reason, (first.usage.prompt_tokens, first.usage.completion_tokens),
        [c if isinstance(c, str) else c.content for c in chunks],
        (client.total_usage().prompt_tokens, client.total_usage().completion_tokens),
        (client.actual_usage().prompt_tokens, client.actual_usage().completion_tokens),
    )
""",
    "replay_client_exhausted": """
async def main():
    client = ReplayChatCompletionClient(["only"])
    await client.create([UserMessage(content="a", source="u")])
    try:
        await client.create([UserMessage(content="b", source="u")])
    except Exception as e:
        return type(e).__name__, isinstance(e, ValueError), str(e).split(":")[0]
""",
    "replay_client_reset": """
async def main():
    client = ReplayChatCompletionClient(["one", "two"])
    await client.create([UserMessage(content="a", source="u")])
    client.reset()
    again = await client.create([UserMessage(content="a", source="u")])
    return again.content, client.total_usage().prompt_tokens, client.total_usage().completion_tokens
""",
}

# Deliberate differences (docs/migration.md): recorded from flowgen, and AutoGen must differ.
DIFFERENCES = {
    # AutoGen drops the description of an argument typed with a pydantic model when it inlines the
    # model's schema; flowgen keeps it (the model reads what the argument is for).
    "function_tool_schema": "a model-typed argument keeps its description in the tool schema",
    # AutoGen's OrTerminationCondition raises RuntimeError where every other condition raises
    # TerminatedException; flowgen raises TerminatedException throughout.
    "or_terminated": "calling a stopped | combination raises TerminatedException, as every condition does",
    "replay_client_exhausted": "an exhausted replay script raises ReplayExhaustedError (a ValueError)",
}


@pytest.mark.parametrize("name", cases(PROGRAMS))
async def test_program_observes_the_same(name: str) -> None:
    await check(__name__, name, HEADER + PROGRAMS[name], differs=DIFFERENCES.get(name))
