"""One measurement in a fresh process: ``python -m benchmarks.child FRAMEWORK SCENARIO SIZE``.

FRAMEWORK may also be ``floor`` for the swarm: :mod:`benchmarks.handoff_floor`, the least the
AgentChat API allows a handoff to cost.

``--profile FILE`` runs it under cProfile and prints the hottest functions on stderr. Prints one JSON
object on stdout: the status (ok / unavailable / error), the scenario's metrics, the
counts taken from the framework's own result, the calibration time and the peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import platform
import pstats
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks.calibration import calibrate
from benchmarks.frameworks import Outcome, Unavailable
from benchmarks.handoff_count import target_module
from benchmarks.rss import current_rss_kb, peak_rss_kb
from benchmarks.scenarios import AGENTS, BRANCHES, CONVERSATION_TURNS, LATENCY_S, SWARM_AGENTS

Record = dict[str, Any]


class CountMismatch(Exception):
    """A framework produced a different number of messages than the scenario asks for."""


def _check(outcome: Outcome, expected: int, what: str) -> None:
    if outcome.count != expected:
        raise CountMismatch(f"expected {expected} {what}, the framework's result holds {outcome.count}")


async def _timed_turns(workload: Callable[[], Awaitable[Outcome]], expected: int, what: str) -> Record:
    start = time.perf_counter()
    outcome = await workload()
    wall = time.perf_counter() - start
    _check(outcome, expected, what)
    return {"wall_s": wall, "turns": expected, "per_turn_ms": wall / expected * 1000, "count": outcome.count}


async def round_robin(module: ModuleType, size: int) -> Record:
    return await _timed_turns(await module.round_robin(AGENTS, size), size, "agent messages")


async def selector(module: ModuleType, size: int) -> Record:
    return await _timed_turns(await module.selector(AGENTS, size), size, "agent messages")


async def swarm(module: ModuleType, size: int) -> Record:
    return await _timed_turns(await module.swarm(SWARM_AGENTS, size), size, "handoff messages")


async def fan_out(module: ModuleType, size: int) -> Record:
    workload = await module.fan_out(BRANCHES, size)
    turns = size * (BRANCHES + 2) + 1  # every round, then the finisher
    record = await _timed_turns(workload, turns, "agent messages")
    record["per_round_ms"] = record["wall_s"] / size * 1000
    return record


async def _bare_floor(size: int) -> float:
    """Efficiency of a bare asyncio loop doing the same waits: ``size`` tasks, each sleeping once a turn."""

    async def conversation() -> None:
        for _ in range(CONVERSATION_TURNS):
            await asyncio.sleep(LATENCY_S)

    start = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        for _ in range(size):
            group.create_task(conversation())
    return CONVERSATION_TURNS * LATENCY_S / (time.perf_counter() - start)


#: The single conversation's model waits this long: it takes the same path through the event loop as
#: a 50 ms wait (a timer, a future, a poll) without leaving the CPU idle, which slows the next turn.
SOLO_LATENCY_S = 1e-6
SOLO_CONVERSATIONS = 30


async def _solo_cpu_per_turn(module: ModuleType, latency: float, *, built_inside: bool) -> float:
    """CPU seconds per turn of conversations run one at a time: the cost of a turn without load."""
    built = (
        []
        if built_inside
        else [await module.conversation(CONVERSATION_TURNS, latency) for _ in range(SOLO_CONVERSATIONS)]
    )
    cpu = time.process_time()
    for i in range(SOLO_CONVERSATIONS):
        workload = await module.conversation(CONVERSATION_TURNS, latency) if built_inside else built[i]
        _check(await workload(), CONVERSATION_TURNS, "agent messages per conversation")
    return (time.process_time() - cpu) / (SOLO_CONVERSATIONS * CONVERSATION_TURNS)


class _CollectorClock:
    """CPU time spent in the garbage collector, read from its start/stop callbacks.

    CPU rather than wall time: on a busy machine a collection that is preempted would be charged for
    the time other processes ran.
    """

    def __init__(self) -> None:
        self.total = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.total += time.process_time() - self._started


async def _concurrent(module: ModuleType, size: int, *, built_inside: bool) -> Record:
    """``size`` conversations at once: efficiency, CPU per turn, collector time, and the bare floor.

    Then, in the same process, conversations one at a time: the CPU a turn costs without load, with
    the model's wait shortened to a microsecond (``solo_cpu_per_turn_us``) and with no wait at all
    (``solo_nowait_cpu_per_turn_us``); ``load_ratio`` is the first over the concurrent cost per turn.

    One zero-latency conversation runs first, untimed, so that lazy imports and first-use caches are
    not billed to a single conversation (a server handles its thousandth conversation, not its first).
    """
    await (await module.conversation(CONVERSATION_TURNS, 0.0))()
    gc.collect()
    collector = _CollectorClock()
    gc.callbacks.append(collector)
    try:
        workloads = (
            []
            if built_inside
            else [await module.conversation(CONVERSATION_TURNS, LATENCY_S) for _ in range(size)]
        )
        cpu, start = time.process_time(), time.perf_counter()
        if built_inside:
            workloads = [await module.conversation(CONVERSATION_TURNS, LATENCY_S) for _ in range(size)]
        built = time.perf_counter() - start
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(w()) for w in workloads]
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu
    finally:
        gc.callbacks.remove(collector)
    for task in tasks:
        _check(task.result(), CONVERSATION_TURNS, "agent messages per conversation")
    del workloads, tasks
    gc.collect()
    turns = size * CONVERSATION_TURNS
    ideal = CONVERSATION_TURNS * LATENCY_S
    per_turn = cpu / turns
    solo = await _solo_cpu_per_turn(module, SOLO_LATENCY_S, built_inside=built_inside)
    solo_nowait = await _solo_cpu_per_turn(module, 0.0, built_inside=built_inside)
    record: Record = {
        "wall_s": wall,
        "ideal_s": ideal,
        "efficiency": ideal / wall,
        "cpu_per_turn_us": per_turn * 1e6,
        "solo_cpu_per_turn_us": solo * 1e6,
        "solo_nowait_cpu_per_turn_us": solo_nowait * 1e6,
        "load_ratio": per_turn / solo,
        "gc_share": collector.total / cpu,
        "floor_efficiency": await _bare_floor(size),
        "count": turns,
    }
    if built_inside:
        record["build_us"] = built / size * 1e6
    return record


async def concurrency(module: ModuleType, size: int) -> Record:
    """Teams built before the clock starts: the cost of running them at once."""
    return await _concurrent(module, size, built_inside=False)


async def concurrency_built(module: ModuleType, size: int) -> Record:
    """Teams built inside the timed region, as a server building one per request would."""
    return await _concurrent(module, size, built_inside=True)


async def memory(module: ModuleType, size: int) -> Record:
    held = [await module.idle_team()]  # the first one pays for lazy imports and caches
    gc.collect()
    before = current_rss_kb()
    held.extend([await module.idle_team() for _ in range(size)])
    gc.collect()
    after = current_rss_kb()
    return {"rss_per_team_kb": (after - before) / size, "teams": size, "count": len(held) - 1}


MEASURES: dict[str, Callable[[ModuleType, int], Coroutine[Any, Any, Record]]] = {
    "round_robin": round_robin,
    "selector": selector,
    "swarm": swarm,
    "fan_out": fan_out,
    "concurrency": concurrency,
    "concurrency_built": concurrency_built,
    "memory": memory,
}


def _run(scenario: str, module: ModuleType, size: int, profile: Path | None) -> Record:
    if profile is None:
        return asyncio.run(MEASURES[scenario](module, size))
    profiler = cProfile.Profile()
    result = profiler.runcall(asyncio.run, MEASURES[scenario](module, size))
    profiler.dump_stats(profile)
    pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    return {**result, "profiled": str(profile)}


def measure(framework: str, scenario: str, size: int, profile: Path | None = None) -> Record:
    """Run one measurement in this process and return its record (under cProfile when ``profile`` is set)."""
    record: Record = {"framework": framework, "scenario": scenario, "size": size}
    calibrate()  # warm-up: the first pass runs before the CPU clock settles
    calibration = [calibrate()]
    try:
        module = target_module(framework)
        record["version"] = module.version()
        record.update(_run(scenario, module, size, profile))
        record["status"] = "ok"
    except Unavailable as exc:
        record.update(status="unavailable", reason=str(exc))
    except Exception as exc:  # a failing framework is a result to report, not a harness crash
        record.update(status="error", reason=f"{type(exc).__name__}: {exc}"[:500])
    calibration.append(calibrate())
    record["calibration_s"] = max(calibration)
    record["peak_rss_mb"] = peak_rss_kb() / 1024
    record["python"] = platform.python_version()
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("framework")
    parser.add_argument("scenario", choices=sorted(MEASURES))
    parser.add_argument("size", type=int)
    parser.add_argument(
        "--profile",
        type=Path,
        help="write cProfile stats here and print the top functions (inflates timings)",
    )
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.framework, args.scenario, args.size, args.profile)))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
