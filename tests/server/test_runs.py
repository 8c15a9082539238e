"""Runs over HTTP: wait and SSE give the same transcript as the team run in-process; history is kept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from server_support import KEY_B, LEAKED_KEY, TASK, Served, new_thread

from flowgen.checkpoint import SqliteCheckpointer
from graphs import write_review

VOLATILE = ("id", "created_at")


def comparable(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A message without what differs run to run (its id and time)."""
    return [{k: v for k, v in m.items() if k not in VOLATILE} for m in messages]


async def in_process(tmp_path: Path) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
    """The same team run directly, with a thread: each item as (kind, dump), and the stop reason."""
    from flowgen.base import TaskResult
    from flowgen.messages import BaseChatMessage

    store = SqliteCheckpointer(str(tmp_path / "direct.db"))
    team = write_review.build()
    team.checkpointer = store
    items: list[tuple[str, dict[str, Any]]] = []
    stop = None
    async for item in team.run_stream(task=TASK, thread_id="direct"):
        if isinstance(item, TaskResult):
            stop = item.stop_reason
        else:
            items.append(("message" if isinstance(item, BaseChatMessage) else "event", item.dump()))
    await store.aclose()
    return items, stop


def parse_sse(text: str) -> list[dict[str, str]]:
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            if line and not line.startswith(":"):
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
        if fields:
            events.append(fields)
    return events


async def test_wait_gives_the_in_process_messages(served: Served, tmp_path: Path) -> None:
    expected, stop = await in_process(tmp_path)
    thread = await new_thread(served)
    response = await served.client.post(
        f"/threads/{thread}/runs/wait",
        headers=served.headers(),
        json={"agent": "write_review", "input": TASK},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert comparable(body["messages"]) == comparable([d for k, d in expected if k == "message"])
    assert body["stop_reason"] == stop and body["thread_id"] == thread
    assert body["checkpoint_id"] == await served.store.head(thread)


async def test_stream_transcript_equals_in_process_run(served: Served, tmp_path: Path) -> None:
    expected, stop = await in_process(tmp_path)
    thread = await new_thread(served)
    response = await served.client.post(
        f"/threads/{thread}/runs/stream",
        headers=served.headers(),
        json={"agent": "write_review", "input": TASK},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(response.text)
    assert [e["id"] for e in events] == [str(n) for n in range(1, len(events) + 1)]
    *items, end = events
    items = [e for e in items if e["event"] in ("message", "event")]  # step and node events aside
    assert comparable([json.loads(e["data"]) for e in items]) == comparable([d for _, d in expected])
    assert [e["event"] for e in items] == [k for k, _ in expected]
    assert end["event"] == "end"
    assert json.loads(end["data"])["stop_reason"] == stop


async def test_history_and_state_after_a_run(served: Served) -> None:
    thread = await new_thread(served)
    empty = (await served.client.get(f"/threads/{thread}", headers=served.headers())).json()
    assert empty["messages"] == [] and empty["status"] == "idle" and empty["checkpoint_id"] is None
    run = await served.client.post(
        f"/threads/{thread}/runs/wait",
        headers=served.headers(),
        json={"agent": "write_review", "input": TASK},
    )
    history = (await served.client.get(f"/threads/{thread}/history", headers=served.headers())).json()
    ids = [c["checkpoint_id"] for c in history["checkpoints"]]
    assert ids and ids == sorted(ids, reverse=True)
    assert ids[0] == run.json()["checkpoint_id"]
    stored = [c.checkpoint_id async for c in served.store.history(thread)]
    assert ids == stored
    state = (await served.client.get(f"/threads/{thread}", headers=served.headers())).json()
    assert comparable(state["messages"]) == comparable(run.json()["messages"])
    assert state["checkpoint_id"] == ids[0]
    limited = (await served.client.get(f"/threads/{thread}/history?limit=1", headers=served.headers())).json()
    assert [c["checkpoint_id"] for c in limited["checkpoints"]] == ids[:1]


async def test_a_run_without_input_continues_the_thread(served: Served) -> None:
    thread = await new_thread(served)
    url = f"/threads/{thread}/runs/wait"
    first = await served.client.post(
        url, headers=served.headers(), json={"agent": "write_review", "input": TASK}
    )
    again = await served.client.post(url, headers=served.headers(), json={"agent": "write_review"})
    assert again.status_code == 200, again.text
    history = [c async for c in served.store.history(thread)]
    assert history[0].checkpoint_id == again.json()["checkpoint_id"] != first.json()["checkpoint_id"]


async def test_a_failing_run_says_so_and_frees_its_thread(served: Served) -> None:
    thread = await new_thread(served)
    body = {"agent": "broken", "input": "go"}
    waited = await served.client.post(f"/threads/{thread}/runs/wait", headers=served.headers(), json=body)
    assert waited.status_code == 500
    error = waited.json()["error"]
    assert error["code"] == "run_failed" and "the model is down" in error["message"]
    assert "run it again without input" in error["message"]
    assert LEAKED_KEY not in waited.text
    streamed = await served.client.post(f"/threads/{thread}/runs/stream", headers=served.headers(), json=body)
    *_, last = parse_sse(streamed.text)
    assert last["event"] == "error" and "the model is down" in json.loads(last["data"])["message"]
    assert LEAKED_KEY not in streamed.text
    state = (await served.client.get(f"/threads/{thread}", headers=served.headers())).json()
    assert state["status"] == "idle"


async def test_a_key_lists_only_its_own_threads_newest_first(served: Served) -> None:
    first, second = await new_thread(served), await new_thread(served)
    theirs = await new_thread(served, KEY_B)
    listed = (await served.client.get("/threads", headers=served.headers())).json()["threads"]
    assert [t["thread_id"] for t in listed] == [second, first]
    assert all(t["status"] == "idle" for t in listed)
    other = (await served.client.get("/threads?limit=5", headers=served.headers(KEY_B))).json()["threads"]
    assert [t["thread_id"] for t in other] == [theirs]
    assert (await served.client.get("/threads")).status_code == 401
