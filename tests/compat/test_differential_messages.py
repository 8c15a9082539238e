"""Messages built from the same content dump to the same JSON under flowgen and AutoGen.

``dump()`` is what a saved team state, a log or a wire protocol holds, so its shape is the compatible
surface: the same field names, the same ``type`` discriminator, the same values. The ``id`` and
``created_at`` of each message differ naturally and are left out.
"""

from __future__ import annotations

from typing import Any

import pytest

from flowgen.messages import MessageFactory, StructuredMessage
from tests.compat.differential import AUTOGEN_AVAILABLE, cases, check, load

HEADER = """
from pydantic import BaseModel

from flowgen.core import FunctionCall, MemoryContent
from flowgen.messages import (
    HandoffMessage,
    MemoryQueryEvent,
    ModelClientStreamingChunkEvent,
    MultiModalMessage,
    SelectorEvent,
    SelectSpeakerEvent,
    StopMessage,
    StructuredMessage,
    TextMessage,
    ThoughtEvent,
    ToolCallExecutionEvent,
    ToolCallRequestEvent,
    ToolCallSummaryMessage,
    UserInputRequestedEvent,
)
from flowgen.models import AssistantMessage, FunctionExecutionResult, FunctionExecutionResultMessage, RequestUsage, UserMessage

USAGE = RequestUsage(prompt_tokens=4, completion_tokens=2)
CALL = FunctionCall(id="call_1", name="add", arguments='{"a": 1}')
RESULT = FunctionExecutionResult(content="2", name="add", call_id="call_1", is_error=False)


class Point(BaseModel):
    x: int
    y: int


def shape(message):
    dumped = message.dump()
    dumped.pop("id", None)
    dumped.pop("created_at", None)
    return dumped
"""

PROGRAMS = {
    "text": """
async def main():
    return shape(TextMessage(content="hi", source="a", models_usage=USAGE, metadata={"k": "v"}))
""",
    "text_defaults": """
async def main():
    return shape(TextMessage(content="hi", source="a"))
""",
    "stop": """
async def main():
    return shape(StopMessage(content="done", source="a"))
""",
    "handoff": """
async def main():
    context = [UserMessage(content="x", source="user"), AssistantMessage(content=[CALL], source="a")]
    return shape(HandoffMessage(content="go", source="a", target="b", context=context))
""",
    "tool_call_summary": """
async def main():
    return shape(ToolCallSummaryMessage(content="2", source="a", tool_calls=[CALL], results=[RESULT]))
""",
    "structured": """
async def main():
    return shape(StructuredMessage[Point](content=Point(x=1, y=2), source="a", format_string="{x},{y}"))
""",
    "multimodal_text_only": """
async def main():
    return shape(MultiModalMessage(content=["look", "here"], source="a"))
""",
    "tool_call_request": """
async def main():
    return shape(ToolCallRequestEvent(content=[CALL], source="a", models_usage=USAGE))
""",
    "tool_call_execution": """
async def main():
    return shape(ToolCallExecutionEvent(content=[RESULT], source="a"))
""",
    "streaming_chunk": """
async def main():
    return shape(ModelClientStreamingChunkEvent(content="par", source="a", full_message_id="m1"))
""",
    "thought": """
async def main():
    return shape(ThoughtEvent(content="hmm", source="a"))
""",
    "select_speaker": """
async def main():
    return shape(SelectSpeakerEvent(content=["a", "b"], source="manager"))
""",
    "selector_event": """
async def main():
    return shape(SelectorEvent(content="picked a", source="manager"))
""",
    "user_input_requested": """
async def main():
    return shape(UserInputRequestedEvent(request_id="r1", content="", source="user"))
""",
    "memory_query": """
async def main():
    return shape(MemoryQueryEvent(content=[MemoryContent(content="fact", mime_type="text/plain")], source="a"))
""",
    "to_model_text": """
async def main():
    message = TextMessage(content="hi", source="a")
    return message.to_model_text(), message.to_text(), message.to_model_message().model_dump()
""",
    "handoff_to_model": """
async def main():
    return HandoffMessage(content="go", source="a", target="b").to_model_message().model_dump()
""",
    "load_round_trip": """
async def main():
    original = ToolCallSummaryMessage(content="2", source="a", tool_calls=[CALL], results=[RESULT])
    loaded = ToolCallSummaryMessage.load(original.dump())
    return loaded == original, shape(loaded)
""",
}


@pytest.mark.parametrize("name", cases(PROGRAMS))
async def test_message_dumps_the_same(name: str) -> None:
    await check(__name__, name, HEADER + PROGRAMS[name])


CROSS_LOAD = """
async def main():
    messages = [
        TextMessage(content="hi", source="a", models_usage=USAGE, metadata={"k": "v"}),
        StopMessage(content="done", source="a"),
        HandoffMessage(content="go", source="a", target="b", context=[UserMessage(content="x", source="user")]),
        ToolCallSummaryMessage(content="2", source="a", tool_calls=[CALL], results=[RESULT]),
        StructuredMessage[Point](content=Point(x=1, y=2), source="a"),
        ToolCallRequestEvent(content=[CALL], source="a"),
        ToolCallExecutionEvent(content=[RESULT], source="a"),
        ThoughtEvent(content="hmm", source="a"),
        SelectSpeakerEvent(content=["a"], source="manager"),
    ]
    return [m.dump() for m in messages]
"""


async def test_autogen_dumps_load_into_flowgen_messages() -> None:
    """A transcript saved by an AutoGen program loads into flowgen's messages unchanged."""
    if not AUTOGEN_AVAILABLE:
        pytest.skip("AutoGen is not installed: nothing to load from")
    dumps = await load(HEADER + CROSS_LOAD, "autogen")["main"]()
    factory = MessageFactory()
    point: Any = load(HEADER, "flowgen")["Point"]
    factory.register(StructuredMessage[point])
    for dumped in dumps:
        assert factory.create(dumped).dump() == dumped
