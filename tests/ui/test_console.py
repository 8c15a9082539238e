from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncGenerator, Sequence

import pytest
from rich.console import Console as RichConsole

from flowgen.agents import AssistantAgent, UserProxyAgent
from flowgen.base import Response, TaskResult
from flowgen.core import CancellationToken, FunctionCall
from flowgen.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    ModelClientStreamingChunkEvent,
    TextMessage,
    ToolCallExecutionEvent,
    ToolCallRequestEvent,
    UserInputRequestedEvent,
)
from flowgen.models import FunctionExecutionResult, ReplayChatCompletionClient, RequestUsage
from flowgen.ui import Console, UserInputManager

Item = BaseAgentEvent | BaseChatMessage | TaskResult
HELLO = TextMessage(content="Hello world", source="writer", models_usage=RequestUsage(10, 2))


async def stream(*items: Item) -> AsyncGenerator[Item, None]:
    for item in items:
        yield item


def finished(messages: Sequence[BaseAgentEvent | BaseChatMessage], reason: str = "done") -> TaskResult:
    return TaskResult(messages=list(messages), stop_reason=reason)


def screen() -> tuple[RichConsole, io.StringIO]:
    buffer = io.StringIO()
    return RichConsole(file=buffer, width=120, color_system=None), buffer


async def shown(*items: Item, output_stats: bool = False) -> str:
    out, buffer = screen()
    await Console(stream(*items), output=out, output_stats=output_stats)
    return buffer.getvalue()


def chunks(
    text: str, source: str = "writer", full_id: str | None = None
) -> list[ModelClientStreamingChunkEvent]:
    return [
        ModelClientStreamingChunkEvent(content=word, source=source, full_message_id=full_id)
        for word in text.split(" ")
        for word in [word if word == text.split(" ")[-1] else word + " "]
    ]


async def test_prints_a_header_naming_type_and_speaker() -> None:
    assert "---------- TextMessage (writer) ----------\nHello world\n" in await shown(
        HELLO, finished([HELLO])
    )


async def test_returns_the_task_result() -> None:
    result = finished([HELLO])
    out, _ = screen()
    assert await Console(stream(HELLO, result), output=out) is result


async def test_prints_messages_in_stream_order() -> None:
    reply = TextMessage(content="Looks good", source="critic")
    text = await shown(HELLO, reply, finished([HELLO, reply]))
    assert text.index("(writer)") < text.index("(critic)")


async def test_prints_tool_call_events() -> None:
    request = ToolCallRequestEvent(
        content=[FunctionCall(id="1", name="get_weather", arguments='{"city": "Paris"}')], source="agent"
    )
    execution = ToolCallExecutionEvent(
        content=[FunctionExecutionResult(content="sunny", name="get_weather", call_id="1")], source="agent"
    )
    text = await shown(request, execution, finished([]))
    assert "---------- ToolCallRequestEvent (agent) ----------" in text and "get_weather" in text
    assert "---------- ToolCallExecutionEvent (agent) ----------" in text and "sunny" in text


async def test_streamed_chunks_print_inline_under_one_header() -> None:
    full = TextMessage(content="Hello world", source="writer")
    text = await shown(*chunks("Hello world", full_id=full.id), full, finished([full]))
    assert text.count("----------") == 2  # one header line
    assert "---------- ModelClientStreamingChunkEvent (writer) ----------\nHello world\n" in text


async def test_full_message_after_its_chunks_is_not_printed_again() -> None:
    full = TextMessage(content="Hello world", source="writer")
    text = await shown(*chunks("Hello world", full_id=full.id), full, finished([full]))
    assert text.count("Hello world") == 1


async def test_full_message_without_id_is_matched_by_its_text() -> None:
    full = TextMessage(content="Hello world", source="writer")
    text = await shown(*chunks("Hello world"), full, finished([full]))
    assert text.count("Hello world") == 1


async def test_a_different_message_after_chunks_is_still_printed() -> None:
    request = ToolCallRequestEvent(
        content=[FunctionCall(id="1", name="lookup", arguments="{}")], source="writer"
    )
    text = await shown(*chunks("Let me check"), request, finished([]))
    assert "---------- ToolCallRequestEvent (writer) ----------" in text and "lookup" in text


async def test_user_input_request_is_not_printed() -> None:
    event = UserInputRequestedEvent(request_id="r1", source="user")
    assert "UserInputRequestedEvent" not in await shown(event, finished([]))


async def test_user_input_request_notifies_the_manager() -> None:
    manager = UserInputManager(lambda prompt: "yes")
    out, _ = screen()
    event = UserInputRequestedEvent(request_id="r1", source="user")
    await Console(stream(event, finished([])), output=out, user_input_manager=manager)
    assert manager.input_events["r1"].is_set()


async def test_text_with_brackets_is_printed_literally() -> None:
    message = TextMessage(content="[bold]not markup[/bold]", source="writer")
    assert "[bold]not markup[/bold]" in await shown(message, finished([message]))


async def test_no_stats_by_default() -> None:
    text = await shown(HELLO, finished([HELLO]))
    assert "Summary" not in text and "Prompt tokens" not in text


async def test_stats_show_each_messages_usage() -> None:
    assert "[Prompt tokens: 10, Completion tokens: 2]" in await shown(
        HELLO, finished([HELLO]), output_stats=True
    )


async def test_stats_summary_counts_messages_tokens_and_reason() -> None:
    text = await shown(HELLO, HELLO, finished([HELLO, HELLO], "max reached"), output_stats=True)
    assert "---------- Summary ----------" in text
    assert "Number of messages: 2" in text and "Finish reason: max reached" in text
    assert "Total prompt tokens: 20" in text and "Total completion tokens: 4" in text


async def test_stats_summary_shows_duration() -> None:
    assert "Duration: " in await shown(HELLO, finished([HELLO]), output_stats=True)


async def test_stats_count_usage_of_a_streamed_message() -> None:
    full = TextMessage(content="Hello world", source="writer", models_usage=RequestUsage(7, 3))
    text = await shown(*chunks("Hello world", full_id=full.id), full, finished([full]), output_stats=True)
    assert "Total prompt tokens: 7" in text


async def test_response_stream_returns_the_response() -> None:
    async def agent_stream() -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | Response, None]:
        yield Response(chat_message=HELLO)

    out, _ = screen()
    result = await Console(agent_stream(), output=out)
    assert isinstance(result, Response) and result.chat_message is HELLO


async def test_response_is_printed_under_its_speaker() -> None:
    async def agent_stream() -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | Response, None]:
        yield Response(chat_message=HELLO, inner_messages=[])

    out, buffer = screen()
    await Console(agent_stream(), output=out, output_stats=True)
    text = buffer.getvalue()
    assert "---------- writer ----------\nHello world\n" in text and "Number of inner messages: 0" in text


async def test_stream_without_result_raises() -> None:
    out, _ = screen()
    with pytest.raises(ValueError, match="TaskResult or Response"):
        await Console(stream(HELLO), output=out)


async def test_prints_to_stdout_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    await Console(stream(HELLO, finished([HELLO])))
    assert "TextMessage (writer)" in capsys.readouterr().out


async def test_wrapped_callback_calls_a_sync_input_function() -> None:
    manager = UserInputManager(lambda prompt: f"answer to {prompt}")
    assert await manager.get_wrapped_callback()("q?", None) == "answer to q?"


async def test_wrapped_callback_calls_an_async_input_function() -> None:
    async def ask(prompt: str, token: CancellationToken | None) -> str:
        return "async answer"

    assert await UserInputManager(ask).get_wrapped_callback()("q?", CancellationToken()) == "async answer"


async def test_user_proxy_prompt_runs_after_the_console_reaches_its_request() -> None:
    manager = UserInputManager(lambda prompt: "approved")
    user = UserProxyAgent("user", input_func=manager.get_wrapped_callback())
    out, buffer = screen()
    async with asyncio.timeout(10):  # a missed notification would leave the prompt waiting forever
        result = await Console(user.run_stream(task="Ship it?"), output=out, user_input_manager=manager)
    assert result.messages[-1].to_text() == "approved"
    assert "---------- TextMessage (user) ----------\napproved" in buffer.getvalue()


async def test_streamed_agent_reply_is_shown_once() -> None:
    agent = AssistantAgent(
        "writer", ReplayChatCompletionClient(["A short streamed reply"]), model_client_stream=True
    )
    out, buffer = screen()
    await Console(agent.run_stream(task="Write."), output=out)
    text = buffer.getvalue()
    assert text.count("A short streamed reply") == 1
    assert "---------- ModelClientStreamingChunkEvent (writer) ----------\nA short streamed reply\n" in text
