"""Round-robin overhead: 5 AssistantAgents on a zero-latency replay model, to 1,000 and 10,000 messages.

Prints one JSON object per run: microseconds per turn (wall time of the run divided by its turns, and
the same in process CPU time, which a busy machine disturbs less) and the run's peak RSS. Each run
is measured in a fresh process so that its peak RSS is its own. Two model contexts are measured:
``unbounded`` (AutoGen's default: every call sends the whole history, so per-call model work grows
with the conversation) and ``buffered(10)`` (the last 10 messages: what is left is flowgen's own
per-turn cost).

    .venv/bin/python benchmarks/round_robin.py            # 1,000 and 10,000 messages
    .venv/bin/python benchmarks/round_robin.py 2000       # other sizes
    .venv/bin/python benchmarks/round_robin.py --profile 1000
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
import json
import pstats
import resource
import subprocess
import sys
import time

from flowgen.agents import AssistantAgent
from flowgen.conditions import MaxMessageTermination
from flowgen.model_context import BufferedChatCompletionContext
from flowgen.models import ReplayChatCompletionClient
from flowgen.teams import RoundRobinGroupChat

AGENTS = 5
CONTEXTS = ("unbounded", "buffered")


def _team(messages: int, context: str) -> RoundRobinGroupChat:
    turns = messages - 1  # the task is the first message
    per_agent = turns // AGENTS + 1
    agents = [
        AssistantAgent(
            f"agent_{i}",
            ReplayChatCompletionClient(
                [f"reply {j} from agent {i}" for j in range(per_agent)], record_calls=False
            ),
            model_context=BufferedChatCompletionContext(buffer_size=10) if context == "buffered" else None,
        )
        for i in range(AGENTS)
    ]
    return RoundRobinGroupChat(agents, termination_condition=MaxMessageTermination(messages))


async def _measure(messages: int, context: str) -> dict[str, float | int | str]:
    team = _team(messages, context)
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    result = await team.run(task="start")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    turns = len(result.messages) - 1
    return {
        "scenario": "round_robin",
        "agents": AGENTS,
        "messages": len(result.messages),
        "model_context": "buffered(10)" if context == "buffered" else "unbounded",
        "seconds": round(wall, 4),
        "us_per_turn": round(wall / turns * 1e6, 1),
        "cpu_us_per_turn": round(cpu / turns * 1e6, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "stop_reason": result.stop_reason or "",
    }


def _one(messages: int, context: str, profile: bool) -> None:
    asyncio.run(_measure(100, context))  # warm-up: imports, pydantic schema caches
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    figures = asyncio.run(_measure(messages, context))
    if profiler is not None:
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    print(json.dumps(figures), flush=True)


def main(argv: list[str]) -> None:
    if argv[:1] == ["--one"]:
        _one(int(argv[1]), argv[2], "--profile" in argv)
        return
    sizes = [int(a) for a in argv if a.isdigit()] or [1_000, 10_000]
    extra = ["--profile"] if "--profile" in argv else []
    for size in sizes:
        for context in CONTEXTS:
            subprocess.run([sys.executable, __file__, "--one", str(size), context, *extra], check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
