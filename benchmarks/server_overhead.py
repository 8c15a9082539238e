"""What serving a team over HTTP adds to a run, printed as JSON.

    python -m benchmarks.server_overhead              # 40 runs per path, 3 repeats
    python -m benchmarks.server_overhead --runs 10 --repeats 1

The workload: the offline write/review team (4 turns, scripted model, no latency), each run on a new
thread saved in SQLite. Three paths: the team run in-process (``team.run(thread_id=...)``), the same
through ``POST /threads/{id}/runs/wait`` on a real uvicorn server on 127.0.0.1, and through
``/runs/stream`` (SSE, read to its end). Each server run also pays its ``POST /threads``. Reported:
milliseconds per run (median over repeats), the server's overhead per run, and per streamed event.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

KEY = "bench-key"
TASK = "Write a haiku about autumn."


async def _in_process(db: Path, runs: int) -> float:
    from flowgen.checkpoint import SqliteCheckpointer
    from graphs import write_review

    store = SqliteCheckpointer(str(db))
    start = time.perf_counter()
    for n in range(runs):
        team = write_review.build()
        team.checkpointer = store
        await team.run(task=TASK, thread_id=f"direct-{n}")
    elapsed = time.perf_counter() - start
    await store.aclose()
    return elapsed / runs


async def _served(db: Path, runs: int) -> dict[str, float]:
    import httpx
    import uvicorn

    from flowgen.checkpoint import SqliteCheckpointer
    from flowgen.server import ServerSettings, create_app
    from graphs import write_review

    store = SqliteCheckpointer(str(db))
    app = create_app({"write_review": write_review.build}, ServerSettings(api_keys=KEY, store=str(db)), store)
    # IPPROTO_TCP named, so asyncio turns Nagle off on accepted connections (it skips proto 0 sockets),
    # as it does when uvicorn binds the address itself.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    port = sock.getsockname()[1]
    headers = {"X-API-Key": KEY}
    body = {"agent": "write_review", "input": TASK}
    times: dict[str, float] = {}
    events = 0
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            for mode in ("wait", "stream"):
                start = time.perf_counter()
                for _ in range(runs):
                    thread = (await client.post("/threads", headers=headers)).json()["thread_id"]
                    url = f"/threads/{thread}/runs/{mode}"
                    if mode == "wait":
                        (await client.post(url, headers=headers, json=body)).raise_for_status()
                        continue
                    async with client.stream("POST", url, headers=headers, json=body) as response:
                        async for line in response.aiter_lines():
                            events += line.startswith("event:")
                times[mode] = (time.perf_counter() - start) / runs
    finally:
        server.should_exit = True
        await serving
        sock.close()
        await store.aclose()
    times["events_per_run"] = events / runs
    return times


async def _repeat(runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        direct = await _in_process(Path(tmp) / "direct.db", runs)
        served = await _served(Path(tmp) / "served.db", runs)
    return {"in_process": direct, **served}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    repeats = [asyncio.run(_repeat(args.runs)) for _ in range(args.repeats)]

    def median(key: str) -> float:
        return statistics.median(r[key] for r in repeats)

    direct, wait, stream, events = (
        median("in_process"),
        median("wait"),
        median("stream"),
        median("events_per_run"),
    )
    report = {
        "scenario": "server_overhead",
        "runs": args.runs,
        "repeats": args.repeats,
        "ms_per_run": {"in_process": direct * 1e3, "wait": wait * 1e3, "stream": stream * 1e3},
        "overhead_ms_per_run": {"wait": (wait - direct) * 1e3, "stream": (stream - direct) * 1e3},
        "ratio_to_in_process": {"wait": wait / direct, "stream": stream / direct},
        "events_per_run": events,
        "stream_overhead_ms_per_event": (stream - direct) * 1e3 / events if events else None,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
