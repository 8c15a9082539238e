"""``flowgen render / check / run`` on a Core application: a module exposing ``build_runtime()``.

The convention: ``build_runtime()`` (sync or async) returns a ``SingleThreadedAgentRuntime`` with
its agents and subscriptions registered, not started; ``drive(runtime, task)`` (async, optional for
render and check) starts it, sends or publishes the task, and stops it. ``flowgen run`` records the
deliveries and writes run.json (the run trace, the format teams use), graph.svg (the topology with
the run drawn on it) and sequence.svg (the deliveries in order).
"""

from __future__ import annotations

import asyncio
import inspect
import json
from pathlib import Path
from types import ModuleType
from typing import Any

from rich.console import Console as RichConsole

from flowgen.cli.loading import import_file, split_target
from flowgen.errors import CLIError

BUILDER = "build_runtime"
DRIVER = "drive"


def core_module(target: str) -> ModuleType | None:
    """The module ``target`` names when it is a Core application (it has ``build_runtime``), else None."""
    path, name = split_target(target)
    if path.suffix != ".py" or not path.is_file() or name not in (None, BUILDER):
        return None
    if BUILDER not in path.read_text(encoding="utf-8", errors="replace"):
        return None  # a team module: imported once, by the team loader, not twice
    module = import_file(path)
    return module if callable(getattr(module, BUILDER, None)) else None


async def _build(module: ModuleType) -> Any:
    from flowgen.core import SingleThreadedAgentRuntime

    built = getattr(module, BUILDER)()
    runtime = await built if inspect.isawaitable(built) else built
    if not isinstance(runtime, SingleThreadedAgentRuntime):
        raise CLIError(f"{BUILDER}() returned a {type(runtime).__name__}, not a SingleThreadedAgentRuntime")
    return runtime


def render(module: ModuleType, fmt: str) -> str:
    from flowgen.cli import drawing
    from flowgen.engine.core_trace import core_graph

    graph = core_graph(asyncio.run(_build(module)))
    drawn = drawing.draw(graph, fmt)  # type: ignore[arg-type]
    if not isinstance(drawn, str):
        raise CLIError("PNG is binary — give a file with -o graph.png")
    return drawn


def check(module: ModuleType, console: RichConsole) -> int:
    from flowgen.core.check import check_runtime

    findings = check_runtime(asyncio.run(_build(module)))
    for finding in findings:
        console.print(f"[red]error[/red] {finding}", markup=True, highlight=False)
    if not findings:
        console.print(
            "ok: every sent or published type has a handler; every subscription's agent type is registered"
        )
    return 1 if findings else 0


def run(module: ModuleType, task: str, out: Path, console: RichConsole) -> int:
    driver = getattr(module, DRIVER, None)
    if not callable(driver):
        raise CLIError(f"a Core application needs `async def {DRIVER}(runtime, task)` to be run")

    async def go() -> Any:
        runtime = await _build(module)
        runtime.start_recording()
        await driver(runtime, task)
        return runtime

    runtime = asyncio.run(go())
    from flowgen.engine.core_trace import core_run_trace
    from visualize.core import core_sequence_svg, core_svg

    trace = core_run_trace(runtime)
    out.mkdir(parents=True, exist_ok=True)
    (out / "run.json").write_text(trace.model_dump_json(indent=1), encoding="utf-8")
    (out / "graph.svg").write_text(core_svg(runtime), encoding="utf-8")
    (out / "sequence.svg").write_text(core_sequence_svg(runtime), encoding="utf-8")
    failures = [f"{f.agent_id}: {type(f.error).__name__}: {f.error}" for f in runtime.handler_failures]
    console.print_json(
        json.dumps(
            {
                "deliveries": len(runtime.deliveries or ()),
                "handler_failures": failures,
                "files": {name: str(out / name) for name in ("run.json", "graph.svg", "sequence.svg")},
            }
        )
    )
    return 1 if failures else 0
