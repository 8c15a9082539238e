"""What building a team costs: ``python -m benchmarks.team_build [TEAMS]`` prints one JSON object.

A server that makes a team per conversation pays this on every conversation. Three figures, in
microseconds per team, each the median of five passes over ``TEAMS`` teams with the collector paused
(its share is the concurrency scenarios' business):

- ``agents_us``: two AssistantAgents with their models, as the concurrency scenario makes them;
- ``team_us``: the RoundRobinGroupChat over them, with its termination condition;
- ``validate_us``: the check of the team's graph that its first run makes.

One team is built and run first, untimed: imports and first-use caches are not what is measured.
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from benchmarks.calibration import calibrate
from benchmarks.frameworks import flowgen_impl
from benchmarks.frameworks.agentchat_work import Workloads
from benchmarks.scenarios import CONVERSATION_TURNS

PASSES = 5


def _per_item(make: Callable[[int], Any], count: int) -> float:
    """Median microseconds per call of ``make(i)`` over ``PASSES`` passes of ``count`` calls."""
    times: list[float] = []
    for _ in range(PASSES):
        start = time.perf_counter()
        for i in range(count):
            make(i)
        times.append((time.perf_counter() - start) / count * 1e6)
    return statistics.median(times)


async def _warm_up(work: Workloads) -> None:
    """One team built and run: imports and first-use caches are paid before anything is timed."""
    await (await work.conversation(CONVERSATION_TURNS, 0.0))()


def measure(count: int) -> dict[str, float]:
    work: Workloads = flowgen_impl._work
    asyncio.run(_warm_up(work))
    team_type = work.api.team("RoundRobinGroupChat")
    condition = work.api.MaxMessageTermination
    pairs = [[work._agent(f"agent_{i}") for i in range(2)] for _ in range(count)]
    gc.collect()
    gc.disable()
    try:
        agents_us = _per_item(lambda _: [work._agent(f"agent_{i}") for i in range(2)], count)
        team_us = _per_item(
            lambda i: team_type(pairs[i], termination_condition=condition(CONVERSATION_TURNS + 1)), count
        )
        teams = [team_type(p, termination_condition=condition(CONVERSATION_TURNS + 1)) for p in pairs]
        start = time.perf_counter()
        for team in teams:
            team._runner.validate()  # what the first run checks before any agent speaks
        validate_us = (time.perf_counter() - start) / count * 1e6
    finally:
        gc.enable()
    return {
        "agents_us": agents_us,
        "team_us": team_us,
        "validate_us": validate_us,
        "total_us": agents_us + team_us + validate_us,
        "teams": count,
        "calibration_s": calibrate(),
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    count = int(args[0]) if args else 1000
    print(json.dumps(measure(count)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
