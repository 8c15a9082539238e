"""Agents' state kept outside the cluster outlives their actors and the runtime itself.

Run inside the cluster's namespace by tests/distributed. The Postgres server is a throwaway one
started here inside the namespace (the worker node reaches it on the namespace's loopback); the
SQLite file sits on a path both nodes of this machine share.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from cluster_agents import Note, Probe, Recall, Where
from ray.experimental.internal_kv import _internal_kv_list

from flowgen.core import AgentId, TopicId, TypeSubscription
from flowgen.distributed import Placement, RayAgentRuntime
from flowgen.distributed.agent_state_store import AgentStates, open_agent_state_store
from flowgen.errors import AgentUnavailableError
from flowgen.testing.postgres_server import PostgresServer

_HANG_GUARD_S = 60.0  # a hang fails the test instead of stalling the suite; it is not a speed check

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    with PostgresServer() as server:
        yield server.url


@pytest.fixture(params=["postgres", "sqlite"])
def state_store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres"))
    return str(tmp_path / "agent-states.db")


@pytest_asyncio.fixture(loop_scope="module")
async def started() -> AsyncIterator[list[RayAgentRuntime]]:
    """The runtimes a test starts; whatever is left running at its end is closed."""
    runtimes: list[RayAgentRuntime] = []
    yield runtimes
    for runtime in runtimes:
        await runtime.close()


async def start(runtimes: list[RayAgentRuntime], name: str, state_store: str) -> RayAgentRuntime:
    runtime = RayAgentRuntime(
        "auto",
        name=name,
        state_store=state_store,
        placements={"ledger": Placement(resources={"worker_node": 0.01}, keep_state=True)},
    )
    runtime.start()
    runtimes.append(runtime)
    await Probe.register(runtime, "ledger", Probe)
    await runtime.add_subscription(TypeSubscription("ledger-news", "ledger"))
    return runtime


async def recall_after_loss(runtime: RayAgentRuntime, agent: AgentId) -> list[str]:
    async with asyncio.timeout(_HANG_GUARD_S):
        while True:
            try:
                notes: list[str] = await runtime.send_message(Recall(), agent)
                return notes
            except AgentUnavailableError:
                continue  # the call raced the actor's loss; the next one reaches the new actor


async def test_state_in_an_outside_store_outlives_the_actor_and_the_runtime(
    cluster: dict[str, str], state_store: str, started: list[RayAgentRuntime]
) -> None:
    name = f"kept-{'pg' if state_store.startswith('postgresql') else 'lite'}"
    alice, bob = AgentId("ledger", "alice"), AgentId("ledger", "bob")
    first = await start(started, name, state_store)
    await first.send_message(Note("one"), alice)
    await first.publish_message(Note("two"), TopicId("ledger-news", "alice"))
    await first.send_message(Note("b1"), bob)
    await first.wait_until_idle()

    # The actor's process is killed: Ray recreates it and its agents load from the outside store.
    before = await first.send_message(Where("before"), alice)
    assert before.node_id == cluster["worker"]
    os.kill(before.pid, signal.SIGKILL)
    assert await recall_after_loss(first, alice) == ["one", "two"]
    assert (await first.send_message(Where("after"), alice)).pid != before.pid
    await first.send_message(Note("three"), alice)

    # The runtime stops for good (its actors end) and a new one of the same name starts later.
    await first.close()
    started.remove(first)
    assert not [k for k in _internal_kv_list(b"flowgen.state.") if name.encode() in k]  # not in Ray's store
    second = await start(started, name, state_store)
    assert await second.send_message(Recall(), alice) == ["one", "two", "three"]
    assert await second.send_message(Recall(), bob) == ["b1"]
    assert (await second.send_message(Where("new"), alice)).pid != before.pid

    # What the store holds is what a reader of it sees, under the runtime's name.
    states = AgentStates(open_agent_state_store(state_store), name)
    assert await states.load(str(alice)) == {"notes": ["one", "two", "three"]}
    await states.aclose()

    # Forgotten, a runtime of that name starts its agents afresh.
    await second.forget_saved_states()
    await second.close()
    started.remove(second)
    third = await start(started, name, state_store)
    assert await third.send_message(Recall(), alice) == []
    await third.forget_saved_states()
