"""SSE over a real uvicorn server: rejoining after Last-Event-ID (none lost, none repeated), heartbeats,
and what a run does when its streaming client disconnects (``on_disconnect``)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from server_support import PING, STEPPED_TURNS, Served, SseReader, new_thread, serving_live

#: What the stream tells besides the messages: the steps and the nodes in them.
STEP_KINDS = ("step", "node")


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Served]:
    async with serving_live(tmp_path, heartbeat_seconds=0.05) as served:
        yield served


async def read(
    served: Served, url: str, count: int | None, after: int | None, by: str = "header"
) -> list[dict[str, str]]:
    """``count`` events of a run's stream (all, when None) read after event ``after``; then disconnect."""
    headers = served.headers()
    if after is not None and by == "header":
        headers["Last-Event-ID"] = str(after)
    params = {"last_event_id": str(after)} if after is not None and by == "query" else None
    events = []
    async with served.client.stream("GET", url, headers=headers, params=params) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = SseReader(response)
        while count is None or len(events) < count:
            event = await reader.next()
            if event is None:
                break
            events.append(event)
    return events


def ids(events: list[dict[str, str]]) -> list[int]:
    return [int(e["id"]) for e in events]


async def start_stepped(served: Served) -> tuple[str, str]:
    thread = await new_thread(served)
    response = await served.client.post(
        f"/threads/{thread}/runs", headers=served.headers(), json={"agent": "stepped", "input": "count"}
    )
    assert response.status_code == 202
    return thread, response.json()["run_id"]


async def test_rejoining_a_live_run_loses_and_repeats_nothing(live: Served) -> None:
    thread, run = await start_stepped(live)
    url = f"/threads/{thread}/runs/{run}/stream"
    head = await live.client.head(url, headers=live.headers())  # answered at once, the run still held
    assert head.status_code == 200 and head.headers["content-type"].startswith("text/event-stream")
    seen: list[dict[str, str]] = []
    for turn in range(STEPPED_TURNS + 4):  # one event a connection, one step let through after each
        by = "query" if turn % 2 else "header"
        got = await read(live, url, 1, len(seen) if seen else None, by)
        seen += got
        live.stepper.step()
        if seen[-1]["event"] == "end":
            break
    seen += await read(live, url, None, len(seen))  # what is left: nothing once the end was seen
    full = await read(live, url, None, None)
    assert seen == full
    assert ids(full) == list(range(1, len(full) + 1))
    kinds = [e["event"] for e in full if e["event"] not in STEP_KINDS]
    assert kinds == ["metadata"] + ["message"] * (STEPPED_TURNS + 1) + ["end"]
    assert json.loads(full[-1]["data"])["status"] == "success"


async def test_read_k_disconnect_rejoin_at_k_gives_the_whole_stream(live: Served) -> None:
    thread, run = await start_stepped(live)
    live.stepper.step(STEPPED_TURNS)
    joined = await live.client.get(f"/threads/{thread}/runs/{run}/join", headers=live.headers())
    assert joined.json()["status"] == "success"
    url = f"/threads/{thread}/runs/{run}/stream"
    full = await read(live, url, None, None)
    assert len([e for e in full if e["event"] not in STEP_KINDS]) == STEPPED_TURNS + 3

    for k in range(len(full) + 1):
        head = await read(live, url, k, None)
        tail = await read(live, url, None, k, "query" if k % 2 else "header")
        assert head + tail == full, k


async def test_heartbeats_are_comments_while_a_step_is_slow(live: Served) -> None:
    thread = await new_thread(live)
    body = {"agent": "gated", "input": "go"}
    events: list[dict[str, Any]] = []
    async with live.client.stream(
        "POST", f"/threads/{thread}/runs/stream", headers=live.headers(), json=body
    ) as r:
        reader = SseReader(r)
        while reader.pings < 3:  # the model is held: only heartbeats come
            item = await reader.next(pings=True)
            assert item is not None
            if item != PING:
                events.append(item)
        await live.gate.called.wait()
        live.gate.opened.set()
        events += await reader.rest()
    assert [e["event"] for e in events if e["event"] not in STEP_KINDS] == [
        "metadata", "message", "message", "end",
    ]  # fmt: skip
    assert ids(events) == list(range(1, len(events) + 1))


async def stream_until_held(served: Served, thread: str, on_disconnect: str) -> str:
    """Stream a ``gated`` run until its model is called, then disconnect; the run's id."""
    body = {"agent": "gated", "input": "go", "on_disconnect": on_disconnect}
    async with served.client.stream(
        "POST", f"/threads/{thread}/runs/stream", headers=served.headers(), json=body
    ) as response:
        reader = SseReader(response)
        metadata = await reader.next()
        assert metadata is not None and metadata["event"] == "metadata"
        await served.gate.called.wait()
    run_id: str = json.loads(metadata["data"])["run_id"]
    return run_id


async def test_a_client_leaving_cancels_its_run_and_the_thread_resumes(live: Served) -> None:
    thread = await new_thread(live)
    run = await stream_until_held(live, thread, "cancel")
    joined = (await live.client.get(f"/threads/{thread}/runs/{run}/join", headers=live.headers())).json()
    assert joined["status"] == "cancelled"
    assert not live.gate.opened.is_set()  # cancelled while its model call was still held
    live.gate.opened.set()
    again = await live.client.post(
        f"/threads/{thread}/runs/wait", headers=live.headers(), json={"agent": "gated"}
    )
    assert again.json()["status"] == "success"
    state = (await live.client.get(f"/threads/{thread}", headers=live.headers())).json()
    assert [m["content"] for m in state["messages"]] == ["go", "done"]


async def test_continue_keeps_the_run_going_after_the_client_leaves(live: Served) -> None:
    thread = await new_thread(live)
    run = await stream_until_held(live, thread, "continue")
    status = (await live.client.get(f"/threads/{thread}/runs/{run}", headers=live.headers())).json()["status"]
    assert status == "running"
    live.gate.opened.set()
    joined = (await live.client.get(f"/threads/{thread}/runs/{run}/join", headers=live.headers())).json()
    assert joined["status"] == "success"
    assert [m["content"] for m in joined["messages"]] == ["go", "done"]
