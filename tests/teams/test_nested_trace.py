"""A team nested in a team: the outer trace records the inner run's nodes and edges by path."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from flowgen.engine import RunTrace
from flowgen.engine.trace import EdgeTaken, NodeFinished, NodeStarted, RunEvent
from flowgen.teams import RoundRobinGroupChat
from flowgen.testing import ScriptedAgent
from visualize import render_svg
from visualize.ids import edge_id, node_id


def _outer() -> RoundRobinGroupChat:
    agents = [ScriptedAgent("drafter", ["draft"]), ScriptedAgent("checker", ["checked"])]
    inner = RoundRobinGroupChat(agents, max_turns=2, name="writing")
    return RoundRobinGroupChat([inner, ScriptedAgent("boss", ["approved"])], max_turns=2)


async def _trace() -> RunTrace:
    result = await _outer().run(task="write")
    assert result.trace is not None
    return result.trace


def _label(e: RunEvent) -> tuple[str, str]:
    if isinstance(e, EdgeTaken):
        return ("EdgeTaken", f"{e.source}->{e.target}")
    return (type(e).__name__, getattr(e, "node", None) or "")


async def test_inner_nodes_run_between_the_outer_nodes_start_and_finish() -> None:
    trace = await _trace()
    nodes = [_label(e) for e in trace.events if isinstance(e, NodeStarted | NodeFinished)]
    assert nodes == [
        ("NodeStarted", "writing"),
        ("NodeStarted", "writing/drafter"),
        ("NodeFinished", "writing/drafter"),
        ("NodeStarted", "writing/checker"),
        ("NodeFinished", "writing/checker"),
        ("NodeFinished", "writing"),
        ("NodeStarted", "boss"),
        ("NodeFinished", "boss"),
    ]


async def test_inner_edges_are_recorded_with_source_and_target_paths() -> None:
    trace = await _trace()
    edges = [_label(e)[1] for e in trace.events if isinstance(e, EdgeTaken)]
    assert edges == ["writing/drafter->writing/checker", "writing->boss"]


async def test_inner_events_take_the_outer_step_and_times_within_the_outer_node() -> None:
    trace = await _trace()
    outer_start = next(e for e in trace.events if isinstance(e, NodeStarted) and e.node == "writing")
    outer_end = next(e for e in trace.events if isinstance(e, NodeFinished) and e.node == "writing")
    inner = [e for e in trace.events if isinstance(e, NodeStarted | NodeFinished) and "/" in e.node]
    assert {e.step for e in inner} == {outer_start.step}
    assert all(outer_start.t <= e.t <= outer_end.t for e in inner)


async def test_the_outer_teams_own_events_are_unchanged() -> None:
    trace = await _trace()
    top = [_label(e) for e in trace.events if "/" not in _label(e)[1].split("->")[0]]
    assert top == [
        ("RunStarted", ""),
        ("StepStarted", ""),
        ("NodeStarted", "writing"),
        ("NodeFinished", "writing"),
        ("EdgeTaken", "writing->boss"),
        ("StepStarted", ""),
        ("NodeStarted", "boss"),
        ("NodeFinished", "boss"),
        ("RunStopped", ""),
    ]


async def test_totals_count_the_top_graphs_nodes_and_edges_only() -> None:
    trace = await _trace()
    assert [f.node for f in trace.node_finishes()] == ["writing", "boss"]
    assert trace.edge_counts() == {0: 1}
    assert trace.visits()["writing/drafter"] == 1


async def test_the_run_drawing_shades_the_inner_nodes_and_edge_as_visited() -> None:
    svg = ET.fromstring(render_svg(await _trace()))
    classes = {el.get("id"): (el.get("class") or "").split() for el in svg.iter() if el.get("id")}
    assert "visited" in classes[node_id("writing/drafter")]
    assert "visited" in classes[node_id("writing/checker")]
    assert "taken" in classes[edge_id(0, "writing")]
    assert "untaken" in classes[edge_id(1, "writing")]


async def test_an_inner_team_run_again_records_its_held_back_edge_at_the_outer_step() -> None:
    agents = [ScriptedAgent("drafter", ["d1", "d2"]), ScriptedAgent("checker", ["c1", "c2"])]
    inner = RoundRobinGroupChat(agents, max_turns=2, name="writing")
    outer = RoundRobinGroupChat([inner, ScriptedAgent("boss", ["ok"])], max_turns=3)
    result = await outer.run(task="write")
    assert result.trace is not None
    inner_edges = [
        (e.step, _label(e)[1]) for e in result.trace.events if isinstance(e, EdgeTaken) and "/" in e.source
    ]
    assert inner_edges == [
        (1, "writing/drafter->writing/checker"),
        (3, "writing/checker->writing/drafter"),
        (3, "writing/drafter->writing/checker"),
    ]


async def test_an_inner_failure_is_recorded_at_the_inner_nodes_path() -> None:
    agents = [ScriptedAgent("drafter", ["draft"]), ScriptedAgent("checker", [ValueError("bad")])]
    inner = RoundRobinGroupChat(agents, max_turns=2, name="writing")
    outer = RoundRobinGroupChat([inner, ScriptedAgent("boss", ["ok"])], max_turns=2)
    with pytest.raises(ValueError, match="bad"):
        await outer.run(task="write")
    assert outer.last_trace is not None
    failed = [(e.node, e.error) for e in outer.last_trace.events if isinstance(e, NodeFinished) and e.error]
    assert failed == [("writing/checker", "ValueError: bad"), ("writing", "ValueError: bad")]
