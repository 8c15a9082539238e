"""Medians, ranges and noise flags over the raw measurement records."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from benchmarks.calibration import NOISY_FACTOR
from benchmarks.scenarios import SCENARIOS

Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Row:
    """One framework at one scenario size, summarised over its repeats.

    ``status`` is ok when at least one repeat succeeded; otherwise the first failure's status and
    reason (unavailable, error, timeout) are kept. ``noisy`` counts repeats whose calibration ran
    slower than the run's median calibration by more than NOISY_FACTOR.
    """

    scenario: str
    size: int
    framework: str
    status: str
    metric: str
    unit: str
    median: float | None = None
    low: float | None = None
    high: float | None = None
    repeats: int = 0
    noisy: int = 0
    reason: str = ""
    version: str = ""
    extra: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


EXTRA_METRICS = (
    "wall_s",
    "peak_rss_mb",
    "per_round_ms",
    "baseline_s",
    "floor_s",
    "calibration_s",
    "floor_instructions_m",
    "floor_instructions_k",
    "floor_per_turn_ms",
    "floor_efficiency",
    "cpu_per_turn_us",
    "solo_cpu_per_turn_us",
    "solo_nowait_cpu_per_turn_us",
    "load_ratio",
    "gc_share",
    "build_us",
)


def calibration_median(records: Sequence[Record]) -> float | None:
    times = [r["calibration_s"] for r in records if r.get("calibration_s")]
    return statistics.median(times) if times else None


def summarise(records: Sequence[Record]) -> list[Row]:
    """One Row per (scenario, size, framework), in the order the records first appear."""
    groups: dict[tuple[str, int, str], list[Record]] = {}
    for record in records:
        groups.setdefault((record["scenario"], record["size"], record["framework"]), []).append(record)
    reference = calibration_median(records)
    return [_row(key, group, reference) for key, group in groups.items()]


def _row(key: tuple[str, int, str], group: list[Record], reference: float | None) -> Row:
    scenario = SCENARIOS[key[0]]
    ok = [r for r in group if r["status"] == "ok"]
    base: dict[str, Any] = {
        "scenario": key[0],
        "size": key[1],
        "framework": key[2],
        "metric": scenario.metric,
    }
    if not ok:
        return Row(**base, status=group[0]["status"], unit=scenario.unit, reason=group[0].get("reason", ""))
    values = [r[scenario.metric] for r in ok]
    limit = reference * NOISY_FACTOR if reference else float("inf")
    extra = {
        name: statistics.median([r[name] for r in ok])
        for name in EXTRA_METRICS
        if all(r.get(name) is not None for r in ok)
    }
    return Row(
        **base,
        status="ok",
        unit=scenario.unit,
        median=statistics.median(values),
        low=min(values),
        high=max(values),
        repeats=len(values),
        noisy=sum(1 for r in ok if (r.get("calibration_s") or 0) > limit),
        version=ok[0].get("version", ""),
        extra=extra,
    )


def ratio(flowgen: Row | None, peer: Row | None) -> float | None:
    """flowgen's median over the peer's (below 1 is better for costs, above 1 for efficiency)."""
    if flowgen is None or peer is None or flowgen.median is None or not peer.median:
        return None
    return flowgen.median / peer.median
