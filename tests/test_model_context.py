from __future__ import annotations

import json

import pytest

from flowgen.agents import AssistantAgent
from flowgen.core import FunctionCall, Image
from flowgen.model_context import (
    BufferedChatCompletionContext,
    ChatCompletionContext,
    ChatCompletionContextState,
    HeadAndTailChatCompletionContext,
    TokenLimitedChatCompletionContext,
    UnboundedChatCompletionContext,
)
from flowgen.models import (
    AssistantMessage,
    CreateResult,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    ModelInfo,
    ReplayChatCompletionClient,
    RequestUsage,
    SystemMessage,
    UserMessage,
)
from flowgen.tools import FunctionTool


def user(text: str) -> UserMessage:
    return UserMessage(content=text, source="user")


def call(call_id: str = "1") -> AssistantMessage:
    return AssistantMessage(
        content=[FunctionCall(id=call_id, name="lookup", arguments="{}")], source="assistant"
    )


def result(call_id: str = "1") -> FunctionExecutionResultMessage:
    return FunctionExecutionResultMessage(
        content=[FunctionExecutionResult(content="found", name="lookup", call_id=call_id)]
    )


async def filled(ctx: ChatCompletionContext, messages: list[LLMMessage]) -> ChatCompletionContext:
    for message in messages:
        await ctx.add_message(message)
    return ctx


def texts(messages: list[LLMMessage]) -> list[object]:
    return [m.type if not isinstance(m, UserMessage) else m.content for m in messages]


# Unbounded


async def test_unbounded_returns_every_message_in_order() -> None:
    ctx = await filled(UnboundedChatCompletionContext(), [user("a"), user("b"), user("c")])
    assert texts(await ctx.get_messages()) == ["a", "b", "c"]


async def test_initial_messages_come_first() -> None:
    ctx = await filled(UnboundedChatCompletionContext(initial_messages=[user("seed")]), [user("a")])
    assert texts(await ctx.get_messages()) == ["seed", "a"]


async def test_initial_messages_list_is_not_shared() -> None:
    seed: list[LLMMessage] = [user("seed")]
    ctx = UnboundedChatCompletionContext(initial_messages=seed)
    await ctx.add_message(user("a"))
    assert len(seed) == 1


async def test_get_messages_returns_a_copy() -> None:
    ctx = await filled(UnboundedChatCompletionContext(), [user("a")])
    (await ctx.get_messages()).append(user("b"))
    assert texts(await ctx.get_messages()) == ["a"]


async def test_clear_forgets_everything() -> None:
    ctx = await filled(UnboundedChatCompletionContext(initial_messages=[user("seed")]), [user("a")])
    await ctx.clear()
    assert await ctx.get_messages() == []


async def test_save_and_load_state_round_trip_into_a_fresh_context() -> None:
    messages: list[LLMMessage] = [SystemMessage(content="be brief"), user("a"), call(), result()]
    ctx = await filled(UnboundedChatCompletionContext(), messages)
    fresh = UnboundedChatCompletionContext()
    await fresh.load_state(await ctx.save_state())
    assert await fresh.get_messages() == messages


async def test_saved_state_is_json_and_keeps_images() -> None:
    picture = Image.from_bytes(b"not really a png")
    ctx = await filled(UnboundedChatCompletionContext(), [UserMessage(content=["look", picture], source="u")])
    fresh = UnboundedChatCompletionContext()
    await fresh.load_state(json.loads(json.dumps(await ctx.save_state())))
    assert await fresh.get_messages() == await ctx.get_messages()


async def test_saved_state_is_a_context_state_model() -> None:
    ctx = await filled(UnboundedChatCompletionContext(), [user("a")])
    state = ChatCompletionContextState.model_validate(await ctx.save_state())
    assert state.messages == [user("a")]


async def test_load_state_replaces_existing_messages() -> None:
    source = await filled(UnboundedChatCompletionContext(), [user("saved")])
    target = await filled(UnboundedChatCompletionContext(), [user("old")])
    await target.load_state(await source.save_state())
    assert texts(await target.get_messages()) == ["saved"]


# Buffered


async def test_buffered_keeps_the_last_buffer_size_messages() -> None:
    ctx = await filled(BufferedChatCompletionContext(buffer_size=2), [user("a"), user("b"), user("c")])
    assert texts(await ctx.get_messages()) == ["b", "c"]


async def test_buffered_returns_all_when_fewer_than_buffer_size() -> None:
    ctx = await filled(BufferedChatCompletionContext(buffer_size=5), [user("a"), user("b")])
    assert texts(await ctx.get_messages()) == ["a", "b"]


async def test_buffered_window_never_starts_with_a_tool_result() -> None:
    ctx = await filled(BufferedChatCompletionContext(buffer_size=2), [user("a"), call(), result(), user("b")])
    assert texts(await ctx.get_messages()) == ["b"]


async def test_buffered_window_keeps_a_call_with_its_result() -> None:
    ctx = await filled(BufferedChatCompletionContext(buffer_size=3), [user("a"), call(), result(), user("b")])
    assert texts(await ctx.get_messages()) == ["AssistantMessage", "FunctionExecutionResultMessage", "b"]


async def test_buffered_keeps_all_messages_in_saved_state() -> None:
    ctx = await filled(BufferedChatCompletionContext(buffer_size=1), [user("a"), user("b")])
    fresh = BufferedChatCompletionContext(buffer_size=5)
    await fresh.load_state(await ctx.save_state())
    assert texts(await fresh.get_messages()) == ["a", "b"]


@pytest.mark.parametrize("size", [0, -1])
def test_buffered_rejects_a_non_positive_size(size: int) -> None:
    with pytest.raises(ValueError, match="buffer_size"):
        BufferedChatCompletionContext(buffer_size=size)


# Head and tail


async def test_head_and_tail_keeps_both_ends_and_notes_the_skip() -> None:
    ctx = await filled(HeadAndTailChatCompletionContext(head_size=1, tail_size=2), [user(c) for c in "abcde"])
    assert texts(await ctx.get_messages()) == ["a", "Skipped 2 messages.", "d", "e"]


async def test_head_and_tail_skip_note_comes_from_system() -> None:
    ctx = await filled(HeadAndTailChatCompletionContext(head_size=1, tail_size=1), [user(c) for c in "abc"])
    note = (await ctx.get_messages())[1]
    assert isinstance(note, UserMessage) and note.source == "System"


async def test_head_and_tail_returns_all_when_they_overlap() -> None:
    ctx = await filled(HeadAndTailChatCompletionContext(head_size=2, tail_size=2), [user(c) for c in "abcd"])
    assert texts(await ctx.get_messages()) == ["a", "b", "c", "d"]


async def test_head_does_not_end_with_a_call_whose_result_was_skipped() -> None:
    messages: list[LLMMessage] = [user("a"), call(), result(), user("b"), user("c"), user("d")]
    ctx = await filled(HeadAndTailChatCompletionContext(head_size=2, tail_size=2), messages)
    assert texts(await ctx.get_messages()) == ["a", "Skipped 3 messages.", "c", "d"]


async def test_tail_does_not_start_with_a_result_whose_call_was_skipped() -> None:
    messages: list[LLMMessage] = [user("a"), user("b"), call(), result(), user("c")]
    ctx = await filled(HeadAndTailChatCompletionContext(head_size=1, tail_size=2), messages)
    assert texts(await ctx.get_messages()) == ["a", "Skipped 3 messages.", "c"]


async def test_head_and_tail_keep_a_call_and_result_inside_the_tail() -> None:
    messages: list[LLMMessage] = [user("a"), user("b"), user("c"), call(), result()]
    ctx = await filled(HeadAndTailChatCompletionContext(head_size=1, tail_size=2), messages)
    assert texts(await ctx.get_messages()) == [
        "a",
        "Skipped 2 messages.",
        "AssistantMessage",
        "FunctionExecutionResultMessage",
    ]


@pytest.mark.parametrize(("head", "tail"), [(0, 1), (1, 0)])
def test_head_and_tail_reject_non_positive_sizes(head: int, tail: int) -> None:
    with pytest.raises(ValueError, match="size must be greater than 0"):
        HeadAndTailChatCompletionContext(head_size=head, tail_size=tail)


# Token limited (the replay client counts one token per word)


async def test_token_limited_returns_all_when_within_the_limit() -> None:
    ctx = TokenLimitedChatCompletionContext(ReplayChatCompletionClient([]), token_limit=10)
    await filled(ctx, [user("a"), user("b")])
    assert texts(await ctx.get_messages()) == ["a", "b"]


async def test_token_limited_drops_from_the_middle_first() -> None:
    ctx = TokenLimitedChatCompletionContext(ReplayChatCompletionClient([]), token_limit=3)
    await filled(ctx, [user(c) for c in "abcde"])
    assert texts(await ctx.get_messages()) == ["a", "b", "e"]


async def test_token_limited_drops_a_call_together_with_its_result() -> None:
    ctx = TokenLimitedChatCompletionContext(ReplayChatCompletionClient([]), token_limit=2)
    await filled(ctx, [user("a"), call(), result(), user("b")])
    assert texts(await ctx.get_messages()) == ["a", "b"]


async def test_token_limited_never_starts_with_a_tool_result() -> None:
    client = ReplayChatCompletionClient([])
    ctx = TokenLimitedChatCompletionContext(client, token_limit=3)
    await filled(ctx, [result(), user("a"), user("b")])
    assert texts(await ctx.get_messages()) == ["a", "b"]


async def test_token_limited_without_limit_uses_the_models_remaining_tokens() -> None:
    client = ReplayChatCompletionClient(["word " * 9995])
    await client.create([user("hi")])  # uses 9996 of the replay model's 10000 tokens
    ctx = TokenLimitedChatCompletionContext(client)
    await filled(ctx, [user(c) for c in "abcd"])
    assert texts(await ctx.get_messages()) == ["a", "b", "d"]


async def test_token_limited_accepts_the_token_limit_positionally() -> None:
    ctx = TokenLimitedChatCompletionContext(ReplayChatCompletionClient([]), 1)
    await filled(ctx, [user("a"), user("b")])
    assert len(await ctx.get_messages()) == 1


async def test_an_agent_with_a_buffered_context_never_sends_a_leading_tool_result() -> None:
    def add(a: int, b: int) -> int:
        return a + b

    def add_call(call_id: str) -> CreateResult:
        calls = [FunctionCall(id=call_id, name="add", arguments='{"a": 1, "b": 2}')]
        return CreateResult(finish_reason="function_calls", content=calls, usage=RequestUsage(1, 1))

    info = ModelInfo(
        vision=False, function_calling=True, json_output=False, family="unknown", structured_output=False
    )
    client = ReplayChatCompletionClient([add_call("1"), add_call("2"), "done"], model_info=info)
    agent = AssistantAgent(
        "calc",
        client,
        tools=[FunctionTool(add, description="Add two numbers.")],
        model_context=BufferedChatCompletionContext(buffer_size=3),
        max_tool_iterations=3,
    )
    await agent.run(task="add twice")
    windows = [
        [m for m in call["messages"] if not isinstance(m, SystemMessage)] for call in client.create_calls
    ]
    assert texts(windows[-1]) == ["AssistantMessage", "FunctionExecutionResultMessage"]
