"""Properties of runs on a ring: resuming from saved state at any turn changes nothing."""

from __future__ import annotations

import asyncio
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from flowgen.teams import RoundRobinGroupChat
from flowgen.testing import ScriptedAgent


def _agents(count: int, turns: int) -> list[ScriptedAgent]:
    return [ScriptedAgent(f"p{i}", [f"p{i}-{t}" for t in range(turns)]) for i in range(count)]


async def _straight(count: int, turns: int) -> list[str]:
    team = RoundRobinGroupChat(_agents(count, turns), max_turns=turns)
    return [m.to_text() for m in (await team.run(task="go")).messages]


async def _split(count: int, turns: int, at: int) -> list[str]:
    first = RoundRobinGroupChat(_agents(count, turns), max_turns=at)
    head = [m.to_text() for m in (await first.run(task="go")).messages]
    second = RoundRobinGroupChat(_agents(count, turns), max_turns=turns - at)
    await second.load_state(await first.save_state())
    return head + [m.to_text() for m in (await second.run()).messages]


@given(count=st.integers(1, 4), turns=st.integers(2, 12), data=st.data())
def test_saving_and_resuming_at_any_turn_matches_an_uninterrupted_run(
    count: int, turns: int, data: st.DataObject
) -> None:
    at = data.draw(st.integers(1, turns - 1))
    assert asyncio.run(_split(count, turns, at)) == asyncio.run(_straight(count, turns))


@given(count=st.integers(2, 5), turns=st.integers(1, 15))
def test_every_message_reaches_every_other_agent_at_most_once(count: int, turns: int) -> None:
    agents = _agents(count, turns)
    asyncio.run(RoundRobinGroupChat(agents, max_turns=turns).run(task="go"))
    for agent in agents:
        seen = Counter(m.to_text() for batch in agent.received for m in batch)
        assert all(n == 1 for n in seen.values())
        assert not any(text.startswith(f"{agent.name}-") for text in seen)
