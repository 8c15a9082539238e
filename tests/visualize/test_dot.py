"""DOT source: every node and edge, drawn by kind, with entry, end, groups, fan-out and clusters."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import visualize_samples as samples

from flowgen.errors import ConfigurationError
from flowgen.graph import AgentNode, GraphSpec, NextEdge
from visualize import to_digraph, to_dot
from visualize.ids import node_id


def edge_line(dot: str, edge_id: str) -> str:
    return next(line for line in dot.splitlines() if f'id="{edge_id}"' in line and "->" in line)


def test_every_node_and_edge_has_a_stable_id(team_kind: str) -> None:
    graph = samples.GRAPHS[team_kind]()
    dot = to_dot(graph)
    for node in graph.nodes:
        assert dot.count(f'id="{node_id(node.name)}"') == 1
    for index in range(len(graph.edges)):
        assert dot.count(f'id="edge-{index}"') == 1


def test_edge_kinds_are_drawn_distinctly() -> None:
    dot = to_dot(samples.round_robin_graph())
    assert "style=solid" in edge_line(dot, "edge-0")
    when = edge_line(dot, "edge-1")
    assert "style=dashed" in when and "mentions 'APPROVE'" in when
    assert "style=dotted" in edge_line(to_dot(samples.selector_graph()), "edge-0")
    handoff = edge_line(to_dot(samples.swarm_graph()), "edge-0")
    assert "transfer_to_billing" in handoff and "arrowhead=vee" in handoff


def test_router_is_a_diamond_and_end_a_double_circle() -> None:
    assert "shape=diamond" in to_dot(samples.selector_graph())
    assert "shape=doublecircle" in to_dot(samples.round_robin_graph())


def test_agent_label_lists_description_and_tools() -> None:
    dot = to_dot(samples.round_robin_graph())
    assert "writer\\nWrites short poems on request.\\ntools: rhymes" in dot


def test_entry_is_marked_from_a_start_dot() -> None:
    dot = to_dot(samples.selector_graph())
    assert 'start -> "node-select"' in dot


def test_activation_group_shares_one_head_and_fan_out_one_tail() -> None:
    dot = to_dot(samples.fanout_graph())
    assert "samehead=both" in edge_line(dot, "edge-2") and "samehead=both" in edge_line(dot, "edge-3")
    assert "sametail=parallel" in edge_line(dot, "edge-0") and "sametail=parallel" in edge_line(dot, "edge-1")


def test_handoffs_into_one_node_are_not_drawn_as_a_join() -> None:
    assert "samehead" not in to_dot(samples.swarm_graph())


def test_nested_team_is_a_cluster_with_its_own_nodes() -> None:
    dot = to_dot(samples.nested_graph())
    assert "subgraph cluster_research" in dot
    assert '"node-research_2f_searcher" -> "node-research_2f_summarizer"' in dot


def test_user_text_cannot_break_the_dot_syntax() -> None:
    graph = GraphSpec(
        nodes=(AgentNode(name="<b>", description='say "hi" \\ then'), AgentNode(name="a:b")),
        edges=(NextEdge(source="<b>", target="a:b", label="<i>"),),
        entry=("<b>",),
    )
    dot = to_dot(graph)
    assert 'label="<b>\\nsay \\"hi\\" \\\\ then"' in dot
    assert to_digraph(graph).source == dot


def test_a_trace_passed_alone_is_drawn_on_its_graph() -> None:
    trace = samples.round_robin_trace()
    assert to_dot(trace) == to_dot(samples.round_robin_graph(), trace)


def test_overlay_counts_are_in_the_labels() -> None:
    dot = to_dot(samples.round_robin_trace())
    assert "\u00d7 2 \u00b7 step 1" in edge_line(dot, "edge-0")
    assert "untaken" not in edge_line(dot, "edge-1")


def test_something_that_is_not_a_graph_is_refused_with_a_hint() -> None:
    with pytest.raises(ConfigurationError, match="GraphSpec"):
        to_dot(42)


def test_dot_matches_golden(team_kind: str, golden: Callable[[str, str], None]) -> None:
    golden(f"{team_kind}.dot", to_dot(samples.GRAPHS[team_kind]()))
    golden(f"{team_kind}_run.dot", to_dot(samples.TRACES[team_kind]()))
