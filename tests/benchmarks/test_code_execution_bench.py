"""The code execution benchmark runs every executor once and reports its figures as JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_benchmark_prints_each_executor_and_the_sandbox_overhead() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.code_execution", "--repeats", "1"],
        capture_output=True, text=True, cwd=ROOT, timeout=300, check=True,
    )  # fmt: skip
    report = json.loads(done.stdout)
    for name in ("bare_subprocess", "bare_subprocess_venv", "bwrap_true", "sandboxed", "local", "jupyter"):
        assert report[name]["median_ms"] > 0
    assert "unavailable" in report["docker"] or report["docker"]["median_ms"] > 0
    assert set(report["ratios"]) >= {
        "sandbox_over_bare_subprocess",
        "sandbox_overhead_ms",
        "sandbox_over_local",
    }
