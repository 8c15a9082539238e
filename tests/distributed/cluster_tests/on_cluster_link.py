"""The direct link between the driver and the host actors (run inside the namespace by tests/distributed).

Each host actor counts the envelopes it received over its link and by Ray calls
(``AgentHost.link_counts``), so the tests see which path a message took. The module uses its own
runtimes and actors, and kills only its own actor's process.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import ray
from cluster_agents import Hang, Note, Probe, Recall, Where

from flowgen.core import AgentId, TopicId, TypeSubscription
from flowgen.distributed import Placement, RayAgentRuntime
from flowgen.distributed.frames import LENGTH, MAX_FRAME_BYTES
from flowgen.errors import AgentUnavailableError

_HANG_GUARD_S = 60.0  # a hang fails the test instead of stalling the suite; it is not a speed check
ON_WORKER = Placement(resources={"worker_node": 0.01})

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def runtime() -> AsyncIterator[RayAgentRuntime]:
    runtime = RayAgentRuntime("auto", name="linked", placements={"probe": ON_WORKER, "victim": ON_WORKER})
    runtime.start()
    await Probe.register(runtime, "probe", Probe)
    await Probe.register(runtime, "victim", Probe)
    yield runtime
    await runtime.close()


async def counts(actor_name: str) -> dict[str, int]:
    found: dict[str, int] = await ray.get_actor(actor_name).link_counts.remote()
    return found


async def test_sends_batches_and_publishes_go_over_the_link(
    runtime: RayAgentRuntime, cluster: dict[str, str]
) -> None:
    place = await runtime.send_message(Where("one"), AgentId("probe", "a"))
    assert place.node_id == cluster["worker"]
    places = await asyncio.gather(
        *(runtime.send_message(Where(f"k{i}"), AgentId("probe", f"k{i}")) for i in range(20))
    )
    assert [p.tag for p in places] == [f"k{i}" for i in range(20)]
    await runtime.add_subscription(TypeSubscription("linked_news", "probe"))
    await runtime.publish_message(Note("published"), TopicId("linked_news", "a"))
    await runtime.wait_until_idle()
    assert await runtime.send_message(Recall(), AgentId("probe", "a")) == ["published"]
    seen = await counts("flowgen.linked.probe.0")
    # 1 + 20 sends, one publish envelope, one recall: all over one link, none by a Ray call.
    assert seen == {
        "link_envelopes": 23,
        "link_connections": 1,
        "link_refused": 0,
        "ray_envelopes": 0,
        "local_envelopes": 0,
    }


async def test_a_wrong_token_and_bad_frames_are_refused_without_hurting_the_runtimes_link(
    runtime: RayAgentRuntime,
) -> None:
    await runtime.send_message(Where("up"), AgentId("probe", "t"))  # the runtime's link is open
    before = await counts("flowgen.linked.probe.0")
    host, port, token = await ray.get_actor("flowgen.linked.probe.0").open_link.remote()
    assert host == "127.0.0.1"  # the node's address as Ray reports it (loopback in this namespace)
    async with asyncio.timeout(_HANG_GUARD_S):
        for hello in (b"\0" * len(token), token + LENGTH.pack(MAX_FRAME_BYTES + 1), token + b"\0\0\0\4{}{}"):
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(hello)
            assert await reader.read() == b""  # closed by the actor
            writer.close()
    after = await counts("flowgen.linked.probe.0")
    assert after["link_refused"] == before["link_refused"] + 1
    # The runtime's own connection was untouched: the next send uses it, no new connection.
    assert (await runtime.send_message(Where("still"), AgentId("probe", "t"))).tag == "still"
    last = await counts("flowgen.linked.probe.0")
    assert last["link_envelopes"] == after["link_envelopes"] + 1
    assert last["link_connections"] == after["link_connections"] == before["link_connections"] + 2
    assert last["ray_envelopes"] == 0


async def test_a_cancelled_send_over_the_link_stops_its_handler(runtime: RayAgentRuntime) -> None:
    agent = AgentId("probe", "patient")
    async with asyncio.timeout(_HANG_GUARD_S):
        in_flight = asyncio.ensure_future(runtime.send_message(Hang(3600), agent))
        await runtime.send_message(Where("started"), agent)  # same frame: the hang is running now
        in_flight.cancel()
        with pytest.raises(asyncio.CancelledError):
            await in_flight
    assert await runtime.send_message(Recall(), agent) == ["hang cancelled"]
    assert (await counts("flowgen.linked.probe.0"))["ray_envelopes"] == 0


async def test_a_killed_host_fails_the_call_on_its_link_and_a_new_link_serves_the_next(
    runtime: RayAgentRuntime,
) -> None:
    victim = AgentId("victim", "v")
    async with asyncio.timeout(_HANG_GUARD_S):
        in_flight = asyncio.ensure_future(runtime.send_message(Hang(3600), victim))
        before = await runtime.send_message(Where("before"), victim)
        assert not in_flight.done()
        assert (await counts("flowgen.linked.victim.0"))["link_envelopes"] == 2
        os.kill(before.pid, signal.SIGKILL)
        with pytest.raises(AgentUnavailableError, match="victim/v") as lost:
            await in_flight
        assert lost.value.agent == "victim/v"
        while True:
            try:
                after = await runtime.send_message(Where("after"), victim)
                break
            except AgentUnavailableError:
                continue  # sent while Ray was still recreating the actor (it refuses calls until then)
    assert after.pid != before.pid
    # The recreated actor opened a new server with a new token; the driver linked to it anew.
    seen = await counts("flowgen.linked.victim.0")
    assert seen == {
        "link_envelopes": 1,
        "link_connections": 1,
        "link_refused": 0,
        "ray_envelopes": 0,
        "local_envelopes": 0,
    }


async def test_direct_false_sends_by_ray_calls() -> None:
    runtime = RayAgentRuntime("auto", name="unlinked", placements={"probe": ON_WORKER}, direct=False)
    runtime.start()
    try:
        await Probe.register(runtime, "probe", Probe)
        await asyncio.gather(
            *(runtime.send_message(Where(str(i)), AgentId("probe", str(i))) for i in range(5))
        )
        await runtime.add_subscription(TypeSubscription("unlinked_news", "probe"))
        await runtime.publish_message(Note("by ray"), TopicId("unlinked_news", "0"))
        await runtime.wait_until_idle()
        assert await runtime.send_message(Recall(), AgentId("probe", "0")) == ["by ray"]
        seen = await counts("flowgen.unlinked.probe.0")
        assert seen == {
            "link_envelopes": 0,
            "link_connections": 0,
            "link_refused": 0,
            "ray_envelopes": 7,
            "local_envelopes": 0,
        }
    finally:
        await runtime.close()
