"""Kills a durable run at every model call (and inside a checkpoint write), then resumes it.

Run as ``python crash_worker.py <team> <directory> [calls|writes] [sqlite|postgres URL]``. One
interpreter loads flowgen once; each run is a forked child, so a case costs a fork, not a start-up.
For every k the first child runs the thread with a model that SIGKILLs its own process on its k-th
call (or the store that SIGKILLs it halfway through its k-th write); a second child resumes the
thread. The parent checks that the resumed thread is exactly the uninterrupted transcript and that
no model call of a step that was saved ran again. Prints a JSON report; exits 1 on any failure.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flowgen.agents import AssistantAgent
from flowgen.checkpoint import PostgresCheckpointer, SqliteCheckpointer
from flowgen.checkpoint.protocol import Checkpointer
from flowgen.conditions import MaxMessageTermination
from flowgen.core import FunctionCall
from flowgen.models import CreateResult, FunctionChatCompletionClient, LLMMessage, RequestUsage
from flowgen.models.function import CallInfo
from flowgen.teams import DiGraphBuilder, GraphFlow, RoundRobinGroupChat, SelectorGroupChat, Swarm
from flowgen.teams.shell import BaseGroupChat

TASK = "Plan the release."


class Harness:
    """The model calls of one process: logged to a file, and the kill at the k-th."""

    def __init__(self, log: Path, kill_call: int = 0, kill_write: int = 0) -> None:
        self.log = log
        self.kill_call, self.kill_write = kill_call, kill_write
        self.calls = self.writes = 0

    def note(self, line: str) -> None:
        fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.write(fd, (line + "\n").encode())  # in the kernel before the kill: it survives it
        os.close(fd)

    def call(self, label: str, messages: Sequence[LLMMessage]) -> int:
        digest = hashlib.sha256(label.encode())
        for m in messages:
            digest.update(m.model_dump_json().encode())
        self.calls += 1
        self.note(f"call {label} {digest.hexdigest()[:12]}")
        if self.calls == self.kill_call:
            os.kill(os.getpid(), signal.SIGKILL)
        return int(digest.hexdigest()[:8], 16)


def _client(h: Harness, name: str, handoff_to: str | None = None) -> FunctionChatCompletionClient:
    def reply(messages: Sequence[LLMMessage], info: CallInfo) -> CreateResult | str:
        n = h.call(name, messages)
        if handoff_to is not None and n % 2 == 0:
            call = FunctionCall(id=f"c{n}", name=f"transfer_to_{handoff_to}", arguments="{}")
            return CreateResult(
                finish_reason="function_calls", content=[call], usage=RequestUsage(0, 0), cached=False
            )
        return f"{name} says {n % 1000}"

    return FunctionChatCompletionClient(reply)


def _selector(h: Harness) -> FunctionChatCompletionClient:
    def reply(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        return ["a", "b", "c"][h.call("selector", messages) % 3]

    return FunctionChatCompletionClient(reply)


def build(kind: str, h: Harness, store: Checkpointer) -> BaseGroupChat:
    names = ["a", "b", "c"]
    if kind == "swarm":
        nxt = {"a": "b", "b": "c", "c": "a"}
        agents = [AssistantAgent(n, model_client=_client(h, n, nxt[n]), handoffs=[nxt[n]]) for n in names]
        return Swarm(agents, termination_condition=MaxMessageTermination(7), checkpointer=store)
    if kind == "graph_flow":
        agents = [AssistantAgent(n, model_client=_client(h, n)) for n in [*names, "d"]]
        builder = DiGraphBuilder()
        for agent in agents:
            builder.add_node(agent)
        for source, target in (("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")):
            builder.add_edge(source, target)
        return GraphFlow(agents, graph=builder.build(), checkpointer=store)
    agents = [AssistantAgent(n, model_client=_client(h, n)) for n in names]
    if kind == "selector":
        return SelectorGroupChat(agents, model_client=_selector(h), termination_condition=MaxMessageTermination(6),
                                 checkpointer=store)  # fmt: skip
    return RoundRobinGroupChat(agents, termination_condition=MaxMessageTermination(7), checkpointer=store)


def open_store(kind: str, where: str, h: Harness) -> Checkpointer:
    """The store, logging each committed write and (if asked) killing the process inside one."""
    if kind == "postgres":

        class LoggedPostgres(PostgresCheckpointer):
            async def put(self, lease: object, checkpoints: Any, graph: Any = None) -> None:
                await super().put(lease, checkpoints, graph)
                h.note(f"put {checkpoints[-1].step}")

        return LoggedPostgres(where, max_size=2)

    class LoggedSqlite(SqliteCheckpointer):
        async def put(self, lease: object, checkpoints: Any, graph: Any = None) -> None:
            await super().put(lease, checkpoints, graph)
            h.note(f"put {checkpoints[-1].step}")

        def _insert(self, db: Any, rows: list[tuple[Any, ...]]) -> None:
            super()._insert(db, rows)
            h.writes += 1
            if h.writes == h.kill_write:  # rows inserted, transaction not committed
                os.kill(os.getpid(), signal.SIGKILL)

    return LoggedSqlite(where)


def _transcript(messages: list[dict[str, Any]]) -> list[str]:
    return [json.dumps([m["type"], m.get("source"), m.get("content")], sort_keys=True) for m in messages]


async def _run(
    team_kind: str, store_kind: str, where: str, h: Harness, thread: str, resume: bool
) -> list[str]:
    store = open_store(store_kind, where, h)
    try:
        team = build(team_kind, h, store)
        if resume and await store.head(thread) is not None:
            await team.run(thread_id=thread)
        else:
            await team.run(task=TASK, thread_id=thread)
        snapshot = await store.get(thread)
        assert snapshot is not None
        return _transcript(snapshot.messages)
    finally:
        await store.aclose()


def in_child(*args: Any) -> tuple[str, Any]:
    """Run ``_run(*args)`` in a forked child: ("killed", None), ("ok", its JSON result) or ("error", text)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            out = json.dumps(["ok", asyncio.run(_run(*args))]).encode()
        except BaseException:
            out = json.dumps(["error", traceback.format_exc()]).encode()
        with os.fdopen(write, "wb") as pipe:
            pipe.write(out)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
        return "killed", None
    outcome, value = json.loads(data)
    return outcome, value


def _lines(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def main(team_kind: str, directory: str, mode: str, store_kind: str, url: str) -> int:
    root = Path(directory)
    where = url if store_kind == "postgres" else str(root / "runs.db")
    ref_log = root / "reference.log"
    status, expected = in_child(team_kind, store_kind, where, Harness(ref_log), "ref", False)
    if status != "ok":
        print(json.dumps({"error": f"reference run: {status}: {expected}"}))
        return 1
    reference_calls = [line for line in _lines(ref_log) if line.startswith("call")]
    total = (
        len(reference_calls) if mode == "calls" else len([x for x in _lines(ref_log) if x.startswith("put")])
    )
    failures: list[str] = []
    for k in range(1, min(total, 40) + 1):  # bounded: at most 40 kill points per case
        log, thread = root / f"{mode}-{k}.log", f"{team_kind}-{mode}-{k}"
        h = Harness(log, kill_call=k if mode == "calls" else 0, kill_write=k if mode == "writes" else 0)
        status, _ = in_child(team_kind, store_kind, where, h, thread, False)
        if status != "killed":
            failures.append(f"k={k}: the first run was not killed ({status})")
            continue
        first = _lines(log)
        log2 = root / f"{mode}-{k}-resume.log"
        status, got = in_child(team_kind, store_kind, where, Harness(log2), thread, True)
        if status != "ok":
            failures.append(f"k={k}: the resumed run failed: {got}")
            continue
        if got != expected:
            failures.append(f"k={k}: the resumed transcript differs:\n{got}\nexpected\n{expected}")
        last_put = max((i for i, line in enumerate(first) if line.startswith("put")), default=-1)
        saved_calls = [line for line in first[: last_put + 1] if line.startswith("call")]
        resumed_calls = [line for line in _lines(log2) if line.startswith("call")]
        if saved_calls + resumed_calls != reference_calls:
            failures.append(
                f"k={k}: calls of saved steps {len(saved_calls)} + resumed {len(resumed_calls)} are not the "
                f"reference's {len(reference_calls)} calls (a saved step's call ran again, or one was lost)"
            )
    print(json.dumps({"team": team_kind, "mode": mode, "kill_points": min(total, 40), "failures": failures}))
    return 1 if failures else 0


if __name__ == "__main__":
    args = sys.argv[1:] + [""] * 4
    sys.exit(main(args[0], args[1], args[2] or "calls", args[3] or "sqlite", args[4]))
