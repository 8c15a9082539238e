"""RayAgentRuntime on a real two-node local Ray cluster: the flowgen side of benchmarks.distributed.

``python -m benchmarks.distributed_ray`` starts the cluster in a loopback-only namespace
(flowgen.testing.ray_cluster), runs the measurements of benchmarks/distributed_workload.py there
against agents hosted by one actor on the worker node, and prints one JSON object: the same
measures as the other sides, the seconds until both nodes were up, and bare Ray actor calls (a
plain actor's and an asyncio actor's) as the floor under a send. The runtime sends over its direct
link to the host actor (the default); the ``ray_calls_*`` measures repeat the work with
``direct=False`` (a Ray call per batch) on an actor of their own, for comparison. Memory is summed over every
process of the namespace (both nodes, the actors, the driver). Wall-clock figures on a shared
2-core machine: compare ratios, not absolutes.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass
from typing import Any

from benchmarks.distributed_workload import (
    FAN_OUT,
    PUBLISHES,
    every_pid,
    memory_mb,
    pipelined_per_s,
    round_trip_ms,
)
from benchmarks.on_cluster import measured_on_cluster
from flowgen.core import MessageContext, RoutedAgent, message_handler

ON_WORKER = {"worker_node": 0.01}


@dataclass
class Ping:
    n: int


@dataclass
class Pong:
    n: int


class Echo(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("echo")

    @message_handler
    async def on_ping(self, message: Ping, ctx: MessageContext) -> Pong:
        return Pong(message.n)


class _ToKey:
    """Maps a topic type to one fixed agent: ten of them give ten subscribers hosted by one actor."""

    def __init__(self, topic_type: str, agent: Any) -> None:
        self.topic_type, self.agent = topic_type, agent

    @property
    def id(self) -> str:
        return f"{self.topic_type}->{self.agent}"

    def is_match(self, topic_id: Any) -> bool:
        return bool(topic_id.type == self.topic_type)

    def map_to_agent(self, topic_id: Any) -> Any:
        return self.agent


class _Floor:
    def ping(self, n: int) -> int:
        return n


class _AsyncFloor:
    async def ping(self, n: int) -> int:
        return n


def _connect() -> float:
    """Join the cluster and wait for both nodes; seconds since the launcher started the head node."""
    import ray

    launched = float(os.environ["FLOWGEN_RAY_LAUNCHED_AT"])
    ray.init(address=os.environ["FLOWGEN_RAY_ADDRESS"], logging_level="warning", log_to_driver=False)
    while len([n for n in ray.nodes() if n["Alive"]]) < 2:
        time.sleep(0.2)  # the worker node joins on its own; nothing to wait on
    return time.monotonic() - launched


async def _measure() -> dict[str, Any]:
    import ray

    from flowgen.core import AgentId
    from flowgen.distributed import Placement, RayAgentRuntime

    launched = float(os.environ.get("FLOWGEN_BENCH_LAUNCHED_AT", os.environ["FLOWGEN_RAY_LAUNCHED_AT"]))
    out: dict[str, Any] = {"framework": "flowgen_ray", "cluster_ready_s": round(_connect(), 1)}

    runtime = RayAgentRuntime(placements={"echo": Placement(resources=ON_WORKER)})
    runtime.start()
    await Echo.register(runtime, "echo", Echo, skip_direct_message_subscription=True)
    began = time.perf_counter()
    await runtime.send_message(Ping(0), AgentId("echo", "a"))
    out["startup_to_first_reply_s"] = round(time.monotonic() - launched, 2)
    out["first_reply_s_incl_actor_start"] = round(time.perf_counter() - began, 2)
    out.update(await _messaging(runtime))

    # The floor: a bare Ray actor call on the same node, one at a time.
    floor = ray.remote(_Floor).options(num_cpus=0, resources=ON_WORKER).remote()

    async def bare(n: int) -> int:
        return int(await floor.ping.remote(n))

    out["ray_actor_call_round_trip_ms"] = await round_trip_ms(bare)
    # An asyncio actor's call (what a host actor is: it runs handlers concurrently) costs more.
    async_floor = ray.remote(_AsyncFloor).options(num_cpus=0, resources=ON_WORKER).remote()

    async def bare_async(n: int) -> int:
        return int(await async_floor.ping.remote(n))

    out["ray_async_actor_call_round_trip_ms"] = await round_trip_ms(bare_async)
    out.update(memory_mb(every_pid()))  # the namespace's processes: both nodes, the actors, this driver
    # The same work by Ray calls (after the memory reading, which it would add an actor to).
    by_ray = RayAgentRuntime(placements={"echo": Placement(resources=ON_WORKER)}, direct=False)
    by_ray.start()
    await Echo.register(by_ray, "echo", Echo, skip_direct_message_subscription=True)
    await by_ray.send_message(Ping(0), AgentId("echo", "a"))
    out.update({f"ray_calls_{k}": v for k, v in (await _messaging(by_ray)).items()})
    await by_ray.close()
    await runtime.close()
    ray.shutdown()
    return out


async def _messaging(runtime: Any) -> dict[str, Any]:
    """Round trip, pipelined sends and publish fan-out through ``runtime`` to its echo agents."""
    from flowgen.core import AgentId, TopicId

    out: dict[str, Any] = {}

    async def send(n: int) -> int:
        reply: Pong = await runtime.send_message(Ping(n), AgentId("echo", "a"))
        return reply.n

    out["round_trip_ms"] = await round_trip_ms(send)
    out["pipelined_messages_per_s"] = await pipelined_per_s(send)

    for k in range(FAN_OUT):
        await runtime.add_subscription(_ToKey("all", AgentId("echo", f"sub{k}")))
    for i in range(PUBLISHES // 10):  # warm: every subscriber exists before timing
        await runtime.publish_message(Ping(i), TopicId("all", "bench"))
    await runtime.wait_until_idle()
    began = time.perf_counter()
    for i in range(PUBLISHES):
        await runtime.publish_message(Ping(i), TopicId("all", "bench"))
    await runtime.wait_until_idle()
    out["fan_out_deliveries_per_s"] = round(PUBLISHES * FAN_OUT / (time.perf_counter() - began))
    return out


def main() -> None:
    if "--inner" in sys.argv:
        # Through the module's import name, so the actors unpickle Echo by reference, not from __main__.
        from benchmarks import distributed_ray

        print(json.dumps(asyncio.run(distributed_ray._measure())))
        return
    print(measured_on_cluster("benchmarks.distributed_ray", ["--inner"]))


if __name__ == "__main__":
    main()
