"""The benchmark harness's quick mode on flowgen alone: it runs end to end and writes well-formed results.

Speed is never asserted here; only the shape of what the harness writes. Scenarios whose flowgen team
does not exist yet are reported "unavailable" by the harness, and the tests that need them skip.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = (
    "round_robin",
    "selector",
    "swarm",
    "swarm_instructions",
    "fan_out",
    "concurrency",
    "concurrency_built",
    "startup",
    "startup_instructions",
    "memory",
)
METRICS = {
    "round_robin": "per_turn_ms",
    "selector": "per_turn_ms",
    "swarm": "per_turn_ms",
    "swarm_instructions": "instructions_k",
    "fan_out": "per_turn_ms",
    "concurrency": "efficiency",
    "concurrency_built": "efficiency",
    "startup": "wall_s",
    "startup_instructions": "instructions_m",
    "memory": "rss_per_team_kb",
}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--frameworks", "flowgen", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return out


@pytest.fixture(scope="module")
def document(quick_run: Path) -> dict[str, Any]:
    return dict(json.loads((quick_run / "results.json").read_text()))


def _rows(document: dict[str, Any], scenario: str) -> list[dict[str, Any]]:
    return [row for row in document["summary"] if row["scenario"] == scenario]


def test_writes_json_markdown_and_svg(quick_run: Path) -> None:
    assert sorted(p.name for p in quick_run.iterdir()) == ["chart.svg", "results.json", "results.md"]


def test_every_scenario_has_a_summary_row_per_size(document: dict[str, Any]) -> None:
    assert {row["scenario"] for row in document["summary"]} == set(SCENARIOS)
    assert all(row["framework"] == "flowgen" for row in document["summary"])


def test_every_measurement_reports_status_and_calibration(document: dict[str, Any]) -> None:
    for record in document["runs"]:
        assert record["status"] in {"ok", "unavailable"}, record
        assert record["calibration_s"] > 0


def test_markdown_table_names_every_scenario(quick_run: Path, document: dict[str, Any]) -> None:
    table = (quick_run / "results.md").read_text()
    assert table.startswith("| Scenario |")
    assert table.count("\n| ") >= len(document["summary"])


def test_chart_is_an_svg_document(quick_run: Path) -> None:
    svg = (quick_run / "chart.svg").read_text()
    assert svg.startswith("<svg ") and svg.rstrip().endswith("</svg>")


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_reports_its_metric_when_flowgen_can_run_it(document: dict[str, Any], scenario: str) -> None:
    rows = _rows(document, scenario)
    if any(row["status"] == "unavailable" for row in rows):
        pytest.skip(f"flowgen cannot run {scenario} yet: {rows[0]['reason']}")
    for row in rows:
        assert row["status"] == "ok"
        assert row["metric"] == METRICS[scenario]
        assert row["median"] > 0
        assert row["low"] <= row["median"] <= row["high"]


@pytest.mark.parametrize(
    "scenario", ["round_robin", "selector", "swarm", "fan_out", "concurrency", "concurrency_built"]
)
def test_counts_come_from_the_framework_result(document: dict[str, Any], scenario: str) -> None:
    runs = [r for r in document["runs"] if r["scenario"] == scenario and r["status"] == "ok"]
    if not runs:
        pytest.skip(f"flowgen cannot run {scenario} yet")
    for record in runs:
        assert record["count"] > 0


@pytest.mark.parametrize("scenario", ["concurrency", "concurrency_built"])
def test_concurrency_reports_the_floor_and_the_cost_of_a_turn_under_load(
    document: dict[str, Any], scenario: str
) -> None:
    for row in _rows(document, scenario):
        extra = row["extra"]
        assert 0 < extra["floor_efficiency"] <= 1.0  # a bare asyncio loop doing the same waits
        assert extra["cpu_per_turn_us"] > 0 and extra["solo_cpu_per_turn_us"] > 0
        assert extra["load_ratio"] > 0
        assert 0 <= extra["gc_share"] < 1
        assert extra["calibration_s"] > 0
        assert ("build_us" in extra) == (scenario == "concurrency_built")


def test_start_up_instructions_are_counted_above_the_floor(document: dict[str, Any]) -> None:
    rows = _rows(document, "startup_instructions")
    if any(row["status"] == "unavailable" for row in rows):
        pytest.skip(rows[0]["reason"])
    (row,) = rows
    assert row["repeats"] == 1  # a count does not vary: one run, whatever --repeats says
    assert 0 < row["extra"]["floor_instructions_m"] < row["median"]


def test_handoff_instructions_are_counted_above_the_api_floor(document: dict[str, Any]) -> None:
    rows = _rows(document, "swarm_instructions")
    if any(row["status"] == "unavailable" for row in rows):
        pytest.skip(rows[0]["reason"])
    (row,) = rows
    assert row["repeats"] == 1
    assert 0 < row["extra"]["floor_instructions_k"] < row["median"]


def test_callgrind_total_is_read_from_its_summary_line() -> None:
    from benchmarks.cli import _collected

    assert _collected("==12== Events : Ir\n==12== Collected : 968308689\n==12==\n") == 968308689
    assert _collected("no summary here") is None
