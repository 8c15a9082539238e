"""A swarm run alone in its process, for callgrind: ``python -m benchmarks.handoff_count TARGET HANDOFFS``.

TARGET is a framework or ``floor`` (:mod:`benchmarks.handoff_floor`, the least the AgentChat API
allows). The harness counts the instructions of two such processes, one handoff and ``1 + HANDOFFS``,
and divides the difference by HANDOFFS: the cost of a handoff, start-up and team building cancelled
out. Exit status 0 and ``ok`` on stdout on success, 3 when the framework is unavailable, 1 when the
run's result does not hold the handoffs asked for.
"""

from __future__ import annotations

import asyncio
import sys
from types import ModuleType

from benchmarks.scenarios import SWARM_AGENTS


def target_module(target: str) -> ModuleType:
    """The module whose ``swarm`` workload is run (Unavailable for a framework that cannot load)."""
    if target == "floor":
        from benchmarks import handoff_floor

        return handoff_floor
    from benchmarks.frameworks import load

    return load(target)


async def _handoffs(module: ModuleType, handoffs: int) -> int:
    workload = await module.swarm(SWARM_AGENTS, handoffs)
    count: int = (await workload()).count
    return count


def main(target: str, handoffs: int) -> int:
    from benchmarks.frameworks import Unavailable

    try:
        count = asyncio.run(_handoffs(target_module(target), handoffs))
    except Unavailable as exc:
        print(f"unavailable: {exc}")
        return 3
    if count != handoffs:
        print(f"error: expected {handoffs} handoffs, the result holds {count}")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], int(sys.argv[2])))
