"""``flowgen run``: load a team, run it streaming to the terminal, write the run's files."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from rich.console import Console as RichConsole
from rich.markup import escape
from rich.text import Text

from flowgen.base import TaskResult, Team
from flowgen.cli import core_app
from flowgen.cli.artifacts import prepare_output, write_artifacts
from flowgen.cli.loading import (
    Target,
    add_component_options,
    component_options,
    is_component_file,
    load_target,
    materialize,
)
from flowgen.cli.model_spec import ENV_VAR, ModelPick, pick_model
from flowgen.cli.run_file import OFFLINE, RunOrigin
from flowgen.errors import CLIError
from flowgen.graph.spec import GraphSpec
from flowgen.models import ChatCompletionClient
from flowgen.ui import Console
from flowgen.valid_text import valid_text


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "run",
        help="run a team from a Python file and write its trace, pictures and report",
        description="Run the team a Python file exposes, streaming it to the terminal, then write run.json, "
        "graph.svg (the run drawn on the graph), sequence.svg and report.html to the output folder.",
    )
    parser.add_argument(
        "target", metavar="PATH[:NAME]", help="the file (and optionally the attribute) building the team"
    )
    parser.add_argument("--task", required=True, help="the task to give the team")
    parser.add_argument(
        "--model",
        metavar="SPEC",
        help=f"model spec, e.g. openai:gpt-4o-mini (default: ${ENV_VAR}, else a provider whose API key is set, else offline)",
    )
    parser.add_argument(
        "--max-turns", type=int, metavar="N", help="stop after N turns (the builder must accept max_turns)"
    )
    parser.add_argument(
        "--out", type=Path, metavar="DIR", help="where to write the files (default: out/<file name>)"
    )
    parser.add_argument(
        "--json", action="store_true", help="print a JSON summary instead of streaming the run"
    )
    add_component_options(parser)
    parser.add_argument(
        "--thread",
        metavar="ID",
        help="save every step under this thread (resume it with `flowgen threads resume`)",
    )
    parser.add_argument(
        "--store",
        default="runs.db",
        help="the checkpoint store for --thread: a SQLite file (default runs.db) or postgresql:// URL",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, console: RichConsole) -> int:
    core = core_app.core_module(args.target)
    if core is not None:
        return core_app.run(core, args.task, args.out or Path("out") / Path(args.target).stem, console)
    target = load_target(args.target, **component_options(args))
    if args.max_turns is not None and args.max_turns < 1:
        raise CLIError(f"--max-turns must be at least 1, got {args.max_turns}")
    out = prepare_output(args.out or Path("out") / target.path.stem)  # before the run, not after it
    if is_component_file(target.path):
        if args.model is not None:
            raise CLIError(
                f"{target.path} names its own model clients, so --model cannot replace them — "
                "edit the model_client entries of the file"
            )
        model = ModelPick(None, None, "Running on the model clients the component file describes.")
    else:
        model = pick_model(args.model)
    team = build_team(target, model.client, args.max_turns)
    spec = model.spec
    if not args.json:
        console.print(f"[dim]{escape(model.notice)}[/dim]")
    # Arguments that are not UTF-8 reach Python as lone surrogates: repaired before they go anywhere.
    task = valid_text(args.task)
    result = asyncio.run(run_team(team, task, None if args.json else console, args.thread, args.store))
    origin = RunOrigin(target=target.label, task=task, model=spec or OFFLINE)
    files = write_artifacts(result, origin, out)
    if args.json:
        console.print_json(json.dumps(summary(result, files, origin)))
    else:
        print_outcome(console, result, files)
    return 0


def build_team(
    target: Target, model_client: ChatCompletionClient | None, max_turns: int | None = None
) -> Team:
    built = materialize(target, model_client, max_turns)
    if isinstance(built, GraphSpec):
        raise CLIError(
            f"{target.label} is a graph without agents, so it cannot run — expose the team (or build()) instead; "
            "`flowgen render` and `flowgen check` take graphs"
        )
    return built


async def run_team(
    team: Team, task: str, console: RichConsole | None, thread: str | None = None, store: str = "runs.db"
) -> TaskResult:
    """Run ``team`` on ``task``; streamed to ``console`` when given, silently otherwise; saved if ``thread``."""
    if thread is None:
        if console is not None:
            return await Console(team.run_stream(task=task), output=console)
        return await team.run(task=task)
    from flowgen.teams.shell import BaseGroupChat  # durable runs only

    if not isinstance(team, BaseGroupChat):
        raise CLIError(f"--thread needs a flowgen team, not a {type(team).__name__}")
    if store.startswith(("postgresql://", "postgres://")):
        from flowgen.checkpoint.postgres import PostgresCheckpointer

        team.checkpointer = PostgresCheckpointer(store)
    else:
        from flowgen.checkpoint.sqlite import SqliteCheckpointer

        team.checkpointer = SqliteCheckpointer(store)
    try:
        if console is not None:
            return await Console(team.run_stream(task=task, thread_id=thread), output=console)
        return await team.run(task=task, thread_id=thread)
    finally:
        await team.checkpointer.aclose()


def print_outcome(console: RichConsole, result: TaskResult, files: dict[str, Path]) -> None:
    kind = result.trace.stop.stop if result.trace and result.trace.stop else "stopped"
    # The stop reason may quote the model: printed as a Text, so no markup or :emoji: code is applied.
    console.print(Text.assemble("\n", ("Stop reason", "bold"), f" ({kind}): {result.stop_reason}"))
    for name, path in files.items():
        console.print(f"  {name:<9} {path}")


def summary(result: TaskResult, files: dict[str, Path], origin: RunOrigin) -> dict[str, object]:
    stop = result.trace.stop if result.trace else None
    return {
        "stop_reason": result.stop_reason,
        "stop": stop.stop if stop else None,
        "messages": len(result.messages),
        "model": origin.model,
        "offline": origin.model == OFFLINE,
        "files": {k: str(v) for k, v in files.items()},
    }
