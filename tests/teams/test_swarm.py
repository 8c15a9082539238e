"""Swarm: the first participant starts, the speaker keeps the floor until a handoff, the user resumes."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from flowgen.agents import AssistantAgent
from flowgen.conditions import HandoffTermination, MaxMessageTermination, TextMentionTermination
from flowgen.core import FunctionCall
from flowgen.engine import RunTrace
from flowgen.engine.trace import EdgeTaken, RunStopped
from flowgen.errors import ConfigurationError, GraphValidationError, HandoffError
from flowgen.graph import EndNode, HandoffEdge, NextEdge, SelectEdge
from flowgen.messages import BaseChatMessage, HandoffMessage, SelectSpeakerEvent, TextMessage
from flowgen.models import CreateResult, ModelInfo, ReplayChatCompletionClient, RequestUsage
from flowgen.teams import RoundRobinGroupChat, Swarm
from flowgen.testing import ScriptedAgent

TOOLS = ModelInfo(
    vision=False, function_calling=True, json_output=False, family="unknown", structured_output=False
)


def _handoff(target: str) -> CreateResult:
    call = FunctionCall(id=f"call_{target}", name=f"transfer_to_{target}", arguments=json.dumps({}))
    return CreateResult(finish_reason="function_calls", content=[call], usage=RequestUsage(1, 1))


def _sources(messages: Sequence[object]) -> list[str]:
    return [m.source for m in messages if isinstance(m, TextMessage | HandoffMessage)]


def _to(source: str, target: str) -> HandoffMessage:
    return HandoffMessage(content=f"over to {target}", source=source, target=target)


async def test_first_participant_starts_and_keeps_the_floor_until_a_handoff() -> None:
    alice = ScriptedAgent("alice", ["thinking", _to("alice", "bob")])
    bob = ScriptedAgent("bob", ["one", "two"])
    result = await Swarm([alice, bob], max_turns=4).run(task="go")
    assert _sources(result.messages) == ["user", "alice", "alice", "bob", "bob"]


async def test_assistant_agents_hand_off_through_their_transfer_tools() -> None:
    alice = AssistantAgent(
        "alice", ReplayChatCompletionClient([_handoff("bob")], model_info=TOOLS), handoffs=["bob"]
    )
    bob = AssistantAgent("bob", ReplayChatCompletionClient(["Bob here. TERMINATE"]))
    team = Swarm([alice, bob], termination_condition=TextMentionTermination("TERMINATE"))
    result = await team.run(task="help")
    handoff = next(m for m in result.messages if isinstance(m, HandoffMessage))
    assert (handoff.source, handoff.target) == ("alice", "bob")
    assert result.messages[-1].source == "bob"
    taken = [e for e in result.trace.events if isinstance(e, EdgeTaken) and e.source == "alice"]  # type: ignore[union-attr]
    assert [(e.target, e.reason) for e in taken] == [("bob", "handoff to bob")]


async def test_handoff_to_the_user_stops_and_a_handoff_message_resumes() -> None:
    alice = AssistantAgent(
        "alice",
        ReplayChatCompletionClient([_handoff("user"), "Thanks, noted. TERMINATE"], model_info=TOOLS),
        handoffs=["user"],
    )
    bob = ScriptedAgent("bob", [])
    termination = HandoffTermination(target="user") | TextMentionTermination("TERMINATE")
    team = Swarm([alice, bob], termination_condition=termination)
    first = await team.run(task="book a flight")
    assert isinstance(first.messages[-1], HandoffMessage) and first.messages[-1].target == "user"
    assert first.stop_reason == "Handoff to user from alice detected."
    second = await team.run(task=HandoffMessage(source="user", target="alice", content="to Paris"))
    assert _sources(second.messages) == ["user", "alice"]
    assert second.messages[-1].to_text() == "Thanks, noted. TERMINATE"


async def test_resuming_with_plain_text_after_a_handoff_out_is_a_value_error() -> None:
    alice = ScriptedAgent("alice", [_to("alice", "user")])
    team = Swarm(
        [alice, ScriptedAgent("bob", [])], termination_condition=HandoffTermination("user"), max_turns=1
    )
    await team.run(task="go")
    with pytest.raises(ValueError, match="HandoffMessage addressed to a participant") as info:
        await team.run(task="here you go")
    assert isinstance(info.value, HandoffError)
    # The refused run lost nothing: resuming properly still works.
    alice.script.append("back")
    result = await team.run(task=_to("user", "alice"))
    assert _sources(result.messages)[-1] == "alice"


async def test_a_handoff_task_to_a_non_participant_is_refused() -> None:
    team = Swarm([ScriptedAgent("alice", ["x"]), ScriptedAgent("bob", [])], max_turns=1)
    with pytest.raises(HandoffError, match="'carol' is not one of the participants"):
        await team.run(task=_to("user", "carol"))


async def test_a_handoff_task_picks_the_first_speaker() -> None:
    team = Swarm([ScriptedAgent("alice", []), ScriptedAgent("bob", ["hi"])], max_turns=1)
    result = await team.run(task=_to("user", "bob"))
    assert _sources(result.messages) == ["user", "bob"]


async def test_state_saved_after_a_handoff_to_the_user_resumes_in_a_fresh_team() -> None:
    def build(script: list[object]) -> Swarm:
        alice = ScriptedAgent("alice", script)  # type: ignore[arg-type]
        bob = ScriptedAgent("bob", ["bob done"])
        return Swarm([alice, bob], termination_condition=HandoffTermination("user"), max_turns=2)

    team = build([_to("alice", "user")])
    await team.run(task="go")
    state = await team.save_state()
    fresh = build([_to("alice", "user"), _to("alice", "bob")])
    await fresh.load_state(state)
    with pytest.raises(HandoffError):
        await fresh.run(task="plain text")
    fresh_result = await fresh.run(task=_to("user", "alice"), output_task_messages=False)
    assert _sources(fresh_result.messages) == ["alice", "bob"]


async def test_after_max_turns_the_current_speaker_continues() -> None:
    alice = ScriptedAgent("alice", [_to("alice", "bob")])
    bob = ScriptedAgent("bob", ["b1", "b2", "b3"])
    team = Swarm([alice, bob], max_turns=2)
    await team.run(task="go")
    result = await team.run()
    assert _sources(result.messages) == ["bob", "bob"]


async def test_termination_by_message_count() -> None:
    alice = ScriptedAgent("alice", ["a1", "a2", "a3"])
    team = Swarm([alice, ScriptedAgent("bob", [])], termination_condition=MaxMessageTermination(3))
    result = await team.run(task="go")
    assert _sources(result.messages) == ["user", "alice", "alice"]


async def test_reset_starts_again_from_the_first_participant() -> None:
    alice = ScriptedAgent("alice", [_to("alice", "bob")])
    bob = ScriptedAgent("bob", ["b1", "b2"])
    team = Swarm([alice, bob], max_turns=2)
    await team.run(task="go")
    await team.reset()
    result = await team.run(task="again")
    assert _sources(result.messages) == ["user", "alice", "bob"]


async def test_team_events_name_each_speaker() -> None:
    alice = ScriptedAgent("alice", [_to("alice", "bob")])
    team = Swarm([alice, ScriptedAgent("bob", ["b"])], max_turns=2, emit_team_events=True)
    events = [m.content for m in (await team.run(task="go")).messages if isinstance(m, SelectSpeakerEvent)]
    assert events == [["alice"], ["bob"]]


# ----------------------------------------------------------------------------- bad input


def test_handoff_to_an_agent_that_does_not_exist_is_refused_at_construction() -> None:
    client = ReplayChatCompletionClient([], model_info=TOOLS)
    alice = AssistantAgent("alice", client, handoffs=["bob", "zed"])
    bob = AssistantAgent("bob", client, handoffs=["alice"])
    with pytest.raises(ConfigurationError, match=r"'alice' hands off to 'zed'.*HandoffTermination\('zed'\)"):
        Swarm([alice, bob], max_turns=3)


def test_handoff_out_of_the_team_is_allowed_when_a_handoff_termination_covers_it() -> None:
    client = ReplayChatCompletionClient([], model_info=TOOLS)
    alice = AssistantAgent("alice", client, handoffs=["user"])
    team = Swarm([alice], termination_condition=MaxMessageTermination(9) & HandoffTermination("user"))
    assert isinstance(team.graph.node("user"), EndNode)


def test_first_participant_must_be_able_to_hand_off() -> None:
    class TextOnly(ScriptedAgent):
        @property
        def produced_message_types(self) -> Sequence[type[BaseChatMessage]]:
            return (TextMessage,)

    with pytest.raises(ConfigurationError, match="must be able to produce handoff messages"):
        Swarm([TextOnly("alice", []), ScriptedAgent("bob", [])], max_turns=1)


def test_teams_are_not_swarm_participants() -> None:
    inner = RoundRobinGroupChat([ScriptedAgent("x", [])], max_turns=1)
    with pytest.raises(ConfigurationError, match="must be chat agents"):
        Swarm([ScriptedAgent("alice", []), inner], max_turns=1)  # type: ignore[list-item]


def test_duplicate_participant_names_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="unique"):
        Swarm([ScriptedAgent("alice", []), ScriptedAgent("alice", [])], max_turns=1)


async def test_a_swarm_without_any_stop_is_refused_before_it_runs() -> None:
    team = Swarm([ScriptedAgent("alice", ["x"]), ScriptedAgent("bob", [])])
    with pytest.raises(GraphValidationError, match="termination condition or max_turns"):
        await team.run(task="go")


def test_graph_has_handoff_edges_and_a_keep_the_floor_loop() -> None:
    client = ReplayChatCompletionClient([], model_info=TOOLS)
    alice = AssistantAgent("alice", client, handoffs=["bob", "user"])
    bob = AssistantAgent("bob", client, handoffs=["alice"])
    graph = Swarm([alice, bob], termination_condition=HandoffTermination("user")).graph
    handoffs = {(e.source, e.target, e.tool) for e in graph.edges if isinstance(e, HandoffEdge)}
    assert handoffs == {
        ("alice", "bob", "transfer_to_bob"),
        ("alice", "user", "transfer_to_user"),
        ("bob", "alice", "transfer_to_alice"),
    }
    loops = [e for e in graph.edges if isinstance(e, NextEdge)]
    assert {(e.source, e.target, e.otherwise) for e in loops} == {
        ("alice", "alice", True),
        ("bob", "bob", True),
    }
    assert graph.node("alice").handoffs == ("bob", "user")  # type: ignore[union-attr]
    assert graph.entry == ("__start__",)
    assert {(e.source, e.target) for e in graph.edges if isinstance(e, SelectEdge)} == {
        ("__start__", "alice"),
        ("__start__", "bob"),
    }


async def test_a_custom_agent_may_hand_off_to_anyone_and_out_where_a_termination_stops() -> None:
    alice = ScriptedAgent("alice", [_to("alice", "carol"), _to("alice", "user")])
    carol = ScriptedAgent("carol", [_to("carol", "alice")])
    team = Swarm([alice, ScriptedAgent("bob", []), carol], termination_condition=HandoffTermination("user"))
    assert {e.target for e in team.graph.out_edges("alice") if isinstance(e, HandoffEdge)} == {
        "bob",
        "carol",
        "user",
    }
    result = await team.run(task="go")
    assert _sources(result.messages) == ["user", "alice", "carol", "alice"]
    assert result.stop_reason == "Handoff to user from alice detected."


def test_the_start_router_name_is_reserved() -> None:
    with pytest.raises(ConfigurationError, match="reserved"):
        Swarm([ScriptedAgent("__start__", []), ScriptedAgent("bob", [])], max_turns=1)


async def test_a_handoff_to_the_user_is_recorded_as_a_handoff_stop() -> None:
    alice = ScriptedAgent("alice", [_to("alice", "user")])
    team = Swarm([alice, ScriptedAgent("bob", [])], termination_condition=HandoffTermination("user"))
    result = await team.run(task="go")
    assert result.trace is not None and result.trace.stop is not None
    assert (result.trace.stop.stop, result.trace.stop.reason) == (
        "handoff",
        "Handoff to user from alice detected.",
    )


async def test_a_termination_without_a_handoff_out_stays_a_termination_stop() -> None:
    alice = ScriptedAgent("alice", [_to("alice", "bob")])
    bob = ScriptedAgent("bob", ["done TERMINATE"])
    team = Swarm([alice, bob], termination_condition=TextMentionTermination("TERMINATE"))
    result = await team.run(task="go")
    assert result.trace is not None and result.trace.stop is not None
    assert result.trace.stop.stop == "termination"


async def test_a_handoff_resume_does_not_replay_the_last_runs_pending_edge() -> None:
    alice = ScriptedAgent("alice", ["a1", "a2"])
    bob = ScriptedAgent("bob", ["b1"])
    team = Swarm([alice, bob], max_turns=1)
    await team.run(task="go")  # alice keeps the floor: her loop edge waits for the next run
    result = await team.run(task=_to("user", "bob"))
    assert result.trace is not None
    assert [e for e in result.trace.events if isinstance(e, EdgeTaken)] == []


async def test_a_handoff_and_its_resume_merge_into_one_trace() -> None:
    alice = ScriptedAgent("alice", [_to("alice", "user"), "thanks TERMINATE"])
    termination = HandoffTermination("user") | TextMentionTermination("TERMINATE")
    team = Swarm([alice, ScriptedAgent("bob", [])], termination_condition=termination)
    first = await team.run(task="go")
    second = await team.run(task=_to("user", "alice"))
    merged = RunTrace.merge([first.trace, second.trace])
    assert merged is not None
    assert [(s.step, s.nodes) for s in merged.steps()] == [(1, ("alice",)), (2, ("alice",))]
    stops = [e.stop for e in merged.events if isinstance(e, RunStopped)]
    assert stops == ["handoff", "termination"]
    times = [e.t for e in merged.events]
    assert times == sorted(times)
