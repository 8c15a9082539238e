"""A team's turn with its participants hosted on a Ray cluster, against the same team run locally.

``python -m benchmarks.ray_teams`` starts a real two-node cluster in a loopback-only namespace
(flowgen.testing.ray_cluster) and runs a two-agent RoundRobinGroupChat (replayed models, TURNS
turns) three ways: calling its agents directly, on a SingleThreadedAgentRuntime, and on a
RayAgentRuntime with both participants in actors on the worker node (the driver on the head node),
over its direct links (the default) and again by Ray calls (``direct=False``). It prints one JSON
object: the median time per turn of each (RUNS runs, after one warm-up run that builds the actors'
participants), the ratios to the local run (and of Ray calls to the link), and the first run on Ray
(actors started and participants built). Wall-clock figures on a shared 2-core machine: compare
ratios.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TURNS = 20
RUNS = 7
ON_WORKER = {"worker_node": 0.01}


def _team(runtime: Any) -> Any:
    from flowgen.agents import AssistantAgent
    from flowgen.models import ReplayChatCompletionClient
    from flowgen.teams import RoundRobinGroupChat

    agents = [
        AssistantAgent(name, ReplayChatCompletionClient([f"{name} {i}" for i in range(TURNS)]))
        for name in ("writer", "critic")
    ]
    return RoundRobinGroupChat(agents, max_turns=TURNS, runtime=runtime)


async def _per_turn_ms(runtime: Any) -> float:
    team = _team(runtime)
    began = time.perf_counter()
    result = await team.run(task="go")
    elapsed = time.perf_counter() - began
    assert len(result.messages) == TURNS + 1, result.stop_reason
    return elapsed / TURNS * 1e3


async def _measure() -> dict[str, Any]:
    from benchmarks.distributed_ray import _connect
    from flowgen.core import SingleThreadedAgentRuntime
    from flowgen.distributed import Placement, RayAgentRuntime

    out: dict[str, Any] = {"cluster_ready_s": round(_connect(), 1), "turns": TURNS, "runs": RUNS}
    local = [await _per_turn_ms(None) for _ in range(RUNS)]
    single = SingleThreadedAgentRuntime()
    single.start()
    in_process = [await _per_turn_ms(single) for _ in range(RUNS)]
    await single.stop()
    worker = Placement(resources=ON_WORKER)
    ray_runtime = RayAgentRuntime(placements={"writer": worker, "critic": worker})
    ray_runtime.start()
    began = time.perf_counter()
    await _per_turn_ms(ray_runtime)
    out["ray_first_run_s_incl_actor_start"] = round(time.perf_counter() - began, 2)
    on_ray = [await _per_turn_ms(ray_runtime) for _ in range(RUNS)]
    await ray_runtime.close()
    # The same turns by Ray calls (a streaming actor call per turn) instead of the direct link.
    by_ray = RayAgentRuntime(placements={"writer": worker, "critic": worker}, direct=False)
    by_ray.start()
    await _per_turn_ms(by_ray)
    ray_calls = [await _per_turn_ms(by_ray) for _ in range(RUNS)]
    await by_ray.close()
    medians = {
        "local": statistics.median(local),
        "single_threaded_runtime": statistics.median(in_process),
        "ray_worker_node": statistics.median(on_ray),
        "ray_worker_node_ray_calls": statistics.median(ray_calls),
    }
    for name, value in medians.items():
        out[f"turn_ms_{name}"] = round(value, 3)
    out["ratio_single_threaded_to_local"] = round(medians["single_threaded_runtime"] / medians["local"], 2)
    out["ratio_ray_to_local"] = round(medians["ray_worker_node"] / medians["local"], 2)
    out["ratio_ray_calls_to_link"] = round(
        medians["ray_worker_node_ray_calls"] / medians["ray_worker_node"], 2
    )
    return out


def main() -> None:
    if "--inner" in sys.argv:
        from benchmarks import ray_teams  # by import name, so actors unpickle by reference

        print(json.dumps(asyncio.run(ray_teams._measure())))
        return
    from flowgen.testing.ray_cluster import run_on_local_cluster

    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="flowgen-ray-teams-") as workdir:
        done = run_on_local_cluster(
            [sys.executable, "-m", "benchmarks.ray_teams", "--inner"],
            workdir=Path(workdir),
            pythonpath=[str(root)],
        )
    if done.returncode != 0:
        sys.exit(f"the cluster run failed ({done.returncode}):\n{done.stdout}\n{done.stderr[-4000:]}")
    print(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
