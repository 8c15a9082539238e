"""ChatCompletionCache: hits, misses, streams, keys, and stores that hold something unexpected."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest
from pydantic import BaseModel

from flowgen.core import InMemoryStore
from flowgen.models import CallInfo, CreateResult, FunctionChatCompletionClient, LLMMessage, UserMessage
from flowgen.models.cache import ChatCompletionCache, SqliteStore, cache_key
from flowgen.models.openai import OpenAIChatCompletionClient
from flowgen.tools import FunctionTool

ASK = [UserMessage(content="what is the answer?", source="user")]


def counting() -> tuple[FunctionChatCompletionClient, list[CallInfo]]:
    calls: list[CallInfo] = []

    def reply(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        calls.append(info)
        return f"answer {len(calls)}"

    return FunctionChatCompletionClient(reply), calls


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def sub(a: int, b: int) -> int:
    """Subtract two numbers."""
    return a - b


async def test_a_repeated_request_is_answered_from_the_cache_without_a_call() -> None:
    client, calls = counting()
    cache = ChatCompletionCache(client)
    first = await cache.create(ASK)
    usage_after_first = client.total_usage()
    second = await cache.create(ASK)
    assert len(calls) == 1
    assert second.content == first.content == "answer 1"
    assert second.cached and not first.cached
    assert client.total_usage() == usage_after_first  # hits cost nothing


async def test_a_changed_tool_list_misses() -> None:
    client, calls = counting()
    cache = ChatCompletionCache(client)
    await cache.create(ASK, tools=[FunctionTool(add, description="add")])
    await cache.create(
        ASK, tools=[FunctionTool(add, description="add"), FunctionTool(sub, description="sub")]
    )
    await cache.create(ASK, tools=[FunctionTool(add, description="add")])
    assert len(calls) == 2


@pytest.mark.parametrize(
    "variant",
    [
        {"messages": [UserMessage(content="another question", source="user")]},
        {"tool_choice": "none"},
        {"json_output": True},
        {"extra_create_args": {"temperature": 0.5}},
    ],
    ids=["messages", "tool_choice", "json_output", "create_args"],
)
async def test_everything_that_changes_the_answer_changes_the_key(variant: dict[str, object]) -> None:
    client, calls = counting()
    cache = ChatCompletionCache(client)
    await cache.create(ASK)
    messages = variant.pop("messages", ASK)
    await cache.create(messages, **variant)  # type: ignore[arg-type]
    assert len(calls) == 2


def test_the_key_covers_the_wrapped_clients_model_and_create_args() -> None:
    def client(model: str, **create_args: float) -> OpenAIChatCompletionClient:
        return OpenAIChatCompletionClient(model, api_key="k", base_url="http://127.0.0.1:9/v1", **create_args)

    def key(model_client: OpenAIChatCompletionClient) -> str:
        return cache_key(model_client, ASK, (), "auto", None, {})

    assert key(client("gpt-4o")) == key(client("gpt-4o"))
    assert key(client("gpt-4o")) != key(client("gpt-4o-mini"))
    assert key(client("gpt-4o")) != key(client("gpt-4o", temperature=0.9))


async def test_structured_output_schemas_are_part_of_the_key() -> None:
    class A(BaseModel):
        x: int

    class B(BaseModel):
        y: str

    calls: list[CallInfo] = []

    def json_reply(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        calls.append(info)
        return '{"x": 1}' if info.output_schema and "x" in info.output_schema["properties"] else '{"y": "a"}'

    cache = ChatCompletionCache(FunctionChatCompletionClient(json_reply))
    await cache.create(ASK, json_output=A)
    await cache.create(ASK, json_output=B)
    assert len(calls) == 2


async def test_a_stream_is_cached_and_replayed_as_a_stream() -> None:
    client, calls = counting()
    cache = ChatCompletionCache(client)
    first = [item async for item in cache.create_stream(ASK)]
    again = [item async for item in cache.create_stream(ASK)]
    assert len(calls) == 1
    assert [i for i in again if isinstance(i, str)] == [i for i in first if isinstance(i, str)]
    final = again[-1]
    assert isinstance(final, CreateResult) and final.cached
    # A streamed reply answers a plain create too.
    assert (await cache.create(ASK)).cached


async def test_a_broken_stream_is_not_cached() -> None:
    attempts: list[int] = []

    def reply(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        attempts.append(1)
        return "fine"

    cache = ChatCompletionCache(FunctionChatCompletionClient(reply))
    async for _ in cache.create_stream(ASK):
        break  # the consumer gives up before the final reply
    await cache.create(ASK)
    assert len(attempts) == 2


async def test_the_sqlite_store_answers_from_another_process_view(tmp_path: Path) -> None:
    client, calls = counting()
    path = tmp_path / "cache.db"
    await ChatCompletionCache(client, SqliteStore(path)).create(ASK)
    hit = await ChatCompletionCache(client, SqliteStore(path)).create(ASK)
    assert hit.cached and hit.content == "answer 1" and len(calls) == 1


async def test_a_corrupt_sqlite_row_is_a_miss_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    client, _calls = counting()
    path = tmp_path / "cache.db"
    await ChatCompletionCache(client, SqliteStore(path)).create(ASK)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE chat_cache SET value = '{not json'")
    with caplog.at_level(logging.WARNING, logger="flowgen.models.cache"):
        result = await ChatCompletionCache(client, SqliteStore(path)).create(ASK)
    assert result.content == "answer 2" and not result.cached
    assert any("not JSON" in record.getMessage() for record in caplog.records)


async def test_a_stored_value_that_is_not_a_reply_is_a_miss_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, calls = counting()
    store = InMemoryStore[object]()
    cache = ChatCompletionCache(client, store)
    await cache.create(ASK)
    for key in store.store:
        store.store[key] = {"finish_reason": "stop"}  # valid JSON, not a reply
    with caplog.at_level(logging.WARNING, logger="flowgen.models.cache"):
        result = await cache.create(ASK)
    assert not result.cached and len(calls) == 2
    assert any("not a model reply" in record.getMessage() for record in caplog.records)
