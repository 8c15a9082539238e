"""Cassettes around real SDK clients: record over HTTP, replay with the server gone, catch drift."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from provider_kits import ProviderKit
from provider_server import ProviderServer

from flowgen.agents import AssistantAgent
from flowgen.base import TaskResult
from flowgen.conditions import MaxMessageTermination, TextMentionTermination
from flowgen.errors import CassetteDriftError
from flowgen.messages import ModelClientStreamingChunkEvent
from flowgen.models import ChatCompletionClient
from flowgen.models.cassette import CassetteChatCompletionClient
from flowgen.teams import RoundRobinGroupChat


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def build_team(client: ChatCompletionClient, *, stream: bool = False) -> RoundRobinGroupChat:
    forecaster = AssistantAgent(
        "forecaster", client, tools=[get_weather], reflect_on_tool_use=True, model_client_stream=stream
    )
    critic = AssistantAgent("critic", client, system_message="Check the forecast; say APPROVE.")
    stop = TextMentionTermination("APPROVE") | MaxMessageTermination(8)
    return RoundRobinGroupChat([forecaster, critic], termination_condition=stop)


def script_run(kit: ProviderKit, server: ProviderServer, *, stream: bool = False) -> None:
    calls = [("call_1", "get_weather", '{"city": "Paris"}')]
    server.script(
        kit.streamed_calls(calls) if stream else kit.calls(calls),
        kit.streamed_text("It is sunny in Paris.") if stream else kit.text("It is sunny in Paris."),
        kit.text("Forecast checked. APPROVE"),
    )


def comparable(result: TaskResult) -> list[dict[str, Any]]:
    """The messages without what differs between any two runs (ids and timestamps)."""
    return [m.model_dump(mode="json", exclude={"id", "created_at"}) for m in result.messages]


async def record(kit: ProviderKit, server: ProviderServer, path: Path, *, stream: bool = False) -> TaskResult:
    script_run(kit, server, stream=stream)
    cassette = CassetteChatCompletionClient(kit.make_client(server), path, mode="record")
    result = await build_team(cassette, stream=stream).run(task="Forecast for Paris?")
    await cassette.close()
    return result


async def test_a_recorded_run_replays_identically_with_the_server_stopped(
    kit: ProviderKit, server: ProviderServer, tmp_path: Path
) -> None:
    path = tmp_path / f"{kit.name}.jsonl"
    recorded = await record(kit, server, path)
    assert len(server.requests) == 3
    server.stop()

    replay = CassetteChatCompletionClient(None, path, mode="replay")
    replayed = await build_team(replay).run(task="Forecast for Paris?")
    assert comparable(replayed) == comparable(recorded)
    assert replayed.stop_reason == recorded.stop_reason
    replay.assert_complete()


async def test_a_recorded_streaming_run_replays_the_same_chunks(
    kit: ProviderKit, server: ProviderServer, tmp_path: Path
) -> None:
    path = tmp_path / f"{kit.name}.jsonl"
    script_run(kit, server, stream=True)
    recorder = CassetteChatCompletionClient(kit.make_client(server), path, mode="record")
    recorded = [e async for e in build_team(recorder, stream=True).run_stream(task="Forecast for Paris?")]
    await recorder.close()
    server.stop()

    replay = CassetteChatCompletionClient(None, path, mode="replay")
    replayed = [e async for e in build_team(replay, stream=True).run_stream(task="Forecast for Paris?")]

    def chunks(events: list[Any]) -> list[str]:
        return [e.content for e in events if isinstance(e, ModelClientStreamingChunkEvent)]

    assert chunks(replayed) == chunks(recorded)
    assert chunks(recorded)
    assert isinstance(recorded[-1], TaskResult) and isinstance(replayed[-1], TaskResult)
    assert comparable(replayed[-1]) == comparable(recorded[-1])


async def test_a_drifted_run_fails_with_a_readable_diff(
    kit: ProviderKit, server: ProviderServer, tmp_path: Path
) -> None:
    path = tmp_path / f"{kit.name}.jsonl"
    await record(kit, server, path)
    server.stop()

    replay = CassetteChatCompletionClient(None, path, mode="replay")
    with pytest.raises(CassetteDriftError) as caught:
        await build_team(replay).run(task="Forecast for Rome?")
    message = str(caught.value)
    assert '-      "content": "Forecast for Paris?",' in message
    assert '+      "content": "Forecast for Rome?",' in message
