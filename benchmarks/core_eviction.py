"""Virtual actors' memory: 100,000 session agents created, then idle and evicted.

    python -m benchmarks.core_eviction            # prints JSON
    python -m benchmarks.core_eviction --sessions 20000

Each session agent keeps a small state (a counter and its session's last message). The runtime
evicts idle agents to a :class:`~flowgen.core.SqliteStateStore` file. Resident memory is read after
set-up (``start``), with every agent alive (``peak``), and after eviction (``after``), once the
garbage collector ran and the C allocator was asked to return free pages (``malloc_trim``, as a
long-running server's allocator does over time). The aim: ``after`` within 10% of ``start``. Two
rounds of fresh sessions run: if the second round ends where the first did, nothing is kept per
session and what remains over ``start`` is the allocators' high-water mark.

It runs twice, in fresh processes: with CPython's default small-object allocator (``pymalloc``,
which returns an arena to the system only when every object in it is freed, so a few survivors keep
some pages) and with ``PYTHONMALLOC=malloc`` (the C allocator, whose free pages ``malloc_trim``
returns): the difference between the two is fragmentation, not memory the runtime holds.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from benchmarks.rss import current_rss_kb
from flowgen.core import (
    AgentId,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    SqliteStateStore,
    message_handler,
)


class Session(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("one user session")
        self.count = 0
        self.last = ""

    @message_handler
    async def on_text(self, message: str, ctx: MessageContext) -> int:
        self.count += 1
        self.last = message
        return self.count

    async def save_state(self) -> Mapping[str, Any]:
        return {"count": self.count, "last": self.last}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        self.count = state["count"]
        self.last = state["last"]


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: the figure then shows what the allocator kept
        return None


# Loaded once, before any burst: loading it at each measurement made a class and its cycles,
# garbage until the next collection, which landed in the burst's freed memory and pinned some.
_LIBC = _libc()


def _trim() -> None:
    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


class _Clock:
    """A fake clock whose time lives in an array: no float object outlives a burst of sessions."""

    def __init__(self) -> None:
        self.now = array("d", [0.0])

    def __call__(self) -> float:
        return self.now[0]


async def _create(runtime: SingleThreadedAgentRuntime, sessions: int, round_: int) -> None:
    for key in range(sessions):  # a function of its own: its loop variable dies with it
        await runtime.send_message(f"hello {key}", AgentId("session", f"{round_}-{key}"))


async def _round(
    runtime: SingleThreadedAgentRuntime, clock: _Clock, sessions: int, round_: int, figures: array[float]
) -> None:
    """One round; its measurements go into ``figures`` (raw doubles), so that measuring keeps no
    object made while the burst's memory was in use alive, which would keep that memory."""
    figures[0] = time.perf_counter()
    await _create(runtime, sessions, round_)
    figures[1] = time.perf_counter() - figures[0]
    figures[2] = current_rss_kb()
    clock.now[0] += 1000
    figures[0] = time.perf_counter()
    figures[3] = await runtime.evict_idle()
    figures[4] = time.perf_counter() - figures[0]
    _trim()
    figures[5] = current_rss_kb()
    figures[6] = sum(1 for _ in runtime.live_agents())


def _report(figures: array[float], start: float, sessions: int) -> dict[str, Any]:
    _, created_s, peak, evicted, evict_s, after, live = figures
    return {
        "evicted": int(evicted),
        "live_after": int(live),
        "rss_peak_mb": round(peak / 1024, 1),
        "rss_after_mb": round(after / 1024, 1),
        "after_over_start": round(after / start, 3),
        "create_us_per_session": round(created_s / sessions * 1e6, 2),
        "evict_us_per_session": round(evict_s / sessions * 1e6, 2),
    }


async def run(sessions: int, folder: Path) -> dict[str, Any]:
    clock = _Clock()
    store = SqliteStateStore(folder / "sessions.db")
    runtime = SingleThreadedAgentRuntime(evict_idle_after=60, clock=clock, state_store=store)
    await Session.register(runtime, "session", Session)
    for cycle in range(3):  # warm every path once: new sessions, eviction, re-activation
        for key in range(100):
            await runtime.send_message("warm", AgentId("session", f"w{cycle % 2}-{key}"))
        clock.now[0] += 100
        await runtime.evict_idle()
    # Each round's figures stay raw doubles until the end: a report built between rounds would be
    # made right after a sweep, kept through the next round, and pin some of the memory measured.
    figures = [array("d", [0.0] * 7) for _ in range(2)]
    _trim()
    start = current_rss_kb()
    for round_ in range(2):  # the second round shows whether anything is kept per session
        await _round(runtime, clock, sessions, round_, figures[round_])
    again = await runtime.send_message("back", AgentId("session", "0-12345"))
    store.close()
    return {
        "sessions_per_round": sessions,
        "rss_start_mb": round(start / 1024, 1),
        "rounds": [_report(one, start, sessions) for one in figures],
        "reactivated_count": again,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--child", action="store_true", help="measure in this process (one allocator)")
    args = parser.parse_args(argv)
    if args.child:
        with tempfile.TemporaryDirectory() as folder:
            print(json.dumps(asyncio.run(run(args.sessions, Path(folder)))))
        return 0
    results = {}
    for allocator in ("pymalloc", "malloc"):
        env = dict(os.environ)
        if allocator == "malloc":
            env["PYTHONMALLOC"] = "malloc"
        else:
            env.pop("PYTHONMALLOC", None)
        command = [
            sys.executable,
            "-m",
            "benchmarks.core_eviction",
            "--child",
            "--sessions",
            str(args.sessions),
        ]
        out = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
        results[allocator] = json.loads(out.stdout)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
