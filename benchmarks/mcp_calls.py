"""What McpWorkbench adds to an MCP tool call: ``python -m benchmarks.mcp_calls [CALLS] [REPEATS]``.

One stdio server (flowgen.testing.mcp_server) is spawned per measurement; the same ``add`` call is
made CALLS times through the ``mcp`` package's own Client, and through an McpWorkbench (timeout,
cancellation link, result conversion). Prints one JSON object: milliseconds per call for each (the
median of REPEATS runs, each after a warm-up call) and their ratio, workbench over raw client.
AutoGen 0.7.5's McpWorkbench cannot be measured beside them: it does not import with mcp 2.x.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[1])


def _server_env() -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH", "")) if p)}


async def _per_call_ms(call: Callable[[], Awaitable[object]], calls: int) -> float:
    await call()  # warm-up: the first call pays for imports and caches
    started = time.perf_counter()
    for _ in range(calls):
        await call()
    return (time.perf_counter() - started) * 1000 / calls


async def raw_client(calls: int) -> float:
    from mcp import Client, StdioServerParameters
    from mcp.client.stdio import stdio_client

    spawn = StdioServerParameters(
        command=sys.executable, args=["-m", "flowgen.testing.mcp_server"], env=_server_env()
    )
    async with Client(stdio_client(spawn), cache=None) as client:
        return await _per_call_ms(lambda: client.call_tool("add", {"a": 1, "b": 2}), calls)


async def workbench(calls: int) -> float:
    from flowgen.core import CancellationToken
    from flowgen.tools.mcp import McpWorkbench, StdioServerParams

    params = StdioServerParams(
        command=sys.executable, args=["-m", "flowgen.testing.mcp_server"], env=_server_env()
    )
    async with McpWorkbench(params) as bench:
        return await _per_call_ms(
            lambda: bench.call_tool("add", {"a": 1, "b": 2}, CancellationToken()), calls
        )


def main(calls: int = 200, repeats: int = 3) -> dict[str, float]:
    raw: list[float] = []
    ours: list[float] = []
    for _ in range(repeats):  # interleaved, so that a busy moment of the machine hits both alike
        raw.append(asyncio.run(raw_client(calls)))
        ours.append(asyncio.run(workbench(calls)))
    result = {
        "calls": calls,
        "repeats": repeats,
        "raw_client_ms_per_call": round(statistics.median(raw), 4),
        "mcp_workbench_ms_per_call": round(statistics.median(ours), 4),
    }
    result["ratio_workbench_over_raw"] = round(
        result["mcp_workbench_ms_per_call"] / result["raw_client_ms_per_call"], 3
    )
    return result


if __name__ == "__main__":
    arguments = [int(a) for a in sys.argv[1:3]]
    print(json.dumps(main(*arguments)))
