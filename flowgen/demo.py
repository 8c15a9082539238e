"""``make demo``: a support swarm runs offline, streams to the terminal, and leaves its pictures behind.

Triage hands a double-charge complaint to billing; billing looks the charges up with a tool and hands
off to the user to confirm the refund. The demo answers as the user, the swarm resumes, billing
refunds and ends. The swarm is durable: every step is saved in ``out/demo/runs.db`` (SQLite) under
the thread ``support-demo``, and the second part of the conversation resumes from that store, as a
new process would; the demo ends by printing the thread's history (``flowgen threads show``). Then
the run is written to ``out/demo/``: run.json, the graph with the run drawn on
it (graph.svg), the sequence diagram (sequence.svg) and the HTML report. Everything is offline and
deterministic (the example's scripted models); ``flowgen run graphs/support_swarm.py --model ...``
runs the same team on a real model. Last, the demo prints the ``flowgen serve`` command that serves
the same team over HTTP, where the same conversation runs as two requests.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncGenerator, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console as RichConsole
from rich.rule import Rule

from flowgen.base import TaskResult, Team
from flowgen.cli.artifacts import write_artifacts
from flowgen.cli.loading import load_target
from flowgen.cli.run_command import build_team
from flowgen.cli.run_file import OFFLINE, RunOrigin
from flowgen.engine.trace import RunTrace
from flowgen.errors import FlowgenError
from flowgen.messages import HandoffMessage
from flowgen.ui import Console

EXAMPLE = Path(__file__).resolve().parents[1] / "graphs" / "support_swarm.py"


def _shown(path: Path) -> Path:
    """``path`` relative to the working directory when it is below it (shorter to read)."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


TASK = "I was charged twice this month, account 4417."
ANSWER = "Yes please, refund the duplicate."
THREAD = "support-demo"


async def conversation(team: Team, console: RichConsole, thread: str | None = None) -> TaskResult:
    """The customer's complaint, the swarm's question, the customer's answer, the swarm's fix."""
    first = await Console(_stream(team, TASK, thread), output=console)
    console.print(Rule(f"paused: {first.stop_reason}"))
    last = first.messages[-1]
    to = last.source if isinstance(last, HandoffMessage) else "triage"
    console.print(f"[dim](the demo answers as the user, back to {to}: {ANSWER!r})[/dim]")
    reply = HandoffMessage(source="user", target=to, content=ANSWER)
    second = await Console(_stream(team, reply, thread), output=console)
    # One trace of both runs, so the pictures show the whole conversation.
    trace = RunTrace.merge([first.trace, second.trace])
    return TaskResult(
        messages=[*first.messages, *second.messages], stop_reason=second.stop_reason, trace=trace
    )


def _stream(team: Team, task: str | HandoffMessage, thread: str | None) -> AsyncGenerator[Any, None]:
    if thread is None:
        return team.run_stream(task=task)
    from flowgen.teams.shell import BaseGroupChat

    assert isinstance(team, BaseGroupChat)  # durable_conversation checked it
    return team.run_stream(task=task, thread_id=thread)


def trace_summary(trace: RunTrace) -> str:
    """One line from the run's trace: steps, who ran how often, tokens, and why it stopped."""
    finishes = trace.node_finishes()
    visits = ", ".join(f"{node}×{count}" for node, count in sorted(trace.visits().items()))  # noqa: RUF001
    prompt = sum(f.prompt_tokens for f in finishes)
    completion = sum(f.completion_tokens for f in finishes)
    stop = trace.stop
    why = f"{stop.stop}: {stop.reason}" if stop else "still running"
    return (
        f"trace: {len(trace.steps())} steps · visits {visits} · "
        f"{prompt} prompt + {completion} completion tokens · stopped ({why})"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; ``argv`` may hold one argument, the output folder (default ``out/demo``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    out = Path(args[0]) if args else Path("out") / "demo"
    console = RichConsole(highlight=False, soft_wrap=True)
    try:
        target = load_target(str(_shown(EXAMPLE)))
        team = build_team(target, None)
        console.print(Rule(f"flowgen demo: {target.path.name}, offline"))
        store = out / "runs.db"
        result = asyncio.run(durable_conversation(team, console, store))
        files = write_artifacts(result, RunOrigin(target=target.label, task=TASK, model=OFFLINE), out)
    except FlowgenError as exc:
        console.print(f"[red]demo failed:[/red] {exc}")
        return 1
    console.print(Rule(f"stopped: {result.stop_reason}"))
    if result.trace is not None:
        console.print(trace_summary(result.trace))
    for kind, path in files.items():
        console.print(f"  {kind:<9} {path}")
    console.print(Rule(f"the saved thread: flowgen threads show {THREAD} --store {_shown(store)}"))
    from flowgen.cli.app import main as flowgen_main  # the command line prints the history

    flowgen_main(["threads", "show", THREAD, "--store", str(store), "--width", "60"], console=console)
    console.print("Open the report in a browser; `flowgen show` summarises the run in the terminal.")
    console.print(Rule("serve the demo team over HTTP (the server extra)"))
    console.print(f"  {serve_command(out)}", markup=False)
    console.print(
        f'  then POST /threads, and POST /threads/THREAD/runs/wait with {{"agent": "{EXAMPLE.stem}", '
        '"input": "..."} (a reply to a handoff is the next input), or use flowgen.client.Client',
        markup=False,
    )
    return 0


def serve_command(out: Path) -> str:
    """The command serving the demo's team on 127.0.0.1:8123, its threads kept beside the demo's files."""
    return f"flowgen serve {_shown(EXAMPLE)} --store {_shown(out / 'served.db')} --insecure-no-auth"


async def durable_conversation(team: Team, console: RichConsole, store: Path) -> TaskResult:
    """The conversation with every step saved in ``store`` (a fresh thread each time the demo runs)."""
    from flowgen.checkpoint.sqlite import SqliteCheckpointer
    from flowgen.teams.shell import BaseGroupChat

    if not isinstance(team, BaseGroupChat):
        return await conversation(team, console)
    store.parent.mkdir(parents=True, exist_ok=True)
    team.checkpointer = checkpointer = SqliteCheckpointer(store)
    try:
        await checkpointer.delete_thread(THREAD)
        return await conversation(team, console, THREAD)
    finally:
        await checkpointer.aclose()


if __name__ == "__main__":
    sys.exit(main())
