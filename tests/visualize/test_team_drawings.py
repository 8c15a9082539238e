"""Real teams, drawn static and after a real run (scripted agents, no model calls).

Team types that have not landed in flowgen.teams yet are skipped with the reason.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import flowgen.teams
from flowgen.base import TaskResult
from flowgen.messages import HandoffMessage
from flowgen.models import ReplayChatCompletionClient
from flowgen.testing import ScriptedAgent
from visualize import html_report, render_svg, sequence_svg, to_mermaid
from visualize.ids import node_id


def team_class(name: str) -> Any:
    cls = getattr(flowgen.teams, name, None)
    if cls is None:
        pytest.skip(f"flowgen.teams.{name} has not landed yet")
    return cls


def element_ids(svg: str) -> Counter[str]:
    return Counter(el.get("id", "") for el in ET.fromstring(svg).iter())


def check_drawings(team: Any, result: TaskResult, tmp_path: Path) -> None:
    """Static and run SVG name every participant once; the run marks what ran; the report renders."""
    static, run = element_ids(render_svg(team)), element_ids(render_svg(result))
    for name in team.graph.agent_names:
        assert static[node_id(name)] == 1 and run[node_id(name)] == 1
    assert result.trace is not None
    visited = result.trace.visits()
    svg = render_svg(result)
    for name, count in visited.items():
        if team.graph.has_node(name):
            assert f"visits-{count}" in svg
    assert "flowchart TD" in to_mermaid(result)
    assert sequence_svg(result).count('class="msg ') == len(result.messages)
    page = html_report(result, tmp_path / "report.html")
    assert "stopped" in page


async def test_round_robin(tmp_path: Path) -> None:
    team = team_class("RoundRobinGroupChat")(
        [ScriptedAgent("writer", ["draft", "draft 2"]), ScriptedAgent("critic", ["revise", "ok"])],
        max_turns=3,
    )
    check_drawings(team, await team.run(task="write a poem"), tmp_path)


async def test_nested_round_robin(tmp_path: Path) -> None:
    rr = team_class("RoundRobinGroupChat")
    inner = rr([ScriptedAgent("a", ["x"]), ScriptedAgent("b", ["y"])], max_turns=2, name="inner")
    team = rr([ScriptedAgent("writer", ["draft", "again"]), inner], max_turns=3)
    result = await team.run(task="go")
    check_drawings(team, result, tmp_path)
    assert 'id="cluster-inner"' in render_svg(result)


async def test_selector(tmp_path: Path) -> None:
    selector = team_class("SelectorGroupChat")
    team = selector(
        [ScriptedAgent("planner", ["plan", "replan"]), ScriptedAgent("coder", ["code", "more code"])],
        model_client=ReplayChatCompletionClient(["planner", "coder", "planner"]),
        max_turns=3,
    )
    check_drawings(team, await team.run(task="build"), tmp_path)


async def test_swarm(tmp_path: Path) -> None:
    swarm = team_class("Swarm")
    triage = ScriptedAgent(
        "triage", [HandoffMessage(source="triage", target="billing", content="to billing")]
    )
    billing = ScriptedAgent("billing", ["paid"])
    team = swarm([triage, billing], max_turns=2)
    check_drawings(team, await team.run(task="charged twice"), tmp_path)


async def test_graph_flow(tmp_path: Path) -> None:
    graph_flow, builder_cls = team_class("GraphFlow"), team_class("DiGraphBuilder")
    split, web, papers = (
        ScriptedAgent("split", ["go"]),
        ScriptedAgent("web", ["A"]),
        ScriptedAgent("papers", ["B"]),
    )
    builder = builder_cls()
    builder.add_node(split).add_node(web).add_node(papers)
    builder.add_edge(split, web).add_edge(split, papers)
    team = graph_flow(participants=builder.get_participants(), graph=builder.build())
    check_drawings(team, await team.run(task="compare"), tmp_path)
