"""Checkpoint cost per step: flowgen's checkpointers against LangGraph's savers, printed as JSON.

    python -m benchmarks.checkpoint_cost                     # SQLite and Postgres, 1,000 and 5,000 messages
    python -m benchmarks.checkpoint_cost --sizes 1000 --backends sqlite --repeats 1

The workload: a 5-agent round robin, each step one agent reads the new messages, calls a zero-cost
model and appends one reply. Each run starts from a thread already ``size - window`` messages long
(given as the run's input, so reaching it costs one write, not thousands), runs ``window`` steps to
reach ``size`` messages, and times its last ``window / 2`` steps from the stream. The checkpoint cost per step is the per-step time with a
store minus the per-step time without one (the median over repeats), so it includes everything
checkpointing adds — the framework's own bookkeeping, serialization and the database write.
Bytes per step are what the step's rows add to the database. LangGraph runs with
``durability="sync"`` (each step saved before the next), flowgen with its default, the same.
Postgres runs on a private server this script starts (fsync on) and stops. On Postgres flowgen is
measured twice: with its default (asynchronous commit: a step survives the application's crash, the
guarantee its SQLite store gives) and with ``synchronous_commit=True`` (each commit waits for the
disk flush, as LangGraph's saver does).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

AGENTS = 5
WINDOW = 200
REPLY = "Noted; here is my part of the answer."
TASK = "Plan the release notes for version 2.0."


# ----------------------------------------------------------------- flowgen


async def _flowgen_run(start: int, steps: int, store: Any) -> list[float]:
    from flowgen.agents import AssistantAgent
    from flowgen.conditions import MaxMessageTermination
    from flowgen.messages import TextMessage
    from flowgen.models import FunctionChatCompletionClient
    from flowgen.teams import RoundRobinGroupChat

    agents = [
        AssistantAgent(f"agent{i}", model_client=FunctionChatCompletionClient(lambda m, info: REPLY))
        for i in range(AGENTS)
    ]
    stop = MaxMessageTermination(start + steps)
    team = RoundRobinGroupChat(agents, termination_condition=stop, checkpointer=store)
    history = [TextMessage(content=TASK if i == 0 else REPLY, source="user" if i == 0 else f"agent{i % AGENTS}")
               for i in range(start)]  # fmt: skip
    thread = f"bench-{time.time_ns()}" if store is not None else None
    stamps: list[float] = []
    try:
        async for _ in team.run_stream(task=history, thread_id=thread, output_task_messages=False):
            stamps.append(time.perf_counter())
    finally:
        if store is not None:
            await store.aclose()
    return stamps


# ----------------------------------------------------------------- LangGraph


def _langgraph_graph(end: int, saver: Any) -> Any:
    from langchain_core.messages import AIMessage
    from langgraph.graph import END, START, MessagesState, StateGraph

    names = [f"agent{i}" for i in range(AGENTS)]

    def node(name: str) -> Callable[[MessagesState], dict[str, Any]]:
        def speak(state: MessagesState) -> dict[str, Any]:
            return {"messages": [AIMessage(content=REPLY, name=name)]}

        return speak

    def route_from(name: str) -> Callable[[MessagesState], str]:
        after = names[(names.index(name) + 1) % AGENTS]
        return lambda state: END if len(state["messages"]) >= end else after

    builder = StateGraph(MessagesState)
    for name in names:
        builder.add_node(name, node(name))
        builder.add_conditional_edges(name, route_from(name))
    builder.add_edge(START, names[0])
    return builder.compile(checkpointer=saver)


def _langgraph_run(start: int, steps: int, saver: Any) -> list[float]:
    from langchain_core.messages import AIMessage, HumanMessage

    graph = _langgraph_graph(start + steps, saver)
    history = [HumanMessage(content=TASK, name="user")] + [
        AIMessage(content=REPLY, name=f"agent{i % AGENTS}") for i in range(1, start)
    ]
    config = {"configurable": {"thread_id": f"bench-{time.time_ns()}"}, "recursion_limit": start + steps + 10}
    stamps: list[float] = []
    options = {"durability": "sync"} if saver is not None else {}  # without a saver it is refused
    for _ in graph.stream({"messages": history}, config, stream_mode="updates", **options):
        stamps.append(time.perf_counter())
    return stamps


# ----------------------------------------------------------------- measuring


def _per_step_ms(stamps: list[float]) -> float:
    """Milliseconds per step over the run's last ``WINDOW // 2`` steps (well clear of its start)."""
    steps = stamps[-(WINDOW // 2) :]
    return (steps[-1] - steps[0]) / (len(steps) - 1) * 1000


def _sqlite_bytes(path: Path, tables: dict[str, str]) -> int:
    import sqlite3

    db = sqlite3.connect(path)
    try:
        total = 0
        for table, columns in tables.items():
            total += int(db.execute(f"SELECT coalesce(sum({columns}), 0) FROM {table}").fetchone()[0])
        return total
    finally:
        db.close()


def _pg_bytes(url: str, tables: list[str]) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        total = 0
        for table in tables:
            row = conn.execute(f"SELECT coalesce(sum(pg_column_size(t.*)), 0) FROM {table} t").fetchone()
            total += int(row[0]) if row else 0
        return total


FLOWGEN_SQLITE = {
    "checkpoints": "length(payload) + length(checkpoint_id) + length(thread_id) + length(created_at)"
}
LANGGRAPH_SQLITE = {
    "checkpoints": "length(checkpoint) + length(metadata) + length(checkpoint_id) + length(thread_id)",
    "writes": "length(value) + length(channel) + length(checkpoint_id) + length(thread_id)",
}
FLOWGEN_PG = ["flowgen_checkpoints", "flowgen_graphs"]
#: flowgen on Postgres waiting for every commit's disk flush, as LangGraph's saver does.
FLOWGEN_FLUSHED = "flowgen-synchronous-commit"
LANGGRAPH_PG = ["checkpoints", "checkpoint_blobs", "checkpoint_writes"]


def _stored_run(
    framework: str, backend: str, start: int, steps: int, where: dict[str, Any]
) -> tuple[list[float], int]:
    """One run with a store: its step times and the bytes its rows take."""
    if backend == "sqlite":
        path = Path(where["dir"]) / f"{framework}-{time.time_ns()}.db"
        if framework == "flowgen":
            from flowgen.checkpoint import SqliteCheckpointer

            stamps = asyncio.run(_flowgen_run(start, steps, SqliteCheckpointer(path)))
            return stamps, _sqlite_bytes(path, FLOWGEN_SQLITE)
        import sqlite3

        from langgraph.checkpoint.sqlite import SqliteSaver

        conn = sqlite3.connect(path, check_same_thread=False)
        try:
            stamps = _langgraph_run(start, steps, SqliteSaver(conn))
        finally:
            conn.close()
        return stamps, _sqlite_bytes(path, LANGGRAPH_SQLITE)
    url = where["url"]
    if framework.startswith("flowgen"):
        from flowgen.checkpoint import PostgresCheckpointer

        flush = framework == FLOWGEN_FLUSHED
        asyncio.run(_flowgen_run(2, 1, PostgresCheckpointer(url)))  # creates the tables
        before = _pg_bytes(url, FLOWGEN_PG)
        stamps = asyncio.run(_flowgen_run(start, steps, PostgresCheckpointer(url, synchronous_commit=flush)))
        return stamps, _pg_bytes(url, FLOWGEN_PG) - before
    from langgraph.checkpoint.postgres import PostgresSaver

    with PostgresSaver.from_conn_string(url) as saver:
        saver.setup()
        before = _pg_bytes(url, LANGGRAPH_PG)
        stamps = _langgraph_run(start, steps, saver)
    return stamps, _pg_bytes(url, LANGGRAPH_PG) - before


def measure(framework: str, backend: str, size: int, where: dict[str, Any]) -> dict[str, Any]:
    """Per-step ms near ``size`` messages with and without a store, and bytes one step writes.

    Bytes per step: two stored runs from the same starting thread, ``WINDOW`` and ``WINDOW // 2``
    steps long; their difference is what the last ``WINDOW // 2`` steps wrote (the input's write
    cancels out).
    """
    start = size - WINDOW
    if framework.startswith("flowgen"):
        bare = asyncio.run(_flowgen_run(start, WINDOW, None))
    else:
        bare = _langgraph_run(start, WINDOW, None)
    stamps, full = _stored_run(framework, backend, start, WINDOW, where)
    _, half = _stored_run(framework, backend, start, WINDOW // 2, where)
    return {
        "bare_ms": _per_step_ms(bare),
        "stored_ms": _per_step_ms(stamps),
        "bytes_per_step": (full - half) / (WINDOW // 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 5_000])
    parser.add_argument(
        "--backends", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"]
    )
    parser.add_argument(
        "--frameworks", nargs="+", default=["flowgen", "langgraph"], choices=["flowgen", "langgraph"]
    )
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    from flowgen.testing.postgres_server import PostgresServer

    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        server = PostgresServer(fsync=True) if "postgres" in args.backends else None
        where: dict[str, Any] = {"dir": tmp, "url": server.start() if server else ""}
        try:
            for backend in args.backends:
                for size in args.sizes:
                    frameworks = list(args.frameworks)
                    if backend == "postgres" and "flowgen" in frameworks:
                        frameworks.insert(1, FLOWGEN_FLUSHED)
                    for framework in frameworks:
                        runs = [measure(framework, backend, size, where) for _ in range(args.repeats)]
                        results.append(_summary(framework, backend, size, runs))
        finally:
            if server is not None:
                server.stop()
    report = {"scenario": "checkpoint_cost", "agents": AGENTS, "window_steps": WINDOW, "results": results,
              "ratios": _ratios(results)}  # fmt: skip
    json.dump(report, sys.stdout, indent=1)
    print()
    return 0


def _summary(framework: str, backend: str, size: int, runs: list[dict[str, Any]]) -> dict[str, Any]:
    costs = [r["stored_ms"] - r["bare_ms"] for r in runs]
    return {
        "framework": framework,
        "backend": backend,
        "messages": size,
        "checkpoint_ms_per_step": round(statistics.median(costs), 4),
        "checkpoint_ms_per_step_range": [round(min(costs), 4), round(max(costs), 4)],
        "step_ms_without_store": round(statistics.median(r["bare_ms"] for r in runs), 4),
        "step_ms_with_store": round(statistics.median(r["stored_ms"] for r in runs), 4),
        "bytes_per_step": round(statistics.median(r["bytes_per_step"] for r in runs)),
    }


def _ratios(results: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    by = {(r["framework"], r["backend"], r["messages"]): r for r in results}
    for (framework, backend, size), r in by.items():
        if not framework.startswith("flowgen"):
            continue
        peer = by.get(("langgraph", backend, size))
        if peer and r["checkpoint_ms_per_step"] > 0:
            out[f"{backend}@{size}: langgraph/{framework} checkpoint cost"] = round(
                peer["checkpoint_ms_per_step"] / r["checkpoint_ms_per_step"], 2
            )
    return out


if __name__ == "__main__":
    sys.exit(main())
