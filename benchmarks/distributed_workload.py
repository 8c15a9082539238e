"""The work every cross-process runtime does in the side-by-side benchmark, and how it is timed.

Each framework (flowgen's RayAgentRuntime, AutoGen's gRPC worker runtime, the asyncio socket floor)
gives an ``async send(n) -> n`` to an echo agent in another process and its own publish; this module
times them the same way and reads the memory of the processes involved.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

ROUND_TRIPS = 200
PIPELINED = 2_000
IN_FLIGHT = 100
FAN_OUT = 10
PUBLISHES = 200
WARM = 20

Send = Callable[[int], Awaitable[int]]


async def round_trip_ms(send: Send) -> float:
    """Median wall time of one send_message round trip, one at a time (ms)."""
    for i in range(WARM):
        await send(i)
    samples = []
    for i in range(ROUND_TRIPS):
        began = time.perf_counter()
        answer = await send(i)
        samples.append(time.perf_counter() - began)
        if answer != i:
            raise AssertionError(f"sent {i}, the echo answered {answer}")
    return round(statistics.median(samples) * 1e3, 3)


async def pipelined_per_s(send: Send) -> int:
    """Messages per second for PIPELINED sends with IN_FLIGHT awaiting their replies at any time."""
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def one(i: int) -> None:
        async with gate:
            if await send(i) != i:
                raise AssertionError(f"the echo of {i} came back wrong")

    began = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(PIPELINED)))
    return round(PIPELINED / (time.perf_counter() - began))


def memory_mb(pids: Iterable[int]) -> dict[str, float]:
    """Resident memory summed over ``pids``: RSS (shared pages counted in each) and PSS (shared split)."""
    rss = pss = 0
    count = 0
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_bytes()
        except OSError:
            continue  # the process ended (or is not ours to read) since it was listed
        count += 1
        for line in rollup.splitlines():
            if line.startswith(b"Rss:"):
                rss += int(line.split()[1])
            elif line.startswith(b"Pss:"):
                pss += int(line.split()[1])
    return {"rss_mb": round(rss / 1024), "pss_mb": round(pss / 1024), "processes": count}


def every_pid() -> list[int]:
    """Every process this /proc shows (inside a PID namespace with its own /proc: the namespace's)."""
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]
