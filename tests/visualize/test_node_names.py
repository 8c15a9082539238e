"""data-node on a drawn graph: every node group carries its name (nested nodes their path), once."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import visualize_samples as samples

from flowgen.graph.spec import AgentNode, GraphSpec
from visualize import name_nodes, render_svg
from visualize.ids import node_id


def paths(graph: GraphSpec) -> dict[str, str]:
    return {
        node_id(f"{prefix}/{n.name}" if prefix else n.name): f"{prefix}/{n.name}" if prefix else n.name
        for prefix, sub in graph.walk()
        for n in sub.nodes
    }


def test_every_node_group_carries_its_name(team_kind: str) -> None:
    trace = samples.TRACES[team_kind]()
    svg = name_nodes(render_svg(trace), trace.graph)
    named = {el.get("id"): el.get("data-node") for el in ET.fromstring(svg).iter() if el.get("data-node")}
    assert named == paths(trace.graph)


def test_names_are_escaped_and_the_rest_is_unchanged() -> None:
    graph = GraphSpec(
        nodes=(AgentNode(name='say "hi" <now>'), AgentNode(name="b")), entry=('say "hi" <now>',)
    )
    plain = render_svg(graph)
    svg = name_nodes(plain, graph)
    found = [el.get("data-node") for el in ET.fromstring(svg).iter() if el.get("data-node")]
    assert sorted(found) == ["b", 'say "hi" <now>']
    assert (
        svg.replace(' data-node="b"', "").replace(' data-node="say &quot;hi&quot; &lt;now&gt;"', "") == plain
    )
