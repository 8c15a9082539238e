"""Running the tool calls a model asked for: untrusted input in, one result per call out, never a crash.

Unknown tools, malformed JSON, arguments failing validation and tools that raise all become
``is_error`` results the model reads in its next call. Calls of one reply run concurrently; tools that
stream (agent and team tools) pass their inner events out while they run.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterable, Awaitable, Callable, Mapping, Sequence
from typing import Any, NamedTuple

from flowgen.core import CancellationToken, FunctionCall
from flowgen.errors import ToolArgumentsError
from flowgen.messages import BaseAgentEvent, BaseChatMessage
from flowgen.models.types import FunctionExecutionResult
from flowgen.telemetry import hooks
from flowgen.tools import BaseTool
from flowgen.tools.blocking_call import exit_as_tool_error
from flowgen.valid_text import valid_text

InnerEvent = BaseAgentEvent | BaseChatMessage


class Toolbox(NamedTuple):
    """An agent's tools by name; handoff tools take no arguments whatever the model sends.

    ``approve`` (when the agent has an approval function) is asked about each call but handoffs: it
    returns None to run the call, a refusal result to answer it with, or raises ToolApprovalPending.
    """

    tools: Mapping[str, BaseTool[Any, Any]]
    handoff_names: frozenset[str]
    approve: Callable[[FunctionCall], Awaitable[FunctionExecutionResult | None]] | None = None

    def streams(self, call: FunctionCall) -> bool:
        return hasattr(self.tools.get(call.name), "run_json_stream")


def _error(call: FunctionCall, text: str) -> FunctionExecutionResult:
    content = valid_text(f"Error: {text}")
    return FunctionExecutionResult(content=content, name=call.name, call_id=call.id, is_error=True)


def _parse_arguments(call: FunctionCall) -> dict[str, Any] | FunctionExecutionResult:
    if not call.arguments.strip():
        return {}  # models often send "" for a tool without arguments
    import json  # here: a program whose agents call no tools never loads it

    try:
        parsed = json.loads(call.arguments)
    except json.JSONDecodeError as e:
        return _error(call, f"the arguments of {call.name!r} are not valid JSON ({e}); send a JSON object")
    except RecursionError:
        return _error(
            call, f"the arguments of {call.name!r} are nested too deeply to read; send a flatter JSON object"
        )
    if not isinstance(parsed, dict):
        return _error(
            call, f"the arguments of {call.name!r} must be a JSON object, not {type(parsed).__name__}"
        )
    return parsed


def _invoke(
    tool: BaseTool[Any, Any],
    args: dict[str, Any],
    call: FunctionCall,
    token: CancellationToken,
    events: asyncio.Queue[InnerEvent | None] | None,
) -> Awaitable[Any]:
    """The tool's run, to await; the tool's own awaitable when nothing streams (no frame around it)."""
    if events is None or not hasattr(tool, "run_json_stream"):
        return tool.run_json(args, token, call_id=call.id)
    return _pass_on(tool.run_json_stream(args, token, call_id=call.id), events)


async def _pass_on(stream: AsyncIterable[Any], events: asyncio.Queue[InnerEvent | None]) -> Any:
    """Read a streaming tool's run, passing its inner events on; its last item is its value."""
    value: Any = None
    async for item in stream:
        if isinstance(item, BaseAgentEvent | BaseChatMessage):
            await events.put(item)
        value = item
    return value


def _run_cancelled(token: CancellationToken) -> bool:
    """Whether the run itself is being cancelled (its token, or the task running it)."""
    task = asyncio.current_task()
    return token.is_cancelled() or (task is not None and task.cancelling() > 0)


def run_tool_call(
    toolbox: Toolbox,
    call: FunctionCall,
    token: CancellationToken,
    events: asyncio.Queue[InnerEvent | None] | None = None,
) -> Awaitable[FunctionExecutionResult]:
    """One call's result, to await; every failure except cancellation becomes an error result."""
    run = _run_tool_call(toolbox, call, token, events)
    observer = hooks.observer
    return run if observer is None else observer.tool_call(call, call.name in toolbox.tools, run)


async def _run_tool_call(
    toolbox: Toolbox,
    call: FunctionCall,
    token: CancellationToken,
    events: asyncio.Queue[InnerEvent | None] | None,
) -> FunctionExecutionResult:
    """One call's result; every failure except the run's own cancellation becomes an error result."""
    tool = toolbox.tools.get(call.name)
    if tool is None:
        available = ", ".join(sorted(toolbox.tools)) or "none"
        return _error(call, f"tool {call.name!r} not found; available tools: {available}")
    if toolbox.approve is not None and call.name not in toolbox.handoff_names:
        refused = await toolbox.approve(call)
        if refused is not None:
            return refused
    try:
        args = {} if call.name in toolbox.handoff_names else _parse_arguments(call)
        if isinstance(args, FunctionExecutionResult):
            return args
        value = await _invoke(tool, args, call, token, events)
        # A tool's text enters the conversation here: lone surrogates (os.fsdecode) are repaired.
        content = tool.return_value_as_string(value)
        if not content.isascii():  # checked inline: every handoff passes here
            content = valid_text(content)
    except ToolArgumentsError as e:
        if hooks.observer is not None:
            hooks.observer.tool_error(e)
        return _error(call, str(e))
    except asyncio.CancelledError:
        if _run_cancelled(token):
            raise
        # The tool raised CancelledError, or cancelled its own task; nobody cancelled the run.
        return _error(call, f"tool {call.name!r} was cancelled (it raised asyncio.CancelledError)")
    except (SystemExit, KeyboardInterrupt) as e:
        # Raised by a tool running in place; from the terminal, Ctrl-C reaches asyncio.run's task as
        # a cancellation, which the clause above lets through.
        return _error(call, str(exit_as_tool_error(e, call.name)))
    except Exception as e:
        if hooks.observer is not None:
            hooks.observer.tool_error(e)
        # The tool's own message, unprefixed, as AutoGen reports it (the model reads what the tool said).
        text = valid_text(str(e) or type(e).__name__)
        return FunctionExecutionResult(content=text, name=call.name, call_id=call.id, is_error=True)
    return FunctionExecutionResult(content=content, name=call.name, call_id=call.id, is_error=False)


async def run_tool_calls(
    toolbox: Toolbox, calls: Sequence[FunctionCall], token: CancellationToken
) -> AsyncGenerator[InnerEvent | list[FunctionExecutionResult], None]:
    """Run ``calls`` concurrently, yielding streamed inner events, then the results in call order."""
    if len(calls) == 1 and not toolbox.streams(calls[0]):
        yield [await run_tool_call(toolbox, calls[0], token)]
        return
    refused: dict[str, FunctionExecutionResult] = {}
    order = [c.id for c in calls]
    if toolbox.approve is not None:
        # Every call is decided before any runs: a pause must leave no call of the reply half-done.
        for call in calls:
            if call.name in toolbox.tools and call.name not in toolbox.handoff_names:
                answer = await toolbox.approve(call)
                if answer is not None:
                    refused[call.id] = answer
        toolbox = toolbox._replace(approve=None)
        calls = [c for c in calls if c.id not in refused] if refused else calls
    events: asyncio.Queue[InnerEvent | None] = asyncio.Queue()

    async def one(call: FunctionCall) -> FunctionExecutionResult:
        try:
            return await run_tool_call(toolbox, call, token, events)
        finally:
            events.put_nowait(None)  # tells the reader this call is finished

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(one(call)) for call in calls]
        remaining = len(tasks)
        while remaining:
            item = await events.get()
            if item is None:
                remaining -= 1
            else:
                yield item
    if not refused:
        yield [task.result() for task in tasks]
        return
    ran = {task.result().call_id: task.result() for task in tasks}
    yield [refused[i] if i in refused else ran[i] for i in order]
