"""RunPool on a real two-node cluster (run inside its namespace by tests/distributed).

The pool's worker actors (one per node) save every run in one SQLite file on a path both nodes share.
"""

from __future__ import annotations

import asyncio
import functools
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import ray
from pool_teams import MESSAGES, chat_team, replay_team, stalling_team

from flowgen.checkpoint import SqliteCheckpointer
from flowgen.distributed import RunPool
from flowgen.errors import RunLostError

_HANG_GUARD_S = 120.0  # a hang fails the test instead of stalling the suite; it is not a speed check

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pool") / "runs.db"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pool(store_path: Path) -> AsyncIterator[RunPool]:
    async with RunPool(chat_team, store=str(store_path), address="auto", max_in_flight=16) as pool:
        yield pool


def tmp_store(path: Path) -> Path:
    """A store of its own for a reference run (the pool's store already has the thread)."""
    return path.with_name("reference.db")


def transcript(messages: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """What a reader sees of a run: who said what (ids and times differ between runs)."""
    return [(m["source"], m["type"], str(m.get("content"))) for m in messages]


async def reference_transcript(thread_id: str, path: Path) -> list[dict[str, Any]]:
    """The same run in this process, uninterrupted: the transcript every pool run must match."""
    store = SqliteCheckpointer(path)
    team = chat_team()
    team.checkpointer = store
    result = await team.run(task=f"task for {thread_id}", thread_id=thread_id)
    await store.aclose()
    return [m.dump() for m in result.messages]


async def test_two_hundred_concurrent_runs_lose_nothing(pool: RunPool, store_path: Path) -> None:
    threads = [f"many-{i}" for i in range(200)]
    async with asyncio.timeout(_HANG_GUARD_S):
        results = await pool.map([f"task for {t}" for t in threads], thread_ids=threads)
    assert [r.thread_id for r in results] == threads
    assert all(len(r.messages) == MESSAGES for r in results)
    assert {r.attempts for r in results} == {1}
    assert len({w for r in results for w in r.workers}) == 2  # both workers, one per node, took runs
    # Every run is in the shared store, whole, and matches the same run made here.
    store = SqliteCheckpointer(store_path)
    for result in (results[0], results[117], results[-1]):
        snapshot = await store.get(result.thread_id)
        assert snapshot is not None and snapshot.messages == result.messages
    await store.aclose()
    reference = await reference_transcript("many-117", tmp_store(store_path))
    assert transcript(results[117].messages) == transcript(reference)
    assert results[117].task_result().messages[0].content == "task for many-117"


async def test_backpressure_holds_runs_in_the_queue(store_path: Path) -> None:
    # The team as a component config (JSON): each run builds a fresh team from it.
    config = replay_team().dump_component().model_dump()
    async with RunPool(config, store=str(store_path), address="auto", workers=1, max_in_flight=2,
                       max_queued=3) as small:  # fmt: skip
        async with asyncio.timeout(_HANG_GUARD_S):
            futures = []
            for i in range(12):
                futures.append(await small.submit(f"task {i}", thread_id=f"bp-{i}"))
                load = small.load()
                assert load["queued"] <= 3 and max(load["in_flight"].values()) <= 2, load
            results = [await f for f in futures]
    assert [len(r.messages) for r in results] == [5] * 12
    assert {tuple(m["content"] for m in r.messages[1:]) for r in results} == {("x", "p", "y", "q")}
    assert all(r.workers == results[0].workers for r in results)


async def test_a_run_with_no_worker_left_fails_clearly_and_its_thread_continues_later(
    store_path: Path,
) -> None:
    stalls = functools.partial(stalling_team, "*", 5)
    store = SqliteCheckpointer(store_path)
    async with RunPool(stalls, store=str(store_path), address="auto", workers=1, max_restarts=0) as doomed:
        async with asyncio.timeout(_HANG_GUARD_S):
            future = await doomed.submit("task for orphan", thread_id="orphan")
            while len([c async for c in store.history("orphan")]) < 4:
                await asyncio.sleep(0.05)  # steps are committed by another process
            ray.kill(ray.get_actor(doomed.workers[0]), no_restart=True)
            with pytest.raises(RunLostError, match="no worker of the run pool is left") as lost:
                await future
            with pytest.raises(RunLostError, match="no worker of the run pool is left"):
                await (await doomed.submit("a run too late", thread_id="too-late"))
    assert lost.value.thread_id == "orphan"
    # The committed steps are in the store: a new pool continues the thread (no task) to its end.
    async with RunPool(chat_team, store=str(store_path), address="auto", workers=1) as fresh:
        async with asyncio.timeout(_HANG_GUARD_S):
            rest = await fresh.run(thread_id="orphan")
    snapshot = await store.get("orphan")
    await store.aclose()
    assert snapshot is not None and snapshot.messages[-len(rest.messages) :] == rest.messages
    reference = await chat_team().run(task="task for orphan")
    assert transcript(snapshot.messages) == transcript([m.dump() for m in reference.messages])


async def test_a_killed_worker_process_is_recreated_and_its_run_moves_on(
    store_path: Path, cluster: dict[str, str]
) -> None:
    stalls = functools.partial(stalling_team, cluster["worker"], 5)
    store = SqliteCheckpointer(store_path)
    async with RunPool(stalls, store=str(store_path), address="auto") as pool:  # a worker per node
        places = {name: await ray.get_actor(name).ping.remote() for name in pool.workers}
        victim = next(name for name, place in places.items() if place["node"] == cluster["worker"])
        async with asyncio.timeout(_HANG_GUARD_S):
            futures = [await pool.submit(f"task for {t}", thread_id=t) for t in ("kp-a", "kp-b")]
            while min([len([c async for c in store.history(t)]) for t in ("kp-a", "kp-b")]) < 4:
                await asyncio.sleep(0.05)  # steps are committed by other processes
            os.kill(places[victim]["pid"], signal.SIGKILL)
            results = await asyncio.gather(*futures)
            # Ray recreates the worker on its node; the pool's probe puts it back in rotation.
            while victim not in pool.workers:
                await asyncio.sleep(0.05)  # the probe runs in the pool's own task
        again = await ray.get_actor(victim).ping.remote()
    await store.aclose()
    moved = [r for r in results if r.resumed]
    assert len(moved) == 1 and moved[0].workers[0] == victim and moved[0].attempts == 2
    assert moved[0].nodes == [cluster["worker"], cluster["driver"]]
    assert (again["node"], again["pid"] != places[victim]["pid"]) == (cluster["worker"], True)
    assert [len(r.messages) for r in results] == [MESSAGES, MESSAGES]
