"""CassetteChatCompletionClient: record, replay exactly, and fail with a diff on drift."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from flowgen.core import FunctionCall
from flowgen.errors import CassetteDriftError, ConfigurationError
from flowgen.models import (
    CallInfo,
    CreateResult,
    FunctionChatCompletionClient,
    LLMMessage,
    ModelInfo,
    ReplayChatCompletionClient,
    RequestUsage,
    UserMessage,
)
from flowgen.models.cassette import CassetteChatCompletionClient, canonical_request, request_key

ASK: list[LLMMessage] = [UserMessage(content="What is the capital of France?", source="user")]
OTHER: list[LLMMessage] = [UserMessage(content="What is the capital of Italy?", source="user")]
CALL = CreateResult(
    finish_reason="function_calls",
    content=[FunctionCall(id="c1", name="lookup", arguments='{"q": "France"}')],
    usage=RequestUsage(12, 4),
    thought="I should look it up.",
)


def counting_model() -> FunctionChatCompletionClient:
    def reply(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        return f"answer {info.call_index}: {messages[-1].content}"

    return FunctionChatCompletionClient(reply)


async def test_replay_returns_exactly_what_was_recorded(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    recorder = CassetteChatCompletionClient(ReplayChatCompletionClient([CALL, "Paris"]), path, mode="record")
    recorded = [await recorder.create(ASK), await recorder.create(OTHER)]
    player = CassetteChatCompletionClient(None, path, mode="replay")
    replayed = [await player.create(ASK), await player.create(OTHER)]
    assert replayed == recorded
    player.assert_complete()


async def test_the_cassette_is_one_json_line_per_exchange_after_a_header(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    recorder = CassetteChatCompletionClient(counting_model(), path, mode="record")
    await recorder.create(ASK)
    header, line = (json.loads(x) for x in path.read_text().splitlines())
    assert header["flowgen_cassette"] == 1
    assert header["model_info"]["function_calling"] is True
    assert line["key"] == request_key(canonical_request(ASK, (), "auto", None, {}))
    assert line["request"]["messages"][0]["content"] == "What is the capital of France?"
    assert line["response"]["content"] == "answer 0: What is the capital of France?"
    assert line["response"]["usage"] == {"prompt_tokens": 6, "completion_tokens": 8}


async def test_identical_requests_replay_in_recorded_order(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    recorder = CassetteChatCompletionClient(counting_model(), path, mode="record")
    await recorder.create(ASK)
    await recorder.create(ASK)
    player = CassetteChatCompletionClient(None, path, mode="replay")
    first, second = await player.create(ASK), await player.create(ASK)
    assert (first.content, second.content) == (
        "answer 0: What is the capital of France?",
        "answer 1: What is the capital of France?",
    )


async def test_a_drifted_request_fails_with_a_unified_diff(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    await CassetteChatCompletionClient(counting_model(), path, mode="record").create(ASK)
    player = CassetteChatCompletionClient(None, path, mode="replay")
    with pytest.raises(CassetteDriftError) as caught:
        await player.create(OTHER)
    message = str(caught.value)
    assert "call #1 does not match cassette" in message
    assert '-      "content": "What is the capital of France?",' in message
    assert '+      "content": "What is the capital of Italy?",' in message
    assert "mode='record'" in message


async def test_asking_more_often_than_recorded_is_drift(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    await CassetteChatCompletionClient(counting_model(), path, mode="record").create(ASK)
    player = CassetteChatCompletionClient(None, path, mode="replay")
    await player.create(ASK)
    with pytest.raises(CassetteDriftError, match="all 1 recorded exchanges were already used"):
        await player.create(ASK)


async def test_a_changed_tool_list_is_drift(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    await CassetteChatCompletionClient(counting_model(), path, mode="record").create(ASK)
    player = CassetteChatCompletionClient(None, path, mode="replay")
    with pytest.raises(CassetteDriftError, match='"name": "lookup"'):
        await player.create(
            ASK, tools=[{"name": "lookup", "parameters": {"type": "object", "properties": {}}}]
        )


async def test_streams_replay_the_recorded_chunks_then_the_result(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    recorder = CassetteChatCompletionClient(
        ReplayChatCompletionClient(["Paris is the capital"]), path, "record"
    )
    recorded = [item async for item in recorder.create_stream(ASK)]
    player = CassetteChatCompletionClient(None, path, mode="replay")
    replayed = [item async for item in player.create_stream(ASK)]
    assert replayed == recorded
    assert recorded[:-1] == ["Paris ", "is ", "the ", "capital"]


async def test_a_create_recording_streams_as_one_chunk(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    await CassetteChatCompletionClient(ReplayChatCompletionClient(["Paris"]), path, "record").create(ASK)
    player = CassetteChatCompletionClient(None, path, mode="replay")
    items = [item async for item in player.create_stream(ASK)]
    assert items[0] == "Paris"
    assert isinstance(items[1], CreateResult) and items[1].content == "Paris"


async def test_auto_mode_replays_hits_and_records_misses(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    await CassetteChatCompletionClient(counting_model(), path, mode="record").create(ASK)
    fresh_model = counting_model()
    auto = CassetteChatCompletionClient(fresh_model, path, mode="auto")
    await auto.create(ASK)
    await auto.create(OTHER)
    assert len(fresh_model.calls) == 1  # only the miss reached the model
    assert len(CassetteChatCompletionClient(None, path, mode="replay").exchanges) == 2


async def test_record_mode_starts_a_fresh_cassette(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    await CassetteChatCompletionClient(counting_model(), path, mode="record").create(ASK)
    CassetteChatCompletionClient(counting_model(), path, mode="record")
    assert CassetteChatCompletionClient(None, path, mode="replay").exchanges == []


async def test_replay_reports_recorded_usage(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    await CassetteChatCompletionClient(ReplayChatCompletionClient([CALL]), path, "record").create(ASK)
    player = CassetteChatCompletionClient(None, path, mode="replay")
    await player.create(ASK)
    assert player.total_usage() == RequestUsage(12, 4)


async def test_replay_keeps_the_recorded_model_info(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    info = ModelInfo(
        vision=False, function_calling=True, json_output=False, family="gpt-4o", structured_output=False
    )
    CassetteChatCompletionClient(ReplayChatCompletionClient([], model_info=info), path, mode="record")
    assert CassetteChatCompletionClient(None, path, mode="replay").model_info == info


async def test_assert_complete_fails_when_recordings_go_unused(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    recorder = CassetteChatCompletionClient(counting_model(), path, mode="record")
    await recorder.create(ASK)
    await recorder.create(OTHER)
    player = CassetteChatCompletionClient(None, path, mode="replay")
    await player.create(ASK)
    with pytest.raises(CassetteDriftError, match="1 of 2 recorded exchanges"):
        player.assert_complete()


def test_replaying_a_missing_cassette_says_to_record_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="record it first"):
        CassetteChatCompletionClient(None, tmp_path / "none.jsonl", mode="replay")


def test_recording_needs_a_model(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="inner_client"):
        CassetteChatCompletionClient(None, tmp_path / "run.jsonl", mode="record")


def test_a_corrupt_line_is_reported_with_its_line_number(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    path.write_text('{"flowgen_cassette": 1, "model_info": null}\nnot json\n')
    with pytest.raises(ConfigurationError, match=r"run.jsonl:2"):
        CassetteChatCompletionClient(None, path, mode="replay")
