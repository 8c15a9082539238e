"""SIGKILL at every model call of every team type, and inside a checkpoint write: nothing is lost.

Each case runs crash_worker.py once (one interpreter start); it forks a child per kill point. See
that script for what is checked: the resumed thread equals the uninterrupted transcript, and no model
call of a saved step runs again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

WORKER = Path(__file__).with_name("crash_worker.py")
ROOT = Path(__file__).parents[2]


def _run_worker(tmp_path: Path, *args: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(WORKER), args[0], str(tmp_path), *args[1:]],
        capture_output=True, text=True, timeout=300, env=env, check=False,
    )  # fmt: skip
    assert done.stdout.strip(), done.stderr[-3000:]
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 0, json.dumps(report, indent=1)[:5000]
    return report


@pytest.mark.parametrize("team", ["round_robin", "selector", "swarm", "graph_flow"])
def test_a_kill_at_every_model_call_loses_nothing(team: str, tmp_path: Path) -> None:
    report = _run_worker(tmp_path, team, "calls")
    assert report["failures"] == [] and int(str(report["kill_points"])) >= 4


@pytest.mark.parametrize("team", ["round_robin", "graph_flow"])
def test_a_kill_inside_every_checkpoint_write_loses_nothing(team: str, tmp_path: Path) -> None:
    report = _run_worker(tmp_path, team, "writes")
    assert report["failures"] == [] and int(str(report["kill_points"])) >= 4


def test_a_killed_run_on_postgres_resumes_at_once(tmp_path: Path, postgres_url: str) -> None:
    # The killed process's connection, and with it the thread's lock, is gone: the resume needs no wait.
    report = _run_worker(tmp_path, "round_robin", "calls", "postgres", postgres_url)
    assert report["failures"] == []
