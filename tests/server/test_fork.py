"""Forks over HTTP: a run from an older checkpoint (``checkpoint_id``) makes a branch beside the old one."""

from __future__ import annotations

from typing import Any

from exec_support import Exec, said


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [f"{m['source']}:{m.get('content')}" for m in messages]


async def finished_relay(served_exec: Exec) -> tuple[str, list[dict[str, Any]]]:
    """A thread with a whole relay run, and its checkpoints newest first."""
    thread = await served_exec.thread()
    response = await served_exec.wait(thread, {"agent": "relay", "input": "go"})
    assert response.status_code == 200, response.text
    history = (await served_exec.get(f"/threads/{thread}/history"))["checkpoints"]
    return thread, history


async def test_a_run_from_an_older_checkpoint_is_a_branch(served_exec: Exec) -> None:
    thread, history = await finished_relay(served_exec)
    full = await served_exec.get(f"/threads/{thread}")
    fork_point = next(c for c in history if c["step"] == 3)
    events = await served_exec.stream(
        thread, {"agent": "relay", "checkpoint_id": fork_point["checkpoint_id"]}
    )
    assert events[-1][0] == "end" and events[-1][1]["status"] == "success"

    after = (await served_exec.get(f"/threads/{thread}/history"))["checkpoints"]
    old_ids = {c["checkpoint_id"] for c in history}
    new = [c for c in after if c["checkpoint_id"] not in old_ids]
    assert new and {c["checkpoint_id"] for c in after} >= old_ids  # the old branch is kept
    assert new[-1]["parent_id"] == fork_point["checkpoint_id"]  # the branch grows from the fork point
    steps = [e["step"] for kind, e in events if kind == "step"]
    assert steps == [4, 5, 6]  # numbered on from the fork point
    # The branch's state: the fork point's messages, then the same (scripted) replies again.
    branch = await served_exec.get(f"/threads/{thread}/state?checkpoint_id={new[0]['checkpoint_id']}")
    assert texts(branch["messages"]) == texts(full["messages"])
    # The old head still reads as it was.
    old = await served_exec.get(f"/threads/{thread}/state?checkpoint_id={history[0]['checkpoint_id']}")
    assert old["messages"] == full["messages"] and old["checkpoint_id"] == history[0]["checkpoint_id"]


async def test_a_fork_with_input_takes_a_new_turn_from_there(served_exec: Exec) -> None:
    thread, history = await finished_relay(served_exec)
    fork_point = next(c for c in history if c["step"] == 2)
    point = await served_exec.get(f"/threads/{thread}/state?checkpoint_id={fork_point['checkpoint_id']}")
    assert point["step"] == 2 and point["next"] == ["c"] and point["interrupt"] is None
    body = {"agent": "relay", "input": "try again", "checkpoint_id": fork_point["checkpoint_id"]}
    events = await served_exec.stream(thread, body)
    assert said(events)[0] == "user:try again"
    head = await served_exec.get(f"/threads/{thread}/state")
    assert head["checkpoint_id"] == events[-1][1]["checkpoint_id"]
    assert texts(head["messages"])[: len(point["messages"]) + 1] == [
        *texts(point["messages"]),
        "user:try again",
    ]


async def test_resume_from_an_interrupted_checkpoint_of_an_older_branch(served_exec: Exec) -> None:
    thread = await served_exec.thread()
    await served_exec.stream(thread, {"agent": "relay", "input": "go", "interrupt_after": ["a"]})
    interrupted = (await served_exec.get(f"/threads/{thread}/state"))["checkpoint_id"]
    await served_exec.stream(thread, {"agent": "relay", "resume": "first answer"})
    # The thread has moved on; the interrupted checkpoint can still be answered, as a branch.
    body = {"agent": "relay", "resume": "second answer", "checkpoint_id": interrupted}
    events = await served_exec.stream(thread, body)
    assert said(events)[0] == "user:second answer"
    state = await served_exec.get(f"/threads/{thread}/state")
    assert "user:second answer" in texts(state["messages"])
    assert "user:first answer" not in texts(state["messages"])
