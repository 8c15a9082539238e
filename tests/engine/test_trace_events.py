"""The run trace of a small run: which events, in which order, with what in them."""

from __future__ import annotations

import pytest

from flowgen.engine import RunTrace
from flowgen.engine.trace import EdgeTaken, NodeFinished, NodeStarted, RunStarted, RunStopped, StepStarted
from flowgen.teams import RoundRobinGroupChat
from flowgen.testing import ScriptedAgent


async def _trace() -> RunTrace:
    team = RoundRobinGroupChat([ScriptedAgent("a", ["a1"]), ScriptedAgent("b", ["b1"])], max_turns=2)
    result = await team.run(task="go")
    assert result.trace is not None
    return result.trace


async def test_a_two_turn_run_records_each_step_node_and_edge() -> None:
    trace = await _trace()
    summary = [
        (type(e).__name__, getattr(e, "node", None) or getattr(e, "target", None)) for e in trace.events
    ]
    assert summary == [
        ("RunStarted", None),
        ("StepStarted", None),
        ("NodeStarted", "a"),
        ("NodeFinished", "a"),
        ("EdgeTaken", "b"),
        ("StepStarted", None),
        ("NodeStarted", "b"),
        ("NodeFinished", "b"),
        ("RunStopped", None),
    ]


async def test_events_carry_steps_times_and_reasons() -> None:
    trace = await _trace()
    started = [e for e in trace.events if isinstance(e, StepStarted)]
    assert [(e.step, e.nodes) for e in started] == [(1, ("a",)), (2, ("b",))]
    times = [e.t for e in trace.events]
    assert times == sorted(times)
    finished = [e for e in trace.events if isinstance(e, NodeFinished)]
    assert all(e.duration >= 0 and e.error is None and len(e.message_ids) == 1 for e in finished)
    edge = next(e for e in trace.events if isinstance(e, EdgeTaken))
    assert (edge.source, edge.target, edge.edge, edge.reason) == ("a", "b", 0, "next")
    stop = trace.events[-1]
    assert isinstance(stop, RunStopped)
    assert (stop.stop, stop.reason) == ("max_turns", "Maximum number of turns 2 reached.")
    assert isinstance(trace.events[0], RunStarted) and trace.events[0].task == "go"
    assert [e.turn for e in trace.events if isinstance(e, NodeStarted)] == [1, 2]


async def test_trace_round_trips_through_json() -> None:
    trace = await _trace()
    again = RunTrace.model_validate_json(trace.model_dump_json())
    assert again.events == trace.events
    assert again.edge_counts() == {0: 1}


async def test_a_failing_run_keeps_its_trace_with_the_error() -> None:
    team = RoundRobinGroupChat([ScriptedAgent("a", [ValueError("bad")])], max_turns=1)
    with pytest.raises(ValueError):
        await team.run(task="go")
    assert team.last_trace is not None
    finished = [e for e in team.last_trace.events if isinstance(e, NodeFinished)]
    assert [(e.node, e.error) for e in finished] == [("a", "ValueError: bad")]
    stop = team.last_trace.stop
    assert stop is not None and (stop.stop, stop.node) == ("error", "a")
