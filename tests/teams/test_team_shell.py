"""The shared team shell: nested teams, pause/resume, state format, cancellation by the consumer."""

from __future__ import annotations

import asyncio

import pytest

from flowgen.errors import ConfigurationError, StateError
from flowgen.graph import AgentNode
from flowgen.teams import RoundRobinGroupChat
from flowgen.testing import ScriptedAgent


def _said(messages: object) -> list[str]:
    return [m.to_text() for m in messages]  # type: ignore[attr-defined]


async def test_a_nested_team_takes_a_turn_with_all_its_messages() -> None:
    inner = RoundRobinGroupChat(
        [ScriptedAgent("x", ["x1"]), ScriptedAgent("y", ["y1"])], max_turns=2, name="inner"
    )
    a = ScriptedAgent("a", ["a1", "a2"])
    outer = RoundRobinGroupChat([a, inner], max_turns=3)
    result = await outer.run(task="go")
    assert _said(result.messages) == ["go", "a1", "x1", "y1", "a2"]
    assert _said(a.received[1]) == ["x1", "y1"]
    node = outer.graph.node(inner.name)
    assert isinstance(node, AgentNode) and node.subgraph == inner.graph


async def test_pause_and_resume_reach_every_agent() -> None:
    class Pausable(ScriptedAgent):
        paused = 0
        resumed = 0

        async def on_pause(self, cancellation_token: object) -> None:  # type: ignore[override]
            self.paused += 1

        async def on_resume(self, cancellation_token: object) -> None:  # type: ignore[override]
            self.resumed += 1

    agents = [Pausable("a", []), Pausable("b", [])]
    team = RoundRobinGroupChat(agents, max_turns=1)
    await team.pause()
    await team.resume()
    assert [(p.paused, p.resumed) for p in agents] == [(1, 1), (1, 1)]


async def test_saved_state_is_json_and_names_its_parts() -> None:
    import json

    team = RoundRobinGroupChat([ScriptedAgent("a", ["a1"])], max_turns=1)
    await team.run(task="go")
    state = await team.save_state()
    assert json.loads(json.dumps(state)) == state
    assert state["type"] == "TeamState"
    assert set(state["agent_states"]) == {"a"}
    assert state["run_state"]["frontier"] == ["a"]
    assert len(state["run_state"]["thread"]) == 2


async def test_state_for_other_participants_is_refused() -> None:
    team = RoundRobinGroupChat([ScriptedAgent("a", [])], max_turns=1)
    other = RoundRobinGroupChat([ScriptedAgent("b", [])], max_turns=1)
    with pytest.raises(StateError, match=r"\['b'\]"):
        await other.load_state(await team.save_state())


async def test_a_runtime_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ConfigurationError, match="runtime"):
        RoundRobinGroupChat([ScriptedAgent("a", [])], runtime=object())


async def test_breaking_out_of_run_stream_frees_the_team() -> None:
    team = RoundRobinGroupChat([ScriptedAgent("a", ["a1", "a2", "a3"])], max_turns=3)
    stream = team.run_stream(task="go")
    async for message in stream:
        if message.source == "a":  # type: ignore[union-attr]
            break
    await stream.aclose()
    result = await team.run()
    assert _said(result.messages) == ["a2", "a3"]


async def test_cancelling_the_task_that_consumes_the_stream_frees_the_team() -> None:
    gate = asyncio.Event()
    agent = ScriptedAgent("a", ["a1", "a2"], gate=gate)
    team = RoundRobinGroupChat([agent], max_turns=2)
    run = asyncio.ensure_future(team.run(task="go"))
    await agent.started.wait()
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    gate.set()
    result = await team.run()
    assert _said(result.messages) == ["a1", "a2"]
