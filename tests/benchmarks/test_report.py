"""The benchmark report: summaries of raw records, the Markdown table and the hand-drawn SVG chart."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from benchmarks.chart import render_chart
from benchmarks.summary import summarise
from benchmarks.table import render_table


def _record(framework: str, scenario: str, size: int, value: float, **extra: Any) -> dict[str, Any]:
    metric = {"round_robin": "per_turn_ms", "concurrency": "efficiency"}[scenario]
    return {
        "framework": framework,
        "scenario": scenario,
        "size": size,
        "status": "ok",
        metric: value,
        "calibration_s": 0.02,
        "peak_rss_mb": 50.0,
        "version": "1.0",
        **extra,
    }


RECORDS = [
    *(_record("flowgen", "round_robin", 1000, v) for v in (0.05, 0.04, 0.09)),
    *(_record("autogen", "round_robin", 1000, v) for v in (2.0, 2.5, 3.0)),
    _record("flowgen", "round_robin", 10000, 0.06),
    _record("flowgen", "concurrency", 100, 0.9),
    _record("autogen", "concurrency", 100, 0.2, calibration_s=0.2),
    {
        "framework": "langgraph",
        "scenario": "round_robin",
        "size": 1000,
        "status": "unavailable",
        "reason": "x",
    },
]


def _document() -> dict[str, Any]:
    rows = summarise(RECORDS)
    meta = {"frameworks": ["flowgen", "autogen", "langgraph"], "repeats": 3, "calibration_median_s": 0.02}
    return {"meta": meta, "summary": [r.as_json() for r in rows], "runs": RECORDS}


def test_summary_gives_median_and_range_per_framework_and_size() -> None:
    rows = {(r.framework, r.size, r.scenario): r for r in summarise(RECORDS)}
    mine = rows[("flowgen", 1000, "round_robin")]
    assert (mine.median, mine.low, mine.high, mine.repeats) == (0.05, 0.04, 0.09, 3)


def test_summary_keeps_the_reason_a_framework_did_not_run() -> None:
    rows = {(r.framework, r.scenario): r for r in summarise(RECORDS)}
    assert rows[("langgraph", "round_robin")].status == "unavailable"
    assert rows[("langgraph", "round_robin")].reason == "x"


def test_summary_flags_a_repeat_with_slow_calibration() -> None:
    rows = {(r.framework, r.scenario): r for r in summarise(RECORDS)}
    assert rows[("autogen", "concurrency")].noisy == 1
    assert rows[("flowgen", "concurrency")].noisy == 0


def test_table_gives_flowgen_ratio_to_each_peer() -> None:
    table = render_table(_document())
    line = next(row for row in table.splitlines() if row.startswith("| Round robin") and "1,000" in row)
    assert "0.02 (50\u00d7)" in line  # 0.05 / 2.5, flowgen 50 times ahead


def test_table_says_when_peers_were_not_run() -> None:
    table = render_table(_document())
    line = next(row for row in table.splitlines() if "10,000" in row)
    assert "not run" in line


def test_chart_is_well_formed_and_deterministic() -> None:
    first, second = render_chart(_document()), render_chart(_document())
    assert first == second
    root = ET.fromstring(first)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert len(root.findall("{http://www.w3.org/2000/svg}polyline")) == 4  # a line per framework per panel


def test_table_gives_the_handoff_floor_and_the_lead_it_leaves_over_each_peer() -> None:
    def counted(framework: str, value: float, **extra: Any) -> dict[str, Any]:
        return {
            "framework": framework,
            "scenario": "swarm_instructions",
            "size": 300,
            "status": "ok",
            "instructions_k": value,
            "calibration_s": 0.02,
            **extra,
        }

    records = [counted("flowgen", 320.0, floor_instructions_k=200.0), counted("langgraph", 1800.0)]
    meta = {"frameworks": ["flowgen", "langgraph"], "repeats": 1, "calibration_median_s": 0.02}
    table = render_table(
        {"meta": meta, "summary": [r.as_json() for r in summarise(records)], "runs": records}
    )
    assert "floor for a swarm handoff, counted by callgrind: 200 k instructions" in table
    assert "lead at 9\u00d7 LangGraph's" in table
