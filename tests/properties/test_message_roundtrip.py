"""Property: every chat message and agent event survives a JSON round trip unchanged."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from flowgen.core import MemoryContent
from flowgen.messages import (
    BUILTIN_AGENT_EVENTS,
    BUILTIN_CHAT_MESSAGES,
    BaseAgentEvent,
    BaseChatMessage,
    MemoryQueryEvent,
    MessageFactory,
)
from flowgen.testing.strategies import agent_event_strategies, any_messages, chat_message_strategies

FACTORY = MessageFactory()


@given(any_messages())
def test_json_round_trip_is_lossless(message: BaseChatMessage | BaseAgentEvent) -> None:
    text = json.dumps(message.dump())
    assert FACTORY.create(json.loads(text)) == message


@given(any_messages())
def test_pydantic_json_round_trip_is_lossless(message: BaseChatMessage | BaseAgentEvent) -> None:
    assert type(message).model_validate_json(message.model_dump_json()) == message


def test_the_strategies_cover_every_builtin_type() -> None:
    assert set(chat_message_strategies()) == set(BUILTIN_CHAT_MESSAGES)
    assert set(agent_event_strategies()) == set(BUILTIN_AGENT_EVENTS)


@given(st.binary(min_size=1, max_size=8))
def test_memory_bytes_round_trip(data: bytes) -> None:
    message = MemoryQueryEvent(
        content=[MemoryContent(content=data, mime_type="application/octet-stream")], source="a"
    )
    assert FACTORY.create(json.loads(json.dumps(message.dump()))) == message
