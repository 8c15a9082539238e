"""Properties of teams: round-robin order, save/load at any turn, lossless state, cancellation anywhere."""

from __future__ import annotations

import asyncio
import json

from hypothesis import event, given
from hypothesis import strategies as st

from flowgen.agents import AssistantAgent
from flowgen.base import TaskResult
from flowgen.conditions import TextMentionTermination
from flowgen.core import CancellationToken
from flowgen.messages import BaseChatMessage
from flowgen.teams import RoundRobinGroupChat
from flowgen.testing.agent import ScriptedAgent
from flowgen.testing.models import ScriptedModels
from flowgen.testing.strategies import participant_names, reply_scripts

Transcript = list[tuple[str, str, str]]


def transcript(result: TaskResult) -> Transcript:
    return [(type(m).__name__, m.source, m.to_text()) for m in result.messages]


def scripted_ring(
    names: list[str], turns: int, *, thoughts: bool = False, script_length: int | None = None
) -> RoundRobinGroupChat:
    per_agent = (script_length or turns) // len(names) + 1
    agents = [ScriptedAgent(n, [f"{n} says {i}" for i in range(per_agent)], thoughts=thoughts) for n in names]
    return RoundRobinGroupChat(agents, max_turns=turns)


@given(participant_names(max_size=6), st.integers(1, 7), st.integers(1, 3))
async def test_round_robin_speaks_in_cycle_order_across_runs(names: list[str], turns: int, runs: int) -> None:
    team = scripted_ring(names, turns, script_length=turns * runs)
    speakers: list[str] = []
    for i in range(runs):  # each later run continues the rotation where the previous one stopped
        result = await team.run(task="go" if i == 0 else None)
        speakers += [
            m.source for m in result.messages if isinstance(m, BaseChatMessage) and m.source != "user"
        ]
    assert speakers == [names[i % len(names)] for i in range(turns * runs)]


def assistant_ring(models: ScriptedModels, names: list[str], max_turns: int) -> RoundRobinGroupChat:
    agents = [AssistantAgent(n, models.client()) for n in names]
    return RoundRobinGroupChat(agents, TextMentionTermination("TERMINATE"), max_turns=max_turns)


@given(participant_names(max_size=4), reply_scripts(), st.integers(2, 9), st.data())
async def test_a_run_interrupted_by_save_and_load_says_the_same(
    names: list[str], replies: list[str], total: int, data: st.DataObject
) -> None:
    models = ScriptedModels(replies)
    split = data.draw(st.integers(1, total - 1), label="split")
    whole = await assistant_ring(models, names, total).run(task="Begin.")
    interrupted = assistant_ring(models, names, split)
    first = await interrupted.run(task="Begin.")
    event("stopped by TERMINATE before the split" if "TERMINATE" in (first.stop_reason or "") else "split")
    if first.stop_reason and "TERMINATE" in first.stop_reason:
        assert transcript(first) == transcript(whole)
        return
    state = json.loads(json.dumps(await interrupted.save_state()))
    resumed = assistant_ring(models, names, total - split)
    await resumed.load_state(state)
    rest = await resumed.run()
    assert transcript(first) + transcript(rest) == transcript(whole)
    assert ("TERMINATE" in (rest.stop_reason or "")) == ("TERMINATE" in (whole.stop_reason or ""))


@given(participant_names(max_size=4), reply_scripts(), st.integers(1, 6))
async def test_team_state_json_round_trip_is_lossless(
    names: list[str], replies: list[str], turns: int
) -> None:
    models = ScriptedModels(replies)
    team = assistant_ring(models, names, turns)
    await team.run(task="Begin.")
    state = await team.save_state()
    fresh = assistant_ring(models, names, turns)
    await fresh.load_state(json.loads(json.dumps(state)))
    assert json.loads(json.dumps(await fresh.save_state())) == json.loads(json.dumps(state))


@given(participant_names(max_size=4), st.integers(1, 6), st.data())
async def test_cancelling_anywhere_leaves_no_task_and_the_team_runs_again(
    names: list[str], turns: int, data: st.DataObject
) -> None:
    expected = [item async for item in scripted_ring(names, turns, thoughts=True).run_stream(task="go")]
    cancel_after = data.draw(st.integers(1, len(expected)), label="items before the cancel")
    team = scripted_ring(names, turns, thoughts=True)
    token = CancellationToken()
    seen = 0
    try:
        async for _ in team.run_stream(task="go", cancellation_token=token):
            seen += 1
            if seen == cancel_after:
                token.cancel()
        event("finished: cancelled after the result")
    except asyncio.CancelledError:
        event("cancelled mid-run")
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []
    await team.reset()
    again = await team.run(task="go")
    assert isinstance(expected[-1], TaskResult)
    assert transcript(again) == transcript(expected[-1])
