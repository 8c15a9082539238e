"""Background runs: start, get, list, join, cancel (the thread stays resumable), enqueue or reject on a
busy thread, the concurrency limit, the run timeout, how long finished runs are kept, and 503 while
the server stops."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from server_support import KEY_B, LEAKED_KEY, TASK, Served, new_thread, serving

RUN_KEYS = {"run_id", "thread_id", "agent", "status", "created_at", "updated_at", "stop_reason",
            "checkpoint_id", "error"}  # fmt: skip


async def start(served: Served, thread: str, **body: Any) -> dict[str, Any]:
    response = await served.client.post(f"/threads/{thread}/runs", headers=served.headers(), json=body)
    assert response.status_code == 202, response.text
    run: dict[str, Any] = response.json()
    assert set(run) == RUN_KEYS and run["thread_id"] == thread
    return run


async def get(served: Served, path: str) -> Any:
    response = await served.client.get(path, headers=served.headers())
    assert response.status_code == 200, response.text
    return response.json()


async def transcript(served: Served, thread: str) -> list[tuple[str, str]]:
    state = await get(served, f"/threads/{thread}")
    return [(m["source"], m["content"]) for m in state["messages"]]


async def test_a_background_run_is_joined_with_the_same_body_as_wait(served: Served) -> None:
    thread = await new_thread(served)
    run = await start(served, thread, agent="write_review", input=TASK)
    assert run["status"] in ("pending", "running") and run["agent"] == "write_review"
    joined = await get(served, f"/threads/{thread}/runs/{run['run_id']}/join")
    assert joined["status"] == "success" and joined["run_id"] == run["run_id"]
    assert joined["checkpoint_id"] == await served.store.head(thread) and joined["stop_reason"]
    assert joined["messages"][0]["content"] == TASK
    assert [(m["source"], m["content"]) for m in joined["messages"]] == await transcript(served, thread)
    other = await new_thread(served)
    waited = await served.client.post(
        f"/threads/{other}/runs/wait", headers=served.headers(), json={"agent": "write_review", "input": TASK}
    )
    assert set(waited.json()) == set(joined) == RUN_KEYS | {"messages"}
    fetched = await get(served, f"/threads/{thread}/runs/{run['run_id']}")
    assert fetched == {k: v for k, v in joined.items() if k != "messages"}
    listed = await get(served, f"/threads/{thread}/runs")
    assert listed == {"runs": [fetched]}


async def test_cancel_leaves_a_resumable_thread(served: Served) -> None:
    thread = await new_thread(served)
    run = await start(served, thread, agent="gated", input="go")
    await served.gate.called.wait()  # inside its model call, mid-step
    response = await served.client.post(
        f"/threads/{thread}/runs/{run['run_id']}/cancel", headers=served.headers()
    )
    assert response.status_code == 202
    cancelled = response.json()
    assert cancelled["status"] == "cancelled" and "without input" in cancelled["stop_reason"]
    assert cancelled["checkpoint_id"] == await served.store.head(thread)
    state = await get(served, f"/threads/{thread}")
    assert state["status"] == "idle"
    assert await transcript(served, thread) == [("user", "go")]  # the step in progress left no trace
    served.gate.opened.set()
    again = await served.client.post(
        f"/threads/{thread}/runs/wait", headers=served.headers(), json={"agent": "gated"}
    )
    assert again.status_code == 200 and again.json()["status"] == "success"
    assert await transcript(served, thread) == [("user", "go"), ("worker", "done")]
    joined = await get(served, f"/threads/{thread}/runs/{run['run_id']}/join")
    assert joined["status"] == "cancelled"


async def test_a_busy_thread_rejects_or_enqueues(served: Served) -> None:
    thread = await new_thread(served)
    first = await start(served, thread, agent="gated", input="one")
    await served.gate.called.wait()
    refused = await served.client.post(
        f"/threads/{thread}/runs", headers=served.headers(), json={"agent": "gated", "input": "two"}
    )
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "thread_busy" and '"multitask_strategy": "enqueue"' in error["message"]
    assert "/join" in error["message"]
    queued = await start(served, thread, agent="gated", input="two", multitask_strategy="enqueue")
    assert queued["status"] == "pending"
    assert (await get(served, f"/threads/{thread}/runs/{queued['run_id']}"))["status"] == "pending"
    listed = [r["run_id"] for r in (await get(served, f"/threads/{thread}/runs"))["runs"]]
    assert listed == [queued["run_id"], first["run_id"]]
    served.gate.opened.set()
    joined = await get(served, f"/threads/{thread}/runs/{queued['run_id']}/join")
    assert joined["status"] == "success"
    assert (await get(served, f"/threads/{thread}/runs/{first['run_id']}"))["status"] == "success"
    assert await transcript(served, thread) == [
        ("user", "one"),
        ("worker", "done"),
        ("user", "two"),
        ("worker", "done"),
    ]
    assert (await get(served, f"/threads/{thread}"))["status"] == "idle"


async def test_runs_past_the_concurrency_limit_wait_pending(tmp_path: Path) -> None:
    async with serving(tmp_path, max_concurrent_runs=1) as served:
        one, two = await new_thread(served), await new_thread(served)
        first = await start(served, one, agent="gated", input="a")
        await served.gate.called.wait()
        second = await start(served, two, agent="gated", input="b")
        assert (await get(served, f"/threads/{two}/runs/{second['run_id']}"))["status"] == "pending"
        assert (await get(served, f"/threads/{one}/runs/{first['run_id']}"))["status"] == "running"
        served.gate.opened.set()
        assert (await get(served, f"/threads/{two}/runs/{second['run_id']}/join"))["status"] == "success"
        assert (await get(served, f"/threads/{one}/runs/{first['run_id']}/join"))["status"] == "success"


async def test_a_run_past_its_timeout_is_stopped_and_the_thread_resumable(tmp_path: Path) -> None:
    async with serving(tmp_path, run_timeout_seconds=0.2) as served:
        thread = await new_thread(served)
        waited = await served.client.post(
            f"/threads/{thread}/runs/wait", headers=served.headers(), json={"agent": "gated", "input": "go"}
        )  # the gate never opens: the model call outlasts the timeout
        assert waited.status_code == 504
        error = waited.json()["error"]
        assert error["code"] == "run_timeout" and "0.2 s" in error["message"]
        assert waited.json()["run"]["status"] == "error"
        assert (await get(served, f"/threads/{thread}"))["status"] == "idle"
        assert await transcript(served, thread) == [("user", "go")]


async def test_finished_runs_are_kept_up_to_the_retention_count(tmp_path: Path) -> None:
    async with serving(tmp_path, max_retained_runs=2) as served:
        thread = await new_thread(served)
        runs = []
        for n in range(3):
            body = {"agent": "write_review", "input": f"{TASK} ({n})"}
            waited = await served.client.post(
                f"/threads/{thread}/runs/wait", headers=served.headers(), json=body
            )
            runs.append(waited.json()["run_id"])
        listed = [r["run_id"] for r in (await get(served, f"/threads/{thread}/runs"))["runs"]]
        assert listed == runs[:0:-1]
        gone = await served.client.get(f"/threads/{thread}/runs/{runs[0]}", headers=served.headers())
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "unknown_run"
        assert len(served.ctx.runs._runs) == 2


async def test_a_stopping_server_refuses_new_runs_with_503(served: Served) -> None:
    thread = await new_thread(served)
    served.ctx.runs.stop()
    for mode in ("", "/wait", "/stream"):
        response = await served.client.post(
            f"/threads/{thread}/runs{mode}",
            headers=served.headers(),
            json={"agent": "write_review", "input": TASK},
        )
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "shutting_down"
    assert await served.store.head(thread) is None


async def test_unknown_runs_other_keys_and_bad_event_ids(served: Served) -> None:
    thread = await new_thread(served)
    run = await start(served, thread, agent="write_review", input=TASK)
    await get(served, f"/threads/{thread}/runs/{run['run_id']}/join")
    other_thread = await new_thread(served)
    for path in (f"/threads/{thread}/runs/nope", f"/threads/{other_thread}/runs/{run['run_id']}"):
        response = await served.client.get(path, headers=served.headers())
        assert response.status_code == 404 and response.json()["error"]["code"] == "unknown_run"
    for path in (f"/threads/{thread}/runs", f"/threads/{thread}/runs/{run['run_id']}"):
        hidden = await served.client.get(path, headers=served.headers(KEY_B))
        assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "unknown_thread"
    cancel = await served.client.post(
        f"/threads/{thread}/runs/{run['run_id']}/cancel", headers=served.headers(KEY_B)
    )
    assert cancel.status_code == 404
    bad = await served.client.get(
        f"/threads/{thread}/runs/{run['run_id']}/stream", headers={**served.headers(), "Last-Event-ID": "x1"}
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_last_event_id"
    body = {"agent": "write_review", "input": TASK, "multitask_strategy": "later"}
    invalid = await served.client.post(f"/threads/{thread}/runs", headers=served.headers(), json=body)
    assert invalid.status_code == 422 and "multitask_strategy" in invalid.json()["error"]["message"]


async def test_stopping_lets_a_run_finish_its_current_step_then_stops_it(served: Served) -> None:
    thread = await new_thread(served)
    started = await start(served, thread, agent="stepped", input="count")
    run = served.ctx.runs.get(thread, started["run_id"])
    served.stepper.step(2)
    async for event in run.log.follow(0, heartbeat=60):
        if event is not None and event.id == 4:  # metadata, the task, two replies: the third step waits
            break
    served.ctx.runs.stop()
    served.stepper.step(1)  # the step in progress may finish; none after it starts
    joined = await get(served, f"/threads/{thread}/runs/{run.run_id}/join")
    assert joined["status"] == "cancelled" and "server stopped" in joined["stop_reason"]
    kept = await transcript(served, thread)
    assert [source for source, _ in kept] == ["user", "first", "second", "first"]
    assert joined["checkpoint_id"] == await served.store.head(thread)
    assert [m["content"] for m in joined["messages"]] == [content for _, content in kept]


async def test_stopping_cancels_what_still_runs_after_the_grace_period(tmp_path: Path) -> None:
    async with serving(tmp_path, shutdown_grace_seconds=0.1) as served:
        thread = await new_thread(served)
        held = await start(served, thread, agent="gated", input="go")
        await served.gate.called.wait()  # its step never ends by itself
        queued = await start(served, thread, agent="gated", input="next", multitask_strategy="enqueue")
        served.ctx.runs.stop()
        for run in (held, queued):
            joined = await get(served, f"/threads/{thread}/runs/{run['run_id']}/join")
            assert joined["status"] == "cancelled" and "server stopped" in joined["stop_reason"]
        assert await transcript(served, thread) == [("user", "go")]
        assert (await get(served, f"/threads/{thread}"))["status"] == "idle"


async def test_a_finished_run_is_dropped_after_the_retention_time(tmp_path: Path) -> None:
    async with serving(tmp_path, run_retention_seconds=0) as served:
        thread = await new_thread(served)
        body = {"agent": "write_review", "input": TASK}
        waited = await served.client.post(f"/threads/{thread}/runs/wait", headers=served.headers(), json=body)
        run = waited.json()  # the wait held the run to its end; once ended it is dropped at once
        assert run["status"] == "success"
        gone = await served.client.get(f"/threads/{thread}/runs/{run['run_id']}", headers=served.headers())
        assert gone.status_code == 404
        assert (await get(served, f"/threads/{thread}/runs")) == {"runs": []}
        assert not served.ctx.runs._runs


async def test_the_app_stopping_leaves_no_run_behind(tmp_path: Path) -> None:
    async with serving(tmp_path, shutdown_grace_seconds=0.1) as served:
        thread = await new_thread(served)
        await start(served, thread, agent="gated", input="go")
        await served.gate.called.wait()
        run = served.ctx.runs.of_thread(thread)[0]
    # The lifespan has ended: the run it owned was stopped with it, its end recorded.
    assert run.task is not None and run.task.done()
    assert run.status == "cancelled" and run.log.closed
    assert served.ctx.runs.stopping


async def test_a_failed_background_run_joins_as_its_error(served: Served) -> None:
    thread = await new_thread(served)
    run = await start(served, thread, agent="broken", input="go")
    joined = await served.client.get(f"/threads/{thread}/runs/{run['run_id']}/join", headers=served.headers())
    assert joined.status_code == 500
    body = joined.json()
    assert body["error"]["code"] == "run_failed" and "the model is down" in body["error"]["message"]
    assert body["run"]["status"] == "error" and body["run"]["error"] == body["error"]
    assert LEAKED_KEY not in joined.text
    assert (await get(served, f"/threads/{thread}"))["status"] == "idle"
