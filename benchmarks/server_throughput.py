"""Requests per second a served team answers with 1, 10 and 100 concurrent clients, printed as JSON.

    python -m benchmarks.server_throughput                  # 300 runs per level, 3 repeats
    python -m benchmarks.server_throughput --runs 100 --repeats 1

The server: ``flowgen serve`` on the paced test team (writer and critic, two model calls, no model
latency: a short run), in its own process on 127.0.0.1 with a SQLite store. The clients:
``flowgen.client.AsyncClient`` in this process, each looping ``POST /threads`` then
``POST /threads/{id}/runs/wait`` until the level's runs are done. Reported per level (median over
repeats): runs and requests per second, each run's latency (p50, p95), and the CPU per run of the
server (from /proc) and of the clients, which say what each side costs even on a shared, busy machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

KEY = "bench-key"
LEVELS = (1, 10, 100)
REQUESTS_PER_RUN = 2  # POST /threads, then POST /threads/{id}/runs/wait


async def _level(url: str, clients: int, runs: int, cpu: Any) -> dict[str, float]:
    from flowgen.client import AsyncClient
    from flowgen.testing.paced_team import paced_task

    latencies: list[float] = []
    queue = iter(range(runs))

    async def client_loop(client: AsyncClient) -> None:
        for n in queue:  # the clients share one iterator: each run is taken once
            start = time.perf_counter()
            thread = (await client.create_thread())["thread_id"]
            await client.wait_run(thread, "paced_team", input=paced_task(n, latency_ms=0))
            latencies.append(time.perf_counter() - start)

    async with AsyncClient(url, api_key=KEY, max_connections=clients, timeout=300) as client:
        cpu_before, start, own_before = cpu(), time.perf_counter(), time.process_time()
        async with asyncio.TaskGroup() as group:
            for _ in range(clients):
                group.create_task(client_loop(client))
        wall, cpu_used = time.perf_counter() - start, cpu() - cpu_before
        client_cpu = time.process_time() - own_before
    latencies.sort()
    return {
        "runs_per_second": runs / wall,
        "requests_per_second": runs * REQUESTS_PER_RUN / wall,
        "latency_ms_p50": latencies[len(latencies) // 2] * 1e3,
        "latency_ms_p95": latencies[int(len(latencies) * 0.95) - 1] * 1e3,
        "server_cpu_ms_per_run": cpu_used / runs * 1e3,
        "client_cpu_ms_per_run": client_cpu / runs * 1e3,
    }


async def _repeat(runs: int) -> dict[int, dict[str, float]]:
    import flowgen.testing.paced_team as paced_team
    from flowgen.testing.served_process import served_process

    with (
        tempfile.TemporaryDirectory() as tmp,
        served_process([paced_team.__file__], Path(tmp) / "runs.db", "--api-key", KEY) as server,
    ):
        await _level(server.url, 10, 20, server.cpu_seconds)  # warm-up: imports, first team built
        return {c: await _level(server.url, c, runs, server.cpu_seconds) for c in LEVELS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="runs per concurrency level")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    repeats = [asyncio.run(_repeat(args.runs)) for _ in range(args.repeats)]
    levels = {
        str(c): {key: statistics.median(r[c][key] for r in repeats) for key in repeats[0][c]} for c in LEVELS
    }
    one = levels["1"]["runs_per_second"]
    report = {
        "scenario": "server_throughput",
        "runs_per_level": args.runs,
        "repeats": args.repeats,
        "requests_per_run": REQUESTS_PER_RUN,
        "concurrent_clients": levels,
        "speedup_over_one_client": {c: v["runs_per_second"] / one for c, v in levels.items()},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
