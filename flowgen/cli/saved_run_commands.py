"""``flowgen show`` and ``flowgen report``: look at a saved run."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from rich.console import Console as RichConsole
from rich.markup import escape
from rich.table import Table

from flowgen.cli import drawing
from flowgen.cli.run_file import SavedRun, load_run
from flowgen.engine.trace import RunTrace


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    show = commands.add_parser(
        "show",
        help="summarise a saved run",
        description="Summarise a run.json: stop reason, path, messages, tokens.",
    )
    show.add_argument("run", type=Path, metavar="RUN.json", help="a run.json written by `flowgen run`")
    show.add_argument("--width", type=int, default=80, help="characters of each message to show (default 80)")
    show.set_defaults(handler=show_command)
    report = commands.add_parser(
        "report",
        help="write the HTML report of a saved run",
        description="Write a self-contained HTML report (graph overlay, sequence diagram, timeline, usage) of a run.json.",
    )
    report.add_argument("run", type=Path, metavar="RUN.json", help="a run.json written by `flowgen run`")
    report.add_argument(
        "-o", "--output", type=Path, default=Path("report.html"), metavar="FILE", help="default: report.html"
    )
    report.set_defaults(handler=report_command)


def show_command(args: argparse.Namespace, console: RichConsole) -> int:
    saved = load_run(args.run)
    _header(console, saved)
    trace = saved.trace
    if trace is not None:
        console.print(f"[bold]path[/bold]      {escape(' → '.join(path(trace)))}")
        visits = trace.visits()
        console.print(
            "[bold]visits[/bold]    " + ", ".join(f"{n}\u00d7{c}" for n, c in sorted(visits.items()))
        )
    table = Table("#", "source", "type", "content", box=None, pad_edge=False)
    for i, message in enumerate(saved.result.messages):
        text = " ".join(message.to_text().split())
        short = text if len(text) <= args.width else text[: args.width - 1] + "…"
        table.add_row(str(i), escape(message.source), type(message).__name__, escape(short))
    console.print(table)
    _tokens(console, saved)
    return 0


def _header(console: RichConsole, saved: SavedRun) -> None:
    trace = saved.trace
    stop = trace.stop if trace is not None else None
    name = trace.graph.name if trace is not None else "run"
    console.print(f"[bold]{escape(name)}[/bold]  ({escape(str(saved.path))})")
    if saved.origin.target:
        console.print(f"[bold]source[/bold]    {escape(saved.origin.target)} on {escape(saved.origin.model)}")
    if saved.origin.task:
        console.print(f"[bold]task[/bold]      {escape(saved.origin.task)}")
    kind = f" ({stop.stop})" if stop else ""
    console.print(f"[bold]stopped[/bold]{escape(kind)}  {escape(str(saved.result.stop_reason))}")
    if trace is not None:
        console.print(f"[bold]steps[/bold]     {len(trace.steps())}")


def _tokens(console: RichConsole, saved: SavedRun) -> None:
    prompt: Counter[str] = Counter()
    completion: Counter[str] = Counter()
    for message in saved.result.messages:
        if message.models_usage is not None:
            prompt[message.source] += message.models_usage.prompt_tokens
            completion[message.source] += message.models_usage.completion_tokens
    if prompt or completion:
        parts = [f"{a} {prompt[a]}+{completion[a]}" for a in sorted(prompt | completion)]
        console.print("[bold]tokens[/bold]    " + ", ".join(parts))


def path(trace: RunTrace) -> list[str]:
    """The nodes of each step in order; a parallel step reads ``a|b``."""
    return ["|".join(step.nodes) for step in trace.steps()]


def report_command(args: argparse.Namespace, console: RichConsole) -> int:
    saved = load_run(args.run)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    drawing.html_report(saved.result, args.output)
    console.print(f"wrote {args.output}")
    return 0
