"""The team-building benchmark runs and reports each part of building a team."""

from __future__ import annotations

from benchmarks.team_build import measure


def test_reports_agents_team_and_validation_per_team() -> None:
    figures = measure(20)
    assert figures["teams"] == 20
    for key in ("agents_us", "team_us", "validate_us", "calibration_s"):
        assert figures[key] > 0, key
    assert figures["total_us"] == figures["agents_us"] + figures["team_us"] + figures["validate_us"]
