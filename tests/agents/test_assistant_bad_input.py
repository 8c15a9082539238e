"""Model output is untrusted: bad tool calls become error results the model sees next; the run goes on."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from assistant_support import call, calls

from flowgen.agents import AssistantAgent
from flowgen.core import FunctionCall
from flowgen.messages import TextMessage, ToolCallExecutionEvent
from flowgen.models import (
    CallInfo,
    CreateResult,
    FunctionChatCompletionClient,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
)


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def explode() -> str:
    """Always fails."""
    raise RuntimeError("the tool broke")


async def run_one_bad_call(bad: FunctionCall) -> tuple[FunctionExecutionResult, list[LLMMessage], str]:
    """One turn: the model makes ``bad``, then (reflecting) reads the result and answers."""
    seen: list[list[LLMMessage]] = []

    def model(messages: Sequence[LLMMessage], info: CallInfo) -> CreateResult | str:
        seen.append(list(messages))
        return calls(bad) if info.call_index == 0 else "recovered"

    agent = AssistantAgent(
        "assistant", FunctionChatCompletionClient(model), tools=[add, explode], reflect_on_tool_use=True
    )
    result = await agent.run(task="go")
    execution = next(m for m in result.messages if isinstance(m, ToolCallExecutionEvent))
    return execution.content[0], seen[1], result.messages[-1].to_text()


def result_seen_by_model(messages: list[LLMMessage]) -> FunctionExecutionResult:
    last = messages[-1]
    assert isinstance(last, FunctionExecutionResultMessage)
    return last.content[0]


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        (call("subtract", {"a": 1}), "tool 'subtract' not found; available tools: add, explode"),
        (call("add", '{"a": 1, "b":'), "not valid JSON"),
        (call("add", "[1, 2]"), "must be a JSON object"),
        (call("add", {"a": "one", "b": 2}), "a: Input should be a valid integer"),
        (call("add", {"a": 1}), "b: Field required"),
    ],
    ids=["unknown-tool", "malformed-json", "not-an-object", "wrong-type", "missing-arg"],
)
async def test_bad_tool_call_becomes_an_error_result_the_model_sees(bad: FunctionCall, expected: str) -> None:
    result, next_call, final = await run_one_bad_call(bad)
    assert result.is_error is True
    assert result.content.startswith("Error: ") and expected in result.content
    assert result.call_id == bad.id and result.name == bad.name
    assert result_seen_by_model(next_call) == result
    assert final == "recovered"


async def test_a_raising_tool_reports_its_own_message_as_an_error_result() -> None:
    result, next_call, final = await run_one_bad_call(call("explode"))
    assert (result.is_error, result.content) == (True, "the tool broke")
    assert result_seen_by_model(next_call) == result
    assert final == "recovered"


async def test_empty_arguments_mean_no_arguments() -> None:
    def ping() -> str:
        return "pong"

    agent = AssistantAgent(
        "assistant",
        FunctionChatCompletionClient(lambda messages, info: calls(call("ping", ""))),
        tools=[ping],
    )
    assert (await agent.run(task="go")).messages[-1].to_text() == "pong"


async def test_one_failing_call_does_not_spoil_the_others() -> None:
    agent = AssistantAgent(
        "assistant",
        FunctionChatCompletionClient(
            lambda messages, info: calls(call("explode"), call("add", {"a": 1, "b": 2}, call_id="ok"))
        ),
        tools=[add, explode],
    )
    result = await agent.run(task="go")
    summary = result.messages[-1]
    assert summary.to_text() == "the tool broke\n3"
    assert not isinstance(summary, TextMessage)
