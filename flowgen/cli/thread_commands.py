"""``flowgen threads``: the durable threads in a checkpoint store — list, show, resume, fork, diff, report, delete.

``--store`` is a SQLite file (default ``runs.db``) or a ``postgresql://`` URL.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rich.console import Console as RichConsole
from rich.markup import escape
from rich.table import Table

from flowgen.checkpoint.protocol import Checkpointer
from flowgen.checkpoint.records import ThreadSnapshot
from flowgen.cli.loading import load_target
from flowgen.cli.model_spec import pick_model
from flowgen.cli.run_command import build_team, print_outcome
from flowgen.errors import CheckpointNotFoundError, CLIError
from flowgen.teams.shell import BaseGroupChat
from flowgen.ui import Console

DEFAULT_STORE = "runs.db"


def open_store(spec: str) -> Checkpointer:
    """The store ``spec`` names: a postgresql:// URL, else a SQLite file."""
    if spec.startswith(("postgresql://", "postgres://")):
        from flowgen.checkpoint.postgres import PostgresCheckpointer

        return PostgresCheckpointer(spec)
    from flowgen.checkpoint.sqlite import SqliteCheckpointer

    if not Path(spec).exists():
        raise CLIError(f"no checkpoint store at {spec!r}; run a team with --thread first, or give --store")
    return SqliteCheckpointer(spec)


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    threads = commands.add_parser(
        "threads", help="durable threads in a checkpoint store", description=__doc__.splitlines()[0]
    )
    sub = threads.add_subparsers(dest="threads_command", metavar="ACTION", required=True)

    def action(
        name: str,
        help_: str,
        handler: Callable[[argparse.Namespace, Checkpointer, RichConsole], Awaitable[int]],
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.add_argument(
            "--store",
            default=DEFAULT_STORE,
            help=f"SQLite file or postgresql:// URL (default {DEFAULT_STORE})",
        )
        p.set_defaults(handler=lambda args, console: _with_store(args, console, handler))
        return p

    action("list", "list the threads, most recently updated first", _list)
    show = action("show", "a thread's checkpoints, newest first, with the messages each step added", _show)
    show.add_argument("thread")
    show.add_argument("--limit", type=int, default=None, help="show at most N checkpoints")
    show.add_argument("--width", type=int, default=70, help="characters of each message to show (default 70)")
    for name, help_ in (("resume", "continue a thread with the team that made it"),
                        ("fork", "run a thread again from one of its checkpoints (a new branch)")):  # fmt: skip
        p = action(name, help_, _resume)
        p.add_argument("thread")
        if name == "fork":
            p.add_argument("checkpoint", help="the checkpoint id to run from (see `flowgen threads show`)")
        p.add_argument("--team", required=True, metavar="PATH[:NAME]", help="the file building the team")
        p.add_argument("--task", help="a message to add before continuing (e.g. a human's answer)")
        p.add_argument("--model", metavar="SPEC", help="model spec, as for `flowgen run`")
    diff = action("diff", "where two checkpoints (two branches) of a thread diverge", _diff)
    diff.add_argument("thread")
    diff.add_argument("checkpoint_a")
    diff.add_argument("checkpoint_b")
    diff.add_argument(
        "--team", metavar="PATH[:NAME]", help="the team's file: also draw both branches on its graph"
    )
    diff.add_argument("-o", "--output", type=Path, default=Path("diff.svg"), metavar="FILE",
                      help="the drawing with --team (default diff.svg; .dot for DOT)")  # fmt: skip
    report = action("report", "the HTML run report of a thread's branch (its messages and path)", _report)
    report.add_argument("thread")
    report.add_argument("--checkpoint", help="the branch's last checkpoint (default: the newest)")
    report.add_argument("--team", required=True, metavar="PATH[:NAME]", help="the file building the team")
    report.add_argument("-o", "--output", type=Path, default=Path("report.html"), metavar="FILE")
    delete = action("delete", "delete a thread and its checkpoints", _delete)
    delete.add_argument("thread")


def _with_store(args: argparse.Namespace, console: RichConsole, handler: Any) -> int:
    async def go() -> int:
        store = open_store(args.store)
        try:
            status: int = await handler(args, store, console)
            return status
        finally:
            await store.aclose()

    return asyncio.run(go())


async def _list(args: argparse.Namespace, store: Checkpointer, console: RichConsole) -> int:
    table = Table("thread", "checkpoints", "step", "updated (UTC)", "head", box=None, pad_edge=False)
    for info in await store.threads():
        table.add_row(escape(info.thread_id), str(info.checkpoints), str(info.step),
                      info.updated_at.strftime("%Y-%m-%d %H:%M:%S"), info.head)  # fmt: skip
    console.print(table)
    return 0


def _content(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return " ".join(content.split())
    return f"[{message.get('type', 'message')}]"  # tool calls and results: their kind is enough here


async def _show(args: argparse.Namespace, store: Checkpointer, console: RichConsole) -> int:
    rows = [cp async for cp in store.history(args.thread, limit=args.limit)]
    if not rows:
        raise CLIError(
            f"thread {args.thread!r} is not in {args.store!r}; `flowgen threads list` shows its threads"
        )
    console.print(f"[bold]thread {escape(args.thread)}[/bold]: {len(rows)} checkpoints, newest first")
    for cp in rows:
        ran = ",".join(cp.ran) or "-"
        after = ",".join(cp.frontier) or "end"
        note = cp.stop_reason or (cp.interrupt and f"interrupted {cp.interrupt}") or ""
        console.print(
            f"[bold]{cp.checkpoint_id}[/bold] step {cp.step} {cp.source:<6} ran {escape(ran)} → next "
            f"{escape(after)}  [dim]parent {cp.parent_id or '-'} · {cp.created_at:%H:%M:%S}[/dim]"
            + (f"  [yellow]{escape(note)}[/yellow]" if note else "")
        )
        for m in cp.messages:
            text = f"{m.get('source', '?')}: {_content(m)}"
            console.print("    " + escape(text if len(text) <= args.width else text[: args.width - 1] + "…"))
    return 0


async def _resume(args: argparse.Namespace, store: Checkpointer, console: RichConsole) -> int:
    model = pick_model(args.model)
    team = build_team(load_target(args.team), model.client)
    if not isinstance(team, BaseGroupChat):
        raise CLIError(f"{args.team} is a {type(team).__name__}; durable threads need a flowgen team")
    if await store.head(args.thread) is None:
        raise CLIError(
            f"thread {args.thread!r} is not in {args.store!r}; `flowgen threads list` shows its threads"
        )
    team.checkpointer = store
    checkpoint = getattr(args, "checkpoint", None)
    stream = team.run_stream(task=args.task, thread_id=args.thread, checkpoint_id=checkpoint)
    result = await Console(stream, output=console)
    print_outcome(console, result, {})
    return 0


async def _diff(args: argparse.Namespace, store: Checkpointer, console: RichConsole) -> int:
    a = await store.get(args.thread, args.checkpoint_a)
    b = await store.get(args.thread, args.checkpoint_b)
    if a is None or b is None:
        raise CheckpointNotFoundError(f"thread {args.thread!r} is not in {args.store!r}")
    ka = [m.get("id") for m in a.messages]
    kb = [m.get("id") for m in b.messages]
    shared = 0
    while shared < min(len(ka), len(kb)) and ka[shared] == kb[shared]:
        shared += 1
    console.print(f"[bold]common[/bold]  {shared} messages")
    for label, snap in (("A", a), ("B", b)):
        console.print(
            f"[bold]branch {label}[/bold] {snap.checkpoint.checkpoint_id}: {len(snap.messages) - shared} more"
        )
        for m in snap.messages[shared:]:
            console.print(f"  {escape(str(m.get('source')))}: {escape(_content(m)[:100])}")
    if args.team:
        _draw_branches(args, a, b, console)
    return 0 if ka == kb else 1


def diff_checkpoints(
    store: str,
    thread: str,
    checkpoint_a: str,
    checkpoint_b: str,
    team: str | None,
    output: Path,
    console: RichConsole,
) -> int:
    """``flowgen threads diff``, for ``flowgen diff --store``: where two branches of a thread diverge."""
    args = argparse.Namespace(
        store=store,
        thread=thread,
        checkpoint_a=checkpoint_a,
        checkpoint_b=checkpoint_b,
        team=team,
        output=output,
    )
    return _with_store(args, console, _diff)


def _draw_branches(
    args: argparse.Namespace, a: ThreadSnapshot, b: ThreadSnapshot, console: RichConsole
) -> None:
    """Both branches' paths on the team's graph: blue A only, orange B only, green both."""
    from flowgen.cli import drawing
    from flowgen.cli.diff_overlay import diff_dot
    from flowgen.engine.recording import TraceRecording

    team = build_team(load_target(args.team), None)
    if not isinstance(team, BaseGroupChat):
        raise CLIError(f"{args.team} is a {type(team).__name__}; drawing branches needs a flowgen team")
    traces = [TraceRecording(team.graph, s.checkpoint.created_at, tuple(s.trace)).build() for s in (a, b)]
    dot = diff_dot(team.graph, traces[0], traces[1])
    output: Path = args.output
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(dot if output.suffix == ".dot" else drawing.dot_to_svg(dot), encoding="utf-8")
    console.print(f"overlay   {output}")


async def _report(args: argparse.Namespace, store: Checkpointer, console: RichConsole) -> int:
    from flowgen.base import TaskResult
    from flowgen.cli import drawing
    from flowgen.engine.recording import TraceRecording
    from flowgen.messages import MessageFactory

    snapshot = await store.get(args.thread, args.checkpoint)
    if snapshot is None:
        raise CLIError(
            f"thread {args.thread!r} is not in {args.store!r}; `flowgen threads list` shows its threads"
        )
    team = build_team(load_target(args.team), None)
    if not isinstance(team, BaseGroupChat):
        raise CLIError(f"{args.team} is a {type(team).__name__}; a thread's report needs a flowgen team")
    factory = MessageFactory()
    trace = TraceRecording(team.graph, snapshot.checkpoint.created_at, tuple(snapshot.trace)).build()
    result = TaskResult(
        messages=[factory.create(m) for m in snapshot.messages],
        stop_reason=snapshot.checkpoint.stop_reason,
        trace=trace,
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    drawing.html_report(result, args.output)
    console.print(f"wrote {args.output}")
    return 0


async def _delete(args: argparse.Namespace, store: Checkpointer, console: RichConsole) -> int:
    if await store.head(args.thread) is None:
        raise CLIError(f"thread {args.thread!r} is not in {args.store!r}")
    await store.delete_thread(args.thread)
    console.print(f"deleted thread {escape(args.thread)}")
    return 0
