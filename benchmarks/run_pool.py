"""RunPool runs per second on a real two-node local Ray cluster, with 1 and 2 worker actors.

``python -m benchmarks.run_pool [--runs 300] [--repeats 3]`` starts the cluster in a loopback-only
namespace (flowgen.testing.ray_cluster), and there times ``--runs`` runs of a two-agent round robin
(a task and seven scripted replies, every step checkpointed in one SQLite file) through a RunPool
with one worker actor, then two, and the same runs in the driver's own process with no Ray at all
(the ceiling of one process), and one and two workers each saving in a store of its own in memory (no
shared file's write lock: not recoverable, a diagnostic of what bounds the shared store). It prints
one JSON object: medians over the repeats, with min and max, and the driver's CPU per run. With
``--postgres``, the pools also save in a throwaway Postgres server (fsync on) started in the namespace.

Those runs are CPU-bound (the scripted model answers at once). Real team runs wait on their model:
the latency-bound workload (``--latency-ms 50``, ``--latency-runs 160``) times the same team whose
every model call waits 50 ms, through 1 and 2 workers, each bounded to ``in_flight_per_worker``
runs: its ceiling is workers x in-flight / (model calls per run x latency), reported beside it.
``pool_2_workers_streamed`` takes the CPU-bound runs through ``RunPool.stream`` (every item as its
step is stored) instead of ``map``. Every timed region also reports how many of the machine's cores were busy (all processes, from
/proc/stat): the CPU-bound workload is bounded by the cores, the latency-bound one by the in-flight
bound. ``--quick`` (one repeat, fewer runs, no in-memory diagnostics) is what ``make bench`` runs.
Wall-clock figures on a shared 2-core machine: compare ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import logging
import os
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.on_cluster import measured_on_cluster
from flowgen.agents import AssistantAgent
from flowgen.conditions import MaxMessageTermination
from flowgen.models import CallInfo, ChatCompletionClient, FunctionChatCompletionClient, LLMMessage
from flowgen.teams import RoundRobinGroupChat
from flowgen.testing.models import ScriptedModels
from flowgen.testing.postgres_server import PostgresServer

MESSAGES = 8
MODEL_CALLS = MESSAGES - 1  # the task, then one model call per reply
IN_FLIGHT = 16


def chat_team(latency_s: float = 0.0) -> RoundRobinGroupChat:
    """Two agents answering from a script; each model call waits ``latency_s`` first (0: at once)."""
    models = ScriptedModels(["one thought", "another thought", "a third thought"])

    async def reply(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        await asyncio.sleep(latency_s)  # the model's latency
        return models.reply_for(messages)

    def client() -> ChatCompletionClient:
        return FunctionChatCompletionClient(reply) if latency_s else models.client()

    return RoundRobinGroupChat(
        [AssistantAgent("a", model_client=client()), AssistantAgent("b", model_client=client())],
        termination_condition=MaxMessageTermination(MESSAGES),
    )


class BusyCores:
    """Cores kept busy between start and ``read``: by the whole machine (/proc/stat counts every
    process), and by the cluster's own processes (the PID namespace's /proc lists only those: the
    driver, the workers, the raylets and the control service)."""

    def __init__(self) -> None:
        self._busy, self._ours, self._at = _busy_seconds(), _namespace_cpu_s(), time.perf_counter()

    def read(self) -> float:
        return (_busy_seconds() - self._busy) / (time.perf_counter() - self._at)

    def ours(self) -> float:
        """CPU seconds the namespace's processes used since start (a process that ended is not counted)."""
        return _namespace_cpu_s() - self._ours


def _namespace_cpu_s() -> float:
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _busy_seconds() -> float:
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


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


async def _workers_cpu_s(pool: Any) -> float:
    """The CPU seconds the pool's worker processes have used so far (each reports its own)."""
    import ray

    answers: list[dict[str, Any]] = await asyncio.gather(
        *(ray.get_actor(name).ping.remote() for name in pool.workers)
    )
    return float(sum(a["cpu_s"] for a in answers))


async def _pool_rate(
    workers: int,
    runs: int,
    store: Any,
    tag: str,
    cpu: dict[str, list[float]],
    busy: list[float],
    latency_s: float = 0.0,
    streamed: bool = False,
) -> float:
    """Runs per second through a pool of ``workers``; appends the driver's and the workers' CPU ms
    per run to ``cpu`` and the machine's busy cores to ``busy``."""
    from flowgen.distributed import RunPool

    source = store if callable(store) or isinstance(store, str) else str(store)
    team = functools.partial(chat_team, latency_s) if latency_s else chat_team
    async with RunPool(team, store=source, workers=workers, max_in_flight=IN_FLIGHT) as pool:
        await pool.map(["warm up"] * workers * 2)  # every worker has built its team and opened the store
        workers_began = await _workers_cpu_s(pool)
        began, cpu_began, cores = time.perf_counter(), time.process_time(), BusyCores()
        if streamed:
            results = await asyncio.gather(*(_streamed(pool, f"task {i}", f"{tag}-{i}") for i in range(runs)))
        else:
            results = await pool.map(
                [f"task {i}" for i in range(runs)], thread_ids=[f"{tag}-{i}" for i in range(runs)]
            )
        elapsed = time.perf_counter() - began
        busy.append(cores.read())
        cpu["cluster"].append(cores.ours() / runs * 1e3)
        cpu["driver"].append((time.process_time() - cpu_began) / runs * 1e3)
        cpu["workers"].append((await _workers_cpu_s(pool) - workers_began) / runs * 1e3)
    if any(len(r.messages) != MESSAGES for r in results):
        raise AssertionError("a pool run did not produce every message")
    return runs / elapsed


async def _streamed(pool: Any, task: str, thread_id: str) -> Any:
    """One run through ``pool.stream``: every item taken as it comes; its RunResult at the end."""
    stream = pool.stream(task, thread_id=thread_id)
    async for _ in stream:
        pass
    return stream.result


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


async def _measure(
    runs: int, repeats: int, workdir: Path, postgres: bool, latency_ms: int, latency_runs: int, quick: bool
) -> dict[str, Any]:
    import ray

    latency_s = latency_ms / 1000
    out: dict[str, Any] = {"cluster_ready_s": round(_connect(), 1), "runs": runs, "repeats": repeats,
                           "messages_per_run": MESSAGES, "in_flight_per_worker": IN_FLIGHT}  # fmt: skip
    # (name, workers, store: "sqlite" / "memory" / "postgres", model latency in s, runs)
    plan: list[tuple[str, int, str, float, int]] = [
        ("pool_1_worker", 1, "sqlite", 0.0, runs),
        ("pool_2_workers", 2, "sqlite", 0.0, runs),
        ("pool_2_workers_streamed", 2, "sqlite", 0.0, runs),
    ]
    if not quick:
        plan += [("pool_1_worker_memory_store", 1, "memory", 0.0, runs),
                 ("pool_2_workers_memory_store", 2, "memory", 0.0, runs)]  # fmt: skip
    if postgres:
        plan += [("pool_1_worker_postgres", 1, "postgres", 0.0, runs),
                 ("pool_2_workers_postgres", 2, "postgres", 0.0, runs)]  # fmt: skip
    plan += [("latency_pool_1_worker", 1, "sqlite", latency_s, latency_runs),
             ("latency_pool_2_workers", 2, "sqlite", latency_s, latency_runs)]  # fmt: skip
    rates: dict[str, list[float]] = {"one_process_no_ray": [], **{p[0]: [] for p in plan}}
    cpu: dict[str, dict[str, list[float]]] = {
        p[0]: {"driver": [], "workers": [], "cluster": []} for p in plan
    }
    local_cpu: list[float] = []
    busy: dict[str, list[float]] = {name: [] for name in rates}
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(PostgresServer(fsync=True)).url if postgres else ""
        for r in range(repeats):
            path = workdir / f"runs-{r}.db"
            cores, cpu_began = BusyCores(), time.process_time()
            rates["one_process_no_ray"].append(await _local_rate(runs, path, f"local{r}"))
            busy["one_process_no_ray"].append(cores.read())
            local_cpu.append((time.process_time() - cpu_began) / runs * 1e3)
            stores = {"sqlite": path, "memory": memory_store, "postgres": url}
            for name, workers, kind, latency, count in plan:
                rates[name].append(
                    await _pool_rate(
                        workers, count, stores[kind], f"{name}-{r}", cpu[name], busy[name], latency
                    )
                )
    out["runs_per_s"] = {name: _summary(samples) for name, samples in rates.items()}
    out["driver_cpu_ms_per_run"] = {name: round(statistics.median(v["driver"]), 2) for name, v in cpu.items()}
    out["workers_cpu_ms_per_run"] = {
        name: round(statistics.median(v["workers"]), 2) for name, v in cpu.items()
    }
    out["cluster_cpu_ms_per_run"] = {
        name: round(statistics.median(v["cluster"]), 2) for name, v in cpu.items()
    }
    out["one_process_cpu_ms_per_run"] = round(statistics.median(local_cpu), 2)
    out["machine_busy_cores"] = {name: round(statistics.median(v), 2) for name, v in busy.items()}
    med = {name: statistics.median(samples) for name, samples in rates.items()}
    out["ratio_2_workers_over_1"] = round(med["pool_2_workers"] / med["pool_1_worker"], 2)
    if not quick:
        out["ratio_2_workers_over_1_memory_store"] = round(
            med["pool_2_workers_memory_store"] / med["pool_1_worker_memory_store"], 2
        )
    out["ratio_streamed_over_run"] = round(med["pool_2_workers_streamed"] / med["pool_2_workers"], 2)
    out["ratio_1_worker_over_one_process"] = round(med["pool_1_worker"] / med["one_process_no_ray"], 2)
    # The latency-bound ceiling: every worker keeps IN_FLIGHT runs waiting on their model.
    ceiling = IN_FLIGHT / (MODEL_CALLS * latency_s)
    out["latency_bound"] = {
        "model_latency_ms": latency_ms,
        "runs": latency_runs,
        "model_calls_per_run": MODEL_CALLS,
        "ceiling_runs_per_s": {"1_worker": round(ceiling, 1), "2_workers": round(2 * ceiling, 1)},
        "of_ceiling": {
            "1_worker": round(med["latency_pool_1_worker"] / ceiling, 2),
            "2_workers": round(med["latency_pool_2_workers"] / (2 * ceiling), 2),
        },
        "ratio_2_workers_over_1": round(med["latency_pool_2_workers"] / med["latency_pool_1_worker"], 2),
    }
    out["cpu_count"] = os.cpu_count()
    out["load_average_1min"] = round(os.getloadavg()[0], 1)
    ray.shutdown()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="also with a Postgres store (fsync on)")
    parser.add_argument(
        "--latency-ms", type=int, default=50, help="each model call's wait, latency-bound runs"
    )
    parser.add_argument("--latency-runs", type=int, default=160)
    parser.add_argument("--quick", action="store_true", help="one repeat of fewer runs (make bench)")
    parser.add_argument("--inner", metavar="WORKDIR")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.repeats = min(args.runs, 200), 1
    if args.inner:
        # Through the module's import name, so the workers unpickle chat_team by reference.
        from benchmarks import run_pool

        print(
            json.dumps(
                asyncio.run(
                    run_pool._measure(
                        args.runs,
                        args.repeats,
                        Path(args.inner),
                        args.postgres,
                        args.latency_ms,
                        args.latency_runs,
                        args.quick,
                    )
                )
            )
        )
        return
    arguments = [
        "--runs", str(args.runs), "--repeats", str(args.repeats),
        *(["--postgres"] if args.postgres else []),
        "--latency-ms", str(args.latency_ms), "--latency-runs", str(args.latency_runs),
        *(["--quick"] if args.quick else []), "--inner",
    ]  # fmt: skip
    print(measured_on_cluster("benchmarks.run_pool", arguments, pass_workdir=True))


if __name__ == "__main__":
    main()
