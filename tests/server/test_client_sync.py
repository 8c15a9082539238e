"""flowgen.client.Client (blocking) against a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_server import live_server
from server_support import KEY_A, TASK

from flowgen.client import Client
from flowgen.errors import ServerReplyError, ServerUnreachableError


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    with live_server(tmp_path) as url, Client(url, api_key=KEY_A) as client:
        yield client


def test_probes_agents_and_threads(client: Client) -> None:
    assert client.health() == {"status": "ok"}
    assert client.ready()["checks"]["store"] == "ok"
    assert [a["name"] for a in client.list_agents()] == ["broken", "gated", "stepped", "write_review"]
    assert client.get_agent("write_review")["kind"] == "RoundRobinGroupChat"
    assert client.agent_graph("write_review")["entry"]
    thread = client.create_thread(thread_id="sync-1")
    assert client.get_thread("sync-1")["created_at"] == thread["created_at"]
    assert [t["thread_id"] for t in client.list_threads()] == ["sync-1"]


def test_wait_and_stream_give_the_same_messages(client: Client) -> None:
    waited = client.wait_run(client.create_thread()["thread_id"], "write_review", input=TASK)
    thread = client.create_thread()["thread_id"]
    events = list(client.stream_run(thread, "write_review", input=TASK))
    assert [e.id for e in events] == list(range(1, len(events) + 1))
    assert events[-1].event == "end" and events[-1].data["thread_id"] == thread
    streamed = [e.data["content"] for e in events if e.event == "message"]
    assert streamed == [m["content"] for m in waited["messages"]]
    assert client.thread_history(thread)[0]["checkpoint_id"] == events[-1].data["checkpoint_id"]


def test_leaving_a_stream_early_closes_it(client: Client) -> None:
    thread = client.create_thread()["thread_id"]
    with contextlib.closing(client.stream_run(thread, "write_review", input=TASK)) as events:
        first = next(events)
    assert first.id == 1
    # The connection is given back: the same client goes on with other requests.
    assert client.wait_run(client.create_thread()["thread_id"], "write_review", input=TASK)["messages"]


def test_refusals_raise_with_the_servers_code(client: Client) -> None:
    with pytest.raises(ServerReplyError) as unknown:
        client.wait_run("no-such-thread", "write_review", input=TASK)
    assert (unknown.value.status, unknown.value.code) == (404, "unknown_thread")
    thread = client.create_thread()["thread_id"]
    with pytest.raises(ServerReplyError) as empty:
        list(client.stream_run(thread, "gated"))
    assert (empty.value.status, empty.value.code) == (422, "no_input")
    assert "send an input" in empty.value.message


def test_no_server_is_unreachable(tmp_path: Path) -> None:
    with live_server(tmp_path) as url:
        pass  # the server has stopped: nothing listens at its address any more
    with Client(url) as client, pytest.raises(ServerUnreachableError, match=url):
        client.health()


def test_background_run_and_rejoin(client: Client) -> None:
    thread = client.create_thread()["thread_id"]
    run = client.create_run(thread, "write_review", input=TASK)
    whole = list(client.join_stream(thread, run["run_id"]))
    rest = list(client.join_stream(thread, run["run_id"], last_event_id=2))
    assert rest == whole[2:] and whole[-1].event == "end"
    assert client.join_run(thread, run["run_id"])["status"] == "success"
    assert client.get_run(thread, run["run_id"])["status"] == "success"
    assert len(client.list_runs(thread)) == 1
