"""AssistantAgent: replies, tool calls, reflection, summaries, structured output, streaming, state."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from assistant_support import CAPABLE, call, calls
from pydantic import BaseModel

from flowgen.agents import AssistantAgent
from flowgen.base import TaskResult
from flowgen.core import CancellationToken, MemoryContent, MemoryMimeType
from flowgen.memory import ListMemory
from flowgen.messages import (
    MemoryQueryEvent,
    ModelClientStreamingChunkEvent,
    StructuredMessage,
    TextMessage,
    ThoughtEvent,
    ToolCallExecutionEvent,
    ToolCallRequestEvent,
    ToolCallSummaryMessage,
)
from flowgen.models import (
    CallInfo,
    CreateResult,
    FunctionChatCompletionClient,
    FunctionExecutionResultMessage,
    LLMMessage,
    ReplayChatCompletionClient,
    RequestUsage,
    SystemMessage,
)
from flowgen.tools import FunctionTool


def get_weather(city: str) -> str:
    """Get the weather of a city."""
    return f"Sunny in {city}."


class Weather(BaseModel):
    city: str
    sunny: bool


async def stream_items(agent: AssistantAgent, task: str) -> list[object]:
    return [item async for item in agent.run_stream(task=task)]


async def test_text_reply_is_a_text_message_with_usage() -> None:
    agent = AssistantAgent("assistant", ReplayChatCompletionClient(["Paris."]))
    result = await agent.run(task="Capital of France?")
    reply = result.messages[-1]
    assert isinstance(reply, TextMessage)
    assert (reply.content, reply.source) == ("Paris.", "assistant")
    assert reply.models_usage is not None and reply.models_usage.completion_tokens == 1


async def test_run_stream_yields_task_reply_then_result() -> None:
    agent = AssistantAgent("assistant", ReplayChatCompletionClient(["Paris."]))
    items = await stream_items(agent, "Capital?")
    assert [type(i).__name__ for i in items] == ["TextMessage", "TextMessage", "TaskResult"]
    assert isinstance(items[-1], TaskResult) and list(items[-1].messages) == items[:2]


async def test_system_message_comes_first_and_can_be_omitted() -> None:
    client = ReplayChatCompletionClient(["a", "b"])
    await AssistantAgent("a", client, system_message="Be brief.").run(task="hi")
    await AssistantAgent("b", client, system_message=None).run(task="hi")
    first, second = (c["messages"] for c in client.create_calls)
    assert isinstance(first[0], SystemMessage) and first[0].content == "Be brief."
    assert not any(isinstance(m, SystemMessage) for m in second)


async def test_history_is_kept_between_turns() -> None:
    client = ReplayChatCompletionClient(["one", "two"])
    agent = AssistantAgent("assistant", client, system_message=None)
    await agent.run(task="first")
    await agent.run(task="second")
    assert [m.content for m in client.create_calls[1]["messages"]] == ["first", "one", "second"]


async def test_tool_call_yields_request_execution_and_summary() -> None:
    client = ReplayChatCompletionClient([calls(call("get_weather", {"city": "Oslo"}))], model_info=CAPABLE)
    agent = AssistantAgent("assistant", client, tools=[get_weather])
    items = await stream_items(agent, "Weather in Oslo?")
    request, execution, summary = items[1:4]
    assert isinstance(request, ToolCallRequestEvent) and request.content[0].name == "get_weather"
    assert request.models_usage == RequestUsage(5, 3)
    assert isinstance(execution, ToolCallExecutionEvent)
    assert execution.content[0].content == "Sunny in Oslo." and execution.content[0].is_error is False
    assert isinstance(summary, ToolCallSummaryMessage) and summary.content == "Sunny in Oslo."
    assert summary.results == execution.content


async def test_plain_functions_become_tools_described_by_their_docstring() -> None:
    client = ReplayChatCompletionClient(["ok"], model_info=CAPABLE)
    await AssistantAgent("assistant", client, tools=[get_weather]).run(task="hi")
    (tool,) = client.create_calls[0]["tools"]
    assert tool.schema["description"] == "Get the weather of a city."


async def test_summary_format_and_formatter() -> None:
    script = [calls(call("get_weather", {"city": "Rome"}))]
    formatted = AssistantAgent(
        "a",
        ReplayChatCompletionClient(script, model_info=CAPABLE),
        tools=[get_weather],
        tool_call_summary_format="{tool_name}({arguments}) -> {result} [{is_error}]",
    )
    result = await formatted.run(task="?")
    assert result.messages[-1].to_text() == 'get_weather({"city": "Rome"}) -> Sunny in Rome. [False]'
    custom = AssistantAgent(
        "b",
        ReplayChatCompletionClient(script, model_info=CAPABLE),
        tools=[get_weather],
        tool_call_summary_formatter=lambda c, r: f"{c.name}: {r.content.upper()}",
    )
    assert (await custom.run(task="?")).messages[-1].to_text() == "get_weather: SUNNY IN ROME."


async def test_reflection_sends_tool_results_back_and_answers_in_text() -> None:
    client = ReplayChatCompletionClient(
        [calls(call("get_weather", {"city": "Oslo"})), "It is sunny in Oslo."], model_info=CAPABLE
    )
    agent = AssistantAgent("assistant", client, tools=[get_weather], reflect_on_tool_use=True)
    result = await agent.run(task="Weather?")
    assert isinstance(result.messages[-1], TextMessage)
    assert result.messages[-1].content == "It is sunny in Oslo."
    reflection_call = client.create_calls[1]
    assert isinstance(reflection_call["messages"][-1], FunctionExecutionResultMessage)
    assert list(reflection_call["tools"]) == []


async def test_structured_output_parses_the_reply_and_asks_for_the_schema() -> None:
    client = ReplayChatCompletionClient(['{"city": "Oslo", "sunny": true}'], model_info=CAPABLE)
    agent = AssistantAgent(
        "assistant", client, output_content_type=Weather, output_content_type_format="{city}: {sunny}"
    )
    reply = (await agent.run(task="Weather?")).messages[-1]
    assert isinstance(reply, StructuredMessage)
    assert reply.content == Weather(city="Oslo", sunny=True)
    assert reply.to_text() == "Oslo: True"
    assert client.create_calls[0]["json_output"] is Weather


async def test_structured_output_reflects_on_tool_use_by_default() -> None:
    client = ReplayChatCompletionClient(
        [calls(call("get_weather", {"city": "Oslo"})), '{"city": "Oslo", "sunny": true}'], model_info=CAPABLE
    )
    agent = AssistantAgent("assistant", client, tools=[get_weather], output_content_type=Weather)
    reply = (await agent.run(task="Weather?")).messages[-1]
    assert isinstance(reply, StructuredMessage) and reply.content.city == "Oslo"


async def test_max_tool_iterations_loops_until_a_text_reply() -> None:
    client = ReplayChatCompletionClient(
        [calls(call("get_weather", {"city": "A"})), calls(call("get_weather", {"city": "B"})), "Both sunny."],
        model_info=CAPABLE,
    )
    agent = AssistantAgent("assistant", client, tools=[get_weather], max_tool_iterations=3)
    result = await agent.run(task="Weather?")
    kinds = [type(m).__name__ for m in result.messages]
    assert kinds.count("ToolCallExecutionEvent") == 2
    assert result.messages[-1].to_text() == "Both sunny."


async def test_max_tool_iterations_ends_with_a_summary_of_the_last_calls() -> None:
    client = ReplayChatCompletionClient(
        [calls(call("get_weather", {"city": "A"})), calls(call("get_weather", {"city": "B"}))],
        model_info=CAPABLE,
    )
    agent = AssistantAgent("assistant", client, tools=[get_weather], max_tool_iterations=2)
    reply = (await agent.run(task="Weather?")).messages[-1]
    assert isinstance(reply, ToolCallSummaryMessage) and reply.content == "Sunny in B."
    client.assert_complete()


async def test_parallel_tool_calls_run_concurrently() -> None:
    first_started, second_started = asyncio.Event(), asyncio.Event()

    async def first() -> str:
        first_started.set()
        await second_started.wait()  # would deadlock if the calls ran one after the other
        return "first done"

    async def second() -> str:
        second_started.set()
        await first_started.wait()
        return "second done"

    client = ReplayChatCompletionClient([calls(call("first"), call("second"))], model_info=CAPABLE)
    agent = AssistantAgent(
        "assistant",
        client,
        tools=[FunctionTool(first, description="One."), FunctionTool(second, description="Two.")],
    )
    async with asyncio.timeout(5):
        result = await agent.run(task="Both.")
    assert result.messages[-1].to_text() == "first done\nsecond done"


async def test_streaming_yields_chunks_tied_to_the_final_message() -> None:
    client = ReplayChatCompletionClient(["Hello there friend"])
    agent = AssistantAgent("assistant", client, model_client_stream=True)
    items = await stream_items(agent, "hi")
    chunks = [i for i in items if isinstance(i, ModelClientStreamingChunkEvent)]
    reply = items[-2]
    assert isinstance(reply, TextMessage) and reply.content == "Hello there friend"
    assert "".join(c.content for c in chunks) == reply.content
    assert {c.full_message_id for c in chunks} == {reply.id}
    result = items[-1]
    assert isinstance(result, TaskResult)
    assert not any(isinstance(m, ModelClientStreamingChunkEvent) for m in result.messages)


async def test_thought_becomes_a_thought_event() -> None:
    reply = CreateResult(
        finish_reason="stop", content="42", usage=RequestUsage(1, 1), thought="Let me think."
    )
    agent = AssistantAgent("assistant", ReplayChatCompletionClient([reply]))
    result = await agent.run(task="Answer?")
    thought = result.messages[1]
    assert isinstance(thought, ThoughtEvent) and thought.content == "Let me think."
    assert result.messages[-1].to_text() == "42"


async def test_memory_results_become_a_memory_query_event_and_reach_the_model() -> None:
    memory = ListMemory(memory_contents=[MemoryContent(content="likes tea", mime_type=MemoryMimeType.TEXT)])
    client = ReplayChatCompletionClient(["Tea!"])
    agent = AssistantAgent("assistant", client, memory=[memory])
    result = await agent.run(task="Drink?")
    event = result.messages[1]
    assert isinstance(event, MemoryQueryEvent) and event.content[0].content == "likes tea"
    assert any("likes tea" in str(m.content) for m in client.create_calls[0]["messages"])


async def test_save_and_load_state_restore_the_model_context() -> None:
    agent = AssistantAgent("assistant", ReplayChatCompletionClient(["one"]), system_message=None)
    await agent.run(task="first")
    state = await agent.save_state()
    assert state["type"] == "AssistantAgentState"
    client = ReplayChatCompletionClient(["two"])
    restored = AssistantAgent("assistant", client, system_message=None)
    await restored.load_state(state)
    await restored.run(task="second")
    assert [m.content for m in client.create_calls[0]["messages"]] == ["first", "one", "second"]


async def test_on_reset_clears_the_context() -> None:
    client = ReplayChatCompletionClient(["one", "two"])
    agent = AssistantAgent("assistant", client, system_message=None)
    await agent.run(task="first")
    await agent.on_reset(CancellationToken())
    await agent.run(task="second")
    assert [m.content for m in client.create_calls[1]["messages"]] == ["second"]


async def test_model_sees_only_what_its_function_decides() -> None:
    seen: list[Sequence[LLMMessage]] = []

    def reply(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        seen.append(messages)
        return f"{len(info.tools)} tools"

    agent = AssistantAgent("assistant", FunctionChatCompletionClient(reply), tools=[get_weather])
    assert (await agent.run(task="hi")).messages[-1].to_text() == "1 tools"
    assert seen[0][-1].content == "hi"


async def test_images_become_placeholders_for_a_model_without_vision() -> None:
    from flowgen.core import Image
    from flowgen.messages import MultiModalMessage
    from flowgen.model_context import UnboundedChatCompletionContext
    from flowgen.models import UserMessage

    pixel = Image.from_bytes(b"\x89PNG")
    earlier = UserMessage(content=["old", pixel], source="user")
    client = ReplayChatCompletionClient(["A cat."])
    agent = AssistantAgent(
        "assistant", client, system_message=None, model_context=UnboundedChatCompletionContext([earlier])
    )
    await agent.run(task=MultiModalMessage(content=["What is this?", pixel], source="user"))
    sent = [m.content for m in client.create_calls[0]["messages"]]
    assert sent == ["old\n<image>", "What is this?\n<image>"]


async def test_images_reach_a_model_with_vision() -> None:
    from flowgen.core import Image
    from flowgen.messages import MultiModalMessage

    pixel = Image.from_bytes(b"\x89PNG")
    client = FunctionChatCompletionClient(lambda messages, info: "A cat.")
    agent = AssistantAgent("assistant", client, system_message=None)
    await agent.run(task=MultiModalMessage(content=["What is this?", pixel], source="user"))
    assert client.calls[0][0][0].content == ["What is this?", pixel]


async def test_cancelling_the_token_stops_running_tools() -> None:
    started = asyncio.Event()
    finished: list[str] = []

    async def slow(name: str) -> str:
        started.set()
        await asyncio.Event().wait()
        finished.append(name)
        return name

    client = ReplayChatCompletionClient(
        [calls(call("slow", {"name": "a"}, "1"), call("slow", {"name": "b"}, "2"))], model_info=CAPABLE
    )
    agent = AssistantAgent("assistant", client, tools=[slow])
    token = CancellationToken()
    async with asyncio.TaskGroup() as group:
        run = group.create_task(agent.run(task="go", cancellation_token=token))
        await started.wait()
        token.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run
    assert finished == []
