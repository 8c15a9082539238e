"""RunPool runs per second on a real two-node local Ray cluster, with 1 and 2 worker actors.

``python -m benchmarks.run_pool [--runs 300] [--repeats 3]`` starts the cluster in a loopback-only
namespace (flowgen.testing.ray_cluster), and there times ``--runs`` runs of a two-agent round robin
(a task and seven scripted replies, every step checkpointed in one SQLite file) through a RunPool
with one worker actor, then two, and the same runs in the driver's own process with no Ray at all
(the ceiling of one process), and one and two workers each saving in a store of its own in memory (no
shared file's write lock: not recoverable, a diagnostic of what bounds the shared store). It prints
one JSON object: medians over the repeats, with min and max, and the driver's CPU per run. With
``--postgres``, the pools also save in a throwaway Postgres server (fsync on) started in the namespace.
Wall-clock figures on a shared 2-core machine: compare ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from flowgen.agents import AssistantAgent
from flowgen.conditions import MaxMessageTermination
from flowgen.teams import RoundRobinGroupChat
from flowgen.testing.models import ScriptedModels
from flowgen.testing.postgres_server import PostgresServer

MESSAGES = 8
IN_FLIGHT = 16


def chat_team() -> RoundRobinGroupChat:
    models = ScriptedModels(["one thought", "another thought", "a third thought"])
    return RoundRobinGroupChat(
        [
            AssistantAgent("a", model_client=models.client()),
            AssistantAgent("b", model_client=models.client()),
        ],
        termination_condition=MaxMessageTermination(MESSAGES),
    )


def memory_store() -> Any:
    """Each worker's own in-memory store: no recovery, but no shared file's write lock either."""
    from flowgen.checkpoint import MemoryCheckpointer

    return MemoryCheckpointer()


def _connect() -> float:
    import ray

    launched = float(os.environ["FLOWGEN_RAY_LAUNCHED_AT"])
    ray.init(address=os.environ["FLOWGEN_RAY_ADDRESS"], logging_level=logging.WARNING, log_to_driver=False)
    while len([n for n in ray.nodes() if n["Alive"]]) < 2:  # type: ignore[no-untyped-call]
        time.sleep(0.2)  # the worker node joins on its own; nothing to wait on
    return time.monotonic() - launched


async def _pool_rate(workers: int, runs: int, store: Any, tag: str, cpu: list[float]) -> float:
    """Runs per second through a pool of ``workers``; appends the driver's CPU ms per run to ``cpu``."""
    from flowgen.distributed import RunPool

    source = store if callable(store) or isinstance(store, str) else str(store)
    async with RunPool(chat_team, store=source, workers=workers, max_in_flight=IN_FLIGHT) as pool:
        await pool.map(["warm up"] * workers * 2)  # every worker has built its team and opened the store
        began, cpu_began = time.perf_counter(), time.process_time()
        results = await pool.map(
            [f"task {i}" for i in range(runs)], thread_ids=[f"{tag}-{i}" for i in range(runs)]
        )
        elapsed = time.perf_counter() - began
        cpu.append((time.process_time() - cpu_began) / runs * 1e3)
    if any(len(r.messages) != MESSAGES for r in results):
        raise AssertionError("a pool run did not produce every message")
    return runs / elapsed


async def _local_rate(runs: int, store_path: Path, tag: str) -> float:
    """The same runs in this process (no Ray), IN_FLIGHT at a time, teams reused as a worker does."""
    from flowgen.checkpoint import SqliteCheckpointer

    store = SqliteCheckpointer(store_path)
    idle = []
    for _ in range(IN_FLIGHT):
        team = chat_team()
        team.checkpointer = store
        idle.append(team)

    async def one(i: int) -> None:
        team = idle.pop()
        result = await team.run(task=f"task {i}", thread_id=f"{tag}-{i}")
        assert len(result.messages) == MESSAGES
        idle.append(team)

    gate = asyncio.Semaphore(IN_FLIGHT)
    await asyncio.gather(*(one(-1 - i) for i in range(IN_FLIGHT)))  # warm, as the pool's warm-up run

    async def gated(i: int) -> None:
        async with gate:
            await one(i)

    began = time.perf_counter()
    await asyncio.gather(*(gated(i) for i in range(runs)))
    elapsed = time.perf_counter() - began
    await store.aclose()
    return runs / elapsed


def _summary(samples: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(samples), 1), "min": round(min(samples), 1),
            "max": round(max(samples), 1)}  # fmt: skip


async def _measure(runs: int, repeats: int, workdir: Path, postgres: bool) -> dict[str, Any]:
    import ray

    out: dict[str, Any] = {"cluster_ready_s": round(_connect(), 1), "runs": runs, "repeats": repeats,
                           "messages_per_run": MESSAGES, "in_flight_per_worker": IN_FLIGHT}  # fmt: skip
    names = ["one_process_no_ray", "pool_1_worker", "pool_2_workers", "pool_1_worker_memory_store",
             "pool_2_workers_memory_store"]  # fmt: skip
    if postgres:
        names += ["pool_1_worker_postgres", "pool_2_workers_postgres"]
    rates: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names[1:]}
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(PostgresServer(fsync=True)).url if postgres else ""
        for r in range(repeats):
            store = workdir / f"runs-{r}.db"
            rates["one_process_no_ray"].append(await _local_rate(runs, store, f"local{r}"))
            for name, workers, source in [
                ("pool_1_worker", 1, store),
                ("pool_2_workers", 2, store),
                ("pool_1_worker_memory_store", 1, memory_store),
                ("pool_2_workers_memory_store", 2, memory_store),
                *(
                    [("pool_1_worker_postgres", 1, url), ("pool_2_workers_postgres", 2, url)]
                    if postgres
                    else []
                ),
            ]:
                rates[name].append(await _pool_rate(workers, runs, source, f"{name}-{r}", cpu[name]))
    out["runs_per_s"] = {name: _summary(samples) for name, samples in rates.items()}
    out["driver_cpu_ms_per_run"] = {name: round(statistics.median(v), 2) for name, v in cpu.items()}
    one, two = (statistics.median(rates[k]) for k in ("pool_1_worker", "pool_2_workers"))
    out["ratio_2_workers_over_1"] = round(two / one, 2)
    one_mem, two_mem = (statistics.median(rates[k]) for k in names[3:5])
    out["ratio_2_workers_over_1_memory_store"] = round(two_mem / one_mem, 2)
    out["ratio_1_worker_over_one_process"] = round(one / statistics.median(rates["one_process_no_ray"]), 2)
    out["cpu_count"] = os.cpu_count()
    out["load_average_1min"] = round(os.getloadavg()[0], 1)
    ray.shutdown()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="also with a Postgres store (fsync on)")
    parser.add_argument("--inner", metavar="WORKDIR")
    args = parser.parse_args()
    if args.inner:
        # Through the module's import name, so the workers unpickle chat_team by reference.
        from benchmarks import run_pool

        print(
            json.dumps(
                asyncio.run(run_pool._measure(args.runs, args.repeats, Path(args.inner), args.postgres))
            )
        )
        return
    from flowgen.testing.ray_cluster import run_on_local_cluster

    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="flowgen-run-pool-bench-") as workdir:
        done = run_on_local_cluster(
            [sys.executable, "-m", "benchmarks.run_pool", "--runs", str(args.runs), "--repeats",
             str(args.repeats), *(["--postgres"] if args.postgres else []), "--inner", workdir],
            workdir=Path(workdir),
            pythonpath=[str(root)],
        )  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"the cluster run failed ({done.returncode}):\n{done.stdout}\n{done.stderr[-4000:]}")
    print(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
