"""``flowgen replay``: run a recorded run (or a cassette) again, offline, and report any drift.

A run.json is replayed on what it ran on: the example's scripted model, its cassette, its replay
file — or, for a run on a real model, on the replies recorded in the run itself. A cassette file
(``flowgen replay rec.cassette.jsonl --target PATH --task TEXT``) is replayed strictly: every request
must match a recording and every recording must be used.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from rich.console import Console as RichConsole
from rich.markup import escape

from flowgen.base import TaskResult
from flowgen.cli.artifacts import write_artifacts
from flowgen.cli.diff_commands import print_diff
from flowgen.cli.loading import Target, load_target
from flowgen.cli.model_spec import client_for
from flowgen.cli.recorded_model import recorded_client
from flowgen.cli.run_command import build_team, run_team
from flowgen.cli.run_diff import RunDiff
from flowgen.cli.run_file import OFFLINE, RunOrigin, SavedRun, load_run
from flowgen.errors import CassetteDriftError, CLIError, ReplayExhaustedError, UnusedRepliesError
from flowgen.models import ChatCompletionClient

DRIFT_ERRORS = (CassetteDriftError, ReplayExhaustedError, UnusedRepliesError)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    replay = commands.add_parser(
        "replay",
        help="re-run a saved run (or a cassette) offline and report drift",
        description="Rebuild the team a run.json came from and run it again offline: on the example's scripted "
        "model, on its cassette, or on the model replies recorded in the run. Given a cassette file instead, "
        "run --target on it with --task. Exit status 1 on drift.",
    )
    replay.add_argument(
        "run", type=Path, metavar="RUN.json|CASSETTE", help="a run.json, or a cassette (.jsonl)"
    )
    replay.add_argument(
        "--target", metavar="PATH[:NAME]", help="the team to run (default: the one the run came from)"
    )
    replay.add_argument("--task", help="the task (default: the recorded one; required with a cassette)")
    replay.add_argument(
        "--model", metavar="SPEC", help="replay on this model instead, e.g. cassette:run.cassette.jsonl"
    )
    replay.add_argument("--out", type=Path, metavar="DIR", help="also write the replay's files here")
    replay.set_defaults(handler=replay_command)


def replay_command(args: argparse.Namespace, console: RichConsole) -> int:
    if is_cassette(args.run):
        return _replay_cassette(args, console)
    saved = load_run(args.run)
    target = load_target(
        _required(args.target or saved.origin.target, f"{args.run} does not say which team it came from")
    )
    model, how = _replay_model(saved, args.model)
    task = args.task or saved.origin.task
    replayed = _run(console, target, model, how, task)
    if replayed is None:
        return 1
    _write(
        args.out,
        replayed,
        RunOrigin(target=target.label, task=task, model=args.model or saved.origin.model),
        console,
    )
    diff = RunDiff.between(saved.result, replayed)
    if diff.same:
        console.print(
            f"[green]no drift[/green]: the replay matches the recording ({len(diff.said_a)} messages)."
        )
        return 0
    console.print("[red]drift[/red]: the replay differs from the recording")
    print_diff(console, diff, "recorded", "replayed")
    return 1


def _replay_cassette(args: argparse.Namespace, console: RichConsole) -> int:
    target = load_target(
        _required(args.target, f"{args.run} is a cassette, which does not say which team recorded it")
    )
    if not args.task:
        raise CLIError(f"{args.run} is a cassette — pass the task it was recorded with: --task TEXT")
    spec = f"cassette:{args.run}"
    model = client_for(spec)
    replayed = _run(console, target, model, spec, args.task)
    if replayed is None:
        return 1
    _write(args.out, replayed, RunOrigin(target=target.label, task=args.task, model=spec), console)
    console.print(
        f"[green]no drift[/green]: every request matched {escape(str(args.run))} and every recording was used."
    )
    return 0


def _run(
    console: RichConsole, target: Target, model: ChatCompletionClient | None, how: str, task: str
) -> TaskResult | None:
    """The replayed run; None (after saying why) when the model drifted from its recording."""
    console.print(f"[dim]Replaying {escape(target.label)} on {escape(how)}.[/dim]")
    team = build_team(target, model)
    try:
        result = asyncio.run(run_team(team, task, None))
        complete = getattr(model, "assert_complete", None)
        if callable(complete):
            complete()  # a shorter run than the recording is drift too
    except DRIFT_ERRORS as exc:
        console.print(f"[red]drift[/red]: {escape(str(exc).splitlines()[0])}")
        return None
    return result


def _write(out: Path | None, result: TaskResult, origin: RunOrigin, console: RichConsole) -> None:
    if out is not None:
        write_artifacts(result, origin, out)
        console.print(f"replay    {out / 'run.json'}")


def _required(target: str | None, why: str) -> str:
    if not target:
        raise CLIError(f"{why} — pass --target PATH[:NAME]")
    return target


def is_cassette(path: Path) -> bool:
    """Whether ``path`` is a cassette (its first line is the cassette header)."""
    if not path.is_file():
        return False
    with path.open(encoding="utf-8", errors="replace") as lines:
        first = next((line for line in lines if line.strip()), "")
    try:
        header = json.loads(first)
    except json.JSONDecodeError:
        return False
    return isinstance(header, dict) and "flowgen_cassette" in header


def _replay_model(saved: SavedRun, override: str | None) -> tuple[ChatCompletionClient | None, str]:
    spec = override or saved.origin.model
    if spec == OFFLINE:
        return None, "the example's scripted model"
    if spec.startswith("cassette:"):
        # Replay only what the cassette holds: a recording spec (cassette:FILE@MODEL) would call the model.
        recorded = spec.partition("@")[0]
        return client_for(recorded), recorded
    if spec.startswith("replay:"):
        return client_for(spec), spec
    return recorded_client(saved.result), f"the {spec} replies recorded in the run"
