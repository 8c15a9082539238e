from __future__ import annotations

from flowgen.agents import AssistantAgent
from flowgen.core import MemoryContent, MemoryMimeType
from flowgen.memory import ListMemory, Memory, MemoryQueryResult, UpdateContextResult
from flowgen.messages import MemoryQueryEvent
from flowgen.model_context import UnboundedChatCompletionContext
from flowgen.models import ReplayChatCompletionClient, SystemMessage, UserMessage


def text(value: str) -> MemoryContent:
    return MemoryContent(content=value, mime_type=MemoryMimeType.TEXT)


def test_list_memory_is_a_memory() -> None:
    assert isinstance(ListMemory(), Memory)


def test_list_memory_has_a_default_name() -> None:
    assert ListMemory().name == "default_list_memory"


def test_list_memory_keeps_the_given_name() -> None:
    assert ListMemory(name="prefs").name == "prefs"


async def test_starts_with_the_given_contents() -> None:
    memory = ListMemory(memory_contents=[text("a")])
    assert (await memory.query("x")).results == [text("a")]


async def test_add_appends_in_order() -> None:
    memory = ListMemory()
    await memory.add(text("first"))
    await memory.add(text("second"))
    assert [m.content for m in memory.content] == ["first", "second"]


async def test_query_returns_every_item_whatever_the_query() -> None:
    memory = ListMemory(memory_contents=[text("a"), text("b")])
    result = await memory.query(text("unrelated"))
    assert isinstance(result, MemoryQueryResult) and len(result.results) == 2


async def test_clear_forgets_everything() -> None:
    memory = ListMemory(memory_contents=[text("a")])
    await memory.clear()
    assert (await memory.query("a")).results == []


async def test_content_setter_replaces_items() -> None:
    memory = ListMemory(memory_contents=[text("a")])
    memory.content = [text("b")]
    assert (await memory.query("")).results == [text("b")]


async def test_update_context_adds_one_system_message_listing_items() -> None:
    memory = ListMemory(memory_contents=[text("metric units"), text("short answers")])
    ctx = UnboundedChatCompletionContext([UserMessage(content="hi", source="user")])
    await memory.update_context(ctx)
    added = (await ctx.get_messages())[-1]
    assert isinstance(added, SystemMessage)
    assert "1. metric units" in added.content and "2. short answers" in added.content


async def test_update_context_reports_the_items_it_added() -> None:
    memory = ListMemory(memory_contents=[text("a")])
    result = await memory.update_context(UnboundedChatCompletionContext())
    assert isinstance(result, UpdateContextResult) and result.memories.results == [text("a")]


async def test_update_context_with_no_items_adds_nothing() -> None:
    ctx = UnboundedChatCompletionContext()
    result = await ListMemory().update_context(ctx)
    assert await ctx.get_messages() == [] and result.memories.results == []


async def test_update_context_renders_bytes_as_text() -> None:
    memory = ListMemory(memory_contents=[MemoryContent(content=b"raw", mime_type=MemoryMimeType.BINARY)])
    ctx = UnboundedChatCompletionContext()
    await memory.update_context(ctx)
    added = (await ctx.get_messages())[0]
    assert isinstance(added, SystemMessage) and "1. raw" in added.content


async def test_close_leaves_contents_usable() -> None:
    memory = ListMemory(memory_contents=[text("a")])
    await memory.close()
    assert len((await memory.query("a")).results) == 1


async def test_an_agent_shows_list_memory_to_its_model_and_reports_it() -> None:
    client = ReplayChatCompletionClient(["22 degrees"])
    memory = ListMemory(memory_contents=[text("The user prefers metric units")])
    agent = AssistantAgent("helper", client, memory=[memory])
    result = await agent.run(task="Weather?")
    sent = client.create_calls[0]["messages"]
    assert any(isinstance(m, SystemMessage) and "prefers metric units" in m.content for m in sent)
    assert any(isinstance(m, MemoryQueryEvent) for m in result.messages)
