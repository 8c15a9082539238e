"""Past one process, side by side: flowgen on Ray, AutoGen's gRPC worker runtime, an asyncio floor.

    python -m benchmarks.distributed                 # 3 interleaved repeats, prints JSON (≈2 min)
    python -m benchmarks.distributed --repeats 1 --frameworks floor autogen_grpc

Each repeat runs every side in fresh processes, interleaved (floor, AutoGen, flowgen, floor, ...):

- ``flowgen_ray`` (benchmarks/distributed_ray.py): a two-node Ray cluster in a loopback-only network
  namespace; the driver on the head node, the agents in one actor on the worker node.
- ``autogen_grpc`` (benchmarks/distributed_grpc.py): a GrpcWorkerAgentRuntimeHost process, a worker
  process hosting the agents, and the driver's own worker, on 127.0.0.1.
- ``floor`` (benchmarks/distributed_floor.py): two asyncio processes over a TCP socket, no runtime.

Measures: send_message round trip (median of 200), pipelined messages/s (2,000 sends, 100 in
flight), publish deliveries/s to 10 subscribers in the other process, seconds from launch to the
first reply (for Ray: the cluster's start included), and memory summed over the processes (RSS, and
PSS, which splits shared pages). Prints medians, min-max and ratios; a full run also writes them to
docs/bench/distributed.json. Wall-clock figures on a shared machine: read the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

SIDES = {
    "floor": "benchmarks.distributed_floor",
    "autogen_grpc": "benchmarks.distributed_grpc",
    "flowgen_ray": "benchmarks.distributed_ray",
}
MEASURES = (
    "round_trip_ms",
    "pipelined_messages_per_s",
    "fan_out_deliveries_per_s",
    "startup_to_first_reply_s",
    "rss_mb",
    "pss_mb",
)
# flowgen only: the same work with RayAgentRuntime(direct=False), a Ray call per batch.
FLOWGEN_ONLY = (
    "ray_calls_round_trip_ms",
    "ray_calls_pipelined_messages_per_s",
    "ray_calls_fan_out_deliveries_per_s",
)
# What the issue asks of flowgen against AutoGen's gRPC runtime.
TARGETS = {"pipelined_messages_per_s": 3.0, "fan_out_deliveries_per_s": 3.0, "round_trip_ms": 1.5}
ROOT = Path(__file__).resolve().parents[1]


def _run(module: str, timeout: float) -> dict[str, Any]:
    env = {**os.environ, "FLOWGEN_BENCH_LAUNCHED_AT": repr(time.monotonic())}
    done = subprocess.run(
        [sys.executable, "-m", module], capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT
    )
    if done.returncode != 0:
        raise RuntimeError(f"{module} failed ({done.returncode}):\n{done.stdout}\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _summary(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for measure in (*MEASURES, *FLOWGEN_ONLY):
        values = {side: [r[measure] for r in rs if measure in r] for side, rs in runs.items()}
        out[measure] = {
            "median": {side: statistics.median(v) for side, v in values.items() if v},
            "min_max": {side: [min(v), max(v)] for side, v in values.items() if v},
        }
    return out


def _ratios(summary: dict[str, Any]) -> dict[str, Any]:
    """flowgen over AutoGen (and over the floor) for each measure, and whether each target is met."""
    ratios: dict[str, Any] = {}
    for measure in MEASURES:
        median = summary[measure]["median"]
        for peer in ("autogen_grpc", "floor"):
            if "flowgen_ray" in median and median.get(peer):
                ratios[f"{measure}:flowgen_over_{peer}"] = round(median["flowgen_ray"] / median[peer], 2)
    met = {}
    for measure, bound in TARGETS.items():
        ratio = ratios.get(f"{measure}:flowgen_over_autogen_grpc")
        if ratio is not None:
            met[measure] = ratio <= bound if measure == "round_trip_ms" else ratio >= bound
    return {"ratios": ratios, "targets": TARGETS, "target_met": met}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--frameworks", nargs="+", choices=list(SIDES), default=list(SIDES))
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--no-publish", action="store_true", help="do not write docs/bench/distributed.json")
    args = parser.parse_args(argv)
    runs: dict[str, list[dict[str, Any]]] = {side: [] for side in args.frameworks}
    for _ in range(args.repeats):
        for side in args.frameworks:
            runs[side].append(_run(SIDES[side], args.timeout))
    summary = _summary(runs)
    result = {"repeats": args.repeats, **summary, **_ratios(summary), "runs": runs}
    text = json.dumps(result, indent=2)
    print(text)
    if not args.no_publish and args.repeats >= 3 and len(args.frameworks) == len(SIDES):
        (ROOT / "docs" / "bench" / "distributed.json").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
