"""RoundRobinGroupChat on the shared shell: order, turns, resuming, reset, state, errors."""

from __future__ import annotations

import asyncio

import pytest

from flowgen.conditions import MaxMessageTermination, TextMentionTermination
from flowgen.core import CancellationToken
from flowgen.errors import ConfigurationError, GraphValidationError, ReplayExhaustedError, TeamRunningError
from flowgen.messages import SelectSpeakerEvent, TextMessage
from flowgen.teams import RoundRobinGroupChat
from flowgen.testing import ScriptedAgent


def _agents(turns: int = 4) -> list[ScriptedAgent]:
    return [ScriptedAgent(n, [f"{n}{i}" for i in range(1, turns + 1)]) for n in ("a", "b", "c")]


def _said(messages: object) -> list[str]:
    return [m.to_text() for m in messages]  # type: ignore[attr-defined]


async def test_participants_speak_in_ring_order() -> None:
    team = RoundRobinGroupChat(_agents(), max_turns=7)
    result = await team.run(task="go")
    assert _said(result.messages) == ["go", "a1", "b1", "c1", "a2", "b2", "c2", "a3"]


async def test_max_turns_stops_with_autogen_reason() -> None:
    team = RoundRobinGroupChat(_agents(), max_turns=2)
    result = await team.run(task="go")
    assert len(result.messages) == 3
    assert result.stop_reason == "Maximum number of turns 2 reached."


async def test_termination_condition_stops_the_run() -> None:
    agents = [ScriptedAgent("a", ["x", "DONE"]), ScriptedAgent("b", ["y"])]
    team = RoundRobinGroupChat(agents, termination_condition=TextMentionTermination("DONE"))
    result = await team.run(task="go")
    assert _said(result.messages) == ["go", "x", "y", "DONE"]
    assert result.stop_reason == "Text 'DONE' mentioned"


async def test_termination_sees_the_task_messages() -> None:
    team = RoundRobinGroupChat(_agents(), termination_condition=TextMentionTermination("DONE"))
    result = await team.run(task="DONE already")
    assert _said(result.messages) == ["DONE already"]


async def test_run_without_task_continues_with_the_next_speaker() -> None:
    team = RoundRobinGroupChat(_agents(), max_turns=2)
    await team.run(task="go")
    result = await team.run()
    assert _said(result.messages) == ["c1", "a2"]


async def test_continuing_run_delivers_only_unseen_messages() -> None:
    agents = _agents()
    team = RoundRobinGroupChat(agents, max_turns=2)
    await team.run(task="go")
    await team.run(task="more")
    # c last saw nothing; it now receives the task, a1, b1 and the new task at once.
    assert _said(agents[2].received[0]) == ["go", "a1", "b1", "more"]
    # a receives what was said after its own turn.
    assert _said(agents[0].received[1]) == ["b1", "more", "c1"]


async def test_agents_receive_only_messages_since_their_last_turn() -> None:
    agents = _agents()
    team = RoundRobinGroupChat(agents, max_turns=5)
    await team.run(task="go")
    assert [_said(r) for r in agents[0].received] == [["go"], ["b1", "c1"]]
    assert [_said(r) for r in agents[1].received] == [["go", "a1"], ["c1", "a2"]]


async def test_termination_and_turn_count_reset_after_a_stop() -> None:
    team = RoundRobinGroupChat(_agents(), termination_condition=MaxMessageTermination(3), max_turns=5)
    first = await team.run(task="go")
    second = await team.run()
    assert _said(first.messages) == ["go", "a1", "b1"]
    assert _said(second.messages) == ["c1", "a2", "b2"]


async def test_reset_starts_from_the_first_participant_with_an_empty_thread() -> None:
    agents = _agents()
    team = RoundRobinGroupChat(agents, max_turns=2)
    await team.run(task="go")
    await team.reset()
    result = await team.run(task="again")
    assert _said(result.messages) == ["again", "a1", "b1"]
    assert _said(agents[1].received[0]) == ["again", "a1"]


async def test_saved_state_continues_exactly_in_a_fresh_team() -> None:
    straight = RoundRobinGroupChat(_agents(), max_turns=5)
    expected = (await straight.run(task="go")).messages[1:]

    first = RoundRobinGroupChat(_agents(), max_turns=2)
    await first.run(task="go")
    state = await first.save_state()
    fresh_agents = _agents()
    second = RoundRobinGroupChat(fresh_agents, max_turns=3)
    await second.load_state(state)
    result = await second.run()

    assert _said(result.messages) == _said(expected[2:])
    assert _said(fresh_agents[2].received[0]) == ["go", "a1", "b1"]


async def test_emit_team_events_announces_each_speaker() -> None:
    team = RoundRobinGroupChat(_agents(), max_turns=2, emit_team_events=True)
    items = [m async for m in team.run_stream(task="go")]
    kinds = [(type(m).__name__, getattr(m, "content", None)) for m in items[:-1]]
    assert kinds == [
        ("TextMessage", "go"),
        ("SelectSpeakerEvent", ["a"]),
        ("TextMessage", "a1"),
        ("SelectSpeakerEvent", ["b"]),
        ("TextMessage", "b1"),
    ]
    select = items[-1].messages[1]  # type: ignore[union-attr]
    assert isinstance(select, SelectSpeakerEvent)
    assert select.source == "RoundRobinGroupChatManager"


async def test_output_task_messages_false_leaves_the_task_out() -> None:
    team = RoundRobinGroupChat(_agents(), max_turns=1)
    result = await team.run(task="go", output_task_messages=False)
    assert _said(result.messages) == ["a1"]


async def test_task_may_be_a_list_of_messages() -> None:
    team = RoundRobinGroupChat(_agents(), max_turns=1)
    task = [TextMessage(content="one", source="user"), TextMessage(content="two", source="user")]
    result = await team.run(task=task)
    assert _said(result.messages) == ["one", "two", "a1"]


async def test_inner_events_stream_before_the_chat_message() -> None:
    team = RoundRobinGroupChat([ScriptedAgent("a", ["hi"], thoughts=True)], max_turns=1)
    items = [type(m).__name__ async for m in team.run_stream(task="go")]
    assert items == ["TextMessage", "ThoughtEvent", "TextMessage", "TaskResult"]


async def test_running_twice_at_once_raises() -> None:
    gate = asyncio.Event()
    agent = ScriptedAgent("a", ["hi"], gate=gate)
    team = RoundRobinGroupChat([agent], max_turns=1)
    async with asyncio.TaskGroup() as tg:
        first = tg.create_task(team.run(task="go"))
        await agent.started.wait()
        with pytest.raises(TeamRunningError):
            await team.run(task="again")
        gate.set()
    assert first.result().stop_reason == "Maximum number of turns 1 reached."


async def test_duplicate_participant_names_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="unique"):
        RoundRobinGroupChat([ScriptedAgent("a", []), ScriptedAgent("a", [])])


async def test_no_participants_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="At least one participant"):
        RoundRobinGroupChat([])


async def test_a_ring_without_any_bound_is_refused_before_any_agent_runs() -> None:
    agents = _agents()
    team = RoundRobinGroupChat(agents)
    with pytest.raises(GraphValidationError, match="termination condition or max_turns"):
        await team.run(task="go")
    assert agents[0].received == []


async def test_failing_agent_raises_its_own_exception_with_a_note() -> None:
    agents = [ScriptedAgent("a", ["x"]), ScriptedAgent("b", [KeyError("boom")])]
    team = RoundRobinGroupChat(agents, max_turns=3)
    with pytest.raises(KeyError) as caught:
        await team.run(task="go")
    assert "raised by node 'b' at turn 2" in caught.value.__notes__


async def test_agent_past_its_script_fails_clearly() -> None:
    team = RoundRobinGroupChat([ScriptedAgent("a", ["only"])], max_turns=2)
    with pytest.raises(ReplayExhaustedError, match="script has 1 entries"):
        await team.run(task="go")


async def test_cancelling_mid_turn_leaves_no_task_and_a_usable_team() -> None:
    gate = asyncio.Event()
    a, b = ScriptedAgent("a", ["a1", "a2"]), ScriptedAgent("b", ["b1", "b2"], gate=gate)
    team = RoundRobinGroupChat([a, b], max_turns=2)
    token = CancellationToken()
    tasks_before = asyncio.all_tasks()
    run = asyncio.ensure_future(team.run(task="go", cancellation_token=token))
    await b.started.wait()
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert asyncio.all_tasks() == tasks_before
    gate.set()
    result = await team.run()
    # b's interrupted turn runs again; the turn count carries over, as AutoGen's does.
    assert _said(result.messages) == ["b1"]
    assert result.stop_reason == "Maximum number of turns 2 reached."


async def test_trace_rides_on_the_task_result() -> None:
    team = RoundRobinGroupChat(_agents(), max_turns=2)
    result = await team.run(task="go")
    assert result.trace is not None
    assert result.trace.stop_reason == "Maximum number of turns 2 reached."
    assert dict(result.trace.visits()) == {"a": 1, "b": 1}


def test_graph_is_a_ring_over_the_participants() -> None:
    team = RoundRobinGroupChat(_agents(), max_turns=1)
    assert [(e.source, e.target) for e in team.graph.edges] == [("a", "b"), ("b", "c"), ("c", "a")]
    assert team.graph.entry == ("a",)
