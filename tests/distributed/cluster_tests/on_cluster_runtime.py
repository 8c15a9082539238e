"""RayAgentRuntime on a real two-node cluster (run inside its namespace by tests/distributed)."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from cluster_agents import Fail, Hang, Note, Place, Probe, QuotaExceeded, Recall, Relay, Relayer, Where

from flowgen.core import AgentId, CancellationToken, TopicId, TypeSubscription
from flowgen.distributed import Placement, RayAgentRuntime
from flowgen.errors import AgentUnavailableError, RemoteAgentError

_HANG_GUARD_S = 60.0  # a hang fails the test instead of stalling the suite; it is not a speed check


# One runtime (and one set of host actors) for the module: an actor costs about half a second to
# start here. The tests use their own keys and topics, and the ones that kill actors come last.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def runtime() -> AsyncIterator[RayAgentRuntime]:
    runtime = RayAgentRuntime(
        "auto",
        placements={
            "on_worker": Placement(resources={"worker_node": 0.01}),
            "on_head": Placement(resources={"head_node": 0.01}),
            "sharded": Placement(resources={"worker_node": 0.01}, shards=2),
            "relay": Placement(resources={"head_node": 0.01}),
            "durable": Placement(resources={"worker_node": 0.01}, keep_state=True),
        },
    )
    runtime.start()
    runtime.add_exception_type(QuotaExceeded)
    for name in ("on_worker", "on_head", "sharded", "durable"):
        await Probe.register(runtime, name, Probe)
    await Relayer.register(runtime, "relay", Relayer)
    yield runtime
    await runtime.close()


async def test_pinned_agent_answers_from_the_worker_node(
    runtime: RayAgentRuntime, cluster: dict[str, str]
) -> None:
    place = await runtime.send_message(Where("hello"), AgentId("on_worker", "a"))
    assert isinstance(place, Place)
    assert (place.key, place.tag) == ("a", "hello")
    assert place.node_id == cluster["worker"]
    assert place.node_id != cluster["driver"]
    assert place.pid != os.getpid()
    head = await runtime.send_message(Where("x"), AgentId("on_head", "a"))
    assert head.node_id == cluster["driver"]


async def test_many_keys_share_an_actor_and_shards_split_them(runtime: RayAgentRuntime) -> None:
    keys = [f"k{i}" for i in range(40)]
    places = await asyncio.gather(*(runtime.send_message(Where(k), AgentId("sharded", k)) for k in keys))
    assert [p.key for p in places] == keys
    assert len({p.pid for p in places}) == 2  # two shards, two actors, 40 agents
    again = await runtime.send_message(Where("again"), AgentId("sharded", "k7"))
    assert again.pid == places[7].pid  # one key always reaches the same actor


async def test_publish_fans_out_across_nodes(runtime: RayAgentRuntime, cluster: dict[str, str]) -> None:
    await runtime.add_subscription(TypeSubscription("news", "on_worker"))
    await runtime.add_subscription(TypeSubscription("news", "on_head"))
    await runtime.publish_message(Note("one"), TopicId("news", "s1"))
    await runtime.publish_message(Note("two"), TopicId("news", "s1"))
    await runtime.publish_message(Note("elsewhere"), TopicId("sports", "s1"))
    await runtime.wait_until_idle()
    for name, node in (("on_worker", cluster["worker"]), ("on_head", cluster["driver"])):
        assert await runtime.send_message(Recall(), AgentId(name, "s1")) == ["one", "two"]
        assert (await runtime.send_message(Where(""), AgentId(name, "s1"))).node_id == node
    # The sender never receives its own publish.
    await runtime.publish_message(Note("mine"), TopicId("news", "s1"), sender=AgentId("on_head", "s1"))
    await runtime.wait_until_idle()
    assert await runtime.send_message(Recall(), AgentId("on_head", "s1")) == ["one", "two"]
    assert await runtime.send_message(Recall(), AgentId("on_worker", "s1")) == ["one", "two", "mine"]


async def test_agents_in_actors_send_and_publish_to_agents_on_other_nodes(
    runtime: RayAgentRuntime, cluster: dict[str, str]
) -> None:
    await runtime.add_subscription(TypeSubscription("news", "on_worker"))
    # The relay agent (an actor on the head node) asks an agent on the worker node, and publishes.
    place = await runtime.send_message(Relay("on_worker", "r1", "from relay"), AgentId("relay", "r1"))
    assert isinstance(place, Place)
    assert (place.node_id, place.tag, place.key) == (cluster["worker"], "relayed", "r1")
    where_relay = await runtime.send_message(Where("?"), AgentId("on_head", "r1"))
    assert where_relay.node_id == cluster["driver"]
    # The relay's publish went through its own member runtime; wait for it by asking after it.
    async with asyncio.timeout(_HANG_GUARD_S):
        while await runtime.send_message(Recall(), AgentId("on_worker", "r1")) != ["from relay"]:
            await asyncio.sleep(0.05)  # the relay's publish is queued in another process


async def test_exception_types_cross_the_wire(runtime: RayAgentRuntime) -> None:
    with pytest.raises(ValueError, match="must be positive") as builtin:
        await runtime.send_message(Fail("value"), AgentId("on_worker", "e"))
    assert any("on_worker/e" in note for note in builtin.value.__notes__)
    with pytest.raises(QuotaExceeded, match="42 calls"):
        await runtime.send_message(Fail("quota"), AgentId("on_worker", "e"))
    with pytest.raises(RemoteAgentError) as unknown:
        await runtime.send_message(Fail("other"), AgentId("on_worker", "e"))
    assert unknown.value.remote_type == "cluster_agents.UnregisteredProblem"
    assert unknown.value.agent == "on_worker/e"
    # The agent survived its handlers' failures.
    assert (await runtime.send_message(Where("ok"), AgentId("on_worker", "e"))).tag == "ok"


async def test_state_apis_reach_the_remote_agent(runtime: RayAgentRuntime) -> None:
    metadata = await runtime.agent_metadata(AgentId("on_worker", "m"))
    assert metadata == {"type": "on_worker", "key": "m", "description": "reports where it runs"}
    await runtime.send_message(Note("kept"), AgentId("on_head", "m"))
    await runtime.agent_load_state(AgentId("on_worker", "m"), {"notes": ["loaded"]})
    assert await runtime.send_message(Recall(), AgentId("on_worker", "m")) == ["loaded"]
    saved = await runtime.save_state()
    assert saved["on_worker/m"] == {"notes": ["loaded"]}
    assert saved["on_head/m"] == {"notes": ["kept"]}
    await runtime.load_state({"on_head/m": {"notes": ["restored"]}})
    assert await runtime.agent_save_state(AgentId("on_head", "m")) == {"notes": ["restored"]}


async def test_cancelling_a_send_stops_the_remote_handler(runtime: RayAgentRuntime) -> None:
    agent = AgentId("on_worker", "patient")
    token = CancellationToken()
    async with asyncio.timeout(_HANG_GUARD_S):
        in_flight = asyncio.ensure_future(runtime.send_message(Hang(3600), agent, cancellation_token=token))
        await runtime.send_message(Where("started"), agent)  # same batch: the hang is running now
        token.cancel()
        with pytest.raises(asyncio.CancelledError):
            await in_flight
    # send_message raised only after the remote handler stopped.
    assert await runtime.send_message(Recall(), agent) == ["hang cancelled"]


async def test_a_killed_actor_fails_the_call_in_flight_naming_the_agent(runtime: RayAgentRuntime) -> None:
    victim = AgentId("on_worker", "victim")
    async with asyncio.timeout(_HANG_GUARD_S):
        # Queued in one loop turn, both leave in one batch: the hang starts before the probe answers,
        # so once the probe's reply is here the hanging call is in flight in the actor's process.
        in_flight = asyncio.ensure_future(runtime.send_message(Hang(3600), victim))
        before = await runtime.send_message(Where("before"), victim)
        assert not in_flight.done()
        os.kill(before.pid, signal.SIGKILL)
        with pytest.raises(AgentUnavailableError, match="on_worker/victim") as lost:
            await in_flight
    assert lost.value.agent == "on_worker/victim"
    # Ray recreates the actor (max_restarts=1): the next call is served by a new process, state afresh.
    async with asyncio.timeout(_HANG_GUARD_S):
        while True:
            try:
                after = await runtime.send_message(Where("after"), victim)
                break
            except AgentUnavailableError:
                continue  # sent while Ray was still recreating the actor (it refuses calls until then)
    assert after.pid != before.pid
    assert await runtime.send_message(Recall(), victim) == []


async def test_a_recreated_actor_serves_agents_from_their_last_saved_state(runtime: RayAgentRuntime) -> None:
    agent = AgentId("durable", "d")
    await runtime.add_subscription(TypeSubscription("ledger", "durable"))
    await runtime.send_message(Note("first"), agent)
    await runtime.publish_message(Note("second"), TopicId("ledger", "d"))
    await runtime.wait_until_idle()
    before = await runtime.send_message(Where("before"), agent)
    os.kill(before.pid, signal.SIGKILL)
    async with asyncio.timeout(_HANG_GUARD_S):
        while True:
            try:
                notes = await runtime.send_message(Recall(), agent)
                break
            except AgentUnavailableError:
                continue  # the call raced the actor's loss; the next one reaches the new actor
    assert notes == ["first", "second"]
    assert (await runtime.send_message(Where("after"), agent)).pid != before.pid
    assert await runtime.agent_save_state(agent) == {"notes": ["first", "second"]}
