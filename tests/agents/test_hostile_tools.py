"""Tools that misbehave: cancelling themselves, exiting, blocking, or called twice at once."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Sequence

import pytest
from assistant_support import CAPABLE, call, calls

from flowgen.agents import AssistantAgent
from flowgen.core import CancellationToken
from flowgen.messages import ToolCallExecutionEvent
from flowgen.models import (
    FunctionExecutionResult,
    LLMMessage,
    ReplayChatCompletionClient,
    UserMessage,
)
from flowgen.models.function import CallInfo, FunctionChatCompletionClient
from flowgen.tools import AgentTool


def _results(messages: list[object]) -> list[FunctionExecutionResult]:
    return [r for m in messages if isinstance(m, ToolCallExecutionEvent) for r in m.content]


def _agent(*tools: object, replies: int = 1) -> AssistantAgent:
    names = [getattr(t, "__name__", "") for t in tools]
    script = [calls(*[call(name) for name in names])] + ["done"] * replies
    model = ReplayChatCompletionClient(script, model_info=CAPABLE)
    return AssistantAgent("worker", model, tools=list(tools), reflect_on_tool_use=True)  # type: ignore[arg-type]


async def raises_cancelled() -> str:
    raise asyncio.CancelledError


async def cancels_itself() -> str:
    task = asyncio.current_task()
    assert task is not None
    task.cancel()
    await asyncio.sleep(0)
    return "never"


def sync_raises_cancelled() -> str:
    raise asyncio.CancelledError


@pytest.mark.parametrize("tool", [raises_cancelled, cancels_itself, sync_raises_cancelled])
async def test_a_tool_cancelling_itself_is_a_tool_error(tool: object) -> None:
    result = await _agent(tool).run(task="go")
    (failed,) = _results(result.messages)
    assert failed.is_error
    assert "was cancelled" in failed.content
    assert result.messages[-1].to_text() == "done"  # the run went on


def exits() -> str:
    sys.exit(0)


async def async_exits() -> str:
    raise SystemExit(3)


def interrupts() -> str:
    raise KeyboardInterrupt


async def async_interrupts() -> str:
    raise KeyboardInterrupt


@pytest.mark.parametrize("tool", [exits, async_exits, interrupts, async_interrupts])
async def test_a_tool_raising_system_exit_or_keyboard_interrupt_is_a_tool_error(tool: object) -> None:
    result = await _agent(tool).run(task="go")
    (failed,) = _results(result.messages)
    assert failed.is_error
    assert "a tool cannot stop the program" in failed.content
    assert result.messages[-1].to_text() == "done"


async def test_cancelling_the_run_still_cancels_it_during_a_tool() -> None:
    started = asyncio.Event()

    async def waits() -> str:
        started.set()
        await asyncio.Event().wait()
        return "never"

    token = CancellationToken()
    run = asyncio.ensure_future(_agent(waits).run(task="go", cancellation_token=token))
    await started.wait()
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run


async def test_cancelling_the_task_still_cancels_it_during_a_tool() -> None:
    started = asyncio.Event()

    async def waits() -> str:
        started.set()
        await asyncio.Event().wait()
        return "never"

    run = asyncio.ensure_future(_agent(waits).run(task="go"))
    await started.wait()
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run


async def test_cancelling_a_run_during_a_blocking_sync_tool_ends_it_promptly() -> None:
    started = threading.Event()
    release = threading.Event()

    def blocks() -> str:
        started.set()
        release.wait()  # stuck until the test lets go, long after the run ended
        return "late"

    try:
        token = CancellationToken()
        run = asyncio.ensure_future(_agent(blocks).run(task="go", cancellation_token=token))
        await asyncio.to_thread(started.wait)
        token.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run  # returns although the thread is still blocked
        stuck = [t for t in threading.enumerate() if t.name == "flowgen-tool-blocks"]
        assert stuck and stuck[0].daemon  # it runs on, but holds up neither asyncio.run nor exit
    finally:
        release.set()


async def test_the_same_agent_tool_called_twice_in_one_reply_runs_one_call_at_a_time() -> None:
    async def answer(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        await asyncio.sleep(0)  # a real model call suspends: the other call gets its chance to run
        return f"a{info.call_index + 1}"

    inner_model = FunctionChatCompletionClient(answer, model_info=CAPABLE)
    inner = AssistantAgent("helper", inner_model, description="Helps.")
    outer_model = ReplayChatCompletionClient(
        [calls(call("helper", {"task": "q1"}, "c1"), call("helper", {"task": "q2"}, "c2")), "done"],
        model_info=CAPABLE,
    )
    outer = AssistantAgent("boss", outer_model, tools=[AgentTool(inner)], reflect_on_tool_use=True)
    result = await outer.run(task="ask twice")
    assert [r.content for r in _results(result.messages)] == ["helper: a1", "helper: a2"]
    history = await inner.model_context.get_messages()
    said = [m.content if isinstance(m, UserMessage) else f"<{m.content}>" for m in history]
    assert said == ["q1", "<a1>", "q2", "<a2>"]


def takes_a_list(items: list[int]) -> str:
    return "ok"


async def test_deeply_nested_tool_arguments_are_an_error_naming_the_tool() -> None:
    deep = '{"items": ' + "[" * 100_000 + "]" * 100_000 + "}"
    model = ReplayChatCompletionClient([calls(call("takes_a_list", deep)), "done"], model_info=CAPABLE)
    agent = AssistantAgent("worker", model, tools=[takes_a_list], reflect_on_tool_use=True)
    (failed,) = _results((await agent.run(task="go")).messages)
    assert failed.is_error
    assert "the arguments of 'takes_a_list' are nested too deeply" in failed.content
