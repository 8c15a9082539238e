"""One publish to many agents hosted by one actor (run inside the cluster's namespace)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from fan_out_agents import Bulletin, Reader, Received, ToAgent

from flowgen.core import AgentId, TopicId
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
