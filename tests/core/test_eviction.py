"""Virtual actors: idle agents are saved and dropped, and come back with their state."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flowgen.core import (
    AgentId,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    SqliteStateStore,
    message_handler,
)


class Counter(RoutedAgent):
    created = 0
    loaded = 0

    def __init__(self) -> None:
        super().__init__("counts per session")
        Counter.created += 1
        self.count = 0
        self.gate: asyncio.Event | None = None

    @message_handler
    async def on_int(self, message: int, ctx: MessageContext) -> int:
        if self.gate is not None:
            await self.gate.wait()
        self.count += message
        return self.count

    async def save_state(self) -> Mapping[str, Any]:
        return {"count": self.count}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        Counter.loaded += 1
        self.count = state["count"]


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_100k_sessions_are_evicted_and_come_back_with_their_state() -> None:
    clock = FakeClock()
    runtime = SingleThreadedAgentRuntime(evict_idle_after=60, clock=clock)
    await Counter.register(runtime, "counter", Counter)
    Counter.created = Counter.loaded = 0
    sessions = 100_000
    for key in range(sessions):
        assert await runtime.send_message(1 + key % 3, AgentId("counter", str(key))) == 1 + key % 3
    assert Counter.created == sessions and len(list(runtime.live_agents())) == sessions

    clock.now = 30
    assert await runtime.evict_idle() == 0  # not idle long enough yet
    assert runtime.evictions == 0
    await runtime.send_message(10, AgentId("counter", "7"))  # session 7 stays active
    clock.now = 61
    assert await runtime.evict_idle() == sessions - 1
    assert runtime.evictions == sessions - 1
    assert list(runtime.live_agents()) == [AgentId("counter", "7")]

    # Re-activation: made again by the factory, given its saved state.
    assert await runtime.send_message(5, AgentId("counter", "99999")) == 1 + 99999 % 3 + 5
    assert Counter.created == sessions + 1 and Counter.loaded == 1
    state = await runtime.save_state()  # evicted agents are part of the runtime's state
    assert len(state) == sessions and state["counter/7"] == {"count": 1 + 7 % 3 + 10}


async def test_an_agent_handling_a_message_is_never_evicted() -> None:
    clock = FakeClock()
    runtime = SingleThreadedAgentRuntime(evict_idle_after=1, clock=clock)
    await Counter.register(runtime, "counter", Counter)
    agent = await runtime.try_get_underlying_agent_instance(AgentId("counter", "busy"), Counter)
    agent.gate = asyncio.Event()
    sending = asyncio.ensure_future(runtime.send_message(1, AgentId("counter", "busy")))
    await asyncio.sleep(0)
    clock.now = 100
    assert await runtime.evict_idle() == 0
    agent.gate.set()
    assert await sending == 1


async def test_registered_instances_are_never_evicted(tmp_path: Path) -> None:
    clock = FakeClock()
    store = SqliteStateStore(tmp_path / "states.db")
    runtime = SingleThreadedAgentRuntime(evict_idle_after=1, clock=clock, state_store=store)
    await Counter().register_instance(runtime, AgentId("pinned", "x"))
    await Counter.register(runtime, "counter", Counter)
    await runtime.send_message(1, AgentId("pinned", "x"))
    await runtime.send_message(4, AgentId("counter", "y"))
    clock.now = 10
    assert await runtime.evict_idle() == 1
    assert list(runtime.live_agents()) == [AgentId("pinned", "x")]
    assert dict(store["counter/y"]) == {"count": 4}  # on disk, not in memory
    assert await runtime.send_message(1, AgentId("counter", "y")) == 5
    assert len(store) == 0
    store.close()


async def test_a_started_runtime_sweeps_idle_agents_on_its_own() -> None:
    runtime = SingleThreadedAgentRuntime(evict_idle_after=0.02)
    await Counter.register(runtime, "counter", Counter)
    runtime.start()
    assert await runtime.send_message(2, AgentId("counter", "s")) == 2
    await asyncio.wait_for(runtime.stop_when(lambda: runtime.evictions >= 1), timeout=10)
    assert list(runtime.live_agents()) == []
    assert await runtime.send_message(3, AgentId("counter", "s")) == 5  # made again, with its state


def test_sqlite_store_makes_key_only_tables_and_opens_older_files(tmp_path: Path) -> None:
    store = SqliteStateStore(tmp_path / "new.db")
    store["w/a"] = {"count": 1}
    store.update({"w/b": {"count": 2}, "w/c": {"count": 3}})
    # Reads, writes and iteration interleave on the store's one cursor.
    assert {key: store[key]["count"] for key in store} == {"w/a": 1, "w/b": 2, "w/c": 3}
    assert store.pop("w/b") == {"count": 2} and len(store) == 2
    del store["w/a"]
    assert list(store) == ["w/c"] and store.pop("w/x", None) is None
    store.close()
    with contextlib.closing(sqlite3.connect(tmp_path / "new.db")) as made:
        schema = made.execute("SELECT sql FROM sqlite_master").fetchone()[0]
    assert schema.endswith("WITHOUT ROWID")

    older = sqlite3.connect(tmp_path / "old.db")  # the table as earlier versions made it
    older.execute("CREATE TABLE agent_state (agent_id TEXT PRIMARY KEY, state TEXT NOT NULL)")
    older.execute("INSERT INTO agent_state VALUES ('w/a', '{\"count\": 7}')")
    older.commit()
    older.close()
    store = SqliteStateStore(tmp_path / "old.db")
    store.update({"w/b": {"count": 8}})
    assert dict(store["w/a"]) == {"count": 7} and store.pop("w/b") == {"count": 8} and len(store) == 1
    store.close()
