"""load_state is all-or-nothing: a bad state raises StateError naming the field, and changes nothing."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from flowgen.agents import AssistantAgent
from flowgen.errors import StateError
from flowgen.models import ReplayChatCompletionClient
from flowgen.teams import RoundRobinGroupChat, SelectorGroupChat
from flowgen.testing import ScriptedAgent


def pair() -> RoundRobinGroupChat:
    return RoundRobinGroupChat(
        [AssistantAgent("a", ReplayChatCompletionClient(["a1", "a2"])), ScriptedAgent("b", ["b1", "b2"])],
        max_turns=4,
    )


async def saved_pair() -> dict[str, Any]:
    team = pair()
    await team.run(task="go")
    return copy.deepcopy(dict(await team.save_state()))


async def snapshot(team: RoundRobinGroupChat) -> dict[str, Any]:
    return copy.deepcopy(dict(await team.save_state()))


async def loaded_once() -> RoundRobinGroupChat:
    """A team holding a real conversation, to see that a refused state leaves it untouched."""
    team = pair()
    await team.run(task="first")
    return team


def edit(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def apply(state: dict[str, Any]) -> dict[str, Any]:
        change(state)
        return state

    return apply


BAD_STATES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    (
        "unknown message type",
        lambda s: s["run_state"]["thread"][1].update(type="MysteryMessage"),
        r"run_state\.thread\[1\]",
    ),
    ("frontier names no node", lambda s: s["run_state"].update(frontier=["zed"]), r"run_state\.frontier"),
    (
        "cursor past the thread",
        lambda s: s["run_state"]["cursors"].update(a=99),
        r"run_state\.cursors\['a'\]",
    ),
    ("cursor of no node", lambda s: s["run_state"]["cursors"].update(zed=0), r"run_state\.cursors"),
    ("span past the thread", lambda s: s["run_state"]["spans"].update(a=[0, 99]), r"run_state\.spans\['a'\]"),
    ("negative turn", lambda s: s["run_state"].update(turn=-1), r"run_state\.turn"),
    ("negative visits", lambda s: s["run_state"]["visits"].update(a=-2), r"run_state\.visits\['a'\]"),
    ("turn of the wrong type", lambda s: s["run_state"].update(turn="many"), r"run_state\.turn"),
    ("future format version", lambda s: s["run_state"].update(version=99), r"run_state\.version"),
    ("another team type", lambda s: s["run_state"].update(team="Swarm"), r"run_state\.team"),
    (
        "pending join of no edge",
        lambda s: s["run_state"].update(pending={"a": {"g": [42]}}),
        r"run_state\.pending",
    ),
    ("unshown message past the thread", lambda s: s["run_state"].update(unshown=[99]), r"run_state\.unshown"),
    (
        "stop of an unknown kind",
        lambda s: s["run_state"].update(stopping=["why", "bored", None]),
        r"run_state\.stopping",
    ),
    ("missing participant", lambda s: s["agent_states"].pop("b"), r"agent_states"),
    ("extra participant", lambda s: s["agent_states"].update(c={"type": "BaseState"}), r"agent_states"),
    (
        "participant state unreadable",
        lambda s: s["agent_states"].update(b={"position": "x"}),
        r"agent_states\['b'\]",
    ),
    ("agent_states not a mapping", lambda s: s.update(agent_states=[1, 2]), r"agent_states"),
    ("run_state not a mapping", lambda s: s.update(run_state="nope"), r"run_state"),
    ("not a team state", lambda s: s.update(type="AssistantAgentState"), r"type"),
    ("future team state version", lambda s: s.update(version="9.0.0"), r"version"),
]


@pytest.mark.parametrize(
    ("change", "field"), [(c, f) for _, c, f in BAD_STATES], ids=[n for n, _, _ in BAD_STATES]
)
async def test_a_bad_state_is_refused_naming_its_field_and_changes_nothing(
    change: Callable[[dict[str, Any]], None], field: str
) -> None:
    state = await saved_pair()
    change(state)
    team = await loaded_once()
    before = await snapshot(team)
    with pytest.raises(StateError, match=field):
        await team.load_state(state)
    assert await snapshot(team) == before


async def test_a_participant_refusing_its_state_puts_the_others_back() -> None:
    state = await saved_pair()
    state["agent_states"]["b"] = {"position": "not a number"}
    team = await loaded_once()
    assistant = team.participants[0]
    assert isinstance(assistant, AssistantAgent)
    context = [m.model_dump() for m in await assistant.model_context.get_messages()]
    with pytest.raises(StateError, match=r"agent_states\['b'\]"):
        await team.load_state(state)
    assert [m.model_dump() for m in await assistant.model_context.get_messages()] == context


async def test_loading_none_is_refused() -> None:
    with pytest.raises(StateError, match="mapping save_state returned"):
        await pair().load_state(None)  # type: ignore[arg-type]


async def test_a_selector_state_is_refused_by_a_round_robin() -> None:
    members = [ScriptedAgent("a", ["a1"]), ScriptedAgent("b", ["b1"])]
    selector = SelectorGroupChat(members, ReplayChatCompletionClient(["a"]), max_turns=1)
    await selector.run(task="go")
    state = dict(await selector.save_state())
    robin = RoundRobinGroupChat([ScriptedAgent("a", ["a1"]), ScriptedAgent("b", ["b1"])], max_turns=1)
    with pytest.raises(StateError, match=r"run_state\.team.*SelectorGroupChat"):
        await robin.load_state(state)
    # A state saved before the team type was recorded is still caught, by its selector policy.
    del state["run_state"]["team"]
    with pytest.raises(StateError, match=r"run_state\.(policies|frontier)"):
        await robin.load_state(state)


async def test_a_good_state_still_loads() -> None:
    state = await saved_pair()
    team = pair()
    await team.load_state(state)
    assert await snapshot(team) == state


async def test_a_frontier_on_an_end_node_is_refused() -> None:
    from flowgen.teams import DiGraphBuilder, GraphFlow

    def flow() -> GraphFlow:
        a, b = ScriptedAgent("a", ["a1"]), ScriptedAgent("b", ["b1"])
        builder = DiGraphBuilder()
        builder.add_node(a).add_node(b).add_edge(a, b)
        return GraphFlow([a, b], graph=builder.build())

    team = flow()
    await team.run(task="go")
    state = dict(await team.save_state())
    ends = [n.name for n in team.graph.nodes if type(n).__name__ == "EndNode"]
    assert ends  # a GraphFlow's graph ends in an end node
    state["run_state"]["frontier"] = ends[:1]
    with pytest.raises(StateError, match=r"run_state\.frontier.*end node"):
        await flow().load_state(state)
