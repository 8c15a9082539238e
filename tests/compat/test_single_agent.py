"""An AutoGen 0.7 single-agent program, unchanged apart from its imports, runs on flowgen.

The program below is written the way AutoGen's documentation writes one: two FunctionTools (one of
which raises), a replay model client, an AssistantAgent that reflects on tool use, and ``run_stream``.
Under AutoGen the imports would be ``autogen_agentchat.agents``, ``autogen_agentchat.base``,
``autogen_agentchat.messages``, ``autogen_core``, ``autogen_core.models``, ``autogen_core.tools`` and
``autogen_ext.models.replay``.
"""

from __future__ import annotations

# --- the only lines that differ from the AutoGen program ---------------------------------------
from flowgen.agents import AssistantAgent
from flowgen.base import TaskResult
from flowgen.core import CancellationToken, FunctionCall
from flowgen.messages import TextMessage, ToolCallExecutionEvent, ToolCallRequestEvent
from flowgen.models import CreateResult, ModelFamily, ReplayChatCompletionClient, RequestUsage
from flowgen.tools import FunctionTool

# ------------------------------------------------------------------------------------------------


async def get_weather(city: str) -> str:
    """Get the weather for a given city."""
    return f"The weather in {city} is 73 degrees and Sunny."


def get_stock_price(ticker: str, cancellation_token: CancellationToken) -> float:
    """Get the latest stock price for a ticker."""
    raise ValueError(f"Unknown ticker: {ticker}")


async def program() -> list[object]:
    weather_tool = FunctionTool(get_weather, description="Get the weather for a given city.")
    stock_tool = FunctionTool(get_stock_price, description="Get the latest stock price for a ticker.")

    model_client = ReplayChatCompletionClient(
        [
            CreateResult(
                finish_reason="function_calls",
                content=[
                    FunctionCall(id="call_1", name="get_weather", arguments='{"city": "New York"}'),
                    FunctionCall(id="call_2", name="get_stock_price", arguments='{"ticker": "XYZ"}'),
                ],
                usage=RequestUsage(prompt_tokens=10, completion_tokens=5),
                cached=False,
            ),
            "It is 73 degrees and sunny in New York. I could not find a price for XYZ.",
        ],
        model_info={
            "vision": False,
            "function_calling": True,
            "json_output": False,
            "family": ModelFamily.UNKNOWN,
            "structured_output": False,
        },
    )

    agent = AssistantAgent(
        name="assistant",
        model_client=model_client,
        tools=[weather_tool, stock_tool],
        system_message="You are a helpful assistant. Use your tools to answer.",
        reflect_on_tool_use=True,
    )

    streamed: list[object] = []
    async for message in agent.run_stream(task="What is the weather in New York, and the price of XYZ?"):
        streamed.append(message)
    await model_client.close()
    return streamed


async def test_program_streams_the_autogen_sequence() -> None:
    streamed = await program()
    assert [type(m).__name__ for m in streamed] == [
        "TextMessage",
        "ToolCallRequestEvent",
        "ToolCallExecutionEvent",
        "TextMessage",
        "TaskResult",
    ]
    task, request, _execution, answer, result = streamed
    assert isinstance(task, TextMessage) and task.source == "user"
    assert isinstance(request, ToolCallRequestEvent)
    assert [c.name for c in request.content] == ["get_weather", "get_stock_price"]
    assert isinstance(answer, TextMessage) and answer.source == "assistant"
    assert answer.content == "It is 73 degrees and sunny in New York. I could not find a price for XYZ."
    assert isinstance(result, TaskResult) and list(result.messages) == streamed[:4]
    assert result.stop_reason is None


async def test_the_raising_tool_becomes_an_error_result_and_the_run_goes_on() -> None:
    execution = (await program())[2]
    assert isinstance(execution, ToolCallExecutionEvent)
    weather, stock = execution.content
    assert (weather.name, weather.is_error) == ("get_weather", False)
    assert weather.content == "The weather in New York is 73 degrees and Sunny."
    assert (stock.name, stock.call_id, stock.is_error) == ("get_stock_price", "call_2", True)
    assert "Unknown ticker: XYZ" in stock.content
