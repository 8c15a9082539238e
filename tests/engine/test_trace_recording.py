"""A run records its trace flat, as numbers and text, and builds the RunTrace when it is first read."""

from __future__ import annotations

import gc

import pytest

from flowgen.base import TaskResult
from flowgen.conditions import MaxMessageTermination
from flowgen.engine import RunTrace
from flowgen.engine.trace import (
    EdgeTaken,
    NodeFinished,
    NodeStarted,
    RunStarted,
    RunStopped,
    StepStarted,
    TraceRecorder,
    TraceRecording,
)
from flowgen.graph import AgentNode, GraphSpec
from flowgen.teams import RoundRobinGroupChat
from flowgen.testing import ScriptedAgent


def _team(turns: int) -> RoundRobinGroupChat:
    agents = [ScriptedAgent(n, [f"{n} says {i}" for i in range(turns)]) for n in ("a", "b", "c")]
    return RoundRobinGroupChat(agents, termination_condition=MaxMessageTermination(turns + 1))


def test_every_event_kind_survives_the_flat_record() -> None:
    events = [
        RunStarted(0.0, 0, "go"),
        StepStarted(0.5, 1, ("a", "b")),
        NodeStarted(0.6, 1, "a", 1),
        NodeFinished(1.0, 1, "a", 1, 0.5, 3, 4, ("m1", "m2"), "ValueError: x", "gpt"),
        EdgeTaken(1.5, 1, "router", "a", 2, "selected", ("a", "b"), 2),
        EdgeTaken(1.5, 1, "a", "b", None, "next"),
        RunStopped(2.0, 1, "done", "termination", None),
    ]
    recorder = TraceRecorder(GraphSpec(nodes=(AgentNode(name="a"),), entry=("a",)))
    for event in events:
        recorder.add(event)
    assert recorder.events == events
    assert recorder.seal().build().events == events
    # Only numbers and text: nothing the garbage collector counts, tracks or scans.
    assert {type(value) for value in recorder.flat} <= {int, float, str, type(None)}
    assert recorder.failed_nodes() == ["a"]


def test_the_last_steps_trailing_edges_are_taken_back_out() -> None:
    recorder = TraceRecorder(GraphSpec(nodes=(AgentNode(name="a"),), entry=("a",)))
    recorder.node_finished(1.0, 1, "a", 1, 0.5, message_ids=["m1"])
    recorder.edge_taken(1.1, 1, "a", "b", 0, "next")
    recorder.node_started(1.2, 2, "b", 2)
    recorder.edge_taken(1.3, 1, "r", "b", 1, "selected", ["b", "c"], 1)  # an earlier step's edge
    recorder.edge_taken(1.4, 2, "b", "c", 2, "next")
    recorder.edge_taken(1.4, 2, "b", "d", 3, "next")
    taken = recorder.take_trailing_edges(2)
    assert [(e.source, e.target) for e in taken] == [("b", "c"), ("b", "d")]
    assert [type(e).__name__ for e in recorder.events] == [
        "NodeFinished",
        "EdgeTaken",
        "NodeStarted",
        "EdgeTaken",
    ]
    assert recorder.events[-1] == EdgeTaken(1.3, 1, "r", "b", 1, "selected", ("b", "c"), 1)
    assert recorder.take_trailing_edges(2) == []


async def test_the_result_and_the_team_share_one_trace_built_on_first_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    builds: list[TraceRecording] = []
    build = TraceRecording.build

    def counted(recording: TraceRecording) -> RunTrace:
        builds.append(recording)
        return build(recording)

    monkeypatch.setattr(TraceRecording, "build", counted)
    team = _team(6)
    result = await team.run(task="go")
    assert builds == []  # a run that nobody asks about builds no trace
    assert result.trace is not None
    assert result.trace is team.last_trace
    assert result.trace is result.trace
    assert result.trace.visits() == {"a": 2, "b": 2, "c": 2}
    assert len({id(r) for r in builds}) == 1


async def test_a_result_dumps_and_loads_with_its_trace() -> None:
    result = await _team(4).run(task="go")
    dumped = result.model_dump(mode="json")
    assert dumped["trace"]["events"][-1]["kind"] == "run_stopped"
    data = {"messages": list(result.messages), "stop_reason": result.stop_reason, "trace": dumped["trace"]}
    again = TaskResult.model_validate(data)
    assert again.trace is not None and result.trace is not None
    assert again.trace.events == result.trace.events
    assert again == result
    assert "trace" in data  # the caller's dict is left as it was
    built = TaskResult(messages=list(result.messages), stop_reason=result.stop_reason, trace=dumped["trace"])
    assert built == result
    assert built != TaskResult(messages=list(result.messages), stop_reason=result.stop_reason)


async def test_a_long_run_leaves_the_collector_no_trace_objects_to_scan() -> None:
    # Every turn keeps its messages (and their model views) alive; its trace events must not add to
    # what the cyclic collector scans, however long the conversation grows.
    short, long = _team(60), _team(660)
    await short.run(task="go")
    gc.collect()
    before = len(gc.get_objects())
    await long.run(task="go")
    gc.collect()
    kept = len(gc.get_objects()) - before
    assert kept / 600 < 6.5, f"{kept / 600:.1f} tracked objects kept per turn"
    assert long.last_trace is not None and len(long.last_trace.steps()) == 660
