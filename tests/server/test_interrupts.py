"""Interrupts over HTTP: a run stops before / after a node or for a tool approval, the thread says it
waits, and ``resume`` (or a run without input) continues it to the uninterrupted transcript."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from exec_support import REFUNDS, Exec, relay, said, serving_exec

from flowgen.messages import BaseChatMessage
from graphs import support_swarm


async def uninterrupted_relay() -> list[str]:
    result = await relay().run(task="go")
    return [f"{m.source}:{m.to_text()}" for m in result.messages]


def last_two(events: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    return events[-2:]


async def test_interrupt_before_in_a_swarm_then_resume(served_exec: Exec) -> None:
    thread = await served_exec.thread()
    body = {"agent": "support", "input": support_swarm.TASK, "interrupt_before": ["billing"]}
    first = await served_exec.stream(thread, body)
    (kind, interrupt), (end_kind, end) = last_two(first)
    assert kind == "interrupt" and interrupt == {"kind": "before", "nodes": ["billing"], "request": None}
    assert end_kind == "end" and end["status"] == "interrupted" and end["thread_id"] == thread
    assert end["checkpoint_id"] == await served_exec.store.head(thread)
    assert "billing:" not in " ".join(said(first))  # billing has not run
    state = await served_exec.get(f"/threads/{thread}")
    assert state["status"] == "interrupted" and state["interrupt"] == interrupt

    rest = await served_exec.stream(thread, {"agent": "support", "resume": "go ahead"})
    assert rest[-1][0] == "end" and rest[-1][1]["status"] == "success"
    assert all(kind != "interrupt" for kind, _ in rest)
    direct = await support_swarm.build().run(task=support_swarm.TASK)
    expected = [f"{m.source}:{m.content}" for m in direct.messages if isinstance(m, BaseChatMessage)]
    # The answer joins the thread as the user's message; everything else is the uninterrupted run.
    transcript = said(first) + said(rest)
    assert transcript.pop(len(said(first))) == "user:go ahead"
    assert transcript == expected
    after = await served_exec.get(f"/threads/{thread}")
    assert after["status"] == "idle" and after["interrupt"] is None


async def test_interrupt_after_then_a_run_without_input_gives_the_uninterrupted_transcript(
    served_exec: Exec,
) -> None:
    thread = await served_exec.thread()
    first = await served_exec.stream(thread, {"agent": "relay", "input": "go", "interrupt_after": ["b"]})
    (kind, interrupt), (_, end) = last_two(first)
    assert kind == "interrupt" and interrupt == {"kind": "after", "nodes": ["b"], "request": None}
    assert end["status"] == "interrupted" and end["stop_reason"] == "Interrupted after node 'b'."
    state = await served_exec.get(f"/threads/{thread}/state")
    assert state["interrupt"] == interrupt and state["next"] == ["c"] and state["step"] == 2
    assert (await served_exec.get(f"/threads/{thread}"))["status"] == "interrupted"
    rest = await served_exec.stream(thread, {"agent": "relay"})
    assert rest[-1][1]["status"] == "success"
    assert said(first) + said(rest) == await uninterrupted_relay()
    assert (await served_exec.get(f"/threads/{thread}"))["status"] == "idle"


async def test_interrupt_before_then_resume_with_an_answer(served_exec: Exec) -> None:
    thread = await served_exec.thread()
    first = await served_exec.stream(thread, {"agent": "relay", "input": "go", "interrupt_before": ["c"]})
    assert last_two(first)[0] == ("interrupt", {"kind": "before", "nodes": ["c"], "request": None})
    assert [t.split(":")[0] for t in said(first)] == ["user", "a", "b"]
    # The same interrupts sent again: the resumed run goes on into c (the answer before it), then on
    # to the seventh message, where the relay stops before reaching c again.
    again = {"agent": "relay", "resume": "carry on", "interrupt_before": ["c"]}
    second = await served_exec.stream(thread, again)
    assert said(second)[0] == "user:carry on"
    assert [t.split(":")[0] for t in said(second)] == ["user", "c", "a", "b"]
    assert second[-1][1]["status"] == "success"
    assert second[-1][1]["stop_reason"].startswith("Maximum number of messages 7")


async def test_a_tool_approval_pause_is_answered_over_http(served_exec: Exec) -> None:
    REFUNDS.clear()
    thread = await served_exec.thread()
    first = await served_exec.stream(thread, {"agent": "billing", "input": "I was charged twice"})
    (kind, interrupt), (_, end) = last_two(first)
    assert kind == "interrupt" and interrupt["kind"] == "approval" and interrupt["nodes"] == ["billing"]
    request = interrupt["request"]
    assert request["agent"] == "billing" and "refunds need a person" in request["message"]
    assert request["calls"] == [{"id": "r1", "name": "refund", "arguments": '{"account": "4417"}'}]
    assert end["status"] == "interrupted" and REFUNDS == []
    thread_json = await served_exec.get(f"/threads/{thread}")
    assert thread_json["status"] == "interrupted"
    assert thread_json["interrupt"]["kind"] == "approval"
    assert thread_json["interrupt"]["request"]["message"] == request["message"]

    answered = await served_exec.wait(thread, {"agent": "billing", "resume": "approved"})
    assert answered.status_code == 200, answered.text
    assert REFUNDS == ["4417"]
    assert [m["content"] for m in answered.json()["messages"]][-1] == "refunded account 4417"
    assert (await served_exec.get(f"/threads/{thread}"))["status"] == "idle"


async def test_an_interrupted_thread_is_still_waiting_after_a_restart(tmp_path: Path) -> None:
    async with serving_exec(tmp_path) as first:
        thread = await first.thread()
        await first.stream(thread, {"agent": "relay", "input": "go", "interrupt_after": ["a"]})
    async with serving_exec(tmp_path) as restarted:
        state = await restarted.get(f"/threads/{thread}")
        assert state["status"] == "interrupted"
        assert state["interrupt"] == {"kind": "after", "nodes": ["a"], "request": None}
        rest = await restarted.stream(thread, {"agent": "relay"})
        assert rest[-1][1]["status"] == "success"
    assert said_all(state["messages"]) + said(rest) == await uninterrupted_relay()


def said_all(messages: list[dict[str, Any]]) -> list[str]:
    return [f"{m['source']}:{m.get('content')}" for m in messages]


async def test_a_swarm_that_handed_off_to_the_user_takes_the_next_input_as_the_answer(
    served_exec: Exec,
) -> None:
    thread = await served_exec.thread()
    first = await served_exec.stream(thread, {"agent": "support", "input": support_swarm.TASK})
    assert first[-1][1]["stop_reason"] == "Handoff to user from billing detected."
    assert (await served_exec.get(f"/threads/{thread}"))[
        "status"
    ] == "idle"  # a handoff is a stop, not an interrupt
    answered = await served_exec.wait(thread, {"agent": "support", "input": "yes, refund it"})
    assert answered.status_code == 200, answered.text
    reply = answered.json()["messages"][0]
    assert (reply["type"], reply["source"], reply["target"], reply["content"]) == (
        "HandoffMessage",
        "user",
        "billing",
        "yes, refund it",
    )
    assert [m["source"] for m in answered.json()["messages"]][1] == "billing"


async def test_wait_reports_an_interrupted_run(served_exec: Exec) -> None:
    thread = await served_exec.thread()
    body = {"agent": "relay", "input": "go", "interrupt_before": ["b"]}
    response = await served_exec.wait(thread, body)
    assert response.status_code == 200, response.text
    done = response.json()
    assert done["status"] == "interrupted" and done["stop_reason"] == "Interrupted before node 'b'."
    assert [m["source"] for m in done["messages"]] == ["user", "a"]
    assert done["checkpoint_id"] == (await served_exec.get(f"/threads/{thread}/state"))["checkpoint_id"]
