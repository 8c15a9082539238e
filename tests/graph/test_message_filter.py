"""Context scoping as graph data: MessageFilterConfig keeps some sources' messages, first or last N."""

from __future__ import annotations

from flowgen.graph import AgentNode, GraphBuilder, GraphSpec, MessageFilterConfig, PerSourceFilter
from flowgen.messages import BaseChatMessage, TextMessage

NEW: list[BaseChatMessage] = [
    TextMessage(source=s, content=c)
    for s, c in [("user", "task"), ("a", "a1"), ("b", "b1"), ("a", "a2"), ("a", "a3"), ("user", "more")]
]


def _texts(messages: list[BaseChatMessage]) -> list[str]:
    return [m.to_text() for m in messages]


def _scope(*filters: PerSourceFilter) -> MessageFilterConfig:
    return MessageFilterConfig(per_source=list(filters))


def test_a_source_without_position_keeps_all_its_messages() -> None:
    assert _texts(_scope(PerSourceFilter(source="a")).apply(NEW)) == ["a1", "a2", "a3"]


def test_last_count_keeps_the_latest_messages_of_the_source() -> None:
    assert _texts(_scope(PerSourceFilter(source="a", position="last", count=2)).apply(NEW)) == ["a2", "a3"]


def test_first_count_keeps_the_earliest_messages_of_the_source() -> None:
    assert _texts(_scope(PerSourceFilter(source="user", position="first", count=1)).apply(NEW)) == ["task"]


def test_unlisted_sources_are_dropped_and_kept_messages_group_by_filter_order() -> None:
    scope = _scope(PerSourceFilter(source="b"), PerSourceFilter(source="user"))
    assert _texts(scope.apply(NEW)) == ["b1", "task", "more"]


def test_a_node_filter_round_trips_through_json_and_networkx() -> None:
    scope = _scope(PerSourceFilter(source="user", position="first", count=1))
    spec = GraphSpec(nodes=(AgentNode(name="a", sees=scope),), entry=("a",))
    assert GraphSpec.model_validate_json(spec.model_dump_json()).node("a") == spec.node("a")
    sees = spec.to_networkx().nodes["a"]["sees"]
    assert sees == {"per_source": [{"source": "user", "position": "first", "count": 1}]}


def test_the_graph_builder_sets_a_nodes_filter() -> None:
    scope = _scope(PerSourceFilter(source="user"))
    spec = GraphBuilder().add_agent("a", sees=scope).entry("a").build(validate_graph=False)
    assert spec.node("a").sees == scope  # type: ignore[union-attr]


def test_the_filter_describes_itself_for_drawings() -> None:
    scope = _scope(PerSourceFilter(source="user", position="first", count=1), PerSourceFilter(source="b"))
    assert scope.describe() == "sees first 1 from user, all from b"
