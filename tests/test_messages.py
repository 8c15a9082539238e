from __future__ import annotations

import uuid

import pytest
from pydantic import BaseModel

from flowgen.core import FunctionCall, Image, MemoryContent, MemoryMimeType
from flowgen.messages import (
    BaseChatMessage,
    HandoffMessage,
    MemoryQueryEvent,
    MessageFactory,
    ModelClientStreamingChunkEvent,
    MultiModalMessage,
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
from flowgen.models import FunctionExecutionResult, RequestUsage, UserMessage


class Verdict(BaseModel):
    approved: bool
    score: int


PNG = Image.from_bytes(b"\x89PNG\r\n\x1a\nfake")

SAMPLES = [
    TextMessage(content="hello", source="a", models_usage=RequestUsage(3, 4), metadata={"k": "v"}),
    MultiModalMessage(content=["look", PNG], source="user"),
    StopMessage(content="done", source="b"),
    HandoffMessage(content="go", source="a", target="b", context=[UserMessage(content="x", source="u")]),
    ToolCallSummaryMessage(
        content="3",
        source="a",
        tool_calls=[FunctionCall(id="1", name="add", arguments='{"a": 1}')],
        results=[FunctionExecutionResult(content="3", name="add", call_id="1", is_error=False)],
    ),
    ToolCallRequestEvent(content=[FunctionCall(id="1", name="add", arguments="{}")], source="a"),
    ToolCallExecutionEvent(
        content=[FunctionExecutionResult(content="boom", name="add", call_id="1", is_error=True)], source="a"
    ),
    ModelClientStreamingChunkEvent(content="he", source="a", full_message_id="m1"),
    ThoughtEvent(content="thinking", source="a"),
    SelectSpeakerEvent(content=["b"], source="team"),
    UserInputRequestedEvent(request_id="r1", source="user"),
    MemoryQueryEvent(content=[MemoryContent(content="likes tea", mime_type=MemoryMimeType.TEXT)], source="a"),
]


@pytest.mark.parametrize("message", SAMPLES, ids=lambda m: type(m).__name__)
def test_factory_round_trips_every_builtin_type_through_json(message: object) -> None:
    import json

    factory = MessageFactory()
    dumped = json.loads(json.dumps(message.dump()))  # type: ignore[attr-defined]
    assert factory.create(dumped) == message


def test_structured_message_round_trips_once_registered() -> None:
    message = StructuredMessage[Verdict](content=Verdict(approved=True, score=9), source="critic")
    factory = MessageFactory()
    with pytest.raises(ValueError, match="register"):
        factory.create(message.dump())
    factory.register(StructuredMessage[Verdict])
    assert factory.create(message.dump()) == message


def test_structured_message_text_uses_format_string() -> None:
    message = StructuredMessage[Verdict](
        content=Verdict(approved=False, score=2), source="critic", format_string="score {score}"
    )
    assert message.to_text() == "score 2"
    assert message.to_model_message() == UserMessage(content="score 2", source="critic")
    assert message.dump()["type"] == "StructuredMessage[Verdict]"


def test_text_message_becomes_a_user_message_for_models() -> None:
    assert TextMessage(content="hi", source="w").to_model_message() == UserMessage(content="hi", source="w")


def test_multimodal_text_has_image_placeholders() -> None:
    message = MultiModalMessage(content=["see", PNG], source="user")
    assert message.to_model_text() == "see\n[image]"
    assert message.to_text() == "see\n<image>"


def test_messages_get_distinct_ids_and_utc_timestamps() -> None:
    a, b = TextMessage(content="x", source="s"), TextMessage(content="x", source="s")
    assert a.id != b.id
    assert a.created_at.tzinfo is not None


def test_message_ids_are_distinct_version_4_uuids_in_their_text_form() -> None:
    ids = [TextMessage(content="x", source="s").id for _ in range(1000)]
    assert len(set(ids)) == 1000
    parsed = [uuid.UUID(i) for i in ids]
    assert all(
        str(u) == i and u.version == 4 and u.variant == uuid.RFC_4122
        for u, i in zip(parsed, ids, strict=True)
    )


def test_factory_rejects_unknown_type_naming_it() -> None:
    with pytest.raises(ValueError, match="'Nope'"):
        MessageFactory().create({"type": "Nope", "source": "a"})


def test_custom_message_type_registers() -> None:
    class Vote(BaseChatMessage):
        choice: str
        type: str = "Vote"

        def to_text(self) -> str:
            return self.choice

        def to_model_text(self) -> str:
            return self.choice

        def to_model_message(self) -> UserMessage:
            return UserMessage(content=self.choice, source=self.source)

    factory = MessageFactory()
    assert not factory.is_registered(Vote)
    factory.register(Vote)
    assert factory.create(Vote(choice="b", source="x").dump()).to_text() == "b"


def test_register_rejects_non_message_types() -> None:
    with pytest.raises(ValueError, match="not a message type"):
        MessageFactory().register(Verdict)  # type: ignore[arg-type]
