"""A RunPool run survives the loss of its whole node (run inside the namespace by tests/distributed).

Both shared stores are tried: SQLite on a path both nodes share (one machine), and a real Postgres
server (a cluster's store), started here inside the namespace.

This module kills the worker node for good, so it runs last (pytest takes the files in name order)
and nothing after it needs that node.
"""

from __future__ import annotations

import asyncio
import functools
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pool_teams import MESSAGES, chat_team, held_team, make_gate, stalling_team

from flowgen.base import TaskResult
from flowgen.checkpoint import Checkpointer, PostgresCheckpointer, SqliteCheckpointer
from flowgen.distributed import RunPool, RunResult
from flowgen.distributed.run_order import StepNotice
from flowgen.distributed.run_stream import RunStream
from flowgen.testing.postgres_server import PostgresServer

_HANG_GUARD_S = 120.0  # a hang fails the test instead of stalling the suite; it is not a speed check
# The stalling model stops answering on the worker node at a prompt of 5 messages (system prompt,
# task and three replies): by then the run has committed 4 checkpoints (the input and three turns).
_STALL_AT, _COMMITTED = 5, 4


def transcript(messages: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """What a reader sees of a run: who said what (ids and times differ between runs)."""
    return [(m["source"], m["type"], str(m.get("content"))) for m in messages]


def node_processes(root: int) -> list[int]:
    """``root`` and every process under it: a Ray node started with ``ray start --block``."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # the process ended meanwhile
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def kill_worker_node() -> int:
    """SIGKILL every process of the worker node at once (frozen first, so none starts another)."""
    root = int(os.environ["FLOWGEN_RAY_WORKER_NODE_PID"])
    frozen: set[int] = set()
    while new := set(node_processes(root)) - frozen:
        for pid in new:
            os.kill(pid, signal.SIGSTOP)
        frozen |= new
    for pid in frozen:
        os.kill(pid, signal.SIGKILL)
    return len(frozen)


async def committed(store: Checkpointer, thread_id: str) -> list[Any]:
    return [c async for c in store.history(thread_id)]


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    with PostgresServer() as server:
        yield server.url


@pytest.mark.asyncio
async def test_a_run_continues_on_the_head_node_when_its_node_is_killed(
    cluster: dict[str, str], tmp_path: Path, postgres: str
) -> None:
    # Two pools, one worker on each node each: one saving in SQLite on a path both nodes share, one
    # in Postgres. Each runs two threads: one finishes on the head node; the other stalls on the
    # worker node once it has committed its first steps. Then the worker node goes, every process
    # of it at once, and both stalled runs must finish on the head node from their checkpoints.
    sources = {"sqlite": str(tmp_path / "runs.db"), "postgres": postgres}
    readers: dict[str, Checkpointer] = {
        "sqlite": SqliteCheckpointer(sources["sqlite"]),
        "postgres": PostgresCheckpointer(postgres),
    }
    team = functools.partial(stalling_team, cluster["worker"], _STALL_AT)
    threads = ["lost-a", "lost-b"]
    # A third pool streams two runs (one run at a time per worker, so one lands on each node). Both
    # stop at the same point: on the worker node for good, on the head node until a gate opens.
    gate = make_gate("loss-gate")
    held = functools.partial(held_team, cluster["worker"], _STALL_AT, "loss-gate")
    streamed_store = str(tmp_path / "streamed.db")
    async with (
        RunPool(team, store=sources["sqlite"], address="auto") as lite,
        RunPool(team, store=sources["postgres"], address="auto") as pg,
        RunPool(held, store=streamed_store, address="auto", max_in_flight=1) as live,
    ):
        pools = {"sqlite": lite, "postgres": pg}
        async with asyncio.timeout(_HANG_GUARD_S):
            futures = [
                await pools[kind].submit(f"task for {t}", thread_id=t) for kind in pools for t in threads
            ]
            streams = {t: live.stream(f"task for {t}", thread_id=t, steps=True) for t in ("live-a", "live-b")}
            shown: dict[str, list[Any]] = {t: [] for t in streams}
            arrived = asyncio.Condition()
            async with asyncio.TaskGroup() as group:
                readings = [group.create_task(read(s, shown[t], arrived)) for t, s in streams.items()]
                while (
                    min([len(await committed(readers[k], t)) for k in readers for t in threads]) < _COMMITTED
                ):
                    await asyncio.sleep(0.05)  # steps are committed by other processes
                async with arrived:  # both streams showed their first four messages: both runs are held
                    await arrived.wait_for(lambda: min(len(messages_of(s)) for s in shown.values()) >= 4)
                before_kill = {t: list(s) for t, s in shown.items()}
                assert kill_worker_node() > 3
                await gate.open.remote()  # type: ignore[attr-defined]
                results = await asyncio.gather(*futures)
            assert all(r.done() for r in readings)
    for kind, found in (("sqlite", results[:2]), ("postgres", results[2:])):
        await check_recovered(kind, found, readers[kind], cluster)
        await readers[kind].aclose()
    await check_streamed(streams, shown, before_kill, streamed_store, cluster)


async def read(stream: RunStream, into: list[Any], arrived: asyncio.Condition) -> None:
    async for item in stream:
        async with arrived:
            into.append(item)
            arrived.notify_all()


def messages_of(items: list[Any]) -> list[Any]:
    return [i for i in items if not isinstance(i, (StepNotice, TaskResult))]


async def check_streamed(
    streams: dict[str, RunStream],
    shown: dict[str, list[Any]],
    before_kill: dict[str, list[Any]],
    path: str,
    cluster: dict[str, str],
) -> None:
    """Each streamed run showed every message its thread saved, once, in order: the one that moved
    included (what it showed before the kill stayed, what it showed after followed on)."""
    moved = [t for t, s in streams.items() if s.result.resumed]
    assert len(moved) == 1 and streams[moved[0]].result.nodes == [cluster["worker"], cluster["driver"]]
    store = SqliteCheckpointer(path)
    for thread, items in shown.items():
        messages = messages_of(items)
        assert len(messages_of(before_kill[thread])) == 4  # held mid-run, its first messages already here
        assert messages[:4] == messages_of(before_kill[thread])
        reference = await chat_team().run(task=f"task for {thread}")
        assert transcript([m.dump() for m in messages]) == transcript([m.dump() for m in reference.messages])
        snapshot = await store.get(thread)
        assert snapshot is not None and [m["id"] for m in snapshot.messages] == [m.id for m in messages]
        result = items[-1]
        assert isinstance(result, TaskResult) and [m.id for m in result.messages] == [m.id for m in messages]
        steps = [i.step for i in items if isinstance(i, StepNotice)]
        assert steps == sorted(set(steps)) and steps[-1] == MESSAGES - 1, (thread, steps)
    await store.aclose()


async def check_recovered(
    kind: str, results: list[RunResult], store: Checkpointer, cluster: dict[str, str]
) -> None:
    by_thread = {r.thread_id: r for r in results}
    moved = [r for r in results if r.resumed]
    assert len(moved) == 1, (kind, [(r.thread_id, r.workers, r.nodes) for r in results])
    assert moved[0].attempts == 2 and moved[0].nodes == [cluster["worker"], cluster["driver"]], kind
    # Both transcripts are those of an uninterrupted run, and the moved one's store holds one chain
    # of steps, each committed once: nothing lost, nothing repeated.
    for thread, result in by_thread.items():
        reference = await chat_team().run(task=f"task for {thread}")
        assert transcript(result.messages) == transcript([m.dump() for m in reference.messages]), kind
        assert len(result.messages) == MESSAGES
        chain = list(reversed(await committed(store, thread)))
        assert [c.step for c in chain] == list(range(len(chain))), kind
        assert [c.parent_id for c in chain[1:]] == [c.checkpoint_id for c in chain[:-1]], kind
        snapshot = await store.get(thread)
        assert snapshot is not None and snapshot.messages == result.messages, kind
