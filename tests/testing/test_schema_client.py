from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from flowgen.core import FunctionCall
from flowgen.errors import ReplayExhaustedError, UnusedRepliesError
from flowgen.models import (
    AssistantMessage,
    CreateResult,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    ToolSchema,
    UserMessage,
)
from flowgen.testing.clients import SchemaChatCompletionClient

ASK = [UserMessage(content="please use your tools", source="user")]
ADD: ToolSchema = {
    "name": "add",
    "description": "add two numbers",
    "parameters": {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer", "minimum": 0}},
        "required": ["a", "b"],
    },
}
ECHO: ToolSchema = {
    "name": "echo",
    "parameters": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
}


def _calls(result: CreateResult) -> list[FunctionCall]:
    assert isinstance(result.content, list)
    return result.content


def _after_tools(
    result: CreateResult,
) -> list[UserMessage | AssistantMessage | FunctionExecutionResultMessage]:
    calls = _calls(result)
    return [
        *ASK,
        AssistantMessage(content=calls, source="assistant"),
        FunctionExecutionResultMessage(
            content=[FunctionExecutionResult(content="ok", name=c.name, call_id=c.id) for c in calls]
        ),
    ]


async def test_calls_every_offered_tool_once() -> None:
    result = await SchemaChatCompletionClient(["done"]).create(ASK, tools=[ADD, ECHO])
    assert result.finish_reason == "function_calls"
    assert [c.name for c in _calls(result)] == ["add", "echo"]


async def test_arguments_follow_the_schema() -> None:
    result = await SchemaChatCompletionClient(seed=3).create(ASK, tools=[ADD])
    arguments = json.loads(_calls(result)[0].arguments)
    assert isinstance(arguments["a"], int) and arguments["b"] >= 0


async def test_same_seed_same_arguments() -> None:
    first = await SchemaChatCompletionClient(seed=5).create(ASK, tools=[ADD, ECHO])
    second = await SchemaChatCompletionClient(seed=5).create(ASK, tools=[ADD, ECHO])
    assert [c.arguments for c in _calls(first)] == [c.arguments for c in _calls(second)]


async def test_answers_with_text_after_the_tool_results() -> None:
    client = SchemaChatCompletionClient(["all tools ran"])
    calls = await client.create(ASK, tools=[ADD])
    answer = await client.create(_after_tools(calls), tools=[ADD])
    assert answer.content == "all tools ran"
    client.assert_complete()


async def test_without_tools_answers_with_text() -> None:
    assert (await SchemaChatCompletionClient(["plain"]).create(ASK)).content == "plain"


async def test_tool_choice_none_answers_with_text() -> None:
    result = await SchemaChatCompletionClient(["no calls"]).create(ASK, tools=[ADD], tool_choice="none")
    assert result.content == "no calls"


async def test_a_forced_tool_is_the_only_one_called() -> None:
    class Forced:
        schema = ECHO

    result = await SchemaChatCompletionClient().create(ASK, tools=[ADD, ECHO], tool_choice=Forced())
    assert [c.name for c in _calls(result)] == ["echo"]


async def test_tool_filter_skips_tools() -> None:
    client = SchemaChatCompletionClient(tool_filter=lambda t: t["name"] != "add")
    assert [c.name for c in _calls(await client.create(ASK, tools=[ADD, ECHO]))] == ["echo"]


async def test_strict_script_fails_when_exhausted() -> None:
    client = SchemaChatCompletionClient(["only one"])
    await client.create(ASK)
    with pytest.raises(ReplayExhaustedError, match="strict=False"):
        await client.create(ASK)


async def test_lenient_script_cycles() -> None:
    client = SchemaChatCompletionClient(["a", "b"], strict=False)
    answers = [(await client.create(ASK)).content for _ in range(3)]
    assert answers == ["a", "b", "a"]


def test_unused_replies_fail_assert_complete() -> None:
    with pytest.raises(UnusedRepliesError, match="1 of 1"):
        SchemaChatCompletionClient(["never asked"]).assert_complete()


async def test_structured_output_is_generated_from_the_schema() -> None:
    class Verdict(BaseModel):
        approved: bool
        score: int

    result = await SchemaChatCompletionClient(seed=2).create(ASK, json_output=Verdict)
    assert isinstance(result.content, str)
    Verdict.model_validate_json(result.content)


async def test_usage_is_recorded() -> None:
    client = SchemaChatCompletionClient(["one two three"])
    result = await client.create(ASK)
    assert client.total_usage() == result.usage
    assert result.usage.completion_tokens == 3


async def test_reset_replays_from_the_start() -> None:
    client = SchemaChatCompletionClient(["x"], seed=9)
    first = await client.create(ASK, tools=[ADD])
    await client.create(ASK)
    client.reset()
    again = await client.create(ASK, tools=[ADD])
    assert [c.arguments for c in _calls(first)] == [c.arguments for c in _calls(again)]
    assert (await client.create(ASK)).content == "x"
