"""The start-up scenario's process: ``python -m benchmarks.startup FRAMEWORK``.

Imports the framework and runs a one-agent team for one turn; the parent times the whole process.
It imports nothing else of the harness. Two baselines: ``none`` measures the interpreter alone;
``floor`` imports asyncio and pydantic and validates one model inside ``asyncio.run`` — the least any
framework whose messages are pydantic models (AgentChat's API) pays before its own code runs.
Exit status 0 and ``ok`` on stdout on success, 3 when the framework is unavailable.
"""

from __future__ import annotations

import asyncio
import sys


def main(framework: str) -> int:
    if framework == "none":
        print("ok")
        return 0
    if framework == "floor":
        asyncio.run(_floor())
        print("ok")
        return 0
    from benchmarks.frameworks import Unavailable, load

    try:
        module = load(framework)
        outcome = asyncio.run(_one_turn(module))
    except Unavailable as exc:
        print(f"unavailable: {exc}")
        return 3
    if outcome != 1:
        print(f"error: expected 1 agent message, the framework's result holds {outcome}")
        return 1
    print("ok")
    return 0


async def _floor() -> None:
    from pydantic import BaseModel

    class Message(BaseModel):
        content: str
        source: str

    Message(content="hi", source="user")


async def _one_turn(module: object) -> int:
    workload = await module.one_turn()  # type: ignore[attr-defined]
    count: int = (await workload()).count
    return count


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
