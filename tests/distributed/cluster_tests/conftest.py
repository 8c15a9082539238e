"""Inside the cluster's namespace: connect this pytest process to the cluster once."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
import ray

_NODES_DEADLINE_S = 90.0


@pytest.fixture(scope="session", autouse=True)
def cluster() -> Iterator[dict[str, str]]:
    """Ray connected to the two-node cluster; the node ids of the head (this driver's) and the worker."""
    ray.init(address=os.environ["FLOWGEN_RAY_ADDRESS"], logging_level="warning", log_to_driver=False)
    deadline = time.monotonic() + _NODES_DEADLINE_S
    while len([n for n in ray.nodes() if n["Alive"]]) < 2:
        if time.monotonic() > deadline:
            raise TimeoutError("the worker node did not join the cluster within 90 s")
        time.sleep(0.2)  # the worker node registers with the head on its own; nothing to wait on
    started = float(os.environ.get("FLOWGEN_RAY_LAUNCHED_AT", "0"))
    print(f"cluster_ready_after_s={time.monotonic() - started:.1f}")
    worker = next(n["NodeID"] for n in ray.nodes() if n["Alive"] and "worker_node" in n["Resources"])
    yield {"driver": ray.get_runtime_context().get_node_id(), "worker": worker}
    ray.shutdown()
