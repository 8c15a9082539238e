"""``python -m visualize``: draw a saved run trace, or run the scripted demo team and draw it.

    python -m visualize TRACE.json [--out DIR]   # graph SVG (run overlay) + Mermaid, from RunTrace JSON
    python -m visualize --demo [--out DIR]       # a scripted nested round robin: SVG + HTML report

Prints the paths of the files it wrote. Needs no network and no API key.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from flowgen.base import TaskResult
from flowgen.engine.trace import RunTrace
from flowgen.errors import FlowgenError
from visualize.mermaid import to_mermaid
from visualize.render import render_svg
from visualize.report import html_report


def write_run(result: TaskResult, out: Path, stem: str = "run") -> list[Path]:
    """Write ``<stem>.svg`` (graph with the run) and ``<stem>.html`` (report) into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    svg, page = out / f"{stem}.svg", out / f"{stem}.html"
    svg.write_text(render_svg(result), encoding="utf-8")
    html_report(result, page)
    return [svg, page]


def write_trace(trace: RunTrace, out: Path, stem: str) -> list[Path]:
    """Write ``<stem>.svg`` and ``<stem>.mmd`` for a run trace."""
    out.mkdir(parents=True, exist_ok=True)
    svg, mmd = out / f"{stem}.svg", out / f"{stem}.mmd"
    svg.write_text(render_svg(trace), encoding="utf-8")
    mmd.write_text(to_mermaid(trace), encoding="utf-8")
    return [svg, mmd]


async def demo_result() -> TaskResult:
    """A writer, a critic and a nested research team taking turns, all scripted."""
    from flowgen.teams import RoundRobinGroupChat
    from flowgen.testing import ScriptedAgent

    research = RoundRobinGroupChat(
        [ScriptedAgent("searcher", ["found 3 sources"]), ScriptedAgent("summarizer", ["they agree"])],
        max_turns=2,
        name="research",
    )
    writer = ScriptedAgent("writer", ["first draft", "second draft"], description="Writes drafts.")
    critic = ScriptedAgent("critic", ["needs sources", "APPROVE"], description="Reviews drafts.")
    team = RoundRobinGroupChat([writer, critic, research], max_turns=5)
    return await team.run(task="Write a paragraph about tides.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m visualize", description=__doc__.splitlines()[0])
    parser.add_argument("trace", nargs="?", type=Path, help="a RunTrace saved as JSON")
    parser.add_argument("--demo", action="store_true", help="run the scripted demo team and draw it")
    parser.add_argument("--out", type=Path, default=Path("build/visualize"), help="output folder")
    args = parser.parse_args(argv)
    try:
        if args.demo:
            paths = write_run(asyncio.run(demo_result()), args.out, "demo")
        elif args.trace is not None:
            trace = RunTrace.model_validate_json(args.trace.read_text(encoding="utf-8"))
            paths = write_trace(trace, args.out, args.trace.stem)
        else:
            parser.error("give a trace file or --demo")
    except (FlowgenError, OSError, ValueError) as exc:
        print(f"visualize: {exc}", file=sys.stderr)
        return 1
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
