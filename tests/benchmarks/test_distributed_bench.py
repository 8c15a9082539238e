"""The side-by-side distributed benchmark: the floor and AutoGen's gRPC side run for real and report
every measure; the runner's medians, ratios and target verdicts follow from the runs it is given.

(The flowgen side needs a Ray cluster; tests/distributed runs that one.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.distributed import MEASURES, _ratios, _summary

ROOT = Path(__file__).resolve().parents[2]


def _side(module: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", module], capture_output=True, text=True, timeout=300, cwd=ROOT, check=True
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize(
    ("module", "framework", "processes"),
    [
        ("benchmarks.distributed_floor", "asyncio_socket_floor", 2),
        ("benchmarks.distributed_grpc", "autogen_grpc", 3),
    ],
)
def test_a_side_reports_every_measure_from_its_processes(module: str, framework: str, processes: int) -> None:
    result = _side(module)
    assert result["framework"] == framework
    for measure in MEASURES:
        value = result[measure]
        assert isinstance(value, int | float) and value > 0, (measure, value)
    assert result["processes"] == processes  # the memory covers every process of the side
    assert result["pss_mb"] <= result["rss_mb"]  # type: ignore[operator]


def _run(rtt: float, pipelined: int, fan_out: int) -> dict[str, float]:
    return {
        "round_trip_ms": rtt,
        "pipelined_messages_per_s": pipelined,
        "fan_out_deliveries_per_s": fan_out,
        "startup_to_first_reply_s": 1.0,
        "rss_mb": 100,
        "pss_mb": 50,
    }


def test_ratios_are_medians_over_medians_and_targets_are_judged_each_way() -> None:
    runs = {
        "floor": [_run(0.1, 20_000, 200_000)] * 3,
        "autogen_grpc": [_run(1.0, 1_000, 10_000), _run(1.2, 900, 9_000), _run(0.8, 1_100, 11_000)],
        "flowgen_ray": [_run(1.6, 5_000, 20_000), _run(1.4, 4_000, 40_000), _run(9.0, 1, 35_000)],
    }
    summary = _summary(runs)
    assert summary["round_trip_ms"]["median"] == {"floor": 0.1, "autogen_grpc": 1.0, "flowgen_ray": 1.6}
    assert summary["round_trip_ms"]["min_max"]["flowgen_ray"] == [1.4, 9.0]
    verdict = _ratios(summary)
    assert verdict["ratios"]["pipelined_messages_per_s:flowgen_over_autogen_grpc"] == 4.0
    assert verdict["ratios"]["fan_out_deliveries_per_s:flowgen_over_autogen_grpc"] == 3.5
    assert verdict["ratios"]["round_trip_ms:flowgen_over_autogen_grpc"] == 1.6
    # Throughput must be at least 3x AutoGen's; the round trip at most 1.5x its time.
    assert verdict["target_met"] == {
        "pipelined_messages_per_s": True,
        "fan_out_deliveries_per_s": True,
        "round_trip_ms": False,
    }
