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

``--sequential`` (also part of the default run) makes SEQUENTIAL teams one after another on one
runtime, as a server making a team per request does: each is built, run for two turns and dropped.
It prints the time to build and run team 1 (actors started), the median of teams 2-11 and of the
last ten, their ratio, and per team what the runtime sent: the driver's directory size after the
first and the last team, and (where the runtime counts them) directory updates, recipes stored and
release calls per team, and the agents the actors still hold at the end.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from typing import Any

from benchmarks.on_cluster import measured_on_cluster

TURNS = 20
RUNS = 7
SEQUENTIAL = 200
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


def _small_team(runtime: Any) -> Any:
    from flowgen.agents import AssistantAgent
    from flowgen.models import ReplayChatCompletionClient
    from flowgen.teams import RoundRobinGroupChat

    agents = [AssistantAgent(n, ReplayChatCompletionClient([f"{n} says"])) for n in ("writer", "critic")]
    return RoundRobinGroupChat(agents, max_turns=2, runtime=runtime)


async def _team_ms(runtime: Any) -> float:
    began = time.perf_counter()
    result = await _small_team(runtime).run(task="go")
    elapsed = time.perf_counter() - began
    assert len(result.messages) == 3, result.stop_reason
    return elapsed * 1e3


def _directory_bytes(runtime: Any) -> int:
    from ray import cloudpickle

    return len(cloudpickle.dumps(runtime._directory))


async def _sequential() -> dict[str, Any]:
    """SEQUENTIAL teams made, run and dropped one after another on one runtime."""
    import ray

    from flowgen.distributed import Placement, RayAgentRuntime

    worker = Placement(resources=ON_WORKER)
    runtime = RayAgentRuntime(name="sequential", placements={"writer": worker, "critic": worker})
    runtime.start()
    release = getattr(runtime, "release_unused", None)
    counted = getattr(runtime, "hosting_counts", None)
    per_team: list[float] = []
    releases: list[float] = []
    sizes: list[int] = []
    costs: list[dict[str, int]] = []
    for _ in range(SEQUENTIAL):
        before = counted() if counted else {}
        per_team.append(await _team_ms(runtime))
        if release is not None:
            began = time.perf_counter()
            await release(collect=False)  # the team is gone already: no cycle holds it
            releases.append((time.perf_counter() - began) * 1e3)
        after = counted() if counted else {}
        costs.append({k: after[k] - before.get(k, 0) for k in after if k not in ("participants", "recipes")})
        sizes.append(_directory_bytes(runtime))
    early, late = statistics.median(per_team[1:11]), statistics.median(per_team[-10:])
    out: dict[str, Any] = {
        "teams": SEQUENTIAL,
        "team_1_ms_incl_actor_start": round(per_team[0], 1),
        "team_2_to_11_median_ms": round(early, 2),
        f"team_{SEQUENTIAL - 9}_to_{SEQUENTIAL}_median_ms": round(late, 2),
        "ratio_last_to_early": round(late / early, 2),
        "directory_bytes_after_team_1": sizes[0],
        f"directory_bytes_after_team_{SEQUENTIAL}": sizes[-1],
    }
    if releases:
        out["release_median_ms"] = round(statistics.median(releases), 2)
    if counted is not None:
        out["sent_for_team_2"] = costs[1]
        out[f"sent_for_team_{SEQUENTIAL}"] = costs[-1]
        actor = ray.get_actor("flowgen.sequential.writer.0")
        out["writer_actor_holds_at_end"] = await actor.holding.remote()
    await runtime.close()
    return out


def main() -> None:
    if "--inner" in sys.argv:
        from benchmarks import ray_teams  # by import name, so actors unpickle by reference

        if "--sequential" in sys.argv:
            from benchmarks.distributed_ray import _connect

            _connect()
            print(json.dumps(asyncio.run(ray_teams._sequential())))
            return
        measured = asyncio.run(ray_teams._measure())
        measured["sequential"] = asyncio.run(ray_teams._sequential())
        print(json.dumps(measured))
        return
    print(measured_on_cluster("benchmarks.ray_teams", ["--inner", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
