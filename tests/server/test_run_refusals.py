"""Run requests the thread cannot take: each a clear JSON 4xx, and nothing stored changed by it."""

from __future__ import annotations

from typing import Any

import pytest
from exec_support import Exec
from server_support import KEY_B


def refused(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    message: str = error["message"]
    return message


async def post(served_exec: Exec, thread: str, mode: str, body: dict[str, Any]) -> Any:
    return await served_exec.client.post(
        f"/threads/{thread}/runs/{mode}", headers=served_exec.headers, json=body
    )


@pytest.fixture
async def idle(served_exec: Exec) -> str:
    thread = await served_exec.thread()
    assert (await served_exec.wait(thread, {"agent": "relay", "input": "go"})).status_code == 200
    return thread


@pytest.fixture
async def waiting(served_exec: Exec) -> str:
    thread = await served_exec.thread()
    events = await served_exec.stream(thread, {"agent": "relay", "input": "go", "interrupt_after": ["a"]})
    assert events[-1][1]["status"] == "interrupted"
    return thread


MODES = ["wait", "stream"]


@pytest.mark.parametrize("mode", MODES)
async def test_resume_for_a_thread_that_is_not_waiting_is_409(
    served_exec: Exec, idle: str, mode: str
) -> None:
    empty = await served_exec.thread()
    before = await served_exec.stored()
    for thread in (idle, empty):
        response = await post(served_exec, thread, mode, {"agent": "relay", "resume": "approved"})
        message = refused(response, 409, "thread_not_waiting")
        assert "not waiting" in message and "'input'" in message
    assert await served_exec.stored() == before
    assert (await served_exec.get(f"/threads/{idle}"))["status"] == "idle"


@pytest.mark.parametrize("mode", MODES)
async def test_input_for_an_interrupted_thread_is_409(served_exec: Exec, waiting: str, mode: str) -> None:
    before = await served_exec.stored()
    response = await post(served_exec, waiting, mode, {"agent": "relay", "input": "something else"})
    message = refused(response, 409, "thread_interrupted")
    assert "after:a" in message and "'resume'" in message
    assert await served_exec.stored() == before
    assert (await served_exec.get(f"/threads/{waiting}"))["status"] == "interrupted"


@pytest.mark.parametrize("mode", MODES)
async def test_an_unknown_checkpoint_is_404(served_exec: Exec, idle: str, waiting: str, mode: str) -> None:
    others = [c.checkpoint_id async for c in served_exec.store.history(waiting)]
    before = await served_exec.stored()
    for checkpoint_id in ("nope", others[0]):  # made up, and another thread's
        body = {"agent": "relay", "checkpoint_id": checkpoint_id}
        message = refused(await post(served_exec, idle, mode, body), 404, "unknown_checkpoint")
        assert checkpoint_id in message and "/history" in message
    assert await served_exec.stored() == before


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("body", "status", "code", "says"),
    [
        (
            {"agent": "relay", "input": "go", "interrupt_before": ["billing"]},
            422,
            "unknown_node",
            "['a', 'b', 'c']",
        ),
        ({"agent": "relay", "input": "go", "interrupt_after": ["a", "zed"]}, 422, "unknown_node", "['zed']"),
        ({"agent": "relay", "input": "go", "resume": "yes"}, 422, "invalid_body", "not both"),
        ({"agent": "relay", "input": "go", "interrupt_before": "a"}, 422, "invalid_body", "interrupt_before"),
        ({"agent": "relay", "resume": ""}, 422, "invalid_body", "resume"),
        ({"agent": "relay", "input": "go", "multitask_strategy": "shove"}, 422, "invalid_body", "multitask"),
        ({"agent": "relay", "input": "go", "on_disconnect": "explode"}, 422, "invalid_body", "on_disconnect"),
        ({"agent": "relay", "input": "go", "checkpoint_id": ""}, 422, "invalid_body", "checkpoint_id"),
    ],
)
async def test_a_bad_run_body_is_422(
    served_exec: Exec, idle: str, mode: str, body: dict[str, Any], status: int, code: str, says: str
) -> None:
    before = await served_exec.stored()
    assert says in refused(await post(served_exec, idle, mode, body), status, code)
    assert await served_exec.stored() == before


async def test_a_run_request_takes_every_contract_field(served_exec: Exec, waiting: str) -> None:
    body = {
        "agent": "relay",
        "resume": "ok",
        "interrupt_before": [],
        "interrupt_after": ["*"],
        "multitask_strategy": "enqueue",
        "on_disconnect": "continue",
    }
    events = await served_exec.stream(waiting, body)
    assert events[-2] == ("interrupt", {"kind": "after", "nodes": ["b"], "request": None})


async def test_state_refusals(served_exec: Exec, idle: str) -> None:
    before = await served_exec.stored()
    response = await served_exec.client.get(
        f"/threads/{idle}/state?checkpoint_id=nope", headers=served_exec.headers
    )
    assert "nope" in refused(response, 404, "unknown_checkpoint")
    other = await served_exec.client.get(f"/threads/{idle}/state", headers={"X-API-Key": KEY_B})
    refused(other, 404, "unknown_thread")
    assert await served_exec.stored() == before
    empty = await served_exec.thread()
    state = await served_exec.get(f"/threads/{empty}/state")
    assert state == {
        "thread_id": empty, "checkpoint_id": None, "step": 0, "messages": [], "next": [],
        "interrupt": None, "stop_reason": None,
    }  # fmt: skip
