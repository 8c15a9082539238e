"""Threads over HTTP: metadata, listing pages, search, delete (with its checkpoints) and copy.

Every refusal is a clear JSON 4xx, and nothing stored changes because of it.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from server_support import KEY_B, TASK, Served
from thread_support import refused, serving_with, stored

from flowgen.checkpoint.records import Checkpoint, new_checkpoint_id


@pytest.fixture
async def served(tmp_path: Path) -> Any:
    async with serving_with(tmp_path, max_metadata_bytes=200) as running:
        yield running


async def create(
    served: Served, body: dict[str, Any] | None = None, key: str | None = None
) -> dict[str, Any]:
    headers = served.headers(*([key] if key else []))
    response = await served.client.post("/threads", headers=headers, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def run(served: Served, thread: str, task: str = TASK) -> dict[str, Any]:
    response = await served.client.post(
        f"/threads/{thread}/runs/wait",
        headers=served.headers(),
        json={"agent": "write_review", "input": task},
    )
    assert response.status_code == 200, response.text
    done: dict[str, Any] = response.json()
    return done


async def search(served: Served, body: dict[str, Any], key: str | None = None) -> list[str]:
    response = await served.client.post(
        "/threads/search", headers=served.headers(*([key] if key else [])), json=body
    )
    assert response.status_code == 200, response.text
    return [t["thread_id"] for t in response.json()["threads"]]


async def test_metadata_is_kept_and_shown(served: Served) -> None:
    made = await create(
        served, {"thread_id": "t-1", "metadata": {"user": "ana", "tags": ["a", 1], "n": None}}
    )
    assert made["metadata"] == {"user": "ana", "tags": ["a", 1], "n": None}
    assert made["status"] == "idle" and made["messages"] == []
    shown = (await served.client.get("/threads/t-1", headers=served.headers())).json()
    assert shown["metadata"] == made["metadata"]
    listed = (await served.client.get("/threads", headers=served.headers())).json()["threads"]
    assert [(t["thread_id"], t["metadata"]) for t in listed] == [("t-1", made["metadata"])]


@pytest.mark.parametrize(
    ("body", "status", "code", "says"),
    [
        ({"metadata": ["not", "an", "object"]}, 422, "invalid_body", "metadata"),
        ({"metadata": {"big": "x" * 300}}, 422, "metadata_too_large", "the limit is 200"),
        ({"metadata": {}, "owner": "someone"}, 422, "invalid_body", "owner"),
        ({"thread_id": "has space"}, 422, "invalid_body", "thread_id"),
    ],
)
async def test_bad_metadata_is_refused_and_stores_nothing(
    served: Served, body: dict[str, Any], status: int, code: str, says: str
) -> None:
    await create(served, {"thread_id": "kept"})
    before = await stored(served)
    response = await served.client.post("/threads", headers=served.headers(), json=body)
    assert says in refused(response, status, code)
    assert await stored(served) == before


async def test_listing_pages_newest_first(served: Served) -> None:
    for n in range(5):
        await create(served, {"thread_id": f"t{n}"})
    await create(served, {"thread_id": "other"}, key=KEY_B)

    async def page(query: str) -> list[str]:
        response = await served.client.get(f"/threads{query}", headers=served.headers())
        return [t["thread_id"] for t in response.json()["threads"]]

    assert await page("") == ["t4", "t3", "t2", "t1", "t0"]
    assert await page("?limit=2") == ["t4", "t3"]
    assert await page("?limit=2&offset=2") == ["t2", "t1"]
    assert await page("?offset=4") == ["t0"]
    assert await page("?offset=9") == []
    for bad, code in [("?offset=-1", "bad_offset"), ("?offset=x", "bad_offset"), ("?limit=0", "bad_limit")]:
        assert "whole number" in refused(await served.client.get(f"/threads{bad}", headers=served.headers()),
                                         400, code)  # fmt: skip


async def test_search_matches_every_pair_exactly(served: Served) -> None:
    await create(served, {"thread_id": "a", "metadata": {"team": "red", "n": 1}})
    await create(served, {"thread_id": "b", "metadata": {"team": "red", "n": True}})
    await create(served, {"thread_id": "c", "metadata": {"team": "blue", "n": 1, "deep": {"x": [1, 2]}}})
    await create(served, {"thread_id": "theirs", "metadata": {"team": "red", "n": 1}}, key=KEY_B)
    assert await search(served, {}) == ["c", "b", "a"]
    assert await search(served, {"metadata": {"team": "red"}}) == ["b", "a"]
    assert await search(served, {"metadata": {"team": "red", "n": 1}}) == ["a"]  # true is not 1
    assert await search(served, {"metadata": {"n": True}}) == ["b"]
    assert await search(served, {"metadata": {"deep": {"x": [1, 2]}}}) == ["c"]
    assert await search(served, {"metadata": {"deep": {"x": [2, 1]}}}) == []
    assert await search(served, {"metadata": {"missing": None}}) == []
    assert await search(served, {"metadata": {"team": "red"}, "limit": 1, "offset": 1}) == ["a"]
    assert await search(served, {"metadata": {"team": "red"}}, key=KEY_B) == ["theirs"]


async def test_search_by_status(served: Served) -> None:
    idle = (await create(served, {"thread_id": "idle"}))["thread_id"]
    await run(served, idle)
    waiting = (await create(served, {"thread_id": "waiting"}))["thread_id"]
    lease = await served.store.acquire(waiting)
    paused = Checkpoint(thread_id=waiting, checkpoint_id=new_checkpoint_id(), step=1, fingerprint="f",
                        stop_reason="Interrupted before node 'critic'.", interrupt="before:critic")  # fmt: skip
    await served.store.put(lease, [paused])
    await lease.release()
    await create(served, {"thread_id": "busy"})
    first = asyncio.create_task(
        served.client.post(
            "/threads/busy/runs/wait", headers=served.headers(), json={"agent": "gated", "input": "go"}
        )
    )
    await served.gate.called.wait()
    assert await search(served, {"status": "busy"}) == ["busy"]
    assert await search(served, {"status": "interrupted"}) == ["waiting"]
    assert await search(served, {"status": "idle"}) == ["idle"]
    assert await search(served, {"status": "idle", "offset": 1}) == []
    shown = (await served.client.get("/threads/waiting", headers=served.headers())).json()
    assert shown["status"] == "interrupted" and shown["checkpoint_id"] == paused.checkpoint_id
    served.gate.opened.set()
    assert (await first).status_code == 200
    assert await search(served, {"status": "idle"}) == ["busy", "idle"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"status": "sleeping"}', "status"),
        (b'{"limit": 0}', "limit"),
        (b'{"limit": 5000}', "limit"),
        (b'{"offset": -1}', "offset"),
        (b'{"metadata": "red"}', "metadata"),
        (b'{"where": "1=1"}', "where"),
    ],
)
async def test_a_bad_search_is_422(served: Served, body: bytes, says: str) -> None:
    response = await served.client.post(
        "/threads/search", headers={**served.headers(), "content-type": "application/json"}, content=body
    )
    assert says in refused(response, 422, "invalid_body")


async def test_delete_removes_the_thread_and_its_checkpoints(served: Served) -> None:
    thread = (await create(served, {"thread_id": "gone", "metadata": {"k": 1}}))["thread_id"]
    kept = (await create(served, {"thread_id": "kept"}))["thread_id"]
    await run(served, thread)
    await run(served, kept)
    assert [c async for c in served.store.history(thread)]
    kept_before = [c.checkpoint_id async for c in served.store.history(kept)]
    response = await served.client.delete(f"/threads/{thread}", headers=served.headers())
    assert response.status_code == 204 and response.content == b""
    assert [c async for c in served.store.history(thread)] == []
    assert await served.ctx.directory.get(thread) is None
    refused(await served.client.get(f"/threads/{thread}", headers=served.headers()), 404, "unknown_thread")
    refused(await served.client.delete(f"/threads/{thread}", headers=served.headers()), 404, "unknown_thread")
    assert await search(served, {"metadata": {"k": 1}}) == []
    assert [c.checkpoint_id async for c in served.store.history(kept)] == kept_before
    again = await create(served, {"thread_id": thread})  # the id is free again
    assert again["messages"] == []


async def test_delete_by_another_key_is_404_and_changes_nothing(served: Served) -> None:
    thread = (await create(served))["thread_id"]
    await run(served, thread)
    before = await stored(served)
    refused(
        await served.client.delete(f"/threads/{thread}", headers=served.headers(KEY_B)), 404, "unknown_thread"
    )
    assert await stored(served) == before


async def test_delete_while_busy_is_409_and_changes_nothing(served: Served) -> None:
    thread = (await create(served))["thread_id"]
    first = asyncio.create_task(
        served.client.post(
            f"/threads/{thread}/runs/wait", headers=served.headers(), json={"agent": "gated", "input": "go"}
        )
    )
    await served.gate.called.wait()
    before = await stored(served)
    message = refused(
        await served.client.delete(f"/threads/{thread}", headers=served.headers()), 409, "thread_busy"
    )
    assert "wait for it to finish" in message and "delete it then" in message
    assert await stored(served) == before
    served.gate.opened.set()
    assert (await first).status_code == 200
    assert (await served.client.delete(f"/threads/{thread}", headers=served.headers())).status_code == 204


async def test_delete_while_another_server_runs_it_is_409(served: Served) -> None:
    thread = (await create(served))["thread_id"]
    await run(served, thread)
    lease = await served.store.acquire(thread)  # as a run of another server on the same store would
    before = await stored(served)
    refused(await served.client.delete(f"/threads/{thread}", headers=served.headers()), 409, "thread_busy")
    assert await stored(served) == before
    assert not served.ctx.runs.is_busy(thread)
    await lease.release()


async def test_copy_holds_the_same_checkpoints_and_goes_its_own_way(served: Served) -> None:
    source = (await create(served, {"thread_id": "src", "metadata": {"topic": "autumn"}}))["thread_id"]
    first = await run(served, source)
    response = await served.client.post(
        f"/threads/{source}/copy", headers=served.headers(), json={"thread_id": "cp"}
    )
    assert response.status_code == 201, response.text
    copy = response.json()
    assert copy["thread_id"] == "cp" and copy["metadata"] == {"topic": "autumn"}
    original = (await served.client.get(f"/threads/{source}", headers=served.headers())).json()
    assert copy["messages"] == original["messages"] and copy["checkpoint_id"] == first["checkpoint_id"]
    src_history = [c.model_dump(exclude={"thread_id"}) async for c in served.store.history(source)]
    assert [c.model_dump(exclude={"thread_id"}) async for c in served.store.history("cp")] == src_history
    await run(served, "cp", "Now one about winter.")  # the copy continues; the original does not move
    assert [c.model_dump(exclude={"thread_id"}) async for c in served.store.history(source)] == src_history
    grown = (await served.client.get("/threads/cp", headers=served.headers())).json()
    assert len(grown["messages"]) > len(original["messages"])
    assert grown["messages"][: len(original["messages"])] == original["messages"]


async def test_copy_of_an_empty_thread_and_with_a_generated_id(served: Served) -> None:
    source = (await create(served))["thread_id"]
    response = await served.client.post(f"/threads/{source}/copy", headers=served.headers())
    assert response.status_code == 201
    copy = response.json()
    assert copy["thread_id"] != source and copy["messages"] == [] and copy["checkpoint_id"] is None


async def test_a_bad_copy_is_refused_and_stores_nothing(served: Served) -> None:
    source = (await create(served, {"thread_id": "src"}))["thread_id"]
    await run(served, source)
    await create(served, {"thread_id": "taken"})
    before = await stored(served)
    headers = served.headers()
    assert "choose another id" in refused(
        await served.client.post(f"/threads/{source}/copy", headers=headers, json={"thread_id": "taken"}),
        409,
        "thread_exists",
    )
    refused(
        await served.client.post(f"/threads/{source}/copy", headers=headers, json={"thread_id": "a b"}),
        422,
        "invalid_body",
    )
    refused(
        await served.client.post(f"/threads/{source}/copy", headers=headers, json={"metadata": {}}),
        422,
        "invalid_body",
    )
    refused(await served.client.post("/threads/nope/copy", headers=headers, json={}), 404, "unknown_thread")
    refused(
        await served.client.post(f"/threads/{source}/copy", headers=served.headers(KEY_B), json={}),
        404,
        "unknown_thread",
    )
    assert await stored(served) == before


async def test_an_oversized_input_is_413_naming_the_limit(tmp_path: Path) -> None:
    async with serving_with(tmp_path, max_input_chars=50) as served:
        thread = (await create(served))["thread_id"]
        before = await stored(served)
        for mode in ("wait", "stream"):
            response = await served.client.post(
                f"/threads/{thread}/runs/{mode}",
                headers=served.headers(),
                json={"agent": "write_review", "input": "x" * 51},
            )
            message = refused(response, 413, "input_too_large")
            assert (
                "51 characters" in message and "the limit is 50" in message and "--max-input-chars" in message
            )
        assert await stored(served) == before
        assert not served.ctx.runs.is_busy(thread)
        ok = await served.client.post(
            f"/threads/{thread}/runs/wait",
            headers=served.headers(),
            json={"agent": "write_review", "input": "x" * 50},
        )
        assert ok.status_code == 200


@pytest.mark.parametrize("depth", [100, 900, 5000, 50_000])
async def test_deeply_nested_metadata_is_a_clear_4xx_or_kept(tmp_path: Path, depth: int) -> None:
    big = {"max_body_bytes": 1_000_000, "max_metadata_bytes": 1_000_000}
    async with serving_with(tmp_path, **big) as served:  # type: ignore[arg-type]
        before = await stored(served)
        body = b'{"metadata": {"k": ' + b"[" * depth + b"]" * depth + b"}}"
        response = await served.client.post(
            "/threads", headers={**served.headers(), "content-type": "application/json"}, content=body
        )
        if response.status_code == 201:  # nesting Python can read is kept as given
            shown = await served.client.get(
                f"/threads/{response.json()['thread_id']}", headers=served.headers()
            )
            assert shown.json()["metadata"] == json.loads(body)["metadata"]
            return
        assert 400 <= response.status_code < 500, response.text
        assert response.json()["error"]["code"] in {"malformed_json", "invalid_body"}
        assert await stored(served) == before


async def test_a_copy_that_fails_midway_leaves_nothing(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = (await create(served, {"thread_id": "src"}))["thread_id"]
    await run(served, source)
    before = await stored(served)

    async def broken_put(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(served.store, "put", broken_put)
    with pytest.raises(OSError, match="disk full"):
        await served.client.post(
            f"/threads/{source}/copy", headers=served.headers(), json={"thread_id": "cp"}
        )
    monkeypatch.undo()
    assert await stored(served) == before
    assert await served.ctx.directory.get("cp") is None
