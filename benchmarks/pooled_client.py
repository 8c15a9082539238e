"""One shared pooled model client against a client per agent: 20 agents x 50 calls, printed as JSON.

``python -m benchmarks.pooled_client [--agents 20] [--calls 50] [--repeats 5]``

Three configurations: one pool shared by every agent, with the manual's limits (20 connections,
10 kept alive) and with all 20 kept alive; and a client (so a pool) per agent. The agents run at once, each making its calls one after another, against the local server that
speaks OpenAI's wire protocol (a thread of this process, on 127.0.0.1) through the real SDK. Each
configuration reports the TCP connections the server accepted, the wall time, and the CPU time of
the event loop's thread (the server's threads excluded). Medians over the repeats, the two
configurations interleaved; ratios are per-agent / shared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "integration"))

import httpx
import openai_wire
from provider_server import ProviderServer

from flowgen.agents import AssistantAgent
from flowgen.models.openai import OpenAIChatCompletionClient

#: name -> keep-alive connections of the one shared pool (None: a client, and a pool, per agent).
CONFIGURATIONS: dict[str, int | None] = {
    "shared_keepalive_10": 10,
    "shared_keepalive_20": 20,
    "per_agent": None,
}


async def measure(
    server: ProviderServer, *, keepalive: int | None, agents: int, calls: int
) -> dict[str, float]:
    base = f"{server.base_url}/v1"
    if keepalive is not None:
        # The pool of the manual's example is max_connections=20, max_keepalive_connections=10.
        pool = httpx.AsyncClient(limits=httpx.Limits(max_connections=20, max_keepalive_connections=keepalive))
        one = OpenAIChatCompletionClient("gpt-4o", api_key="bench", base_url=base, http_client=pool)
        clients = [one] * agents
    else:
        pool = None
        clients = [
            OpenAIChatCompletionClient("gpt-4o", api_key="bench", base_url=base) for _ in range(agents)
        ]
    team = [AssistantAgent(f"agent_{i}", client) for i, client in enumerate(clients)]

    async def work(agent: AssistantAgent) -> None:
        for _ in range(calls):
            await agent.run(task="hello")

    server.peak_connections = 0
    opened = server.connections_opened
    requests = len(server.requests)
    wall, cpu = time.perf_counter(), time.thread_time()
    await asyncio.gather(*(work(agent) for agent in team))
    wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
    assert len(server.requests) - requests == agents * calls
    for client in set(clients):
        await client.close()
    if pool is not None:
        await pool.aclose()
    return {
        "connections": server.connections_opened - opened,
        "peak_open": server.peak_connections,
        "wall_s": wall,
        "cpu_s": cpu,
    }


def median(rows: list[dict[str, float]], key: str) -> float:
    return statistics.median(row[key] for row in rows)


async def main(agents: int, calls: int, repeats: int) -> dict[str, Any]:
    server = ProviderServer(answer=lambda request: openai_wire.completion("ok")).start()
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in CONFIGURATIONS}
    try:
        await measure(server, keepalive=10, agents=agents, calls=2)  # warm-up: imports, first connections
        for _ in range(repeats):
            for name, keepalive in CONFIGURATIONS.items():
                rows[name].append(await measure(server, keepalive=keepalive, agents=agents, calls=calls))
    finally:
        server.stop()
    summary: dict[str, Any] = {"agents": agents, "calls_per_agent": calls, "repeats": repeats}
    for name, measured in rows.items():
        summary[name] = {
            key: median(measured, key) for key in ("connections", "peak_open", "wall_s", "cpu_s")
        }
    for shared in ("shared_keepalive_10", "shared_keepalive_20"):
        summary[f"ratio_per_agent_over_{shared}"] = {
            key: summary["per_agent"][key] / summary[shared][key]
            for key in ("connections", "wall_s", "cpu_s")
        }
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.agents, args.calls, args.repeats)), indent=2))
