"""Edges are recorded when the node they make ready runs, not while it still waits for a resume."""

from __future__ import annotations

from flowgen.engine import RunTrace
from flowgen.engine.scheduler import GraphRunner, RunOutcome
from flowgen.engine.trace import EdgeTaken
from flowgen.graph import END, AgentNode, EndNode, GraphSpec, NextEdge
from flowgen.teams import RoundRobinGroupChat
from flowgen.testing import ScriptedAgent


def _pair(script_a: list[str], script_b: list[str]) -> RoundRobinGroupChat:
    return RoundRobinGroupChat([ScriptedAgent("a", script_a), ScriptedAgent("b", script_b)], max_turns=2)


def _edges(trace: RunTrace | None) -> list[tuple[int, str, str]]:
    assert trace is not None
    return [(e.step, e.source, e.target) for e in trace.events if isinstance(e, EdgeTaken)]


async def test_the_edge_after_the_last_speaker_is_not_in_the_trace() -> None:
    result = await _pair(["a1"], ["b1"]).run(task="go")
    assert _edges(result.trace) == [(1, "a", "b")]


async def test_the_held_back_edge_opens_the_resumed_runs_trace_with_its_step() -> None:
    team = _pair(["a1", "a2"], ["b1", "b2"])
    await team.run(task="go")
    second = await team.run()
    assert _edges(second.trace) == [(2, "b", "a"), (3, "a", "b")]


async def test_the_resumed_run_still_continues_with_the_next_speaker() -> None:
    team = _pair(["a1", "a2"], ["b1", "b2"])
    await team.run(task="go")
    second = await team.run()
    assert [m.to_text() for m in second.messages] == ["a2", "b2"]


async def test_a_held_back_edge_survives_save_and_load_into_a_fresh_team() -> None:
    team = _pair(["a1", "a2"], ["b1", "b2"])
    await team.run(task="go")
    state = await team.save_state()
    fresh = _pair(["a1", "a2"], ["b1", "b2"])
    await fresh.load_state(state)
    second = await fresh.run()
    assert _edges(second.trace)[0] == (2, "b", "a")


async def test_a_reset_drops_the_held_back_edge() -> None:
    team = _pair(["a1", "a2"], ["b1", "b2"])
    await team.run(task="go")
    await team.reset()
    second = await team.run(task="again")
    assert _edges(second.trace) == [(1, "a", "b")]


async def test_an_edge_into_the_end_is_recorded_when_it_fires() -> None:
    spec = GraphSpec(
        nodes=(AgentNode(name="a"), EndNode()), edges=(NextEdge(source="a", target=END),), entry=("a",)
    )
    runner = GraphRunner(spec, {"a": ScriptedAgent("a", ["hi"])})
    outcome = [item async for item in runner.stream([], None)][-1]
    assert isinstance(outcome, RunOutcome) and outcome.stop == "completed"
    assert _edges(outcome.trace) == [(1, "a", END)]
