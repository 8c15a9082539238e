"""What the server's step events cost a durable run: per-step time with nobody listening, and listening.

    python -m benchmarks.step_events                 # 5-agent round robin, 400 steps, 7 rounds
    python -m benchmarks.step_events --steps 200 --rounds 3
    python -m benchmarks.step_events --instructions  # instructions per step under callgrind (≈1 min)

A durable run (``thread_id`` on an in-memory checkpoint store, so no disk write hides the engine's
own cost) is timed per step over its second half, in rounds that alternate a run nobody listens to
with one whose steps are told to a listener (:data:`flowgen.engine.durable.step_listener`, as the
server's ``step`` events are). Prints JSON: the medians, the listener's ratio, and the calibration
loop's time (how busy the machine was). On a tree without the listener only the first is measured,
so the same command run on an older tree gives the "before" figure. Timings on a busy shared machine
drift by more than the listener costs: ``--instructions`` counts instructions per step instead (two
runs of 20 and 220 steps under callgrind, differenced), which the machine's load does not change.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

AGENTS = 5
REPLY = "Noted; here is my part of the answer."


async def _run(steps: int, listen: bool) -> float:
    from flowgen.agents import AssistantAgent
    from flowgen.checkpoint import MemoryCheckpointer
    from flowgen.conditions import MaxMessageTermination
    from flowgen.models import FunctionChatCompletionClient
    from flowgen.teams import RoundRobinGroupChat

    agents = [
        AssistantAgent(f"agent{i}", model_client=FunctionChatCompletionClient(lambda m, info: REPLY))
        for i in range(AGENTS)
    ]
    team = RoundRobinGroupChat(agents, termination_condition=MaxMessageTermination(steps + 1))
    team.checkpointer = MemoryCheckpointer()
    heard: list[Any] = []
    token = None
    if listen:
        from flowgen.engine.durable import step_listener

        token = step_listener.set(heard.append)
    stamps: list[float] = []
    try:
        async for _ in team.run_stream(task="go", thread_id="bench", output_task_messages=False):
            stamps.append(time.perf_counter())
    finally:
        if token is not None:
            from flowgen.engine.durable import step_listener

            step_listener.reset(token)
    if listen and len(heard) < steps:
        raise RuntimeError(f"the listener heard {len(heard)} of {steps} steps")
    half = stamps[len(stamps) // 2 :]
    return (half[-1] - half[0]) / (len(half) - 1) * 1000


def _child(steps: int, listen: bool) -> None:
    asyncio.run(_run(steps, listen))


def _instructions(steps: int, listen: bool) -> int:
    """The instruction count of one process running one durable run of ``steps`` steps."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-m",
               "benchmarks.step_events", "--child", str(steps), str(int(listen))]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=os.environ.copy())
    for line in done.stderr.splitlines():
        if "Collected :" in line:
            return int(line.rsplit(":", 1)[1].strip())
    raise RuntimeError(f"callgrind gave no count (exit {done.returncode}): {done.stderr[-300:]}")


def _per_step_instructions(listen: bool) -> float:
    short, long = _instructions(20, listen), _instructions(220, listen)
    return (long - short) / 200 / 1000


def _calibrate() -> float:
    began = time.perf_counter()
    total = 0
    for i in range(300_000):
        total += i % 7
    return (time.perf_counter() - began) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--instructions", action="store_true", help="count instructions per step (callgrind)")
    parser.add_argument("--child", nargs=2, type=int, metavar=("STEPS", "LISTEN"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child[0], bool(args.child[1]))
        return 0
    try:
        from flowgen.engine.durable import step_listener  # noqa: F401
    except ImportError:
        can_listen = False
    else:
        can_listen = True
    if args.instructions:
        counted: dict[str, Any] = {"scenario": "step_events_instructions", "agents": AGENTS,
                                   "durable_step_k_instructions_nobody_listening": _per_step_instructions(False)}  # fmt: skip
        if can_listen:
            listening_k = _per_step_instructions(True)
            counted["durable_step_k_instructions_listening"] = listening_k
            counted["listening_over_quiet"] = round(
                listening_k / counted["durable_step_k_instructions_nobody_listening"], 4
            )
        print(json.dumps(counted, indent=1))
        return 0
    asyncio.run(_run(50, False))  # warm: imports and first-use costs out of the measurement
    quiet: list[float] = []
    listening: list[float] = []
    calibration: list[float] = []
    for _ in range(args.rounds):
        calibration.append(_calibrate())
        quiet.append(asyncio.run(_run(args.steps, False)))
        if can_listen:
            listening.append(asyncio.run(_run(args.steps, True)))
    result: dict[str, Any] = {
        "scenario": "step_events",
        "agents": AGENTS,
        "steps": args.steps,
        "rounds": args.rounds,
        "durable_step_ms_nobody_listening": round(statistics.median(quiet), 4),
        "range_nobody_listening": [round(min(quiet), 4), round(max(quiet), 4)],
        "calibration_ms": round(statistics.median(calibration), 2),
    }
    if listening:
        result["durable_step_ms_listening"] = round(statistics.median(listening), 4)
        result["range_listening"] = [round(min(listening), 4), round(max(listening), 4)]
        result["listening_over_quiet"] = round(statistics.median(listening) / statistics.median(quiet), 3)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
