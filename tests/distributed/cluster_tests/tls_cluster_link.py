"""The direct link on a cluster running Ray with TLS (run inside the namespace by
tests/distributed/test_ray_tls_cluster.py, on a cluster of its own started with RAY_USE_TLS=1)."""

from __future__ import annotations

import asyncio
import os

import ray
from cluster_agents import Place, Probe, Where

from flowgen.core import AgentId
from flowgen.distributed import Placement, RayAgentRuntime
from flowgen.distributed.frames import encode_batch
from flowgen.distributed.link_tls import link_tls_from_env
from flowgen.testing.ray_cluster import HEAD_PORT

_HANG_GUARD_S = 60.0  # a hang fails the test instead of stalling the suite; it is not a speed check


async def test_the_link_speaks_mutual_tls_on_a_tls_cluster(cluster: dict[str, str]) -> None:
    assert os.environ["RAY_USE_TLS"] == "1"
    tls = link_tls_from_env()
    assert tls is not None
    # Ray's own channels are TLS here: its head node's port completes a handshake with these files.
    grpc_tls = tls.client_context()
    grpc_tls.set_alpn_protocols(["h2"])
    _, probe = await asyncio.open_connection("127.0.0.1", HEAD_PORT, ssl=grpc_tls)
    probe.close()
    runtime = RayAgentRuntime(
        "auto", name="tls", placements={"probe": Placement(resources={"worker_node": 0.01})}
    )
    runtime.start()
    try:
        await Probe.register(runtime, "probe", Probe)
        async with asyncio.timeout(_HANG_GUARD_S):
            place = await runtime.send_message(Where("over tls"), AgentId("probe", "a"))
            assert isinstance(place, Place) and place.node_id == cluster["worker"]
            actor = ray.get_actor("flowgen.tls.probe.0")
            seen = await actor.link_counts.remote()
            assert (seen["link_envelopes"], seen["link_connections"], seen["ray_envelopes"]) == (1, 1, 0)
            host, port, token = await actor.open_link.remote()
            # A plaintext peer with the right token gets nothing from the actor's server.
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(token + encode_batch(0, []))
            try:
                reply = await reader.read()
            except ConnectionResetError:
                reply = b""
            writer.close()
            assert reply[:1] in (b"", b"\x15")  # closed, at most after a TLS alert
            assert (await actor.link_counts.remote())["link_connections"] == 1  # never admitted
            # A peer with the cluster's certificate completes the handshake (the server requires one).
            reader, writer = await asyncio.open_connection(host, port, ssl=tls.client_context())
            assert writer.get_extra_info("peercert") is not None
            writer.close()
            # The runtime's link still serves.
            again = await runtime.send_message(Where("again"), AgentId("probe", "b"))
            assert again.tag == "again"
    finally:
        await runtime.close()
