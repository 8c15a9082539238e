"""Graph validation: each problem is found, named with its nodes, and comes with a fix."""

from __future__ import annotations

import pytest

from flowgen.errors import GraphValidationError
from flowgen.graph import (
    END,
    AgentNode,
    EndNode,
    GraphBuilder,
    GraphSpec,
    HandoffEdge,
    NextEdge,
    RouterNode,
    SelectEdge,
    check,
    validate,
)


def _codes(spec: GraphSpec, **kwargs: object) -> list[tuple[str, tuple[str, ...]]]:
    return [(f.code, f.nodes) for f in check(spec, **kwargs)]  # type: ignore[arg-type]


def _graph(*edges: NextEdge | HandoffEdge | SelectEdge, nodes: tuple[str, ...] = ("a", "b")) -> GraphSpec:
    return GraphSpec(
        nodes=(*(AgentNode(name=n) for n in nodes), EndNode()),
        edges=edges,
        entry=(nodes[0],),
    )


def test_a_sound_graph_passes() -> None:
    validate(_graph(NextEdge(source="a", target="b"), NextEdge(source="b", target=END)))


def test_unknown_edge_target_is_named() -> None:
    spec = _graph(NextEdge(source="a", target="ghost"), NextEdge(source="b", target=END))
    assert _codes(spec) == [("unknown_target", ("a", "ghost"))]


def test_unknown_edge_source_is_named() -> None:
    spec = _graph(
        NextEdge(source="a", target="b"), NextEdge(source="b", target=END), NextEdge(source="x", target="a")
    )
    assert _codes(spec) == [("unknown_source", ("x",))]


def test_duplicate_node_names_are_found() -> None:
    spec = GraphSpec(nodes=(AgentNode(name="a"), AgentNode(name="a")), entry=("a",))
    assert ("duplicate_name", ("a",)) in _codes(spec)


def test_missing_entry_is_found() -> None:
    spec = GraphSpec(nodes=(AgentNode(name="a"), EndNode()), edges=(NextEdge(source="a", target=END),))
    assert _codes(spec) == [("no_entry", ())]


def test_unknown_entry_is_found() -> None:
    spec = _graph(NextEdge(source="a", target="b"), NextEdge(source="b", target=END))
    spec = spec.model_copy(update={"entry": ("zed",)})
    assert _codes(spec) == [("unknown_entry", ("zed",))]


def test_handoff_to_a_non_node_is_named() -> None:
    spec = _graph(
        NextEdge(source="a", target="b"),
        NextEdge(source="b", target=END),
        HandoffEdge(source="b", target="billing"),
    )
    assert _codes(spec) == [("unknown_handoff_target", ("b", "billing"))]


def test_declared_handoff_to_a_non_node_is_named() -> None:
    spec = GraphSpec(
        nodes=(AgentNode(name="a", handoffs=("billing",)), EndNode()),
        edges=(NextEdge(source="a", target=END),),
        entry=("a",),
    )
    assert _codes(spec) == [("unknown_handoff_target", ("a", "billing"))]


def test_unreachable_node_is_found() -> None:
    spec = _graph(NextEdge(source="a", target=END), NextEdge(source="b", target=END), nodes=("a", "b"))
    assert _codes(spec) == [("unreachable", ("b",))]


def test_dead_end_that_is_not_an_exit_is_found() -> None:
    spec = _graph(NextEdge(source="a", target="b"))
    found = check(spec)
    assert [(f.code, f.nodes) for f in found] == [("dead_end", ("b",))]
    assert "'__end__'" in found[0].fix


def test_unconditional_cycle_is_found_unless_bounded() -> None:
    spec = _graph(NextEdge(source="a", target="b"), NextEdge(source="b", target="a"))
    assert _codes(spec) == [("unbounded_cycle", ("a", "b"))]
    assert _codes(spec, bounded=True) == []


def test_cycle_with_a_conditional_exit_passes() -> None:
    spec = (
        GraphBuilder()
        .add_agent("a")
        .add_agent("b")
        .add_edge("a", "b")
        .add_edge("b", "a", condition="again")
        .add_edge("b", END, otherwise=True)
        .build(validate_graph=False)
    )
    assert _codes(spec) == []


def test_all_join_over_exclusive_branches_is_found() -> None:
    spec = (
        GraphBuilder()
        .add_agent("a")
        .add_agent("yes")
        .add_agent("no")
        .add_agent("join")
        .add_edge("a", "yes", condition="YES")
        .add_edge("a", "no", otherwise=True)
        .add_edge("yes", "join")
        .add_edge("no", "join")
        .add_edge("join", END)
        .build(validate_graph=False)
    )
    found = check(spec)
    assert [(f.code, f.nodes) for f in found] == [("starving_join", ("join", "no", "yes"))]
    assert "activation_condition='any'" in found[0].fix


def test_all_join_after_a_fan_out_passes() -> None:
    spec = (
        GraphBuilder()
        .add_agent("a")
        .add_agent("b")
        .add_agent("c")
        .add_agent("join")
        .add_edge("a", "b")
        .add_edge("a", "c")
        .add_edge("b", "join")
        .add_edge("c", "join")
        .add_edge("join", END)
        .build(validate_graph=False)
    )
    assert _codes(spec) == []


def test_participants_must_match_agent_nodes() -> None:
    spec = _graph(NextEdge(source="a", target="b"), NextEdge(source="b", target=END))
    assert _codes(spec, participants=["a", "c"]) == [
        ("missing_participant", ("b",)),
        ("unused_participant", ("c",)),
    ]


def test_router_without_candidates_or_policy_is_found() -> None:
    spec = GraphSpec(
        nodes=(RouterNode(name="hub", policy="p"), AgentNode(name="a")),
        edges=(NextEdge(source="a", target="hub"), NextEdge(source="hub", target="a")),
        entry=("hub",),
    )
    assert _codes(spec, policies={}, bounded=True) == [
        ("router_without_candidates", ("hub",)),
        ("router_without_policy", ("hub",)),
    ]


def test_validate_raises_one_error_listing_every_finding() -> None:
    spec = _graph(NextEdge(source="a", target="ghost"), NextEdge(source="b", target="phantom"))
    with pytest.raises(GraphValidationError) as caught:
        validate(spec)
    assert len(caught.value.findings) == 2
    assert "'ghost'" in str(caught.value) and "'phantom'" in str(caught.value)


def test_all_join_over_a_loop_back_edge_is_found() -> None:
    spec = (
        GraphBuilder()
        .add_agent("a")
        .add_agent("b")
        .add_agent("c")
        .add_edge("a", "b")
        .add_edge("b", "c")
        .add_edge("c", "b", condition="AGAIN")
        .add_edge("c", END, otherwise=True)
        .build(validate_graph=False)
    )
    found = check(spec)
    assert [(f.code, f.nodes) for f in found] == [("starving_join", ("b", "c"))]
    assert "activation_group" in found[0].fix


def test_loop_back_edge_in_its_own_group_passes() -> None:
    spec = (
        GraphBuilder()
        .add_agent("a")
        .add_agent("b")
        .add_agent("c")
        .add_edge("a", "b")
        .add_edge("b", "c")
        .add_edge("c", "b", condition="AGAIN", activation_group="retry")
        .add_edge("c", END, otherwise=True)
        .build(validate_graph=False)
    )
    assert check(spec) == []


def test_hub_whose_router_waits_for_every_agent_is_found() -> None:
    builder = GraphBuilder("hub").add_router("pick", policy="p")
    for name in ("x", "y"):
        builder.add_agent(name).add_edge("pick", name, kind="select").add_edge(name, "pick")
    spec = builder.entry("pick").build(validate_graph=False)
    assert [f.code for f in check(spec, bounded=True)] == ["starving_join"]
