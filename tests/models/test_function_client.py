from __future__ import annotations

from collections.abc import Sequence

import pytest
from pydantic import BaseModel

from flowgen.models import CallInfo, CreateResult, FunctionChatCompletionClient, LLMMessage, UserMessage

ASK = [UserMessage(content="hi there", source="user")]


async def test_sync_function_reply() -> None:
    client = FunctionChatCompletionClient(lambda messages, info: f"{len(messages)} message(s)")
    assert (await client.create(ASK)).content == "1 message(s)"


async def test_async_function_reply() -> None:
    async def reply(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        return "async"

    assert (await FunctionChatCompletionClient(reply).create(ASK)).content == "async"


async def test_info_shows_tools_choice_and_output_schema() -> None:
    class Answer(BaseModel):
        value: int

    seen: list[CallInfo] = []

    def reply(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        seen.append(info)
        return "{}"

    tool = {"name": "add", "description": "add", "parameters": {"type": "object", "properties": {}}}
    client = FunctionChatCompletionClient(reply)
    await client.create(ASK, tools=[tool], tool_choice="required", json_output=Answer)  # type: ignore[list-item]
    assert seen[0].tool_names == ["add"]
    assert seen[0].tool_choice == "required"
    assert seen[0].output_schema is not None
    assert seen[0].output_schema["properties"]["value"]["type"] == "integer"


async def test_stream_reassembles_to_the_reply() -> None:
    client = FunctionChatCompletionClient(lambda m, i: "one two three")
    chunks = [c async for c in client.create_stream(ASK)]
    assert "".join(c for c in chunks if isinstance(c, str)) == "one two three"
    assert isinstance(chunks[-1], CreateResult)


async def test_wrong_return_type_is_a_clear_error() -> None:
    client = FunctionChatCompletionClient(lambda m, i: 42)  # type: ignore[arg-type, return-value]
    with pytest.raises(TypeError, match="return a str or a CreateResult"):
        await client.create(ASK)
