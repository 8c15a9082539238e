"""What telemetry costs a round-robin turn: off, metrics only, and spans + metrics; and off against a
baseline source tree (flowgen before telemetry existed).

    python -m benchmarks.telemetry_cost                          # off, metrics, traced; 3 repeats
    python -m benchmarks.telemetry_cost --baseline /tmp/base     # also "baseline": off, from that tree
    python -m benchmarks.telemetry_cost --repeats 7 --turns 5000
    python -m benchmarks.telemetry_cost --count 200                # also instructions per turn (callgrind)

Each measurement runs in a fresh process (``--child MODE TURNS``) on the round_robin workload of the
main harness (5 AssistantAgents, a zero-latency scripted model), the modes interleaved
(A B C A B C ...). Modes:

- ``off``: no telemetry configured (the default every program gets);
- ``metrics``: ``instrument(tracing=False)`` — Prometheus metrics only;
- ``traced``: ``instrument()`` with an SDK TracerProvider exporting every span to an
  InMemorySpanExporter through a SimpleSpanProcessor, and Prometheus metrics;
- ``sdk_floor``: no team at all — the OpenTelemetry SDK making, exporting and making current the
  two spans a traced turn has (its own and its model call's): the part of ``traced`` no
  instrumentation can avoid;
- ``baseline``: ``off``, with flowgen imported from ``--baseline`` (a checkout of an older commit).

Prints one JSON document: per mode the median microseconds per turn (wall and process CPU) with
min-max, and the ratios against ``off``.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

AGENTS = 5
HERE = Path(__file__).resolve().parent.parent
MODES = ("off", "metrics", "traced", "sdk_floor")


def _configure(mode: str) -> Any:
    if mode in ("off", "baseline"):
        return None
    import flowgen.telemetry as telemetry

    if mode == "metrics":
        return telemetry.instrument(tracing=False)
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry.instrument(tracer_provider=provider)
    return exporter


def _sdk_floor(turns: int) -> dict[str, Any]:
    """What the OpenTelemetry SDK alone charges for a traced turn: two spans (the turn's and its model
    call's), each made current and back and exported as flowgen does, with no flowgen around them."""
    from opentelemetry import context, trace

    exporter = _configure("traced")
    from flowgen.telemetry import hooks

    tracer = hooks.observer.tracer  # type: ignore[union-attr]
    root = tracer.start_span("invoke_workflow team", attributes={"gen_ai.operation.name": "invoke_workflow"})
    parent = trace.set_span_in_context(root)
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(turns):
        turn = tracer.start_span(
            "invoke_agent a",
            context=parent,
            attributes={"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "a", "flowgen.turn": i},
        )
        before = context.get_current()
        context.attach(trace.set_span_in_context(turn))
        chat = tracer.start_span(
            "chat",
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "x",
                "gen_ai.agent.name": "a",
                "gen_ai.request.stream": False,
            },
        )
        inner = context.get_current()
        context.attach(trace.set_span_in_context(chat))
        chat.set_attribute("gen_ai.response.finish_reasons", ["stop"])
        chat.set_attribute("gen_ai.usage.input_tokens", 1)
        chat.set_attribute("gen_ai.usage.output_tokens", 1)
        chat.end()
        context.attach(inner)
        turn.set_attribute("gen_ai.usage.input_tokens", 1)
        turn.set_attribute("gen_ai.usage.output_tokens", 1)
        turn.end()
        context.attach(before)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    root.end()
    record: dict[str, Any] = {"mode": "sdk_floor", "turns": turns}
    record.update(per_turn_us=wall / turns * 1e6, cpu_per_turn_us=cpu / turns * 1e6)
    record["spans"] = len(exporter.get_finished_spans())
    return record


async def _measure(mode: str, turns: int) -> dict[str, Any]:
    if mode == "sdk_floor":
        return _sdk_floor(turns)
    from benchmarks.frameworks import flowgen_impl

    exporter = _configure(mode)
    warm = await flowgen_impl.round_robin(AGENTS, 20)  # type: ignore[attr-defined]
    await warm()
    if exporter is not None and hasattr(exporter, "clear"):
        exporter.clear()
    workload = await flowgen_impl.round_robin(AGENTS, turns)  # type: ignore[attr-defined]
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    outcome = await workload()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if outcome.count != turns:
        raise RuntimeError(f"expected {turns} messages, the run holds {outcome.count}")
    record: dict[str, Any] = {"mode": mode, "turns": turns}
    record.update(per_turn_us=wall / turns * 1e6, cpu_per_turn_us=cpu / turns * 1e6)
    if exporter is not None and hasattr(exporter, "get_finished_spans"):
        record["spans"] = len(exporter.get_finished_spans())
    return record


def _child(mode: str, turns: int, baseline: str | None) -> dict[str, Any]:
    tree = baseline if mode == "baseline" else str(HERE)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([tree, str(HERE)])}
    # Run as a script: the baseline tree has no such module, and its workload modules are the same.
    command = [sys.executable, str(Path(__file__).resolve()), "--child", mode, str(turns)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True, cwd=tree)
    record: dict[str, Any] = json.loads(done.stdout)
    return record


def _instructions(mode: str, turns: int, baseline: str | None) -> int:
    """The instruction count of one child process under callgrind (deterministic, unlike timings)."""
    from benchmarks.cli import _CALLGRIND, _collected

    tree = baseline if mode == "baseline" else str(HERE)
    # A fixed hash seed: string hashing changes dictionaries' collisions, and so the count, run to run.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([tree, str(HERE)]), "PYTHONHASHSEED": "0"}
    command = [*_CALLGRIND, sys.executable, str(Path(__file__).resolve()), "--child", mode, str(turns)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True, cwd=tree)
    count = _collected(done.stderr)
    if count is None:
        raise RuntimeError(f"callgrind printed no total for {mode}: {done.stderr[-500:]}")
    return count


def _counted(modes: list[str], turns: int, baseline: str | None) -> dict[str, Any]:
    """Instructions per turn of each mode: two runs, 20 and ``20 + turns`` turns, differenced."""
    per_turn = {
        mode: (_instructions(mode, 20 + turns, baseline) - _instructions(mode, 20, baseline)) / turns
        for mode in modes
    }
    off = per_turn["off"]
    return {
        "instructions_per_turn": {m: round(v) for m, v in per_turn.items()},
        "instruction_ratios": {f"{m}/off": round(v / off, 4) for m, v in per_turn.items() if m != "off"},
    }


def _summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    modes: dict[str, Any] = {}
    for mode in dict.fromkeys(r["mode"] for r in records):
        mine = [r for r in records if r["mode"] == mode]
        wall = [r["per_turn_us"] for r in mine]
        cpu = [r["cpu_per_turn_us"] for r in mine]
        modes[mode] = {
            "per_turn_us": statistics.median(wall),
            "per_turn_us_range": [min(wall), max(wall)],
            "cpu_per_turn_us": statistics.median(cpu),
            "cpu_per_turn_us_range": [min(cpu), max(cpu)],
            "spans_per_run": mine[0].get("spans"),
        }
    off = modes["off"]
    ratios = {
        f"{mode}/off": {
            "wall": round(m["per_turn_us"] / off["per_turn_us"], 3),
            "cpu": round(m["cpu_per_turn_us"] / off["cpu_per_turn_us"], 3),
        }
        for mode, m in modes.items()
        if mode != "off"
    }
    return {"modes": modes, "ratios": ratios}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--child", nargs=2, metavar=("MODE", "TURNS"), help=argparse.SUPPRESS)
    parser.add_argument("--turns", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline", help="a source tree of flowgen to measure with telemetry off")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument(
        "--count",
        type=int,
        metavar="TURNS",
        help="also count instructions per turn under callgrind (two runs, 20 and 20 + TURNS turns)",
    )
    args = parser.parse_args(argv)
    if args.child:
        mode, turns = args.child
        print(json.dumps(asyncio.run(_measure(mode, int(turns)))))
        return 0
    modes = [*dict.fromkeys(["off", *args.modes]), *(["baseline"] if args.baseline else [])]
    for tree in [HERE, *([Path(args.baseline)] if args.baseline else [])]:
        for package in ("flowgen", "benchmarks"):
            compileall.compile_dir(tree / package, quiet=1)  # as the main harness does
    records = [_child(mode, args.turns, args.baseline) for _ in range(args.repeats) for mode in modes]
    document = {"scenario": "round_robin", "agents": AGENTS, "turns": args.turns, "repeats": args.repeats}
    document.update(_summary(records))
    if args.count:
        if shutil.which("valgrind") is None:
            document["instructions"] = "unavailable: valgrind is not installed"
        else:
            document["instructions"] = _counted(modes, args.count, args.baseline)
    print(json.dumps(document, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
