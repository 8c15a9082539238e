"""200 concurrent streamed runs through a real ``flowgen serve`` on 127.0.0.1 (a scripted model with
20-50 ms latency per call, fixed per run): every transcript complete and correct, every run's event
ids 1..n with none lost or repeated, every thread stored and idle, and the server's memory back near
where it started."""

from __future__ import annotations

import asyncio
import doctest
from pathlib import Path

import flowgen.testing.paced_team as paced_team
from flowgen.checkpoint import SqliteCheckpointer
from flowgen.client import AsyncClient, StreamEvent
from flowgen.testing.paced_team import paced_task, paced_transcript
from flowgen.testing.served_process import served_process

KEY = "load-key-5d1e"
RUNS = 200
WARM_UP = 20
MB = 1024 * 1024


def latency_ms(run: int) -> int:
    """20-50 ms, spread over the runs and the same every time."""
    return 20 + (run * 37) % 31


async def streamed_run(client: AsyncClient, run: int) -> tuple[str, list[StreamEvent]]:
    thread = (await client.create_thread())["thread_id"]
    events = [
        e async for e in client.stream_run(thread, "paced_team", input=paced_task(run, latency_ms(run)))
    ]
    return thread, events


def check_run(run: int, thread: str, events: list[StreamEvent]) -> str:
    """The run's checkpoint id, after checking its stream; an assertion naming the run otherwise."""
    ids = [e.id for e in events]
    assert ids == list(range(1, len(events) + 1)), f"run {run}: event ids {ids}"
    contents = [e.data["content"] for e in events if e.event == "message"]
    assert contents == paced_transcript(paced_task(run, latency_ms(run))), f"run {run}: {contents}"
    end = events[-1]
    assert end.event == "end" and end.data["thread_id"] == thread, f"run {run} ended with {end}"
    checkpoint: str = end.data["checkpoint_id"]
    return checkpoint


async def many_runs(client: AsyncClient, first: int, count: int) -> dict[int, tuple[str, list[StreamEvent]]]:
    async with asyncio.TaskGroup() as group:
        tasks = {n: group.create_task(streamed_run(client, n)) for n in range(first, first + count)}
    return {n: task.result() for n, task in tasks.items()}


async def test_200_concurrent_streamed_runs(tmp_path: Path) -> None:
    with served_process([paced_team.__file__], tmp_path / "runs.db", "--api-key", KEY) as server:
        async with AsyncClient(server.url, api_key=KEY, max_connections=RUNS, timeout=120) as client:
            for n, (thread, events) in (await many_runs(client, -WARM_UP, WARM_UP)).items():
                check_run(n, thread, events)
            rss_start = server.rss_bytes()
            done = await many_runs(client, 0, RUNS)
            rss_peakish = server.rss_bytes()
            heads = {thread: check_run(n, thread, events) for n, (thread, events) in done.items()}
            threads = await client.list_threads(limit=RUNS + WARM_UP)
            assert len(threads) == RUNS + WARM_UP and {t["status"] for t in threads} == {"idle"}
            rss_end = server.rss_bytes()
    store = SqliteCheckpointer(tmp_path / "runs.db")  # what the stopped server left: every run saved
    for thread, head in heads.items():
        snapshot = await store.get(thread)
        assert snapshot is not None and snapshot.checkpoint.checkpoint_id == head
        assert [m["content"] for m in snapshot.messages][-1].endswith("APPROVE")
    await store.aclose()
    print(f"server RSS: {rss_start / MB:.1f} MB after warm-up, {rss_peakish / MB:.1f} MB right after "
          f"{RUNS} runs, {rss_end / MB:.1f} MB at the end")  # fmt: skip
    assert rss_end < 1.5 * rss_start + 16 * MB, (rss_start, rss_end)


def test_the_paced_teams_example_runs() -> None:
    assert doctest.testmod(paced_team).failed == 0
