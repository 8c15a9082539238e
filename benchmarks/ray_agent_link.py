"""An agent's own send to an agent in another actor on another node: over its actor's direct link,
and by Ray calls (``RayAgentRuntime(direct=False)``).

``python -m benchmarks.ray_agent_link`` starts a real two-node cluster in a loopback-only namespace
(flowgen.testing.ray_cluster). A caller agent in an actor pinned to the head node sends to an echo
agent in an actor on the worker node; the timing runs inside the caller's actor (the driver only
starts it), with the workload of benchmarks/distributed_workload.py: the round trip one send at a
time (median of 200) and pipelined sends with 100 in flight. Link and Ray-call runtimes alternate,
REPEATS times each; one JSON object with the medians (and lowest and highest) and the ratios. Wall-clock
figures on a shared 2-core machine: compare ratios, not absolutes.

``--same-actor`` (also part of the default run) times an agent's sends to another agent of its own
actor (a second key of its type, one shard), delivered in process (flowgen.distributed.in_process),
and reports the actor's ``link_counts`` to show which path they took.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
from dataclasses import dataclass
from typing import Any

from benchmarks.distributed_ray import ON_WORKER, Echo, Ping, Pong
from benchmarks.distributed_workload import pipelined_per_s, round_trip_ms
from benchmarks.on_cluster import measured_on_cluster
from flowgen.core import AgentId, MessageContext, RoutedAgent, message_handler

REPEATS = 3


@dataclass
class Drive:
    """Asks the caller to time its sends to the echo agent."""


@dataclass
class Timed:
    round_trip_ms: float
    pipelined_messages_per_s: int


class Caller(RoutedAgent):
    """Times its own sends to ``echo/a`` from inside its actor."""

    def __init__(self) -> None:
        super().__init__("times its sends to another actor")

    @message_handler
    async def on_drive(self, message: Drive, ctx: MessageContext) -> Timed:
        async def send(n: int) -> int:
            reply: Pong = await self.send_message(Ping(n), AgentId("echo", "a"))
            return reply.n

        return Timed(await round_trip_ms(send), await pipelined_per_s(send))


class Partner(RoutedAgent):
    """Answers pings, and times its own sends to ``pair/peer``: the same type, so the same actor."""

    def __init__(self) -> None:
        super().__init__("times its sends to an agent of its own actor")

    @message_handler
    async def on_ping(self, message: Ping, ctx: MessageContext) -> Pong:
        return Pong(message.n)

    @message_handler
    async def on_drive(self, message: Drive, ctx: MessageContext) -> Timed:
        async def send(n: int) -> int:
            reply: Pong = await self.send_message(Ping(n), AgentId("pair", "peer"))
            return reply.n

        return Timed(await round_trip_ms(send), await pipelined_per_s(send))


async def _same_actor() -> dict[str, Any]:
    import ray

    from flowgen.distributed import Placement, RayAgentRuntime

    head = ray.get_runtime_context().get_node_id()
    runtime = RayAgentRuntime(name="pairbench", placements={"pair": Placement(node_id=head)})
    runtime.start()
    await Partner.register(runtime, "pair", Partner, skip_direct_message_subscription=True)
    timed = [await runtime.send_message(Drive(), AgentId("pair", "caller")) for _ in range(REPEATS)]
    out: dict[str, Any] = {}
    for measure in ("round_trip_ms", "pipelined_messages_per_s"):
        values = [getattr(t, measure) for t in timed]
        out[f"same_actor_{measure}"] = statistics.median(values)
        out[f"same_actor_{measure}_range"] = [min(values), max(values)]
    out["same_actor_link_counts"] = await ray.get_actor("flowgen.pairbench.pair.0").link_counts.remote()
    await runtime.close()
    return out


async def _runtime(head: str, direct: bool) -> Any:
    from flowgen.distributed import Placement, RayAgentRuntime

    runtime = RayAgentRuntime(
        placements={"echo": Placement(resources=ON_WORKER), "caller": Placement(node_id=head)}, direct=direct
    )
    runtime.start()
    await Echo.register(runtime, "echo", Echo, skip_direct_message_subscription=True)
    await Caller.register(runtime, "caller", Caller, skip_direct_message_subscription=True)
    await runtime.send_message(Ping(0), AgentId("echo", "a"))  # both actors up before timing
    return runtime


async def _measure() -> dict[str, Any]:
    import ray

    from benchmarks.distributed_ray import _connect

    out: dict[str, Any] = {"cluster_ready_s": round(_connect(), 1), "repeats": REPEATS}
    head = ray.get_runtime_context().get_node_id()
    runtimes = {"link": await _runtime(head, True), "ray_calls": await _runtime(head, False)}
    samples: dict[str, list[Timed]] = {name: [] for name in runtimes}
    for _ in range(REPEATS):
        for name, runtime in runtimes.items():
            samples[name].append(await runtime.send_message(Drive(), AgentId("caller", "c")))
    for runtime in runtimes.values():
        await runtime.close()
    out.update(await _same_actor())
    ray.shutdown()
    for name, timed in samples.items():
        for measure in ("round_trip_ms", "pipelined_messages_per_s"):
            values = [getattr(t, measure) for t in timed]
            out[f"{name}_{measure}"] = statistics.median(values)
            out[f"{name}_{measure}_range"] = [min(values), max(values)]
    out["round_trip_ray_calls_over_link"] = round(
        out["ray_calls_round_trip_ms"] / out["link_round_trip_ms"], 2
    )
    out["pipelined_link_over_ray_calls"] = round(
        out["link_pipelined_messages_per_s"] / out["ray_calls_pipelined_messages_per_s"], 2
    )
    out["round_trip_link_over_same_actor"] = round(
        out["link_round_trip_ms"] / out["same_actor_round_trip_ms"], 2
    )
    return out


def main() -> None:
    if "--inner" in sys.argv:
        from benchmarks import ray_agent_link  # by import name, so actors unpickle by reference

        if "--same-actor" in sys.argv:
            from benchmarks.distributed_ray import _connect

            _connect()
            print(json.dumps(asyncio.run(ray_agent_link._same_actor())))
            return
        print(json.dumps(asyncio.run(ray_agent_link._measure())))
        return
    print(measured_on_cluster("benchmarks.ray_agent_link", ["--inner", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
