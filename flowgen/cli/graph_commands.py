"""``flowgen render`` and ``flowgen check``: draw a team's graph, or validate it before anything runs."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import cast

from rich.console import Console as RichConsole
from rich.markup import escape

from flowgen.base import Team
from flowgen.cli import drawing
from flowgen.cli.loading import Target, load_target, materialize
from flowgen.errors import CLIError, GraphValidationError
from flowgen.graph.spec import GraphSpec
from flowgen.graph.validate import Finding, check

FORMATS = ("svg", "dot", "mermaid", "png")
SUFFIXES: dict[str, drawing.Format] = {
    ".svg": "svg",
    ".dot": "dot",
    ".gv": "dot",
    ".mmd": "mermaid",
    ".md": "mermaid",
    ".png": "png",
}


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    render = commands.add_parser(
        "render",
        help="draw a team's graph as SVG, DOT, Mermaid or PNG",
        description="Draw the graph of the team a Python file exposes. Without -o, text formats print to stdout.",
    )
    render.add_argument(
        "target", metavar="PATH[:NAME]", help="the file (and optionally the attribute) building the team"
    )
    render.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write here (the suffix picks the format)"
    )
    render.add_argument("--format", choices=FORMATS, help="svg (default), dot, mermaid or png")
    render.set_defaults(handler=render_command)
    checker = commands.add_parser(
        "check",
        help="validate a team's graph; exits non-zero when it cannot run",
        description="Run flowgen's graph validation and print each finding with its fix. Exit status 1 on findings.",
    )
    checker.add_argument(
        "target", metavar="PATH[:NAME]", help="the file (and optionally the attribute) building the team"
    )
    checker.set_defaults(handler=check_command)


def render_command(args: argparse.Namespace, console: RichConsole) -> int:
    output: Path | None = args.output
    fmt: drawing.Format = args.format or (SUFFIXES.get(output.suffix.lower(), "svg") if output else "svg")
    if fmt == "png" and output is None:
        raise CLIError("PNG is binary — give a file with -o graph.png")
    drawn = drawing.draw(_built(load_target(args.target)), fmt)
    if output is None and isinstance(drawn, str):
        console.file.write(drawn if drawn.endswith("\n") else drawn + "\n")
        return 0
    if output is None:  # pragma: no cover - PNG without -o is refused above
        raise CLIError("give a file with -o")
    output.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(drawn, bytes):
        output.write_bytes(drawn)
    else:
        output.write_text(drawn, encoding="utf-8")
    console.print(f"wrote {output} ({fmt})")
    return 0


def check_command(args: argparse.Namespace, console: RichConsole) -> int:
    target = load_target(args.target)
    try:
        built = _built(target)
    except GraphValidationError as exc:
        # The team refused its own graph while being built: report what it found.
        return _report(
            console, target, [f for f in exc.findings if isinstance(f, Finding)] or exc.findings, None
        )
    graph = built if isinstance(built, GraphSpec) else cast(GraphSpec, getattr(built, "graph", None))
    if not isinstance(graph, GraphSpec):
        raise CLIError(f"{target.label} has no graph to check — it must be a flowgen team or a GraphSpec")
    if isinstance(built, Team):
        names = [p.name for p in getattr(built, "participants", [])]
        bounded = not getattr(built, "require_bounded", True) or _bounded(built)
        findings: list[object] = list(check(graph, participants=names, bounded=bounded))
    else:
        findings = list(check(graph))
    return _report(console, target, findings, graph)


def _bounded(team: Team) -> bool:
    return (
        getattr(team, "termination_condition", None) is not None
        or getattr(team, "max_turns", None) is not None
    )


def _built(target: Target) -> Team | GraphSpec:
    return materialize(target)


def _report(console: RichConsole, target: Target, findings: list[object], graph: GraphSpec | None) -> int:
    if not findings and graph is not None:
        console.print(
            f"[green]✓[/green] {escape(target.label)}: graph {escape(graph.name)!s} is valid "
            f"({len(graph.nodes)} nodes, {len(graph.edges)} edges)"
        )
        return 0
    console.print(f"[red]✗[/red] {escape(target.label)}: {len(findings)} problem(s)")
    for finding in findings:
        if isinstance(finding, Finding):
            console.print(f"  [red]{finding.code}[/red]: {escape(finding.problem)}")
            console.print(f"    fix: {escape(finding.fix)}")
        else:
            console.print(f"  {escape(str(finding))}")
    return 1
