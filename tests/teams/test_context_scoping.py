"""Context scoping in a team: a node's filter narrows what it is given, the thread keeps everything."""

from __future__ import annotations

from flowgen.agents.message_filter import MessageFilterAgent, MessageFilterConfig, PerSourceFilter
from flowgen.graph import AgentNode
from flowgen.teams import DiGraphBuilder, GraphFlow
from flowgen.testing import ScriptedAgent

ONLY_USER = MessageFilterConfig(per_source=[PerSourceFilter(source="user", position="first", count=1)])
LAST_OF_A = MessageFilterConfig(per_source=[PerSourceFilter(source="a", position="last", count=1)])


def _chain(b_sees: MessageFilterConfig | None) -> tuple[GraphFlow, ScriptedAgent]:
    a, b = ScriptedAgent("a", ["a1"]), ScriptedAgent("b", ["b1"])
    builder = DiGraphBuilder().add_node(a).add_node(b, sees=b_sees).add_edge(a, b)
    return GraphFlow(builder.get_participants(), builder.build()), b


async def test_a_node_with_a_filter_receives_only_what_it_keeps() -> None:
    flow, b = _chain(LAST_OF_A)
    await flow.run(task="go")
    assert [m.to_text() for m in b.received[0]] == ["a1"]


async def test_a_node_without_a_filter_receives_every_unseen_message() -> None:
    flow, b = _chain(None)
    await flow.run(task="go")
    assert [m.to_text() for m in b.received[0]] == ["go", "a1"]


async def test_the_filter_leaves_the_thread_and_the_result_whole() -> None:
    flow, _ = _chain(LAST_OF_A)
    result = await flow.run(task="go")
    assert [m.to_text() for m in result.messages] == ["go", "a1", "b1"]


async def test_the_filter_is_part_of_the_teams_graph() -> None:
    flow, _ = _chain(ONLY_USER)
    node = flow.graph.node("b")
    assert isinstance(node, AgentNode) and node.sees == ONLY_USER


async def test_in_a_loop_the_filter_applies_to_each_delivery() -> None:
    # a -> b -> a -> b -> c: b keeps only the first user message, which the second time is not new.
    a, c = ScriptedAgent("a", ["a1", "a2"]), ScriptedAgent("c", ["c1"])
    b = ScriptedAgent("b", ["b1 again", "b2 done"])
    builder = DiGraphBuilder().add_node(a).add_node(b, sees=ONLY_USER).add_node(c)
    builder.add_edge(a, b).add_edge(b, a, condition="again").add_edge(b, c, condition="done")
    flow = GraphFlow(builder.get_participants(), builder.set_entry_point(a).build(), max_turns=10)
    await flow.run(task="go")
    assert [[m.to_text() for m in turn] for turn in b.received] == [["go"], []]


async def test_a_message_filter_agent_narrows_messages_inside_a_graph_flow() -> None:
    inner = ScriptedAgent("b", ["b1"])
    a = ScriptedAgent("a", ["a1"])
    b = MessageFilterAgent(name="b", wrapped_agent=inner, filter=LAST_OF_A)
    builder = DiGraphBuilder().add_node(a).add_node(b).add_edge(a, b)
    result = await GraphFlow(builder.get_participants(), builder.build()).run(task="go")
    assert [m.to_text() for m in inner.received[0]] == ["a1"]
    assert [m.to_text() for m in result.messages] == ["go", "a1", "b1"]


async def test_a_message_filter_agent_saves_the_wrapped_agents_state() -> None:
    inner = ScriptedAgent("b", ["b1", "b2"])
    wrapper = MessageFilterAgent(name="b", wrapped_agent=inner, filter=ONLY_USER)
    assert await wrapper.save_state() == await inner.save_state()
