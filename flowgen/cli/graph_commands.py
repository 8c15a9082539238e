"""``flowgen render`` and ``flowgen check``: draw a team's graph, or validate it before anything runs.

``flowgen check`` runs the structural validation (:func:`flowgen.graph.validate.check`) and then
explores every run of the graph up to ``--depth`` steps (:func:`flowgen.graph.explore.explore`),
printing each finding with its fix and, for exploration findings, the counterexample run;
``--svg FILE`` draws that run on the graph for the first finding. Exit status 1 on errors; warnings
(a search cut short by the depth) alone keep it at 0.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import cast

from rich.console import Console as RichConsole
from rich.markup import escape

from flowgen.base import Team
from flowgen.cli import core_app, drawing
from flowgen.cli.loading import Target, add_component_options, component_options, load_target, materialize
from flowgen.errors import CLIError, GraphValidationError
from flowgen.graph.explore import DEFAULT_DEPTH, Exploration, ExplorationFinding, explore
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
    add_component_options(render)
    render.set_defaults(handler=render_command)
    checker = commands.add_parser(
        "check",
        help="validate a team's graph; exits non-zero when it cannot run",
        description=(
            "Run flowgen's graph validation, then explore every run of the graph under every choice of its "
            "conditions, routers and handoffs, and print each finding with its fix and a counterexample run. "
            "Exit status 1 on errors."
        ),
    )
    checker.add_argument(
        "target", metavar="PATH[:NAME]", help="the file (and optionally the attribute) building the team"
    )
    checker.add_argument(
        "--depth",
        type=_positive,
        default=DEFAULT_DEPTH,
        metavar="N",
        help=f"explore runs up to N steps long (default {DEFAULT_DEPTH})",
    )
    checker.add_argument(
        "--svg", type=Path, metavar="FILE", help="draw the counterexample run of the first finding as SVG"
    )
    add_component_options(checker)
    checker.set_defaults(handler=check_command)


def render_command(args: argparse.Namespace, console: RichConsole) -> int:
    output: Path | None = args.output
    fmt: drawing.Format = args.format or (SUFFIXES.get(output.suffix.lower(), "svg") if output else "svg")
    if fmt == "png" and output is None:
        raise CLIError("PNG is binary — give a file with -o graph.png")
    core = core_app.core_module(args.target)
    drawn = (
        core_app.render(core, fmt)
        if core is not None
        else drawing.draw(_built(load_target(args.target, **component_options(args))), fmt)
    )
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
    core = core_app.core_module(args.target)
    if core is not None:
        return core_app.check(core, console)
    target = load_target(args.target, **component_options(args))
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
    bounded = False
    if isinstance(built, Team):
        names = [p.name for p in getattr(built, "participants", [])]
        bounded = not getattr(built, "require_bounded", True) or _bounded(built)
        findings: list[object] = list(check(graph, participants=names, bounded=bounded))
    else:
        findings = list(check(graph))
    explored = explore(graph, bounded=bounded, depth=args.depth)
    everything = [*_merged(findings, explored), *_nested(graph, args.depth)]
    status = _report(console, target, everything, graph, explored)
    if args.svg is not None:
        _draw_counterexample(console, graph, explored, args.svg)
    return status


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"the depth must be at least 1, got {value}")
    return value


def _merged(findings: list[object], explored: Exploration) -> list[object]:
    """Validation findings the exploration repeats are shown once, with the exploration's run."""
    shown = {(f.kind, f.nodes[0]) for f in explored.findings if f.nodes}
    # A trap is a cycle the run cannot leave: validation calls it an unbounded cycle.
    shown |= {("unbounded_cycle", node) for kind, node in shown if kind == "trap"}
    kept = [f for f in findings if not (isinstance(f, Finding) and f.nodes and (f.code, f.nodes[0]) in shown)]
    return [*kept, *explored.findings]


def _nested(graph: GraphSpec, depth: int) -> list[ExplorationFinding]:
    """Findings inside nested teams, explored as bounded: an inner team stops on its own conditions."""
    found: list[ExplorationFinding] = []
    for where, sub in graph.walk():
        if where:
            found += [
                replace(f, message=f"in team {where!r}: {f.message}")
                for f in explore(sub, bounded=True, depth=depth).findings
            ]
    return found


def _draw_counterexample(console: RichConsole, graph: GraphSpec, explored: Exploration, path: Path) -> None:
    import visualize  # the drawing package, reached only when a drawing is asked for

    first = next(iter([*explored.errors, *explored.findings]), None)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(visualize.render_svg(graph, highlight=first), encoding="utf-8")
    what = f"the counterexample of {first.kind}" if first is not None else "the graph (no counterexample)"
    console.print(f"wrote {escape(str(path))}: {what}")


def _bounded(team: Team) -> bool:
    return (
        getattr(team, "termination_condition", None) is not None
        or getattr(team, "max_turns", None) is not None
    )


def _built(target: Target) -> Team | GraphSpec:
    return materialize(target)


def _report(
    console: RichConsole,
    target: Target,
    findings: list[object],
    graph: GraphSpec | None,
    explored: Exploration | None = None,
) -> int:
    errors = [f for f in findings if not (isinstance(f, ExplorationFinding) and f.severity == "warning")]
    if not errors and graph is not None:
        console.print(
            f"[green]✓[/green] {escape(target.label)}: graph {escape(graph.name)!s} is valid "
            f"({len(graph.nodes)} nodes, {len(graph.edges)} edges)"
        )
    else:
        console.print(f"[red]✗[/red] {escape(target.label)}: {len(errors)} problem(s)")
    for finding in findings:
        _print_finding(console, finding)
    if explored is not None:
        _print_coverage(console, explored)
    return 1 if errors else 0


def _print_finding(console: RichConsole, finding: object) -> None:
    if isinstance(finding, ExplorationFinding):
        colour = "red" if finding.severity == "error" else "yellow"
        warning = "" if finding.severity == "error" else " (warning)"
        console.print(f"  [{colour}]{finding.kind}[/{colour}]{warning}: {escape(finding.message)}")
        console.print(f"    fix: {escape(finding.fix)}")
        console.print(f"    run: {escape(finding.path_text())}")
    elif isinstance(finding, Finding):
        console.print(f"  [red]{finding.code}[/red]: {escape(finding.problem)}")
        console.print(f"    fix: {escape(finding.fix)}")
    else:
        console.print(f"  {escape(str(finding))}")


def _print_coverage(console: RichConsole, explored: Exploration) -> None:
    if explored.complete:
        console.print(
            f"  explored every run: {explored.states} reachable states, each within {_steps(explored.depth)} "
            "of the start"
        )
    else:
        console.print(
            f"  [yellow]explored {explored.states} states up to {_steps(explored.depth)}; longer runs were not "
            "checked[/yellow] (raise --depth to look further)"
        )


def _steps(count: int) -> str:
    return f"{count} step" if count == 1 else f"{count} steps"
