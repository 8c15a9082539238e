"""Nested teams: a team as a participant of another team and as a node of a GraphFlow."""

from __future__ import annotations

from collections.abc import Sequence

from flowgen.agents.society_of_mind import SocietyOfMindAgent
from flowgen.graph import AgentNode
from flowgen.messages import BaseChatMessage, HandoffMessage
from flowgen.models import ReplayChatCompletionClient
from flowgen.teams import DiGraphBuilder, GraphFlow, RoundRobinGroupChat, SelectorGroupChat, Swarm
from flowgen.testing import ScriptedAgent


def _chat(items: Sequence[object]) -> list[tuple[str, str]]:
    return [(m.source, m.to_text()) for m in items if isinstance(m, BaseChatMessage)]


def _inner() -> RoundRobinGroupChat:
    agents = [ScriptedAgent("drafter", ["draft"]), ScriptedAgent("checker", ["checked"])]
    return RoundRobinGroupChat(agents, max_turns=2, name="writing")


async def test_a_team_inside_a_team_streams_its_inner_messages() -> None:
    outer = RoundRobinGroupChat([_inner(), ScriptedAgent("boss", ["approved"])], max_turns=2)
    streamed = [item async for item in outer.run_stream(task="write")]
    assert _chat(streamed) == [
        ("user", "write"),
        ("drafter", "draft"),
        ("checker", "checked"),
        ("boss", "approved"),
    ]


async def test_the_outer_agent_receives_the_inner_teams_messages() -> None:
    boss = ScriptedAgent("boss", ["approved"])
    await RoundRobinGroupChat([_inner(), boss], max_turns=2).run(task="write")
    assert [m.to_text() for m in boss.received[0]] == ["write", "draft", "checked"]


def test_the_nested_team_is_a_node_with_its_own_graph() -> None:
    inner = _inner()
    outer = RoundRobinGroupChat([inner, ScriptedAgent("boss", [])], max_turns=2)
    node = outer.graph.node("writing")
    assert isinstance(node, AgentNode) and node.subgraph == inner.graph
    assert node.agent_type == "RoundRobinGroupChat"
    assert [path for path, _ in outer.graph.walk()] == ["", "writing"]


async def test_a_team_as_a_graph_flow_node() -> None:
    inner = _inner()
    boss = ScriptedAgent("boss", ["shipped"])
    builder = DiGraphBuilder().add_node(inner).add_node(boss).add_edge(inner, boss)
    flow = GraphFlow(builder.get_participants(), builder.build())
    result = await flow.run(task="write")
    assert _chat(result.messages) == [
        ("user", "write"),
        ("drafter", "draft"),
        ("checker", "checked"),
        ("boss", "shipped"),
    ]
    assert flow.graph.node("writing").subgraph == inner.graph  # type: ignore[union-attr]


async def test_a_team_chosen_by_a_selector() -> None:
    outer = SelectorGroupChat(
        [_inner(), ScriptedAgent("boss", ["ok"])],
        model_client=ReplayChatCompletionClient(["writing"]),
        max_turns=2,
    )
    result = await outer.run(task="write")
    assert [s for s, _ in _chat(result.messages)] == ["user", "drafter", "checker", "boss"]


async def test_nested_state_round_trips_through_the_outer_team() -> None:
    outer = RoundRobinGroupChat([_inner(), ScriptedAgent("boss", ["a", "b"])], max_turns=1)
    await outer.run(task="write")
    state = await outer.save_state()
    fresh = RoundRobinGroupChat([_inner(), ScriptedAgent("boss", ["a", "b"])], max_turns=1)
    await fresh.load_state(state)
    result = await fresh.run()
    assert _chat(result.messages) == [("boss", "a")]


async def test_a_society_of_mind_agent_in_a_swarm_streams_the_inner_team() -> None:
    mind = SocietyOfMindAgent("mind", _inner(), ReplayChatCompletionClient(["summary"]))
    front = ScriptedAgent("front", [HandoffMessage(content="to mind", source="front", target="mind")])
    team = Swarm([front, mind], max_turns=2)
    streamed = [item async for item in team.run_stream(task="go")]
    assert _chat(streamed)[2:] == [("drafter", "draft"), ("checker", "checked"), ("mind", "summary")]
