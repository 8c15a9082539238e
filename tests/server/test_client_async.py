"""flowgen.client.AsyncClient against the real app: every route it calls, refusals as ServerReplyError."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from client_support import (
    Calling,
    calling,
)
from server_support import KEY_B, LEAKED_KEY, TASK

from flowgen.client import AsyncClient, StreamEvent
from flowgen.errors import FlowgenError, ServerReplyError, ServerUnreachableError

VOLATILE = ("id", "created_at")


def comparable(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in m.items() if k not in VOLATILE} for m in messages]


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Calling]:
    async with calling(tmp_path) as running:
        yield running


async def collect(events: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [e async for e in events]


async def test_probes(api: Calling) -> None:
    assert await api.client.health() == {"status": "ok"}
    assert (await api.client.ready())["status"] == "ready"


async def test_agents_and_their_graph(api: Calling) -> None:
    agents = {a["name"]: a for a in await api.client.list_agents()}
    assert sorted(agents) == ["broken", "gated", "stepped", "write_review"]
    assert (await api.client.get_agent("write_review"))["participants"] == ["writer", "critic"]
    graph = await api.client.agent_graph("write_review")
    assert {"writer", "critic"} <= {n["name"] for n in graph["nodes"]}


async def test_a_refusal_keeps_the_servers_code_and_message(api: Calling) -> None:
    with pytest.raises(ServerReplyError) as caught:
        await api.client.get_agent("nobody")
    error = caught.value
    assert (error.status, error.code) == (404, "unknown_agent")
    assert "write_review" in error.message and error.retry_after is None
    assert isinstance(error, FlowgenError)
    assert str(error).startswith("404 unknown_agent: no agent named 'nobody'")


async def test_a_wrong_key_is_refused_and_not_echoed(tmp_path: Path) -> None:
    async with calling(tmp_path, key="guess-123") as wrong:
        with pytest.raises(ServerReplyError) as caught:
            await wrong.client.list_threads()
    assert (caught.value.status, caught.value.code) == (401, "wrong_api_key")
    assert "guess-123" not in str(caught.value)


async def test_threads_create_get_list_and_history(api: Calling) -> None:
    named = await api.client.create_thread(thread_id="mine-1")
    assert named["thread_id"] == "mine-1" and named["status"] == "idle" and named["messages"] == []
    other = await api.client.create_thread()
    assert [t["thread_id"] for t in await api.client.list_threads()] == [other["thread_id"], "mine-1"]
    assert [t["thread_id"] for t in await api.client.list_threads(limit=1)] == [other["thread_id"]]
    with pytest.raises(ServerReplyError) as caught:
        await api.client.create_thread(thread_id="mine-1")
    assert caught.value.code == "thread_exists"
    result = await api.client.wait_run("mine-1", "write_review", input=TASK)
    history = await api.client.thread_history("mine-1")
    assert history[0]["checkpoint_id"] == result["checkpoint_id"]
    assert len(await api.client.thread_history("mine-1", limit=1)) == 1
    thread = await api.client.get_thread("mine-1")
    assert comparable(thread["messages"]) == comparable(result["messages"])


async def test_ids_are_quoted_into_one_path_segment(api: Calling) -> None:
    with pytest.raises(ServerReplyError) as caught:
        await api.client.get_thread("../agents")
    assert caught.value.status == 404 and caught.value.code in {"unknown_thread", "not_found"}


async def test_wait_then_continue_without_input(api: Calling) -> None:
    thread = (await api.client.create_thread())["thread_id"]
    first = await api.client.wait_run(thread, "write_review", input=TASK)
    assert first["stop_reason"] and first["messages"][0]["content"] == TASK
    again = await api.client.wait_run(thread, "write_review")
    assert again["checkpoint_id"] != first["checkpoint_id"]


async def test_stream_gives_numbered_events_equal_to_the_waited_run(api: Calling) -> None:
    waited = await api.client.wait_run(
        (await api.client.create_thread())["thread_id"], "write_review", input=TASK
    )
    thread = (await api.client.create_thread())["thread_id"]
    events = await collect(api.client.stream_run(thread, "write_review", input=TASK))
    assert [e.id for e in events] == list(range(1, len(events) + 1))
    assert events[-1].event == "end"
    assert events[-1].data["stop_reason"] == waited["stop_reason"]
    messages = [e.data for e in events if e.event == "message"]
    assert comparable(messages) == comparable(waited["messages"])


async def test_a_refused_stream_raises_before_any_event(api: Calling) -> None:
    thread = (await api.client.create_thread())["thread_id"]
    with pytest.raises(ServerReplyError) as caught:
        await collect(api.client.stream_run(thread, "nobody", input="x"))
    assert caught.value.code == "unknown_agent"


async def test_a_failed_run_streams_its_error_last_and_wait_raises(api: Calling) -> None:
    thread = (await api.client.create_thread())["thread_id"]
    events = await collect(api.client.stream_run(thread, "broken", input="go"))
    assert events[-1].event == "error" and events[-1].data["code"] == "run_failed"
    with pytest.raises(ServerReplyError) as caught:
        await api.client.wait_run(thread, "broken", input="go")
    assert (caught.value.status, caught.value.code) == (500, "run_failed")
    assert "the model is down" in caught.value.message and LEAKED_KEY not in caught.value.message


async def test_a_second_run_on_a_busy_thread_raises_thread_busy(api: Calling) -> None:
    thread = (await api.client.create_thread())["thread_id"]
    async with asyncio.TaskGroup() as group:
        first = group.create_task(api.client.wait_run(thread, "gated", input="go"))
        await api.gate.called.wait()
        with pytest.raises(ServerReplyError) as caught:
            await api.client.wait_run(thread, "gated", input="again")
        api.gate.opened.set()
    assert (caught.value.status, caught.value.code) == (409, "thread_busy")
    assert "wait for it to finish" in caught.value.message
    assert first.result()["messages"][-1]["content"] == "done"


async def test_another_keys_thread_looks_absent(tmp_path: Path) -> None:
    async with calling(tmp_path) as mine:
        thread = (await mine.client.create_thread())["thread_id"]
        async with AsyncClient("http://testserver", api_key=KEY_B, transport=mine.transport) as theirs:
            with pytest.raises(ServerReplyError) as caught:
                await theirs.get_thread(thread)
            assert await theirs.list_threads() == []
    assert caught.value.code == "unknown_thread"


def refused_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, never listening: connections are refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    sock.close()
    return port


async def test_no_server_raises_unreachable_naming_the_url() -> None:
    url = f"http://127.0.0.1:{refused_port()}"
    async with AsyncClient(url, api_key="k") as client:
        with pytest.raises(ServerUnreachableError, match="no server answered at " + url) as caught:
            await client.health()
        with pytest.raises(ConnectionError):
            await collect(client.stream_run("t", "a", input="x"))
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


async def test_a_429_keeps_retry_after_and_a_foreign_error_body_is_kept_as_text() -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/threads":
            body = {"error": {"code": "rate_limited", "message": "slow down"}}
            return httpx.Response(429, json=body, headers={"Retry-After": "7"})
        return httpx.Response(502, text="<html>bad gateway</html>")

    async with AsyncClient("http://proxy", transport=httpx.MockTransport(reply)) as client:
        with pytest.raises(ServerReplyError) as limited:
            await client.list_threads()
        with pytest.raises(ServerReplyError) as foreign:
            await client.health()
    assert (limited.value.code, limited.value.retry_after) == ("rate_limited", 7.0)
    assert (foreign.value.status, foreign.value.code) == (502, "http_error")
    assert "bad gateway" in foreign.value.message and "/health" in foreign.value.message


# The rest of the contract: routes other parts of the server bring.


async def test_thread_metadata_search_copy_and_delete(api: Calling) -> None:
    a = await api.client.create_thread(metadata={"user": "ann", "tier": "gold"})
    await api.client.create_thread(metadata={"user": "bob"})
    assert a["metadata"] == {"user": "ann", "tier": "gold"}
    found = await api.client.search_threads(metadata={"user": "ann"})
    assert [t["thread_id"] for t in found] == [a["thread_id"]]
    assert len(await api.client.search_threads(status="idle", limit=1)) == 1
    ran = await api.client.wait_run(a["thread_id"], "write_review", input=TASK)
    copy = await api.client.copy_thread(a["thread_id"], "copied-1")
    assert copy["thread_id"] == "copied-1" and copy["checkpoint_id"] == ran["checkpoint_id"]
    assert comparable(copy["messages"]) == comparable(ran["messages"])
    await api.client.delete_thread(a["thread_id"])
    with pytest.raises(ServerReplyError) as caught:
        await api.client.get_thread(a["thread_id"])
    assert caught.value.code == "unknown_thread"
    assert (await api.client.get_thread("copied-1"))["checkpoint_id"] == ran["checkpoint_id"]


async def test_thread_state_now_and_at_a_checkpoint(api: Calling) -> None:
    thread = (await api.client.create_thread())["thread_id"]
    ran = await api.client.wait_run(thread, "write_review", input=TASK)
    state = await api.client.thread_state(thread)
    assert state["checkpoint_id"] == ran["checkpoint_id"] and state["stop_reason"] == ran["stop_reason"]
    assert comparable(state["messages"]) == comparable(ran["messages"]) and isinstance(state["next"], list)
    oldest = (await api.client.thread_history(thread))[-1]["checkpoint_id"]
    earlier = await api.client.thread_state(thread, checkpoint_id=oldest)
    assert earlier["checkpoint_id"] == oldest and len(earlier["messages"]) < len(state["messages"])


async def test_graph_svg_marks_its_nodes(api: Calling) -> None:
    svg = await api.client.agent_graph_svg("write_review")
    assert "<svg" in svg and 'data-node="writer"' in svg and 'data-node="critic"' in svg


async def test_background_run_get_list_and_join(api: Calling) -> None:
    thread = (await api.client.create_thread())["thread_id"]
    run = await api.client.create_run(thread, "write_review", input=TASK)
    assert run["status"] in {"pending", "running", "success"} and run["thread_id"] == thread
    joined = await api.client.join_run(thread, run["run_id"])
    assert joined["status"] == "success" and joined["messages"][0]["content"] == TASK
    assert (await api.client.get_run(thread, run["run_id"]))["status"] == "success"
    assert [r["run_id"] for r in await api.client.list_runs(thread)] == [run["run_id"]]


async def test_cancel_leaves_a_resumable_thread(api: Calling) -> None:
    thread = (await api.client.create_thread())["thread_id"]
    run = await api.client.create_run(thread, "gated", input="go")
    await api.gate.called.wait()
    assert (await api.client.cancel_run(thread, run["run_id"]))["run_id"] == run["run_id"]
    assert (await api.client.join_run(thread, run["run_id"]))["status"] == "cancelled"
    assert (await api.client.get_thread(thread))["status"] != "busy"


async def test_rejoining_after_the_last_event_id_loses_and_repeats_nothing(api: Calling) -> None:
    thread = (await api.client.create_thread())["thread_id"]
    run = await api.client.create_run(thread, "write_review", input=TASK)
    seen: list[StreamEvent] = []
    async with contextlib.aclosing(api.client.join_stream(thread, run["run_id"])) as events:
        async for event in events:
            seen.append(event)
            if len(seen) == 3:
                break  # the client goes away mid-run
    rest = await collect(api.client.join_stream(thread, run["run_id"], last_event_id=seen[-1].id))
    whole = await collect(api.client.join_stream(thread, run["run_id"]))
    assert [e.id for e in seen + rest] == [e.id for e in whole] == list(range(1, len(whole) + 1))
    assert seen + rest == whole and whole[0].event == "metadata" and whole[-1].event == "end"


async def test_enqueue_runs_after_the_busy_one(api: Calling) -> None:
    thread = (await api.client.create_thread())["thread_id"]
    first = await api.client.create_run(thread, "gated", input="one")
    await api.gate.called.wait()
    second = await api.client.create_run(thread, "gated", input="two", multitask_strategy="enqueue")
    api.gate.opened.set()
    assert (await api.client.join_run(thread, first["run_id"]))["status"] == "success"
    assert (await api.client.join_run(thread, second["run_id"]))["status"] == "success"
