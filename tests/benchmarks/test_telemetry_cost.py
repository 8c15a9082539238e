"""The telemetry cost benchmark measures what it says: each mode runs the round robin with its telemetry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from benchmarks import telemetry_cost
from flowgen.telemetry import hooks


@pytest.fixture(autouse=True)
def no_observer_left() -> Iterator[None]:
    yield
    hooks.observer = None


async def test_off_runs_without_an_observer() -> None:
    record = await telemetry_cost._measure("off", 30)
    assert hooks.observer is None
    assert record["turns"] == 30 and record["per_turn_us"] > 0


async def test_traced_exports_two_spans_a_turn_and_one_a_run() -> None:
    record = await telemetry_cost._measure("traced", 30)
    assert record["spans"] == 2 * 30 + 1


async def test_metrics_counts_without_spans() -> None:
    await telemetry_cost._measure("metrics", 30)
    assert hooks.observer is not None and hooks.observer.tracer is None  # type: ignore[attr-defined]


async def test_the_sdk_floor_makes_the_spans_a_traced_turn_makes() -> None:
    record = await telemetry_cost._measure("sdk_floor", 30)
    assert record["spans"] == 2 * 30 + 1  # and its root, as a traced run has its team span


def test_ratios_are_against_off() -> None:
    records = [
        {"mode": "off", "per_turn_us": 10.0, "cpu_per_turn_us": 5.0},
        {"mode": "traced", "per_turn_us": 30.0, "cpu_per_turn_us": 20.0, "spans": 3},
    ]
    assert telemetry_cost._summary(records)["ratios"] == {"traced/off": {"wall": 3.0, "cpu": 4.0}}
