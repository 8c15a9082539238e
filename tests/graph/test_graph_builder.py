"""GraphBuilder: nodes and edges in, an immutable validated GraphSpec out."""

from __future__ import annotations

import pytest

from flowgen.errors import ConfigurationError, GraphValidationError
from flowgen.graph import END, GraphBuilder, GraphSpec, Mention, Predicate, WhenEdge
from flowgen.messages import BaseChatMessage


def test_first_node_is_the_entry_and_end_is_added_on_demand() -> None:
    spec = GraphBuilder("g").add_agent("a").add_edge("a", END).build()
    assert spec.entry == ("a",)
    assert spec.node_names == ["a", END]


def test_string_condition_becomes_a_mention_and_a_function_a_predicate() -> None:
    def long(message: BaseChatMessage) -> bool:
        return len(message.to_text()) > 10

    spec = (
        GraphBuilder()
        .add_agent("a")
        .add_agent("b")
        .add_edge("a", "b", condition="GO")
        .add_edge("a", END, condition=long)
        .add_edge("b", END)
        .build()
    )
    first, second = spec.edges[0], spec.edges[1]
    assert isinstance(first, WhenEdge) and first.condition == Mention(text="GO")
    assert isinstance(second, WhenEdge) and isinstance(second.condition, Predicate)


def test_serializable_graph_round_trips_through_json() -> None:
    spec = GraphBuilder().add_agent("a").add_agent("b").add_edge("a", "b", condition="GO").add_edge("b", END)
    built = spec.add_edge("a", END, otherwise=True).build()
    assert GraphSpec.model_validate_json(built.model_dump_json()) == built


def test_build_validates() -> None:
    with pytest.raises(GraphValidationError, match="'ghost'"):
        GraphBuilder().add_agent("a").add_edge("a", "ghost").build()


def test_condition_on_a_non_conditional_edge_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="kind='when'"):
        GraphBuilder().add_agent("a").add_edge("a", END, kind="handoff", condition="x")


def test_to_networkx_keeps_kinds_and_conditions() -> None:
    spec = (
        GraphBuilder()
        .add_agent("a")
        .add_agent("b")
        .add_edge("a", "b", condition="GO")
        .add_edge("b", END)
        .build()
    )
    graph = spec.to_networkx()
    attrs = graph.edges["a", "b", 0]
    assert (attrs["kind"], attrs["description"]) == ("when", "mentions 'GO'")
