"""Step and node events: one ``step`` per committed step, numbered on, with the nodes the trace shows."""

from __future__ import annotations

import json
from typing import Any

from exec_support import Exec, relay, sse

Events = list[tuple[str, dict[str, Any]]]


def steps(events: Events) -> list[dict[str, Any]]:
    return [data for kind, data in events if kind == "step"]


async def test_one_step_event_per_committed_step_matching_the_trace_and_history(served_exec: Exec) -> None:
    thread = await served_exec.thread()
    events = await served_exec.stream(thread, {"agent": "relay", "input": "go"})
    told = steps(events)
    assert [s["step"] for s in told] == [1, 2, 3, 4, 5, 6]
    team = relay()
    team.checkpointer = served_exec.store  # type: ignore[attr-defined]
    trace = await team.thread_trace(thread)  # type: ignore[attr-defined]
    started = [(e.step, list(e.nodes)) for e in trace.events if e.kind == "step_started"]
    assert [(s["step"], s["nodes"]) for s in told] == started
    stored = {c.step: c async for c in served_exec.store.history(thread) if c.source == "step"}
    for s in told:
        assert s["checkpoint_id"] == stored[s["step"]].checkpoint_id
        assert s["next"] == stored[s["step"]].frontier


async def test_a_step_is_told_after_its_message_and_nodes_start_and_end_around_it(served_exec: Exec) -> None:
    thread = await served_exec.thread()
    events = await served_exec.stream(thread, {"agent": "relay", "input": "go"})
    kinds = [(k, d.get("source") or d.get("node") or d.get("step")) for k, d in events]
    # user task; a starts; a speaks; a ends; step 1; b starts ...
    assert kinds[:6] == [
        ("message", "user"),
        ("node", "a"),
        ("message", "a"),
        ("node", "a"),
        ("step", 1),
        ("node", "b"),
    ]
    nodes = [d for k, d in events if k == "node"]
    for s in steps(events):
        (ended,) = s["nodes"]
        assert {"step": s["step"], "node": ended, "status": "start"} in nodes
        assert {"step": s["step"], "node": ended, "status": "end"} in nodes
    assert all(n["status"] != "error" for n in nodes)
    assert events[-1][0] == "end"


async def test_a_resumed_thread_numbers_its_steps_on(served_exec: Exec) -> None:
    thread = await served_exec.thread()
    first = await served_exec.stream(thread, {"agent": "relay", "input": "go", "interrupt_after": ["b"]})
    rest = await served_exec.stream(thread, {"agent": "relay"})
    assert [s["step"] for s in steps(first)] == [1, 2]
    assert [s["step"] for s in steps(rest)] == [3, 4, 5, 6]
    assert [s["nodes"] for s in steps(first) + steps(rest)] == [["a"], ["b"], ["c"], ["a"], ["b"], ["c"]]


async def test_a_failed_run_ends_its_node_in_error(served_exec: Exec) -> None:
    thread = await served_exec.thread()
    response = await served_exec.client.post(
        f"/threads/{thread}/runs/stream", headers=served_exec.headers, json={"agent": "flaky", "input": "go"}
    )
    events = [(e["event"], json.loads(e["data"])) for e in sse(response.text)]
    assert [s["nodes"] for s in steps(events)] == [["a"]]  # a's step committed before b failed
    nodes = [d for k, d in events if k == "node"]
    assert nodes[-2:] == [
        {"step": 2, "node": "b", "status": "start"},
        {"step": 2, "node": "b", "status": "error"},
    ]
    assert events[-1][0] == "error" and "the model is down" in events[-1][1]["message"]
    assert (await served_exec.get(f"/threads/{thread}/state"))["step"] == 1


async def test_a_parallel_step_is_one_step_event_told_after_all_its_messages(served_exec: Exec) -> None:
    thread = await served_exec.thread()
    events = await served_exec.stream(thread, {"agent": "fan", "input": "go"})
    assert [(s["step"], s["nodes"], s["next"]) for s in steps(events)] == [
        (1, ["a"], ["b", "c"]),
        (2, ["b", "c"], ["d"]),
        (3, ["d"], []),
    ]
    order = [(k, d.get("source") or d.get("node") or d.get("step")) for k, d in events]
    second = order.index(("step", 2))
    assert order.index(("message", "b")) < second and order.index(("message", "c")) < second
    assert ("node", "b") in order[order.index(("step", 1)) : order.index(("message", "b"))]
    assert ("node", "c") in order[order.index(("step", 1)) : order.index(("message", "b"))]
    nodes = [d for k, d in events if k == "node"]
    assert [n["node"] for n in nodes if n["status"] == "end" and n["step"] == 2] == ["b", "c"]
    assert events[-1][1]["status"] == "success"
