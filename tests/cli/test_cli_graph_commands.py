"""``flowgen render`` draws a team's graph; ``flowgen check`` validates it and exits non-zero on findings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_support import CLI, Example

EXAMPLES = (
    "write_review",
    "travel_planner",
    "support_swarm",
    "code_review_flow",
    "research_team",
    "code_writing",
)

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


EXCLUSIVE_JOIN = """
from flowgen.graph import END, AgentNode, EndNode, GraphSpec, Mention, NextEdge, WhenEdge
graph = GraphSpec(
    nodes=(AgentNode(name="a"), AgentNode(name="b"), AgentNode(name="c"), AgentNode(name="join"), EndNode()),
    edges=(
        WhenEdge(source="a", target="b", condition=Mention(text="left")),
        NextEdge(source="a", target="c", otherwise=True),
        NextEdge(source="b", target="join"),
        NextEdge(source="c", target="join"),
        NextEdge(source="join", target=END),
    ),
    entry=("a",),
)
"""

TRAP = """
from flowgen.graph import END, AgentNode, EndNode, GraphSpec, Mention, NextEdge, WhenEdge
graph = GraphSpec(
    nodes=(AgentNode(name="a"), AgentNode(name="b"), AgentNode(name="c"), EndNode()),
    edges=(
        WhenEdge(source="a", target="b", condition=Mention(text="loop")),
        NextEdge(source="a", target=END, otherwise=True),
        NextEdge(source="b", target="c"),
        NextEdge(source="c", target="b", activation_group="back"),
    ),
    entry=("a",),
)
"""


def test_check_prints_an_exploration_finding_with_its_run(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "join.py").write_text(EXCLUSIVE_JOIN)
    outcome = cli("check", tmp_path / "join.py")
    assert outcome.status == 1
    assert "starving_join: 'join' waits for all of ['b', 'c']" in outcome.output
    assert "fix: set activation_condition='any'" in outcome.output
    assert "    run: a → b\n" in outcome.output
    assert outcome.output.count("starving_join") == 1  # validation's own report of it is merged in


def test_check_reports_a_trap_with_its_run(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "trap.py").write_text(TRAP)
    outcome = cli("check", tmp_path / "trap.py")
    assert outcome.status == 1
    assert "1 problem(s)" in outcome.output  # validation's unbounded cycle is the same finding
    assert "trap: after this run no end can be reached any more" in outcome.output
    assert "    run: a → b → c\n" in outcome.output


def test_check_finds_an_edge_that_can_never_fire(cli: CLI, tmp_path: Path) -> None:
    source = EXCLUSIVE_JOIN.replace(
        'WhenEdge(source="a", target="b", condition=Mention(text="left"))', 'NextEdge(source="a", target="b")'
    )
    (tmp_path / "dead.py").write_text(
        source.replace('NextEdge(source="c", target="join")', 'NextEdge(source="c", target=END)')
    )
    outcome = cli("check", tmp_path / "dead.py")
    assert outcome.status == 1
    assert (
        "unreachable: no run makes 'c' ready: ['a'] run, but none of their edges into 'c' can fire it"
        in outcome.output
    )
    assert "    run: a\n" in outcome.output


def test_check_draws_the_counterexample_as_svg(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "join.py").write_text(EXCLUSIVE_JOIN)
    target = tmp_path / "out" / "join.svg"
    outcome = cli("check", tmp_path / "join.py", "--svg", target)
    assert outcome.status == 1
    assert f"wrote {target}: the counterexample of starving_join" in outcome.output
    svg = target.read_text()
    assert 'id="node-b"' in svg and "on-path" in svg and "focus" in svg


def test_check_with_a_short_depth_warns_but_passes(cli: CLI, example: Example) -> None:
    outcome = cli("check", example("support_swarm"), "--depth", "1")
    assert outcome.status == 0
    assert "is valid" in outcome.output
    assert "raise --depth to look further" in outcome.output


def test_check_says_how_much_it_explored(cli: CLI, example: Example) -> None:
    outcome = cli("check", example("code_review_flow"))
    assert outcome.status == 0
    assert "explored every run: 6 reachable states" in outcome.output


def test_check_refuses_a_depth_below_one(
    cli: CLI, example: Example, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = cli("check", example("write_review"), "--depth", "0")
    assert outcome.status == 2
    assert "the depth must be at least 1, got 0" in capsys.readouterr().err


NESTED = """
from flowgen.graph import END, AgentNode, EndNode, GraphSpec, NextEdge
inner = GraphSpec(
    name="inner",
    nodes=(AgentNode(name="x"), AgentNode(name="y"), AgentNode(name="z"), EndNode()),
    edges=(
        NextEdge(source="x", target="y"),
        NextEdge(source="x", target="z", otherwise=True),
        NextEdge(source="y", target=END),
        NextEdge(source="z", target=END),
    ),
    entry=("x",),
)
graph = GraphSpec(
    nodes=(AgentNode(name="team", subgraph=inner), EndNode()),
    edges=(NextEdge(source="team", target=END),),
    entry=("team",),
)
"""


def test_check_explores_nested_teams_too(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "nested.py").write_text(NESTED)
    outcome = cli("check", tmp_path / "nested.py")
    assert outcome.status == 1
    assert "unreachable: in team 'team': no run makes 'z' ready" in outcome.output
    assert "    run: x\n" in outcome.output
