"""The handoff floor does all the work the AgentChat API requires of a handoff, so its count is a bound.

Were it to skip an object that flowgen (following the API) must create, its instruction count would
no longer bound anything; these tests hold it to the same observable trail as flowgen's own Swarm.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks.frameworks import speaker_names
from benchmarks.frameworks.flowgen_impl import _work
from benchmarks.handoff_floor import FloorAgent, _stream, swarm
from flowgen.conditions import MaxMessageTermination
from flowgen.teams import Swarm

ROOT = Path(__file__).resolve().parents[2]
HANDOFFS = 7


def _kinds(items: list[object]) -> list[str]:
    return [type(i).__name__ for i in items]


async def _flowgen_swarm() -> tuple[list[object], dict[str, list[object]]]:
    names = speaker_names(3)
    agents = [_work._agent(n, handoff_to=names[(i + 1) % 3]) for i, n in enumerate(names)]
    team = Swarm(agents, termination_condition=MaxMessageTermination(HANDOFFS + 1))
    result = await team.run(task="go")
    contexts = {a.name: list(await a.model_context.get_messages()) for a in agents}
    return list(result.messages), contexts


async def _floor_swarm() -> tuple[list[object], dict[str, list[object]]]:
    names = speaker_names(3)
    agents = {n: FloorAgent(n, names[(i + 1) % 3]) for i, n in enumerate(names)}
    said = [m async for m in _stream(agents, names[0], HANDOFFS)]
    return said, {n: a.context for n, a in agents.items()}


async def test_the_floor_says_what_flowgen_says() -> None:
    (flowgen_said, _), (floor_said, _) = await _flowgen_swarm(), await _floor_swarm()
    assert _kinds(floor_said) == _kinds(flowgen_said)
    assert [getattr(m, "target", None) for m in floor_said] == [
        getattr(m, "target", None) for m in flowgen_said
    ]


async def test_the_floor_keeps_the_model_context_flowgen_keeps() -> None:
    (_, flowgen_contexts), (_, floor_contexts) = await _flowgen_swarm(), await _floor_swarm()
    assert {n: _kinds(c) for n, c in floor_contexts.items()} == {
        n: _kinds(c) for n, c in flowgen_contexts.items()
    }


async def test_the_floor_workload_counts_its_handoffs() -> None:
    run = await swarm(3, HANDOFFS)
    assert (await run()).count == HANDOFFS


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_floor_is_measured_like_a_framework() -> None:
    done = _python("benchmarks.child", "floor", "swarm", "5")
    record = json.loads(done.stdout.strip().splitlines()[-1])
    assert (record["status"], record["count"], record["version"]) == ("ok", 5, "AgentChat API floor")


def test_the_handoff_count_process_checks_the_handoffs_it_ran() -> None:
    done = _python("benchmarks.handoff_count", "floor", "4")
    assert (done.returncode, done.stdout.strip()) == (0, "ok")


def test_the_last_start_up_stage_runs_the_one_turn_team() -> None:
    from benchmarks.startup_stages import STAGES

    done = _python("benchmarks.startup_stages", "--stage", str(len(STAGES) + 1))
    assert done.returncode == 0, done.stderr[-1000:]
