"""Where flowgen's start-up goes: ``python -m benchmarks.startup_stages`` prints one JSON object.

Counts, under callgrind, processes that stop at successive stages of the start-up scenario: the floor
(interpreter, asyncio, pydantic validating one model), then each layer of flowgen imported on top of
the previous ones, then the one-turn run. Each stage's ``delta_m`` is what that layer adds, in
millions of instructions; counts do not depend on the machine's load. Needs valgrind.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import shutil
import sys

#: flowgen's layers in the order a one-turn program loads them: the message types first.
STAGES = (
    "flowgen.core",
    "flowgen.models.types",
    "flowgen.messages",
    "flowgen.base",
    "flowgen.graph.spec",
    "flowgen.engine.scheduler",
    "flowgen.agents.assistant_agent",
    "flowgen.teams.round_robin",
    "benchmarks.frameworks.flowgen_impl",
)


def _run_stage(stage: int) -> None:
    """The process of one stage: the floor, then the first ``stage`` layers, then (past them) one turn."""
    from benchmarks import startup

    asyncio.run(startup._floor())
    for module in STAGES[:stage]:
        importlib.import_module(module)
    if stage > len(STAGES):
        count = asyncio.run(startup._one_turn(importlib.import_module(STAGES[-1])))
        assert count == 1


def _count(stage: int) -> int:
    # The harness loads here, not at the top: every stage's process imports this module, and its
    # counts must not include the harness.
    from benchmarks.cli import _CALLGRIND, _collected, _spawn

    done, _ = _spawn("benchmarks.startup_stages", "--stage", str(stage), timeout=600, runner=_CALLGRIND)
    count = _collected(done.stderr) if done is not None and done.returncode == 0 else None
    if count is None:
        tail = done.stderr[-500:] if done is not None else "timed out"
        raise RuntimeError(f"callgrind gave no total for stage {stage}: {tail}")
    return count


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--stage":
        _run_stage(int(sys.argv[2]))
        return 0
    if shutil.which("valgrind") is None:
        print(json.dumps({"status": "unavailable", "reason": "valgrind is not installed"}))
        return 3
    names = ["floor", *STAGES, "one turn"]
    counts = [_count(stage) for stage in range(len(names))]
    stages = [
        {"stage": name, "cumulative_m": round(n / 1e6, 1), "delta_m": round((n - prev) / 1e6, 1)}
        for name, n, prev in zip(names, counts, [0, *counts], strict=False)
    ]
    print(json.dumps({"status": "ok", "stages": stages}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
