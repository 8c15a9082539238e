"""StepGate: a streamed pool run lets each item go only once the store holds it (no Ray needed)."""

from __future__ import annotations

import json
from contextlib import aclosing
from pathlib import Path
from typing import Any

import pytest

from flowgen.agents import AssistantAgent
from flowgen.base import TaskResult
from flowgen.checkpoint import SqliteCheckpointer
from flowgen.conditions import MaxMessageTermination
from flowgen.core import FunctionCall
from flowgen.distributed.run_order import RunFrame
from flowgen.distributed.step_gate import StepGate
from flowgen.engine.durable import step_listener
from flowgen.messages import ModelClientStreamingChunkEvent
from flowgen.models import CreateResult, ModelInfo, ReplayChatCompletionClient, RequestUsage
from flowgen.teams import RoundRobinGroupChat
from flowgen.tools import FunctionTool

CAPABLE = ModelInfo(
    vision=False, function_calling=True, json_output=True, family="unknown", structured_output=True
)


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def team(durability: str = "sync") -> RoundRobinGroupChat:
    """A tool call (inner events), a streamed reply (chunks) and a plain one: every kind of item."""
    call = CreateResult(
        finish_reason="function_calls",
        content=[FunctionCall(id="c1", name="add", arguments=json.dumps({"a": 2, "b": 3}))],
        usage=RequestUsage(prompt_tokens=5, completion_tokens=3),
    )
    return RoundRobinGroupChat(
        [
            AssistantAgent(
                "counter",
                ReplayChatCompletionClient([call, "five", "again"], model_info=CAPABLE),
                tools=[FunctionTool(add, description="Add two numbers.")],
            ),
            AssistantAgent(
                "poet", ReplayChatCompletionClient(["roses are red", "violets"]), model_client_stream=True
            ),
        ],
        termination_condition=MaxMessageTermination(6),
        durability=durability,  # type: ignore[arg-type]
    )


async def gated_run(
    store: SqliteCheckpointer, thread: str, durability: str = "sync"
) -> tuple[list[tuple[RunFrame, set[str]]], TaskResult]:
    """Each frame the gate lets go, with the message ids the store held at that moment."""
    runner, gate = team(durability), StepGate()
    runner.checkpointer = store
    released: list[tuple[RunFrame, set[str]]] = []

    async def release(frames: list[RunFrame]) -> None:
        if frames:
            snapshot = await store.get(thread)
            stored = {m["id"] for m in snapshot.messages} if snapshot is not None else set()
            released.extend((f, stored) for f in frames)

    async with aclosing(runner.run_stream(task="add 2 and 3", thread_id=thread)) as items:
        listening = step_listener.set(gate.heard)
        try:
            item = await anext(items)
        finally:
            step_listener.reset(listening)
        while not isinstance(item, TaskResult):
            await release(gate.take(item))
            item = await anext(items)
    await release(gate.flush())
    return released, item


def items_of(released: list[tuple[RunFrame, set[str]]]) -> list[dict[str, Any]]:
    return [f.item for f, _ in released if f.item is not None]


@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
async def test_every_saved_item_goes_once_the_store_holds_it(tmp_path: Path, durability: str) -> None:
    store = SqliteCheckpointer(tmp_path / "runs.db")
    released, result = await gated_run(store, "t1", durability)
    saved = [m.dump() for m in result.messages]
    shown = [i for i in items_of(released) if i["type"] != "ModelClientStreamingChunkEvent"]
    assert [m["id"] for m in shown] == [m["id"] for m in saved]  # all of them, once, in order
    assert {"ToolCallRequestEvent", "ToolCallExecutionEvent"} <= {m["type"] for m in shown}
    for frame, stored in released:
        if frame.item is not None and frame.item["type"] != "ModelClientStreamingChunkEvent":
            assert frame.item["id"] in stored, (durability, frame.item["type"])
    await store.aclose()


async def test_the_stream_equals_a_local_run_and_steps_follow_their_messages(tmp_path: Path) -> None:
    store = SqliteCheckpointer(tmp_path / "runs.db")
    released, _ = await gated_run(store, "t1")
    local = [
        i for i in [x async for x in team().run_stream(task="add 2 and 3")] if not isinstance(i, TaskResult)
    ]
    unchunked = [(i["source"], i["type"], str(i["content"])) for i in items_of(released)
                 if i["type"] != "ModelClientStreamingChunkEvent"]  # fmt: skip
    assert unchunked == [
        (i.source, i.type, str(i.dump()["content"]))
        for i in local
        if not isinstance(i, ModelClientStreamingChunkEvent)
    ]
    chunks = [i["content"] for i in items_of(released) if i["type"] == "ModelClientStreamingChunkEvent"]
    assert "".join(chunks) == "".join(
        i.content for i in local if isinstance(i, ModelClientStreamingChunkEvent)
    )
    # A step's notice follows its messages: the input's after the task, each turn's after its reply.
    kinds = [("step", f.step.step) if f.step else ("item", f.item["type"]) for f, _ in released]  # type: ignore[index]
    steps = [k for k in kinds if k[0] == "step"]
    assert [s[1] for s in steps] == list(range(len(steps))) and len(steps) == 6
    assert kinds[:2] == [("item", "TextMessage"), ("step", 0)]
    assert kinds[-1][0] == "step"
    await store.aclose()


async def test_items_of_a_step_wait_for_its_commit(tmp_path: Path) -> None:
    # The tool call's events come during the counter's first step: the gate holds them until that
    # step is stored, so nothing of a step lost before its commit was ever shown.
    store = SqliteCheckpointer(tmp_path / "runs.db")
    released, _ = await gated_run(store, "t1")
    kinds = [("step", f.step.step) if f.step else ("item", f.item["type"]) for f, _ in released]  # type: ignore[index]
    first_turn = kinds[kinds.index(("step", 0)) + 1 : kinds.index(("step", 1)) + 1]
    assert first_turn == [
        ("item", "ToolCallRequestEvent"),
        ("item", "ToolCallExecutionEvent"),
        ("item", "ToolCallSummaryMessage"),
        ("step", 1),
    ]
    await store.aclose()
