"""What both provider client tests send (a question, a tool, an output schema) and how they read a stream."""

from __future__ import annotations

from collections.abc import AsyncIterator

from pydantic import BaseModel

from flowgen.models import CreateResult, LLMMessage, SystemMessage, ToolSchema, UserMessage

ASK: list[LLMMessage] = [
    SystemMessage(content="Answer briefly."),
    UserMessage(content="Capital of France?", source="user"),
]
WEATHER: ToolSchema = {
    "name": "get_weather",
    "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


class CityAnswer(BaseModel):
    city: str
    confident: bool


async def collect(stream: AsyncIterator[str | CreateResult]) -> tuple[list[str], CreateResult]:
    """The streamed text chunks and the final result, checking the stream ends with exactly one result."""
    items = [item async for item in stream]
    final = items[-1]
    assert isinstance(final, CreateResult)
    assert all(isinstance(item, str) for item in items[:-1])
    return [str(item) for item in items[:-1]], final
