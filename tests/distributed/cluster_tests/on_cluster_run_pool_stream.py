"""RunPool.stream and ``flowgen serve --workers ray`` stream a run live from its worker (run inside the
cluster's namespace by tests/distributed).

A gate (a Ray actor the team's model waits on) holds each run mid-way: what the stream gave before the
gate opened arrived while the run was still going, whatever the machine's load.
"""

from __future__ import annotations

import asyncio
import os
from contextlib import aclosing
from pathlib import Path
from typing import Any

import gated_serve_team
import pytest
from pool_teams import MESSAGES, chat_team, failing_team, gated_team, make_gate

from flowgen.base import TaskResult
from flowgen.checkpoint import SqliteCheckpointer
from flowgen.client import AsyncClient, StreamEvent
from flowgen.distributed import RunPool
from flowgen.distributed.run_order import StepNotice
from flowgen.errors import ThreadBusyError
from flowgen.messages import BaseAgentEvent, BaseChatMessage
from flowgen.testing.served_process import served_process

_HANG_GUARD_S = 120.0  # a hang fails the test instead of stalling the suite; it is not a speed check
KEY = "key-stream-5d1e"


def seen(item: BaseAgentEvent | BaseChatMessage) -> tuple[str, str, str]:
    """What a reader sees of an item: who said what (ids and times differ between runs)."""
    return item.source, item.type, str(item.dump().get("content"))


@pytest.mark.asyncio
async def test_a_pool_run_streams_its_messages_as_they_are_stored(tmp_path: Path) -> None:
    gate = make_gate("pool-gate")
    team = lambda: gated_team("pool-gate", 3)  # noqa: E731 - the critic's first call waits for the gate
    store = str(tmp_path / "runs.db")
    async with RunPool(team, store=store, address="auto") as pool, asyncio.timeout(_HANG_GUARD_S):
        stream = pool.stream("task for live", thread_id="live", steps=True)
        items: list[Any] = []
        break_point = 0
        async with aclosing(aiter(stream)) as received:
            async for item in received:
                items.append(item)
                if isinstance(item, BaseChatMessage) and item.source == "writer" and not break_point:
                    break_point = len(items)
                    # The writer's reply arrived; the critic waits for the gate, so the run is going on.
                    assert pool.load()["finished"] == 0
                    await gate.open.remote()  # type: ignore[attr-defined]
        result = stream.result
    before = [i for i in items[:break_point] if not isinstance(i, StepNotice)]
    assert [(i.source, i.type) for i in before] == [("user", "TextMessage"), ("writer", "TextMessage")]
    # The stream is the local run_stream's, then its TaskResult; a step notice after each step.
    local = [i async for i in chat_team().run_stream(task="task for live")]
    shown = [i for i in items if not isinstance(i, StepNotice)]
    assert [seen(i) for i in shown[:-1]] == [seen(i) for i in local[:-1]]  # type: ignore[arg-type]
    assert isinstance(shown[-1], TaskResult) and isinstance(local[-1], TaskResult)
    assert [seen(m) for m in shown[-1].messages] == [seen(m) for m in local[-1].messages]
    assert shown[-1].stop_reason == local[-1].stop_reason
    steps = [i.step for i in items if isinstance(i, StepNotice)]
    assert steps == list(range(MESSAGES))  # the input, then each of the seven turns
    assert result.attempts == 1 and not result.resumed
    # Every message shown is the stored one, once.
    reader = SqliteCheckpointer(store)
    snapshot = await reader.get("live")
    assert snapshot is not None and [m["id"] for m in snapshot.messages] == [m.id for m in shown[:-1]]
    await reader.aclose()


@pytest.mark.asyncio
async def test_a_served_run_on_ray_workers_streams_live(tmp_path: Path) -> None:
    gate = make_gate(gated_serve_team.GATE)
    address = os.environ["FLOWGEN_RAY_ADDRESS"]
    team_file = gated_serve_team.__file__
    flags = ("--api-key", KEY, "--workers", "ray", "--ray-address", address)
    with served_process([team_file], tmp_path / "runs.db", *flags, cwd=Path(team_file).parent) as server:
        async with AsyncClient(server.url, KEY) as client, asyncio.timeout(_HANG_GUARD_S):
            thread = (await client.create_thread())["thread_id"]
            events: list[StreamEvent] = []
            opened = False
            async with aclosing(
                client.stream_run(thread, "gated_serve_team", input="task for served")
            ) as got:
                async for event in got:
                    events.append(event)
                    if event.event == "message" and event.data["source"] == "writer" and not opened:
                        opened = True
                        # The draft is here while the critic waits for the gate: the run is live.
                        assert (await client.get_thread(thread))["status"] == "busy"
                        await gate.open.remote()  # type: ignore[attr-defined]
    kinds = [e.event for e in events]
    assert kinds[-1] == "end" and events[-1].data["status"] == "success"
    messages = [e.data for e in events if e.event == "message"]
    local = await chat_team().run(task="task for served")
    assert [(m["source"], str(m["content"])) for m in messages] == [
        (m.source, str(m.dump().get("content"))) for m in local.messages
    ]
    # The server's own events, as for a local run: each step after its message, nodes starting
    # and ending around it.
    steps = [e.data for e in events if e.event == "step"]
    assert [s["step"] for s in steps] == list(range(1, MESSAGES))  # the input is not a step here
    assert steps[0]["nodes"] == ["writer"] and steps[0]["next"] == ["critic"]
    nodes = [(e.data["node"], e.data["status"]) for e in events if e.event == "node"]
    assert nodes[:4] == [("writer", "start"), ("writer", "end"), ("critic", "start"), ("critic", "end")]
    assert kinds.index("step") > kinds.index("message")


@pytest.mark.asyncio
async def test_cancelling_a_stream_stops_its_run_and_the_thread_continues_later(tmp_path: Path) -> None:
    gate = make_gate("cancel-gate")
    team = lambda: gated_team("cancel-gate", 3)  # noqa: E731 - the critic's first call waits for the gate
    store = str(tmp_path / "runs.db")
    reader = SqliteCheckpointer(store)
    async with RunPool(team, store=store, address="auto") as pool, asyncio.timeout(_HANG_GUARD_S):
        stream = pool.stream("task for cancel", thread_id="cancel")
        shown: list[Any] = []
        with pytest.raises(asyncio.CancelledError):
            async for item in stream:
                shown.append(item)
                if isinstance(item, BaseChatMessage) and item.source == "writer":
                    stream.cancel()  # the critic is mid-step, waiting for the gate
        # The worker undoes the critic's step and lets the thread go: its lease comes free.
        while True:
            try:
                lease = await reader.acquire("cancel")
            except ThreadBusyError:
                await asyncio.sleep(0.05)  # the worker is stopping the run in another process
                continue
            await lease.release()
            break
        assert sum(pool.load()["in_flight"].values()) == 0
        await gate.open.remote()  # type: ignore[attr-defined]
        continued = await pool.run(thread_id="cancel")
    assert [(i.source, i.type) for i in shown] == [("user", "TextMessage"), ("writer", "TextMessage")]
    # The cancelled step left nothing behind: the thread reads as one uninterrupted run.
    snapshot = await reader.get("cancel")
    reference = await chat_team().run(task="task for cancel")
    assert snapshot is not None
    assert [(m["source"], str(m.get("content"))) for m in snapshot.messages] == [
        (m.source, str(m.dump().get("content"))) for m in reference.messages
    ]
    assert continued.messages[0]["source"] == "critic"
    await reader.aclose()


@pytest.mark.asyncio
async def test_a_failed_streamed_run_shows_what_it_stored_then_raises_its_error(tmp_path: Path) -> None:
    store = str(tmp_path / "runs.db")
    async with RunPool(failing_team, store=store, address="auto") as pool, asyncio.timeout(_HANG_GUARD_S):
        shown: list[Any] = []
        with pytest.raises(RuntimeError, match="the model is down"):
            async for item in pool.stream("task for failure", thread_id="failed"):
                shown.append(item)
    reader = SqliteCheckpointer(store)
    snapshot = await reader.get("failed")
    assert snapshot is not None
    assert [m["id"] for m in snapshot.messages] == [m.id for m in shown]  # every stored one, once
    assert [(m.source, m.type) for m in shown] == [("user", "TextMessage"), ("writer", "TextMessage")]
    await reader.aclose()
