"""``flowgen diff``: where two runs of a graph diverged, as text and as an overlay of both paths."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console as RichConsole
from rich.markup import escape

from flowgen.cli import drawing
from flowgen.cli.diff_overlay import TIMES, diff_dot
from flowgen.cli.run_diff import RunDiff
from flowgen.cli.run_file import SavedRun, load_run
from flowgen.errors import (
    CassetteDriftError,
    CLIError,
    RendererNotFoundError,
    ReplayExhaustedError,
    UnusedRepliesError,
)

DRIFT_ERRORS = (CassetteDriftError, ReplayExhaustedError, UnusedRepliesError)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    diff = commands.add_parser(
        "diff",
        help="where two runs diverged (text, and an SVG of both paths)",
        description="Compare two run.json files: first differing step, path and message differences; "
        "or, with --store, two checkpoints (two branches) of a durable thread, given as THREAD@CHECKPOINT. "
        "Exit status 0 when the runs match, 1 when they differ.",
    )
    diff.add_argument("run_a", metavar="RUN_A.json|THREAD@CHECKPOINT")
    diff.add_argument("run_b", metavar="RUN_B.json|THREAD@CHECKPOINT")
    diff.add_argument(
        "--store",
        help="a checkpoint store (SQLite file or postgresql:// URL): compare two checkpoints of a thread",
    )
    diff.add_argument(
        "--team", metavar="PATH[:NAME]", help="with --store: draw both branches on this team's graph"
    )
    diff.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("diff.svg"),
        metavar="FILE",
        help="the overlay of both paths (default: diff.svg; .dot for DOT)",
    )
    diff.add_argument("--no-svg", action="store_true", help="print the differences only")
    diff.set_defaults(handler=diff_command)


def diff_command(args: argparse.Namespace, console: RichConsole) -> int:
    if args.store is not None:
        return _thread_diff(args, console)
    a, b = load_run(Path(args.run_a)), load_run(Path(args.run_b))
    diff = RunDiff.between(a.result, b.result)
    print_diff(console, diff, str(args.run_a), str(args.run_b))
    if not args.no_svg:
        _write_overlay(console, a, b, args.output)
    return 0 if diff.same else 1


def _thread_diff(args: argparse.Namespace, console: RichConsole) -> int:
    """Two checkpoints of one thread: what ``flowgen threads diff`` prints and draws."""
    from flowgen.cli.thread_commands import diff_checkpoints

    (thread_a, _, checkpoint_a), (thread_b, _, checkpoint_b) = (
        args.run_a.partition("@"),
        args.run_b.partition("@"),
    )
    if not (checkpoint_a and checkpoint_b) or thread_a != thread_b:
        raise CLIError(
            "with --store, give two checkpoints of one thread as THREAD@CHECKPOINT THREAD@CHECKPOINT "
            "(`flowgen threads show THREAD --store ...` lists its checkpoint ids)"
        )
    return diff_checkpoints(args.store, thread_a, checkpoint_a, checkpoint_b, args.team, args.output, console)


def _write_overlay(console: RichConsole, a: SavedRun, b: SavedRun, output: Path) -> None:
    if a.trace is None:
        console.print("[dim]no overlay: run A carries no trace[/dim]")
        return
    if b.trace is not None and b.trace.graph.name != a.trace.graph.name:
        console.print(
            f"[yellow]note[/yellow]: the runs are of different graphs; drawing on {escape(a.trace.graph.name)}"
        )
    dot = diff_dot(a.trace.graph, a.trace, b.trace)
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.suffix == ".dot":
        output.write_text(dot, encoding="utf-8")
    else:
        try:
            output.write_text(drawing.dot_to_svg(dot), encoding="utf-8")
        except RendererNotFoundError:
            output = output.with_suffix(".dot")
            output.write_text(dot, encoding="utf-8")
    console.print(f"overlay   {output}")


def print_diff(console: RichConsole, diff: RunDiff, label_a: str, label_b: str) -> None:
    """The differences as text: stop reasons, first differing step, edges, first differing message."""
    if diff.same:
        console.print(
            f"[green]same[/green]: {len(diff.said_a)} messages, {len(diff.steps_a)} steps, same stop reason"
        )
        return
    console.print(f"[bold]A[/bold] {escape(label_a)}\n[bold]B[/bold] {escape(label_b)}")
    if diff.stop_a != diff.stop_b:
        console.print(
            f"stop reason  A: {escape(str(diff.stop_a))}\n             B: {escape(str(diff.stop_b))}"
        )
    if diff.first_step is not None:
        i = diff.first_step
        console.print(
            f"first differing step: {i + 1}  A ran {_step(diff.steps_a, i)}, B ran {_step(diff.steps_b, i)}"
        )
    for (source, target), ca, cb in diff.edge_changes():
        console.print(f"  edge {escape(source)} → {escape(target)}: A{TIMES}{ca}  B{TIMES}{cb}")
    if diff.first_message is not None:
        i = diff.first_message
        console.print(f"first differing message: #{i}")
        console.print(f"  A: {_said(diff.said_a, i)}")
        console.print(f"  B: {_said(diff.said_b, i)}")
    console.print(
        f"messages: A {len(diff.said_a)}, B {len(diff.said_b)}; steps: A {len(diff.steps_a)}, B {len(diff.steps_b)}"
    )


def _step(steps: tuple[tuple[str, ...], ...], index: int) -> str:
    return escape(" | ".join(steps[index])) if index < len(steps) else "nothing (the run had ended)"


def _said(said: tuple[tuple[str, str, str], ...], index: int) -> str:
    if index >= len(said):
        return "(no message: the run had ended)"
    source, kind, text = said[index]
    flat = " ".join(text.split())
    return escape(f"{source} ({kind}): {flat[:100]}")
