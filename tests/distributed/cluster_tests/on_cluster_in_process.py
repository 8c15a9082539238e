"""An agent's send to an agent hosted by its own actor: handled in process, with no link or Ray call
(run inside the namespace by tests/distributed).

Two peers of one type (one shard: one actor) send to each other; the driver only ever talks to the
first, over its link. The actor's ``link_counts`` say which path each envelope took: the partner's
envelopes are counted as local, and no second link connection (a loopback to itself) is made.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import ray
from cluster_agents import QuotaExceeded
from pair_agents import Exclaim, Pass, Passed, Peer

from flowgen.core import AgentId
from flowgen.distributed import Placement, RayAgentRuntime

pytestmark = pytest.mark.asyncio(loop_scope="module")
ACTOR = "flowgen.inprocess.peer.0"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def runtime(cluster: dict[str, str]) -> AsyncIterator[RayAgentRuntime]:
    runtime = RayAgentRuntime(
        "auto",
        name="inprocess",
        placements={"peer": Placement(resources={"worker_node": 0.01})},
        intervention_handlers=[Exclaim()],
        record_deliveries=True,
    )
    runtime.start()
    runtime.add_exception_type(QuotaExceeded)
    await Peer.register(runtime, "peer", Peer)
    yield runtime
    await runtime.close()


async def passed(runtime: RayAgentRuntime, ask: str) -> Passed:
    reply: Passed = await runtime.send_message(Pass("b", ask), AgentId("peer", "a"))
    return reply


async def counts() -> dict[str, int]:
    found: dict[str, int] = await ray.get_actor(ACTOR).link_counts.remote()
    return found


async def test_a_send_to_an_agent_of_the_same_actor_goes_straight_to_its_handler(
    runtime: RayAgentRuntime,
) -> None:
    reply = await passed(runtime, "echo hello")
    # The reply is right, went through the member runtime's intervention chain (the "!"), and the
    # partner got a copy decoded from JSON, as from any other actor.
    assert (reply.text, reply.error_type) == ("echo hello!", "")
    assert reply.partner_pid == reply.pid and not reply.same_object
    # One envelope from the driver over its link; the partner's came in process: no loopback
    # connection, no Ray call.
    assert await counts() == {
        "link_envelopes": 1,
        "link_connections": 1,
        "link_refused": 0,
        "ray_envelopes": 0,
        "local_envelopes": 1,
    }
    # The delivery log of the actor's member runtime recorded the in-process send.
    log = await runtime.collect_deliveries()
    sends = [(d.sender, d.recipient, d.message_type) for d in log if d.kind == "send"]
    assert (AgentId("peer", "a"), AgentId("peer", "b"), "Ask") in sends


async def test_failures_in_process_keep_their_types_as_across_actors(runtime: RayAgentRuntime) -> None:
    lookup = await passed(runtime, "lookup")
    assert (lookup.error_type, lookup.remote_type) == ("LookupError", "")
    assert "no such entry" in lookup.error_text
    quota = await passed(runtime, "quota")  # registered with the driver: rebuilt as itself
    assert quota.error_type == "QuotaExceeded" and "7 calls over the quota" in quota.error_text
    unknown = await passed(runtime, "unregistered")  # as from another actor: by name only
    assert (unknown.error_type, unknown.remote_type) == (
        "RemoteAgentError",
        "cluster_agents.UnregisteredProblem",
    )
    seen = await counts()
    assert (seen["link_connections"], seen["ray_envelopes"], seen["local_envelopes"]) == (1, 0, 4)


async def test_a_cancelled_send_in_process_stops_the_partners_handler(runtime: RayAgentRuntime) -> None:
    held = await passed(runtime, "hold")
    assert held.error_type == "CancelledError"
    assert held.seen == ["holding", "cancelled"]
    seen = await counts()
    assert (seen["link_connections"], seen["ray_envelopes"], seen["local_envelopes"]) == (1, 0, 6)
