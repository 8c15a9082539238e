"""Several runs of one team as one trace: RunTrace.merge and RunTrace.continued."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flowgen.engine import RunTrace
from flowgen.engine.trace import NodeStarted, RunStarted, RunStopped
from flowgen.errors import ConfigurationError
from flowgen.graph import AgentNode, GraphSpec
from flowgen.teams import RoundRobinGroupChat
from flowgen.testing import ScriptedAgent

T0 = datetime(2026, 1, 1, tzinfo=UTC)
GRAPH = GraphSpec(nodes=(AgentNode(name="a"),), entry=("a",))


def _run(start: datetime, first_step: int, graph: GraphSpec = GRAPH) -> RunTrace:
    events = [
        RunStarted(t=0.0, step=first_step - 1, task=""),
        NodeStarted(t=0.5, step=first_step, node="a", turn=1),
        RunStopped(t=1.0, step=first_step, reason="done", stop="max_turns"),
    ]
    return RunTrace(graph=graph, started_at=start, events=events)


def _team() -> RoundRobinGroupChat:
    return RoundRobinGroupChat(
        [ScriptedAgent("a", ["a1", "a2"]), ScriptedAgent("b", ["b1", "b2"])], max_turns=2
    )


def test_the_later_runs_times_move_by_the_gap_between_the_starts() -> None:
    merged = _run(T0, 1).continued(_run(T0 + timedelta(seconds=10), 1))
    assert [e.t for e in merged.events] == [0.0, 0.5, 1.0, 10.0, 10.5, 11.0]


def test_times_never_go_back_when_the_wall_clock_gap_is_too_small() -> None:
    merged = _run(T0, 1).continued(_run(T0, 1))
    times = [e.t for e in merged.events]
    assert times == sorted(times)


def test_steps_of_a_run_after_a_reset_follow_on_from_the_earlier_run() -> None:
    merged = _run(T0, 1).continued(_run(T0 + timedelta(seconds=5), 1))
    assert [e.step for e in merged.events] == [0, 1, 1, 1, 2, 2]


def test_steps_of_a_continued_run_are_kept_as_they_are() -> None:
    merged = _run(T0, 1).continued(_run(T0 + timedelta(seconds=5), 2))
    assert [e.step for e in merged.events] == [0, 1, 1, 1, 2, 2]


def test_the_merged_trace_keeps_the_first_start_and_the_last_stop() -> None:
    later = _run(T0 + timedelta(seconds=5), 2)
    later.events[-1] = RunStopped(t=1.0, step=2, reason="last", stop="termination")
    merged = RunTrace.merge([_run(T0, 1), later])
    assert merged is not None
    assert (merged.started_at, merged.stop_reason) == (T0, "last")


def test_merging_leaves_the_inputs_unchanged() -> None:
    first, later = _run(T0, 1), _run(T0 + timedelta(seconds=5), 1)
    before = (list(first.events), list(later.events))
    RunTrace.merge([first, later])
    assert (first.events, later.events) == before


def test_merging_nothing_gives_none_and_missing_traces_are_skipped() -> None:
    assert RunTrace.merge([None]) is None
    merged = RunTrace.merge([None, _run(T0, 1), None])
    assert merged is not None and len(merged.events) == 3


def test_traces_of_different_graphs_are_refused() -> None:
    other = GraphSpec(name="other", nodes=(AgentNode(name="a"),), entry=("a",))
    with pytest.raises(ConfigurationError, match="same team"):
        _run(T0, 1).continued(_run(T0, 1, other))


async def test_a_team_run_twice_makes_one_trace_with_every_step() -> None:
    team = _team()
    first = await team.run(task="go")
    second = await team.run()
    merged = RunTrace.merge([first.trace, second.trace])
    assert merged is not None
    assert [s.nodes for s in merged.steps()] == [("a",), ("b",), ("a",), ("b",)]
    assert [s.step for s in merged.steps()] == [1, 2, 3, 4]
    assert merged.edge_counts() == {0: 2, 1: 1}


async def test_a_merged_trace_round_trips_through_json() -> None:
    team = _team()
    first = await team.run(task="go")
    await team.reset()
    second = await team.run(task="again")
    merged = RunTrace.merge([first.trace, second.trace])
    assert merged is not None
    assert RunTrace.model_validate_json(merged.model_dump_json()).events == merged.events
