"""What keeping an agent's state outside the cluster costs per handled message, printed as JSON.

    python -m benchmarks.agent_state_cost                    # Ray's store, SQLite and Postgres
    python -m benchmarks.agent_state_cost --backends sqlite postgres --saves 500 --repeats 1

A host actor with ``Placement(keep_state=True)`` saves the agent's state after every message it
handles (``AgentStates.save``: the JSON dump and the store's upsert) and reads it once when it makes
the agent (``AgentStates.load``: the read and the row's validation). This times both, in one
process, for a small state (20 short notes, about 0.2 KB) and a larger one (2,000 notes, about
25 KB): in the Ray cluster's key-value store (today's default; a two-node cluster started for it in
a loopback-only namespace, flowgen.testing.ray_cluster, the calls made from its driver), on a SQLite
file and on a private Postgres server this script starts (fsync on) and stops, with the stores'
defaults (Postgres: asynchronous commit). Each figure is the median over repeats of the mean time
per call. Without ``ray_kv`` among the backends no cluster is started.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.on_cluster import measured_on_cluster

STATES = {
    "small": {"notes": [f"note {i}" for i in range(20)]},
    "large": {"notes": [f"note {i}" for i in range(2000)]},
}


async def _measure(source: str | None, state: dict[str, Any], saves: int) -> dict[str, float]:
    from flowgen.distributed.agent_state_store import AgentStates, open_agent_state_store

    states = AgentStates(open_agent_state_store(source), f"bench-{time.time_ns()}")
    await states.save("agent/warm", state)  # opens the connection (or the pool) and the table
    began = time.perf_counter()
    for i in range(saves):
        await states.save(f"agent/{i % 10}", state)
    saved = time.perf_counter() - began
    began = time.perf_counter()
    for i in range(saves):
        await states.load(f"agent/{i % 10}")
    loaded = time.perf_counter() - began
    await states.forget()
    await states.aclose()
    return {"save_ms": saved / saves * 1000, "load_ms": loaded / saves * 1000}


async def _main(backends: list[str], saves: int, repeats: int) -> dict[str, Any]:
    from flowgen.testing.postgres_server import PostgresServer

    results: dict[str, Any] = {}
    if "ray_kv" in backends:
        import ray

        ray.init(
            address=os.environ["FLOWGEN_RAY_ADDRESS"], logging_level=logging.WARNING, log_to_driver=False
        )
    with tempfile.TemporaryDirectory() as folder:
        sources: dict[str, str | None] = {"sqlite": str(Path(folder) / "states.db"), "ray_kv": None}
        server = PostgresServer(fsync=True) if "postgres" in backends else None
        try:
            if server is not None:
                sources["postgres"] = server.start()
            for backend in backends:
                for size, state in STATES.items():
                    runs = [await _measure(sources[backend], state, saves) for _ in range(repeats)]
                    results[f"{backend}_{size}"] = {
                        key: round(statistics.median(run[key] for run in runs), 4) for key in runs[0]
                    } | {"state_bytes": len(json.dumps(state))}
        finally:
            if server is not None:
                server.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    backends = ["ray_kv", "sqlite", "postgres"]
    parser.add_argument("--backends", nargs="+", default=backends, choices=backends)
    parser.add_argument("--saves", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)  # inside the cluster
    args = parser.parse_args()
    if "ray_kv" in args.backends and not args.inner:
        print(_on_cluster(sys.argv[1:]))
        return
    found = asyncio.run(_main(args.backends, args.saves, args.repeats))
    print(json.dumps({"benchmark": "agent_state_cost", "saves": args.saves, "results": found}))


def _on_cluster(arguments: list[str]) -> str:
    return measured_on_cluster("benchmarks.agent_state_cost", [*arguments, "--inner"])


if __name__ == "__main__":
    main()
