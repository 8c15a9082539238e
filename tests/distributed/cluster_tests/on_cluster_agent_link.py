"""An agent's own sends to an agent in another actor, on another node, over a direct link of the
sending actor's member runtime (run inside the namespace by tests/distributed).

A Clerk pinned to the head node forwards to a Ledger on the worker node; the driver only ever talks
to the Clerk, so every envelope the Ledger's actor receives came from the Clerk's actor, and its
``link_counts`` say which path they took. The module uses its own runtimes and actors, and kills
only its own Ledger actor's process.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import ray
from ledger_agents import Clerk, Forward, Forwarded, Ledger

from flowgen.core import AgentId
from flowgen.distributed import Placement, RayAgentRuntime

_HANG_GUARD_S = 60.0  # a hang fails the test instead of stalling the suite; it is not a speed check
ON_WORKER = Placement(resources={"worker_node": 0.01}, keep_state=True)

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def _runtime(name: str, head: str, *, direct: bool) -> RayAgentRuntime:
    runtime = RayAgentRuntime(
        "auto",
        name=name,
        placements={"ledger": ON_WORKER, "clerk": Placement(node_id=head)},
        direct=direct,
    )
    runtime.start()
    await Ledger.register(runtime, "ledger", Ledger)
    await Clerk.register(runtime, "clerk", Clerk)
    return runtime


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def runtime(cluster: dict[str, str]) -> AsyncIterator[RayAgentRuntime]:
    runtime = await _runtime("agentlinks", cluster["driver"], direct=True)
    yield runtime
    await runtime.close()


async def counts(actor_name: str) -> dict[str, int]:
    found: dict[str, int] = await ray.get_actor(actor_name).link_counts.remote()
    return found


async def forward(runtime: RayAgentRuntime, message: Forward) -> Forwarded:
    reply: Forwarded = await runtime.send_message(message, AgentId("clerk", "c"))
    return reply


async def test_an_agent_sends_to_an_agent_on_another_node_over_its_actors_link(
    runtime: RayAgentRuntime, cluster: dict[str, str]
) -> None:
    first = await forward(runtime, Forward("books", entry="first"))
    assert first.clerk_node == cluster["driver"]
    assert await runtime.agent_node(AgentId("ledger", "books")) == cluster["worker"]
    assert first.entries == ["first"]
    many = await asyncio.gather(*(forward(runtime, Forward(f"k{i}", entry=f"e{i}")) for i in range(10)))
    assert [reply.entries for reply in many] == [[f"e{i}"] for i in range(10)]
    # The ledger's actor heard only from the clerk's actor: eleven envelopes, one connection, no
    # Ray call (agent_node above is a state call, not a delivery).
    seen = await counts("flowgen.agentlinks.ledger.0")
    assert seen == {
        "link_envelopes": 11,
        "link_connections": 1,
        "link_refused": 0,
        "ray_envelopes": 0,
        "local_envelopes": 0,
    }


async def test_a_lost_peer_fails_the_agents_call_naming_the_agent_then_the_recreated_actor_serves(
    runtime: RayAgentRuntime,
) -> None:
    before = await forward(runtime, Forward("books", entry="second"))
    assert before.entries == ["first", "second"]
    async with asyncio.timeout(_HANG_GUARD_S):
        # Queued in one loop turn, the three reach the clerk in one frame and its three sends leave
        # for the ledger in one frame, in order: once the probe's answer is here, both stalling
        # handlers are running in the ledger's process.
        plain = asyncio.ensure_future(forward(runtime, Forward("books", "third", stall_in=before.pid)))
        retried = asyncio.ensure_future(forward(runtime, Forward("books", stall_in=before.pid)))
        probe = await forward(runtime, Forward("books"))
        assert probe.pid == before.pid and not plain.done() and not retried.done()
        os.kill(before.pid, signal.SIGKILL)
        lost = await plain
        served = await retried
        after = await forward(runtime, Forward("books", entry="fourth"))
    # At most once: the plain call failed in the clerk with the error naming the agent.
    assert lost.lost_agent == "ledger/books"
    assert "ledger/books is unavailable" in lost.lost_text
    # The idempotent read ran once more, in the recreated actor, on the last saved state.
    assert served.lost_agent == "" and served.pid not in (0, before.pid)
    assert served.entries == ["first", "second"]
    assert (after.pid, after.entries) == (served.pid, ["first", "second", "fourth"])
    # The clerk's actor linked to the recreated actor anew: both went over the new link.
    seen = await counts("flowgen.agentlinks.ledger.0")
    assert seen == {
        "link_envelopes": 2,
        "link_connections": 1,
        "link_refused": 0,
        "ray_envelopes": 0,
        "local_envelopes": 0,
    }


async def test_direct_false_makes_the_agents_send_by_ray_calls_too(cluster: dict[str, str]) -> None:
    runtime = await _runtime("agentrays", cluster["driver"], direct=False)
    try:
        replies = await asyncio.gather(*(forward(runtime, Forward(f"k{i}", entry="x")) for i in range(3)))
        assert [reply.entries for reply in replies] == [["x"]] * 3
        seen = await counts("flowgen.agentrays.ledger.0")
        assert seen == {
            "link_envelopes": 0,
            "link_connections": 0,
            "link_refused": 0,
            "ray_envelopes": 3,
            "local_envelopes": 0,
        }
    finally:
        await runtime.close()
