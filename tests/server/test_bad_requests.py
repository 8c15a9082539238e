"""Bad requests: each a clear JSON 4xx, and nothing stored changed by it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from server_support import KEY_B, TASK, Served, new_thread


async def stored(served: Served) -> tuple[Any, ...]:
    """Everything the server keeps: the store's threads and checkpoints, and the thread owners."""
    threads = await served.store.threads()
    checkpoints = {
        t.thread_id: [c.checkpoint_id async for c in served.store.history(t.thread_id)] for t in threads
    }
    owners = served.ctx.directory._db.execute("SELECT * FROM flowgen_server_threads ORDER BY 1").fetchall()
    return [t.model_dump() for t in threads], checkpoints, owners


def refused(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    message: str = error["message"]
    return message


@pytest.fixture
async def thread(served: Served) -> str:
    thread_id = await new_thread(served)
    response = await served.client.post(
        f"/threads/{thread_id}/runs/wait",
        headers=served.headers(),
        json={"agent": "write_review", "input": TASK},
    )
    assert response.status_code == 200
    return thread_id


BAD_RUNS = [
    (b"{not json", 400, "malformed_json", "not valid JSON"),
    (b"[1, 2]", 400, "malformed_json", "JSON object"),
    (b'{"agent": "write_review", "input": "x", "code": "import os"}', 422, "invalid_body", "code"),
    (b'{"input": "x"}', 422, "invalid_body", "agent"),
    (b'{"agent": "nobody", "input": "x"}', 404, "unknown_agent", "write_review"),
    (b"\xff\xfe", 400, "malformed_json", "not valid JSON"),
]


@pytest.mark.parametrize(("body", "status", "code", "says"), BAD_RUNS)
@pytest.mark.parametrize("mode", ["wait", "stream"])
async def test_a_bad_run_body_is_refused_and_stores_nothing(
    served: Served, thread: str, body: bytes, status: int, code: str, says: str, mode: str
) -> None:
    before = await stored(served)
    response = await served.client.post(
        f"/threads/{thread}/runs/{mode}",
        headers={**served.headers(), "content-type": "application/json"},
        content=body,
    )
    assert says in refused(response, status, code)
    assert await stored(served) == before
    assert not served.ctx.runs.is_busy(thread)


async def test_an_oversized_body_is_413(served: Served, thread: str) -> None:
    before = await stored(served)
    big = {"agent": "write_review", "input": "x" * 5000}
    response = await served.client.post(f"/threads/{thread}/runs/wait", headers=served.headers(), json=big)
    assert "4096 bytes" in refused(response, 413, "body_too_large")
    assert await stored(served) == before


async def test_an_oversized_body_without_length_is_413(served: Served, thread: str) -> None:
    before = await stored(served)

    async def chunks() -> Any:
        for _ in range(10):
            yield b"x" * 1000

    response = await served.client.post(
        f"/threads/{thread}/runs/wait", headers=served.headers(), content=chunks()
    )
    refused(response, 413, "body_too_large")
    assert await stored(served) == before


async def test_unknown_thread_is_404(served: Served) -> None:
    before = await stored(served)
    for method, path in [
        ("GET", "/threads/nope"),
        ("GET", "/threads/nope/history"),
        ("POST", "/threads/nope/runs/wait"),
        ("POST", "/threads/nope/runs/stream"),
    ]:
        body = {"agent": "write_review", "input": "x"} if method == "POST" else None
        response = await served.client.request(method, path, headers=served.headers(), json=body)
        assert "POST /threads" in refused(response, 404, "unknown_thread")
    assert await stored(served) == before


async def test_unknown_route_and_method_are_json(served: Served) -> None:
    refused(await served.client.get("/nowhere", headers=served.headers()), 404, "not_found")
    refused(await served.client.delete("/agents", headers=served.headers()), 405, "method_not_allowed")


async def test_bad_thread_ids_and_limits(served: Served, thread: str) -> None:
    before = await stored(served)
    refused(
        await served.client.post("/threads", headers=served.headers(), json={"thread_id": "../x"}),
        422,
        "invalid_body",
    )
    refused(
        await served.client.post("/threads", headers=served.headers(), json={"thread_id": thread}),
        409,
        "thread_exists",
    )
    response = await served.client.get(f"/threads/{thread}/history?limit=-1", headers=served.headers())
    refused(response, 400, "bad_limit")
    assert await stored(served) == before


async def test_continuing_an_empty_thread_needs_input(served: Served) -> None:
    thread = await new_thread(served)
    before = await stored(served)
    response = await served.client.post(
        f"/threads/{thread}/runs/wait", headers=served.headers(), json={"agent": "gated"}
    )
    assert "send an input" in refused(response, 422, "no_input")
    assert await stored(served) == before


async def test_a_second_run_on_a_busy_thread_is_409_saying_what_to_do(served: Served) -> None:
    thread = await new_thread(served)
    url = f"/threads/{thread}/runs/wait"
    first = asyncio.create_task(
        served.client.post(url, headers=served.headers(), json={"agent": "gated", "input": "go"})
    )
    await served.gate.called.wait()  # the first run is inside its model call
    before = await stored(served)
    state = (await served.client.get(f"/threads/{thread}", headers=served.headers())).json()
    assert state["status"] == "busy"
    second = await served.client.post(
        url, headers=served.headers(), json={"agent": "gated", "input": "again"}
    )
    message = refused(second, 409, "thread_busy")
    assert "wait for it to finish" in message and "create another thread" in message
    assert await stored(served) == before
    served.gate.opened.set()
    done = await first
    assert done.status_code == 200 and done.json()["messages"][-1]["content"] == "done"
    after = (await served.client.get(f"/threads/{thread}", headers=served.headers())).json()
    assert after["status"] == "idle"


async def test_threads_are_invisible_to_another_key(served: Served, thread: str) -> None:
    before = await stored(served)
    other = served.headers(KEY_B)
    for method, path in [
        ("GET", f"/threads/{thread}"),
        ("GET", f"/threads/{thread}/history"),
        ("POST", f"/threads/{thread}/runs/wait"),
        ("POST", f"/threads/{thread}/runs/stream"),
    ]:
        body = {"agent": "write_review", "input": "hijack"} if method == "POST" else None
        refused(await served.client.request(method, path, headers=other, json=body), 404, "unknown_thread")
    assert await stored(served) == before
    assert (await served.client.get(f"/threads/{thread}", headers=served.headers())).status_code == 200
    mine = await new_thread(served, KEY_B)
    refused(await served.client.get(f"/threads/{mine}", headers=served.headers()), 404, "unknown_thread")
