"""How envelopes travel: one publish to many agents of one actor, a send alone in its batch
(run inside the cluster's namespace)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from delivery_agents import Bulletin, Hold, Reader, Received, ToAgent

from flowgen.core import AgentId, CancellationToken, TopicId
from flowgen.distributed import Placement, RayAgentRuntime

_HANG_GUARD_S = 60.0  # a hang fails the test instead of stalling the suite; it is not a speed check

pytestmark = pytest.mark.asyncio(loop_scope="module")

FAST = [f"fast{i}" for i in range(6)]
SLOW = ["slow0", "slow1"]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def runtime() -> AsyncIterator[RayAgentRuntime]:
    runtime = RayAgentRuntime("auto", placements={"reader": Placement(resources={"worker_node": 0.01})})
    runtime.start()
    await Reader.register(runtime, "reader", Reader)
    for key in [*FAST, *SLOW, "bad"]:
        await runtime.add_subscription(ToAgent("bulk", AgentId("reader", key)))
    yield runtime
    await runtime.close()


async def test_one_publish_reaches_every_agent_of_the_actor_once(
    runtime: RayAgentRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="flowgen.distributed.runtime"):
        async with asyncio.timeout(_HANG_GUARD_S):
            for text in ("one", "two", "three"):
                await runtime.publish_message(Bulletin(text), TopicId("bulk", "x"))
            await runtime.wait_until_idle()
    # Fast and slow subscribers alike, each message once and in publish order per agent.
    for key in [*FAST, *SLOW]:
        assert await runtime.send_message(Received(), AgentId("reader", key)) == ["one", "two", "three"]
    # The failing subscriber is named in the driver's log, once per message; no other agent is.
    failures = [r.getMessage() for r in caplog.records if r.name == "flowgen.distributed.runtime"]
    assert len(failures) == 3
    assert all("reader/bad" in text and "LookupError" in text for text in failures)


async def test_cancelling_a_send_alone_in_its_batch_stops_its_handler(runtime: RayAgentRuntime) -> None:
    agent = AgentId("reader", "holder")
    assert await runtime.send_message(Received(), agent) == []  # the agent exists
    token = CancellationToken()
    async with asyncio.timeout(_HANG_GUARD_S):
        in_flight = asyncio.ensure_future(runtime.send_message(Hold(), agent, cancellation_token=token))
        # Two turns of the loop (asyncio runs callbacks in order): the send queues its envelope, then
        # the outbox sends it alone, as a plain call, before the first poll below is queued.
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        while await runtime.send_message(Received(), agent) != ["holding"]:
            pass  # the held handler has not started yet in the actor
        token.cancel()
        with pytest.raises(asyncio.CancelledError):
            await in_flight
    # send_message raised only once the remote handler had stopped.
    assert await runtime.send_message(Received(), agent) == ["holding", "released"]
