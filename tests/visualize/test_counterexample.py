"""Drawing an exploration finding's counterexample path on its graph."""

from __future__ import annotations

import doctest
import xml.etree.ElementTree as ET

import pytest
import visualize_samples as samples

import visualize.highlight
from flowgen.errors import ConfigurationError
from flowgen.graph.conditions import Mention
from flowgen.graph.explore import ExplorationFinding, explore
from flowgen.graph.spec import END, AgentNode, EndNode, GraphSpec, NextEdge, WhenEdge
from visualize import PathHighlight, render_svg, to_dot
from visualize.ids import edge_id, node_id

SVG = "{http://www.w3.org/2000/svg}"

EXCLUSIVE_JOIN = GraphSpec(
    name="exclusive",
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


@pytest.fixture(scope="module")
def finding() -> ExplorationFinding:
    [found] = explore(EXCLUSIVE_JOIN).findings
    return found


def classes(svg: str, element_id: str) -> set[str]:
    [el] = [el for el in ET.fromstring(svg).iter() if el.get("id") == element_id]
    return set(el.get("class", "").split())


def text_of(svg: str, element_id: str) -> str:
    [el] = [el for el in ET.fromstring(svg).iter() if el.get("id") == element_id]
    return " ".join(t.text or "" for t in el.iter(f"{SVG}text"))


def test_the_path_nodes_and_edges_are_marked_with_their_steps(finding: ExplorationFinding) -> None:
    svg = render_svg(EXCLUSIVE_JOIN, highlight=finding)
    assert "on-path" in classes(svg, node_id("a")) and "on-path" in classes(svg, node_id("b"))
    assert "on-path" in classes(svg, edge_id(0)) and "on-path" in classes(svg, edge_id(2))
    assert "step 1" in text_of(svg, node_id("a")) and "step 2" in text_of(svg, node_id("b"))
    assert "step 2" in text_of(svg, edge_id(2))


def test_nodes_off_the_path_stay_plain(finding: ExplorationFinding) -> None:
    svg = render_svg(EXCLUSIVE_JOIN, highlight=finding)
    assert "on-path" not in classes(svg, node_id("c"))
    assert "on-path" not in classes(svg, edge_id(1)) and "on-path" not in classes(svg, edge_id(3))


def test_the_nodes_the_finding_names_are_in_focus(finding: ExplorationFinding) -> None:
    svg = render_svg(EXCLUSIVE_JOIN, highlight=finding)
    assert "focus" in classes(svg, node_id("join"))
    assert "focus" in classes(svg, node_id("c"))
    assert "focus" not in classes(svg, node_id("a"))


def test_the_entry_arrow_and_title_belong_to_the_path(finding: ExplorationFinding) -> None:
    dot = to_dot(EXCLUSIVE_JOIN, highlight=finding)
    assert "starving_join: 'join' waits for all of" in dot
    svg = render_svg(EXCLUSIVE_JOIN, highlight=finding)
    assert "on-path" in classes(svg, "entry-a")


def test_a_list_of_node_names_draws_the_edges_between_them() -> None:
    marked = PathHighlight.of(EXCLUSIVE_JOIN, ["a", "b", "join"])
    assert marked.node_steps == {"a": [1], "b": [2], "join": [3]}
    assert marked.edge_steps == {0: [1], 2: [2]}
    svg = render_svg(EXCLUSIVE_JOIN, highlight=["a", "b", "join"])
    assert "on-path" in classes(svg, edge_id(2))


def test_without_a_highlight_the_drawing_is_unchanged() -> None:
    for make in samples.GRAPHS.values():
        graph = make()
        assert to_dot(graph, highlight=None) == to_dot(graph)


def test_something_that_is_not_a_path_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="cannot highlight"):
        to_dot(EXCLUSIVE_JOIN, highlight=42)


def test_the_module_example_runs() -> None:
    result = doctest.testmod(visualize.highlight)
    assert result.failed == 0
    assert result.attempted > 0
