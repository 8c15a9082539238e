"""What a call in flight gets when its actor is killed (run inside the namespace by tests/distributed).

At most once by default: the call fails with AgentUnavailableError naming the agent. A handler
marked ``@idempotent`` is run once more, in the actor Ray recreated, which serves the agents' last
saved state (``Placement(keep_state=True)``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import ray
from ledger_agents import Append, Entries, Ledger, Served

from flowgen.core import AgentId
from flowgen.distributed import Placement, RayAgentRuntime
from flowgen.errors import AgentUnavailableError

_HANG_GUARD_S = 60.0  # a hang fails the test instead of stalling the suite; it is not a speed check

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def runtime() -> AsyncIterator[RayAgentRuntime]:
    runtime = RayAgentRuntime(
        "auto",
        name="ledgers",
        placements={"ledger": Placement(resources={"worker_node": 0.01}, keep_state=True)},
    )
    runtime.start()
    await Ledger.register(runtime, "ledger", Ledger)
    yield runtime
    await runtime.close()


async def test_a_killed_actor_fails_plain_calls_and_retries_idempotent_ones_once(
    runtime: RayAgentRuntime,
) -> None:
    ledger = AgentId("ledger", "books")
    await runtime.send_message(Append("first"), ledger)
    before = await runtime.send_message(Append("second"), ledger)
    async with asyncio.timeout(_HANG_GUARD_S):
        # Queued in one loop turn, the three leave in one batch: once the probe's answer is here,
        # both stalling handlers are running in the actor's process.
        plain = asyncio.ensure_future(runtime.send_message(Append("third", stall_in=before.pid), ledger))
        retried = asyncio.ensure_future(runtime.send_message(Entries(stall_in=before.pid), ledger))
        probe = await runtime.send_message(Entries(), ledger)
        assert probe.pid == before.pid and not plain.done() and not retried.done()
        ray.kill(ray.get_actor("flowgen.ledgers.ledger.0"), no_restart=False)
        with pytest.raises(AgentUnavailableError, match="ledger/books") as lost:
            await plain
        served = await retried
    assert lost.value.agent == "ledger/books"
    # The idempotent read ran again in the recreated actor, on the agent's last saved state.
    assert isinstance(served, Served)
    assert served.pid != before.pid
    assert served.entries == ["first", "second"]
    after = await runtime.send_message(Append("fourth"), ledger)
    assert (after.pid, after.entries) == (served.pid, ["first", "second", "fourth"])


async def test_an_idempotent_call_fails_clearly_when_its_actor_cannot_come_back(
    runtime: RayAgentRuntime,
) -> None:
    await runtime.register_factory(
        "last_ledger",
        Ledger,
        expected_class=Ledger,
        placement=Placement(resources={"worker_node": 0.01}, max_restarts=0, retry_timeout=20.0),
    )
    ledger = AgentId("last_ledger", "books")
    before = await runtime.send_message(Entries(), ledger)
    async with asyncio.timeout(_HANG_GUARD_S):
        retried = asyncio.ensure_future(runtime.send_message(Entries(stall_in=before.pid), ledger))
        assert (await runtime.send_message(Entries(), ledger)).pid == before.pid
        ray.kill(ray.get_actor("flowgen.ledgers.last_ledger.0"), no_restart=False)
        with pytest.raises(AgentUnavailableError, match="last_ledger/books") as lost:
            await retried
    assert "will not recreate it" in str(lost.value)
