"""A run records its trace as plain rows and builds the RunTrace when it is first read."""

from __future__ import annotations

import gc

from flowgen.base import TaskResult
from flowgen.conditions import MaxMessageTermination
from flowgen.runtime.trace import EdgeTaken, NodeFinished, RunStopped, StepStarted, as_row, from_row
from flowgen.teams import RoundRobinGroupChat
from flowgen.testing import ScriptedAgent


def _team(turns: int) -> RoundRobinGroupChat:
    agents = [ScriptedAgent(n, [f"{n} says {i}" for i in range(turns)]) for n in ("a", "b", "c")]
    return RoundRobinGroupChat(agents, termination_condition=MaxMessageTermination(turns + 1))


def test_every_event_kind_survives_the_trip_through_a_row() -> None:
    events = [
        StepStarted(0.5, 1, ("a", "b")),
        NodeFinished(1.0, 1, "a", 1, 0.5, 3, 4, ("m1", "m2"), "ValueError: x", "gpt"),
        EdgeTaken(1.5, 1, "router", "a", 2, "selected", ("a", "b"), 2),
        RunStopped(2.0, 1, "done", "termination", None),
    ]
    assert [from_row(as_row(e)) for e in events] == events


async def test_the_result_and_the_team_share_one_trace_built_on_first_read() -> None:
    team = _team(6)
    result = await team.run(task="go")
    assert result.trace is not None
    assert result.trace is team.last_trace
    assert result.trace is result.trace
    assert result.trace.visits() == {"a": 2, "b": 2, "c": 2}


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
