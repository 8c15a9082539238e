"""``flowgen render`` draws a team's graph; ``flowgen check`` validates it and exits non-zero on findings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_support import CLI, Example

EXAMPLES = ("write_review", "travel_planner", "support_swarm", "code_review_flow", "research_team")

BROKEN_GRAPH = """
from flowgen.graph import AgentNode, GraphSpec, NextEdge
graph = GraphSpec(
    nodes=(AgentNode(name="a"), AgentNode(name="b"), AgentNode(name="orphan")),
    edges=(NextEdge(source="a", target="b"), NextEdge(source="b", target="ghost")),
    entry=("a",),
)
"""

UNBOUNDED_FLOW = """
from flowgen.teams import DiGraphBuilder, GraphFlow
from flowgen.testing import ScriptedAgent

def build(model_client=None):
    a, b = ScriptedAgent("a", ["x"]), ScriptedAgent("b", ["y"])
    builder = DiGraphBuilder().add_node(a).add_node(b).add_edge(a, b).add_edge(b, a)
    return GraphFlow(builder.get_participants(), builder.build())
"""


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_checks_clean(cli: CLI, example: Example, name: str) -> None:
    outcome = cli("check", example(name))
    assert outcome.status == 0, outcome.output
    assert "is valid" in outcome.output


def test_check_prints_each_finding_with_its_fix_and_fails(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text(BROKEN_GRAPH)
    outcome = cli("check", tmp_path / "broken.py")
    assert outcome.status == 1
    assert "unknown_target" in outcome.output
    assert outcome.output.count("fix:") >= 1
    assert "ghost" in outcome.output


def test_check_reports_a_team_that_refuses_its_graph(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "loop.py").write_text(UNBOUNDED_FLOW)
    outcome = cli("check", tmp_path / "loop.py")
    assert outcome.status == 1
    assert "Traceback" not in outcome.output


@pytest.mark.parametrize("name", EXAMPLES)
def test_render_svg_of_every_example(cli: CLI, example: Example, tmp_path: Path, name: str) -> None:
    target = tmp_path / f"{name}.svg"
    outcome = cli("render", example(name), "-o", target)
    assert outcome.status == 0
    assert target.read_text().lstrip().startswith(("<svg", "<?xml"))


def test_render_prints_text_formats_to_stdout(cli: CLI, example: Example) -> None:
    mermaid = cli("render", example("write_review"), "--format", "mermaid")
    dot = cli("render", example("write_review"), "--format", "dot")
    assert mermaid.status == dot.status == 0
    assert mermaid.output.startswith("flowchart")
    assert dot.output.startswith("digraph")


def test_render_picks_the_format_from_the_suffix(cli: CLI, example: Example, tmp_path: Path) -> None:
    target = tmp_path / "graph.dot"
    assert cli("render", example("code_review_flow"), "-o", target).status == 0
    assert target.read_text().startswith("digraph")


@pytest.mark.skipif(shutil.which("dot") is None, reason="PNG needs the system Graphviz `dot`")
def test_render_png(cli: CLI, example: Example, tmp_path: Path) -> None:
    target = tmp_path / "graph.png"
    assert cli("render", example("support_swarm"), "-o", target).status == 0
    assert target.read_bytes().startswith(b"\x89PNG")


def test_render_png_needs_a_file(cli: CLI, example: Example) -> None:
    outcome = cli("render", example("support_swarm"), "--format", "png")
    assert outcome.status == 1
    assert "-o graph.png" in outcome.output


def test_render_a_named_attribute(cli: CLI, example: Example) -> None:
    outcome = cli("render", f"{example('research_team')}:research", "--format", "mermaid")
    assert outcome.status == 0
    assert "researcher" in outcome.output
