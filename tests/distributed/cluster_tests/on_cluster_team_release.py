"""Teams made one after another on one RayAgentRuntime: what each costs and what stays behind
(run inside the namespace by tests/distributed).

A long-lived runtime (a server making a team per request) must not grow with the number of teams it
has run: each team's participants are released in their actors once the team is gone, recipes are
shared by equal teams and few unused ones are kept, and a new team sends no directory to the actors.
The counts are the runtime's (``hosting_counts``) and each actor's (``holding``); no timings.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import ray

from flowgen.agents import AssistantAgent
from flowgen.distributed import Placement, RayAgentRuntime
from flowgen.distributed.recipes import KEPT_UNUSED
from flowgen.models import ReplayChatCompletionClient
from flowgen.teams import RoundRobinGroupChat

pytestmark = pytest.mark.asyncio(loop_scope="module")
NAMES = ("writer", "critic")
IN_A_ROW = 12  # equal teams, one after another
DISTINCT = KEPT_UNUSED + 8  # teams each configured otherwise: more than the unused recipes kept
PER_TEAM = ("directory_updates", "directory_bytes_sent", "recipes_stored", "recipe_bytes_stored",
            "release_calls", "participants_released")  # fmt: skip


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def runtime(cluster: dict[str, str]) -> AsyncIterator[RayAgentRuntime]:
    worker = Placement(resources={"worker_node": 0.01})
    runtime = RayAgentRuntime("auto", name="released", placements=dict.fromkeys(NAMES, worker))
    runtime.start()
    yield runtime
    await runtime.close()


def _team(runtime: RayAgentRuntime, style: str) -> RoundRobinGroupChat:
    agents = [
        AssistantAgent(
            name, ReplayChatCompletionClient([f"{name} {i}" for i in range(4)]), system_message=style
        )
        for name in NAMES
    ]
    return RoundRobinGroupChat(agents, max_turns=2, runtime=runtime)


async def _run_and_drop(runtime: RayAgentRuntime, style: str) -> dict[str, int]:
    """Run a new team once and let it go; what the runtime sent and stored for it."""
    before = runtime.hosting_counts()
    result = await _team(runtime, style).run(task="go")
    assert [m.to_text() for m in result.messages] == ["go", "writer 0", "critic 0"]
    await runtime.release_unused()
    after = runtime.hosting_counts()
    return {name: after.get(name, 0) - before.get(name, 0) for name in PER_TEAM}


async def _holding() -> dict[str, dict[str, int]]:
    return {name: await ray.get_actor(f"flowgen.released.{name}.0").holding.remote() for name in NAMES}


async def test_equal_teams_in_a_row_cost_the_same_and_leave_nothing_behind(runtime: RayAgentRuntime) -> None:
    first = await _run_and_drop(runtime, "be brief")
    assert first["recipes_stored"] == 2 and first["participants_released"] == 2
    held_after_first = await _holding()
    costs = [await _run_and_drop(runtime, "be brief") for _ in range(IN_A_ROW)]
    # Every later team: no directory sent, no recipe stored (the first team's are shared), one
    # release call per actor. Team 2 costs what team 13 does.
    assert costs == [dict.fromkeys(PER_TEAM, 0) | {"release_calls": 2, "participants_released": 2}] * IN_A_ROW
    counts = runtime.hosting_counts()
    assert (counts["participants"], counts["recipes"], counts["agent_types"]) == (0, 2, 2)
    held = await _holding()
    for name in NAMES:
        assert held[name]["agents"] == 0, held
        assert held[name]["updates"] == held_after_first[name]["updates"], held
        assert held[name]["directory_bytes"] == held_after_first[name]["directory_bytes"], held
        assert held[name]["recipes"] <= 2, held


async def test_distinct_teams_store_their_recipes_once_and_old_unused_ones_leave(
    runtime: RayAgentRuntime,
) -> None:
    costs = [await _run_and_drop(runtime, f"style {i:03d}") for i in range(DISTINCT)]
    # Each team stores its two recipes (the same bytes each time) and nothing else.
    assert len({tuple(cost.items()) for cost in costs}) == 1, costs
    assert costs[0]["recipes_stored"] == 2 and costs[0]["directory_updates"] == 0
    counts = runtime.hosting_counts()
    assert counts["participants"] == 0
    assert counts["recipes"] == KEPT_UNUSED  # the store holds the last few unused recipes only
    assert counts["recipes_forgotten"] == 2 + 2 * DISTINCT - KEPT_UNUSED
    held = await _holding()
    for name in NAMES:
        assert held[name]["agents"] == 0 and held[name]["recipes"] <= KEPT_UNUSED, held


async def test_a_team_still_in_use_keeps_its_participants_and_conversation(runtime: RayAgentRuntime) -> None:
    kept = _team(runtime, "be brief")
    first = await kept.run(task="go")
    for i in range(3):  # other teams come and go meanwhile
        await _run_and_drop(runtime, f"other {i}")
    assert runtime.hosting_counts()["participants"] == 2
    assert [held["agents"] for held in (await _holding()).values()] == [1, 1]
    again = await kept.run(task="more")  # continues: the writer's model gives its next reply
    assert [m.to_text() for m in first.messages + again.messages] == [
        "go", "writer 0", "critic 0", "more", "writer 1", "critic 1",
    ]  # fmt: skip
    # Gone: the release starts by itself in the loop turn after the collection (no call needed).
    del kept, first, again
    gc.collect()
    await asyncio.sleep(0)  # one turn of the loop: the finalizers' scheduled release starts
    releasing = runtime.participant_leases()._releasing
    assert releasing is not None
    await releasing
    assert runtime.hosting_counts()["participants"] == 0
    assert [held["agents"] for held in (await _holding()).values()] == [0, 0]
