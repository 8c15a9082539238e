"""A RunPool run survives the loss of its whole node (run inside the namespace by tests/distributed).

This module kills the worker node for good, so it runs last (pytest takes the files in name order)
and nothing after it needs that node.
"""

from __future__ import annotations

import asyncio
import functools
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from pool_teams import MESSAGES, chat_team, stalling_team

from flowgen.checkpoint import SqliteCheckpointer
from flowgen.distributed import RunPool

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


async def committed(store: SqliteCheckpointer, thread_id: str) -> list[Any]:
    return [c async for c in store.history(thread_id)]


@pytest.mark.asyncio
async def test_a_run_continues_on_the_head_node_when_its_node_is_killed(
    cluster: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "runs.db"
    threads = ["lost-a", "lost-b"]
    team = functools.partial(stalling_team, cluster["worker"], _STALL_AT)
    store = SqliteCheckpointer(path)
    async with RunPool(team, store=str(path), address="auto") as pool:  # one worker on each node
        async with asyncio.timeout(_HANG_GUARD_S):
            futures = [await pool.submit(f"task for {t}", thread_id=t) for t in threads]
            # One run finishes on the head node; the other stalls on the worker node once it has
            # committed its first steps. Then the worker node goes, every process of it at once.
            while min([len(await committed(store, t)) for t in threads]) < _COMMITTED:
                await asyncio.sleep(0.05)  # steps are committed by other processes
            assert kill_worker_node() > 3
            results = await asyncio.gather(*futures)
    by_thread = {r.thread_id: r for r in results}
    moved = [r for r in results if r.resumed]
    assert len(moved) == 1, [(r.thread_id, r.workers, r.nodes) for r in results]
    assert moved[0].attempts == 2 and moved[0].nodes == [cluster["worker"], cluster["driver"]]
    # Both transcripts are those of an uninterrupted run, and the moved one's store holds one chain
    # of steps, each committed once: nothing lost, nothing repeated.
    for thread in threads:
        reference = chat_team()
        result = await reference.run(task=f"task for {thread}")
        assert transcript(by_thread[thread].messages) == transcript([m.dump() for m in result.messages])
        assert len(by_thread[thread].messages) == MESSAGES
        chain = list(reversed(await committed(store, thread)))
        assert [c.step for c in chain] == list(range(len(chain)))
        assert [c.parent_id for c in chain[1:]] == [c.checkpoint_id for c in chain[:-1]]
        snapshot = await store.get(thread)
        assert snapshot is not None and snapshot.messages == by_thread[thread].messages
    await store.aclose()
