"""A served run on pool workers sends the events a local served run sends (no Ray needed).

The real RunWorker (made outside an actor) streams its frames as JSON texts to the real RunWatch and
RunStream, as the pool does; the server's ``execute_on_pool`` turns them into its events, which must
match ``execute``'s for the same team and task, step for step.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import aclosing
from pathlib import Path
from typing import Any

import pytest

from flowgen.agents import AssistantAgent
from flowgen.base import Team
from flowgen.checkpoint import SqliteCheckpointer
from flowgen.conditions import MaxMessageTermination
from flowgen.distributed.run_order import RunBatch, RunOrder, RunResult
from flowgen.distributed.run_stream import RunStream, RunWatch
from flowgen.distributed.run_worker import RunWorker
from flowgen.models import FunctionChatCompletionClient
from flowgen.server.agents import Agents
from flowgen.server.run_exec import execute
from flowgen.server.run_request import RunRequest
from flowgen.server.runs import execute_on_pool
from flowgen.teams import DiGraphBuilder, GraphFlow, RoundRobinGroupChat
from flowgen.testing import ScriptedAgent
from flowgen.testing.models import ScriptedModels


def relay() -> Team:
    models = ScriptedModels(["alpha", "beta", "gamma"])
    agents = [AssistantAgent(n, model_client=models.client()) for n in ("a", "b", "c")]
    return RoundRobinGroupChat(agents, termination_condition=MaxMessageTermination(5), name="relay")


def fan() -> Team:
    """a, then b and c in one step, then d."""
    a, b, c, d = (ScriptedAgent(n, [n.upper()]) for n in "abcd")
    builder = DiGraphBuilder()
    for agent in (a, b, c, d):
        builder.add_node(agent)
    builder.add_edge(a, b).add_edge(a, c).add_edge(b, d).add_edge(c, d)
    return GraphFlow(builder.get_participants(), builder.build(), name="fan")


def tools() -> Team:
    """A tool call (inner events held until their step is stored) and a streamed reply (chunks)."""
    from test_step_gate import team

    return team()


HOLD: list[asyncio.Event] = []  # the event b's model waits for, made by the test that uses it


def held() -> Team:
    """a answers; b's model waits for HOLD[0] (never set: the run stays mid-step until stopped)."""

    async def wait(messages: object, info: object) -> str:
        await HOLD[0].wait()
        return "never"

    a = AssistantAgent("a", model_client=ScriptedModels(["fine"]).client())
    b = AssistantAgent("b", model_client=FunctionChatCompletionClient(wait))
    return RoundRobinGroupChat([a, b], max_turns=4, name="held")


TEAMS: dict[str, Callable[[], Team]] = {"relay": relay, "fan": fan, "tools": tools, "held": held}


class InProcessPool:
    """The pool's streaming path with its worker in this process: frames cross as JSON text."""

    def __init__(self, store: str) -> None:
        self.worker = RunWorker(TEAMS, store, "worker-0", node="here")
        self.followers: set[asyncio.Task[None]] = set()

    def stream(self, task: str | None, *, thread_id: str, team: str, steps: bool = False) -> RunStream:
        async def start(watch: RunWatch) -> asyncio.Future[RunResult]:
            future: asyncio.Future[RunResult] = asyncio.get_running_loop().create_future()
            order = RunOrder(thread_id=thread_id, team=team, task=task).model_dump_json()

            async def follow() -> None:
                async for text in self.worker.stream(order):
                    for frame in RunBatch.model_validate_json(text).frames:
                        if frame.report is None:
                            watch.show(frame)
                            continue
                        report = frame.report
                        future.set_result(
                            RunResult(
                                thread_id=thread_id,
                                messages=report.messages,
                                stop_reason=report.stop_reason,
                                checkpoint_id=report.checkpoint_id,
                                attempts=1,
                                resumed=False,
                                workers=[report.worker],
                                nodes=[report.node],
                            )
                        )

            follower = asyncio.get_running_loop().create_task(follow())
            self.followers.add(follower)
            # As the pool does: cancelling stops the run where it runs (here, the worker's stream).
            watch.on_cancel = lambda: (follower.cancel(), future.cancel())  # type: ignore[func-returns-value]
            return future

        return RunStream(start, factory=None, steps=steps)


def comparable(events: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, Any]]:
    """Events without what differs between two runs: ids, times, checkpoint ids; streamed chunks go
    ahead of their step's held events on a pool (best effort), so they are compared apart."""
    out: list[tuple[str, Any]] = []
    for kind, data in events:
        if data.get("type") == "ModelClientStreamingChunkEvent":
            continue
        if kind in ("message", "event"):
            out.append((kind, (data["source"], data["type"], str(data.get("content")))))
        else:
            out.append((kind, {k: v for k, v in data.items() if k not in ("checkpoint_id", "run_id")}))
    return out


def chunks(events: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, str]]:
    return [
        (d["source"], d["content"]) for _, d in events if d.get("type") == "ModelClientStreamingChunkEvent"
    ]


@pytest.mark.parametrize("team", ["relay", "fan", "tools"])
async def test_a_pool_runs_served_events_are_a_local_runs(tmp_path: Path, team: str) -> None:
    local_store, pool_store = SqliteCheckpointer(tmp_path / "local.db"), tmp_path / "pool.db"
    request = RunRequest(agent=team, input="go")
    async with aclosing(execute(Agents(TEAMS, local_store), "t", request)) as items:
        local = [e async for e in items]
    pool = InProcessPool(str(pool_store))
    reader = SqliteCheckpointer(pool_store)
    async with aclosing(execute_on_pool(pool, Agents(TEAMS, reader), reader, "t", request)) as items:
        remote = [e async for e in items]
    assert comparable(remote) == comparable(local)
    assert chunks(remote) == chunks(local)
    assert {k for k, _ in local} >= {"message", "node", "step", "end"}
    assert remote[-1][1]["checkpoint_id"] == await reader.head("t")
    await asyncio.gather(*pool.followers)
    await pool.worker.close()
    for store in (local_store, reader):
        await store.aclose()


async def test_a_served_pool_run_closed_early_is_cancelled_where_it_runs(tmp_path: Path) -> None:
    # The server closes a run's executor when the client leaves (on_disconnect="cancel") or a
    # cancel request comes: the pool run must stop too, and let its thread go.
    HOLD[:] = [asyncio.Event()]
    pool_store = tmp_path / "pool.db"
    pool = InProcessPool(str(pool_store))
    reader = SqliteCheckpointer(pool_store)
    request = RunRequest(agent="held", input="go")
    async with aclosing(execute_on_pool(pool, Agents(TEAMS, reader), reader, "t", request)) as items:
        async for kind, data in items:
            if kind == "message" and data["source"] == "a":
                break
    (follower,) = pool.followers
    with pytest.raises(asyncio.CancelledError):
        async with asyncio.timeout(60):  # a hang guard, not a speed check: uncancelled, it waits forever
            await follower
    lease = await reader.acquire("t")  # the worker's run let the thread go
    await lease.release()
    snapshot = await reader.get("t")
    assert snapshot is not None and snapshot.checkpoint.stop_reason is None  # stopped mid-run, resumable
    await pool.worker.close()
    await reader.aclose()
