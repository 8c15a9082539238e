"""The server throughput benchmark runs end to end and is part of `make bench`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_prints_rates_for_1_10_and_100_clients() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.server_throughput", "--runs", "4", "--repeats", "1"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    report = json.loads(out.stdout)
    assert set(report["concurrent_clients"]) == {"1", "10", "100"}
    for level in report["concurrent_clients"].values():
        assert level["requests_per_second"] == 2 * level["runs_per_second"] > 0
        assert 0 < level["latency_ms_p50"] <= level["latency_ms_p95"]
        assert level["server_cpu_ms_per_run"] >= 0


def test_make_bench_runs_it() -> None:
    bench = (ROOT / "Makefile").read_text().split("\nbench:", 1)[1].split("\n\n", 1)[0]
    assert "-m benchmarks.server_throughput" in bench
