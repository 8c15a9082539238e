from __future__ import annotations

import pytest

from flowgen.core import FunctionCall
from flowgen.errors import FlowgenError, ReplayExhaustedError, UnusedRepliesError
from flowgen.models import CreateResult, ReplayChatCompletionClient, RequestUsage, SystemMessage, UserMessage

ASK = [SystemMessage(content="be brief"), UserMessage(content="what is two plus two", source="user")]


async def test_strings_become_text_results_in_order() -> None:
    client = ReplayChatCompletionClient(["four", "five"])
    first = await client.create(ASK)
    second = await client.create(ASK)
    assert (first.content, second.content) == ("four", "five")
    assert first.finish_reason == "stop"
    assert first.usage == RequestUsage(prompt_tokens=7, completion_tokens=1)


async def test_create_results_are_returned_as_is() -> None:
    call = CreateResult(
        finish_reason="function_calls",
        content=[FunctionCall(id="1", name="add", arguments='{"a":2,"b":2}')],
        usage=RequestUsage(0, 0),
    )
    client = ReplayChatCompletionClient([call])
    assert await client.create(ASK) is call


async def test_create_calls_are_recorded() -> None:
    client = ReplayChatCompletionClient(["ok"])
    await client.create(ASK, json_output=True)
    assert client.create_calls[0]["messages"] == ASK
    assert client.create_calls[0]["json_output"] is True


async def test_exhausted_script_raises_a_value_error_that_says_what_to_do() -> None:
    client = ReplayChatCompletionClient(["only"])
    await client.create(ASK)
    with pytest.raises(ReplayExhaustedError, match="add replies") as info:
        await client.create(ASK)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, FlowgenError)


async def test_stream_yields_words_then_the_result() -> None:
    client = ReplayChatCompletionClient(["hello brave\nworld"])
    chunks = [c async for c in client.create_stream(ASK)]
    assert "".join(c for c in chunks if isinstance(c, str)) == "hello brave\nworld"
    assert len([c for c in chunks if isinstance(c, str)]) == 3
    final = chunks[-1]
    assert isinstance(final, CreateResult)
    assert final.content == "hello brave\nworld"


async def test_usage_totals_accumulate_and_reset_restarts_the_script() -> None:
    client = ReplayChatCompletionClient(["a b", "c"])
    await client.create(ASK)
    await client.create(ASK)
    assert client.total_usage() == RequestUsage(14, 3)
    client.reset()
    assert client.total_usage() == RequestUsage(0, 0)
    assert (await client.create(ASK)).content == "a b"


async def test_assert_complete_fails_on_unused_replies() -> None:
    client = ReplayChatCompletionClient(["used", "left over"])
    await client.create(ASK)
    with pytest.raises(UnusedRepliesError, match="1 of 2"):
        client.assert_complete()
    await client.create(ASK)
    client.assert_complete()


async def test_subclass_can_override_create() -> None:
    class Shouting(ReplayChatCompletionClient):
        async def create(self, messages, **kwargs):  # type: ignore[no-untyped-def, override]
            result = await super().create(messages, **kwargs)
            return result.model_copy(update={"content": str(result.content).upper()})

    assert (await Shouting(["hey"]).create(ASK)).content == "HEY"


def test_bad_model_info_is_rejected_naming_the_field() -> None:
    with pytest.raises(ValueError, match="structured_output"):
        ReplayChatCompletionClient(
            [],
            model_info={"vision": False, "function_calling": True, "json_output": False, "family": "x"},  # type: ignore[typeddict-item]
        )


async def test_prompt_usage_counts_a_growing_history_exactly() -> None:
    client = ReplayChatCompletionClient(["x"] * 3)
    history = [SystemMessage(content="be brief")]
    counts = []
    for words in ("one", "two three", "four five six"):
        history = [*history, UserMessage(content=words, source="user")]
        counts.append((await client.create(history)).usage.prompt_tokens)
    assert counts == [3, 5, 8]


async def test_prompt_usage_recounts_a_changed_history() -> None:
    client = ReplayChatCompletionClient(["x"] * 2)
    first = [UserMessage(content="a b c", source="u"), UserMessage(content="d", source="u")]
    await client.create(first)
    replaced = [UserMessage(content="a", source="u"), first[1], UserMessage(content="e", source="u")]
    assert (await client.create(replaced)).usage.prompt_tokens == 3


async def test_record_calls_false_keeps_no_prompts() -> None:
    client = ReplayChatCompletionClient(["x"], record_calls=False)
    await client.create(ASK)
    assert client.create_calls == []
