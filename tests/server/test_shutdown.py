"""Stopping `flowgen serve` under load: 20 streamed runs on a paced scripted model, then SIGTERM (each run
stops after its current step) or SIGKILL. Restarted on the same store, every thread holds a prefix of
the transcript an uninterrupted run gives, and continuing it gives the whole transcript."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import paced_team
from server_support import SseReader

REPO = Path(__file__).resolve().parents[2]
KEY = "shutdown-test-key-5b2a"
HEADERS = {"X-API-Key": KEY}
TASK = "count"
RUNS = 20
DEADLINE = 120  # seconds: a bound on every wait of a test, never a pause


@dataclass
class Server:
    proc: asyncio.subprocess.Process
    client: httpx.AsyncClient
    log: list[str] = field(default_factory=list)


@contextlib.asynccontextmanager
async def flowgen_serve(store: Path, **env: str) -> AsyncIterator[Server]:
    """``flowgen serve`` of the paced team in a subprocess on a free port; killed if still running after."""
    environment = {**os.environ, "PYTHONPATH": str(REPO), "FLOWGEN_API_KEYS": KEY, **env}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "flowgen.cli", "serve", paced_team.__file__, "--port", "0", "--store", str(store),
        env=environment, cwd=store.parent, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    log: list[str] = []
    listening: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def drain() -> None:  # read stderr to its end, so the server never blocks writing its log
        assert proc.stderr is not None
        while line := (await proc.stderr.readline()).decode():
            log.append(line)
            found = re.search(r"running on http://127\.0\.0\.1:(\d+)", line)
            if found and not listening.done():
                listening.set_result(int(found.group(1)))
        if not listening.done():
            listening.set_exception(AssertionError("the server exited before listening:\n" + "".join(log)))

    async with asyncio.TaskGroup() as group:
        group.create_task(drain())
        try:
            async with asyncio.timeout(DEADLINE):
                port = await listening
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=DEADLINE) as client:
                yield Server(proc, client, log)
        finally:
            if proc.returncode is None:
                proc.kill()
            await proc.wait()


async def reference() -> list[tuple[str, str]]:
    """The transcript of the paced team's run never interrupted."""
    result = await paced_team.build().run(task=TASK)
    return [(m.source, m.content) for m in result.messages]


@dataclass
class Streamed:
    thread: str
    events: list[dict[str, str]] = field(default_factory=list)
    under_way: asyncio.Event = field(default_factory=asyncio.Event)  # two replies seen

    def messages(self) -> list[tuple[str, str]]:
        data = [json.loads(e["data"]) for e in self.events if e["event"] == "message"]
        return [(m["source"], m["content"]) for m in data]


async def stream(client: httpx.AsyncClient, run: Streamed) -> None:
    """Stream the thread's run, keeping every event, until the stream ends or the server is gone."""
    body = {"agent": "paced_team", "input": TASK}
    with contextlib.suppress(httpx.TransportError):  # a killed server cuts the stream
        async with client.stream(
            "POST", f"/threads/{run.thread}/runs/stream", headers=HEADERS, json=body
        ) as r:
            assert r.status_code == 200
            reader = SseReader(r)
            while (event := await reader.next()) is not None:
                run.events.append(event)
                if len(run.messages()) >= 3:
                    run.under_way.set()
    run.under_way.set()


async def load_then(store: Path, stop: signal.Signals) -> tuple[list[Streamed], int, list[str]]:
    """Start RUNS streamed runs, send ``stop`` once every one is under way; the streams and exit status."""
    async with flowgen_serve(store, FLOWGEN_SHUTDOWN_GRACE_SECONDS="60") as server:
        runs = []
        for _ in range(RUNS):
            created = await server.client.post("/threads", headers=HEADERS)
            runs.append(Streamed(created.json()["thread_id"]))
        async with asyncio.timeout(DEADLINE), asyncio.TaskGroup() as group:
            for run in runs:
                group.create_task(stream(server.client, run))
            for run in runs:
                await run.under_way.wait()
            server.proc.send_signal(stop)
        async with asyncio.timeout(DEADLINE):
            status = await server.proc.wait()
    return runs, status, server.log


async def check_every_thread_continues(store: Path, runs: list[Streamed]) -> None:
    """Restarted on ``store``: each thread a prefix of the uninterrupted transcript, holding every message
    its stream showed; continued, the whole transcript."""
    expected = await reference()

    async def check(client: httpx.AsyncClient, run: Streamed) -> None:
        state = (await client.get(f"/threads/{run.thread}", headers=HEADERS)).json()
        kept = [(m["source"], m["content"]) for m in state["messages"]]
        assert kept == expected[: len(kept)], run.thread
        shown = run.messages()
        assert len(shown) >= 3 and kept[: len(shown)] == shown, run.thread
        if kept != expected:
            body = {"agent": "paced_team"}
            waited = await client.post(f"/threads/{run.thread}/runs/wait", headers=HEADERS, json=body)
            assert waited.status_code == 200 and waited.json()["status"] == "success", waited.text
        state = (await client.get(f"/threads/{run.thread}", headers=HEADERS)).json()
        assert [(m["source"], m["content"]) for m in state["messages"]] == expected, run.thread

    async with flowgen_serve(store) as server, asyncio.TaskGroup() as group:
        for run in runs:
            group.create_task(check(server.client, run))


async def test_sigterm_under_load_stops_each_run_after_a_step(tmp_path: Path) -> None:
    store = tmp_path / "runs.db"
    runs, status, log = await load_then(store, signal.SIGTERM)
    assert status in (0, -signal.SIGTERM), "".join(log)
    assert "Application shutdown complete" in "".join(log)
    stopped = 0
    for run in runs:
        *_, last = run.events
        assert last["event"] == "end", run.events  # every stream ended cleanly, with its run's end
        end = json.loads(last["data"])
        assert end["status"] in ("cancelled", "success")
        if end["status"] == "cancelled":
            stopped += 1
            assert "server stopped" in end["stop_reason"] and end["checkpoint_id"]
        assert [int(e["id"]) for e in run.events] == list(range(1, len(run.events) + 1))
    assert stopped > 0  # the signal came while runs were under way
    print(f"{stopped} of {RUNS} runs stopped after a step")
    await check_every_thread_continues(store, runs)


async def test_sigkill_under_load_loses_no_committed_step(tmp_path: Path) -> None:
    store = tmp_path / "runs.db"
    runs, status, _ = await load_then(store, signal.SIGKILL)
    assert status == -signal.SIGKILL
    assert any(run.events[-1]["event"] != "end" for run in runs)  # killed while runs were under way
    await check_every_thread_continues(store, runs)
