"""The Markdown table of a benchmark run: medians with min-max, and flowgen's ratio to each peer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from benchmarks.calibration import NOISY_FACTOR
from benchmarks.scenarios import PEER_CAP, SCENARIOS
from benchmarks.summary import Row, ratio

LABELS = {"flowgen": "flowgen", "autogen": "AutoGen", "langgraph": "LangGraph"}
PEERS = ("autogen", "langgraph")
DASH, TIMES = "\u2013", "\u00d7"  # typeset in the table: en dash, multiplication sign


def _rows(document: dict[str, Any]) -> list[Row]:
    return [Row(**row) for row in document["summary"]]


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}" if value >= 0.01 else f"{value:.2g}"


def cell(row: Row | None, scenario_name: str, size: int, framework: str) -> str:
    if row is None:
        scenario = SCENARIOS[scenario_name]
        return "not run (peers stop at 5,000)" if not scenario.runs(framework, size) else "—"
    if row.status != "ok" or row.median is None or row.low is None or row.high is None:
        return row.status
    spread = f" ({_number(row.low)}{DASH}{_number(row.high)})" if row.repeats > 1 else ""
    return f"{_number(row.median)}{spread}{' †' if row.noisy else ''}"


def ratio_cell(flowgen: Row | None, peer: Row | None, higher_is_better: bool) -> str:
    value = ratio(flowgen, peer)
    if value is None or value == 0:
        return "—"
    advantage = value if higher_is_better else 1 / value
    return f"{value:.3g} ({advantage:.3g}{TIMES})"


def render_table(document: dict[str, Any]) -> str:
    rows = _rows(document)
    index = {(r.scenario, r.size, r.framework): r for r in rows}
    frameworks: Sequence[str] = document["meta"]["frameworks"]
    versions = {r.framework: r.version for r in rows if r.version}
    heads = [f"{LABELS[f]} {versions.get(f, '')}".strip() for f in frameworks]
    peers = [p for p in PEERS if p in frameworks] if "flowgen" in frameworks else []
    lines = [
        "| Scenario | Size | Unit | "
        + " | ".join(heads)
        + "".join(f" | flowgen / {LABELS[p]}" for p in peers)
        + " |",
        "|---" * (3 + len(frameworks) + len(peers)) + "|",
    ]
    seen: list[tuple[str, int]] = []
    for r in rows:
        if (r.scenario, r.size) not in seen:
            seen.append((r.scenario, r.size))
    for name, size in seen:
        scenario = SCENARIOS[name]
        cells = [cell(index.get((name, size, f)), name, size, f) for f in frameworks]
        mine = index.get((name, size, "flowgen"))
        ratios = [ratio_cell(mine, index.get((name, size, p)), scenario.higher_is_better) for p in peers]
        size_text = f"{size:,} {scenario.size_label}"
        lines.append(
            f"| {scenario.title} | {size_text} | {scenario.unit} | " + " | ".join(cells + ratios) + " |"
        )
    return "\n".join([*lines, "", *_footnotes(document, rows, frameworks)]) + "\n"


def _footnotes(document: dict[str, Any], rows: list[Row], frameworks: Sequence[str]) -> list[str]:
    meta = document["meta"]
    notes = [
        f"Medians of {meta['repeats']} run(s), each in a fresh process, frameworks interleaved; (min{DASH}max) in "
        "brackets. Ratios are flowgen's median over the peer's; the bracketed factor is flowgen's advantage "
        "(above 1 means flowgen leads). Per-turn costs use a zero-latency scripted model. Instruction counts do "
        "not vary between runs and are taken once.",
        f"Peers run the round robin up to {PEER_CAP:,} messages only (AutoGen takes minutes per run beyond).",
        f"† a repeat ran while the machine was busy: its calibration loop took over {NOISY_FACTOR}{TIMES} the run's "
        f"median ({_ms(meta.get('calibration_median_s'))}).",
    ]
    failures = [r for r in rows if r.status != "ok"]
    notes += [
        f"- {r.scenario} {r.size:,} on {LABELS[r.framework]}: {r.status} — {r.reason}" for r in failures
    ]
    peak = [r for r in rows if r.status == "ok" and "peak_rss_mb" in r.extra and r.scenario != "startup"]
    if peak:
        notes += ["", "Peak RSS of the measuring process (MiB, median):", ""]
        notes += ["| Scenario | Size | " + " | ".join(LABELS[f] for f in frameworks) + " |"]
        notes += ["|---" * (2 + len(frameworks)) + "|"]
        for name, size in dict.fromkeys((r.scenario, r.size) for r in peak):
            found = {
                r.framework: r.extra["peak_rss_mb"] for r in peak if (r.scenario, r.size) == (name, size)
            }
            values = [f"{found[f]:.0f}" if f in found else "—" for f in frameworks]
            notes.append(f"| {SCENARIOS[name].title} | {size:,} | " + " | ".join(values) + " |")
    startup = [r for r in rows if r.scenario == "startup" and "baseline_s" in r.extra]
    if startup:
        extra = startup[0].extra
        notes += ["", f"Start-up includes the bare interpreter ({extra['baseline_s']:.3f} s median)."]
        if extra.get("floor_s"):
            notes[-1] += (
                f" The floor for any framework whose messages are pydantic models — the interpreter, asyncio"
                f" and pydantic validating one model — is {extra['floor_s']:.3f} s (median)."
            )
    counted = [r for r in rows if r.scenario == "startup_instructions" and "floor_instructions_m" in r.extra]
    if counted:
        notes += [
            "",
            f"Counted by callgrind, the floor (interpreter, asyncio, pydantic validating one model) is "
            f"{counted[0].extra['floor_instructions_m']:,.0f} M instructions.",
        ]
    notes += _handoff_floor(rows)
    notes += _concurrency(rows, frameworks)
    return notes


#: The concurrency scenarios' figures beside their efficiency: (key, heading, scale, format).
_LOAD_COLUMNS = (
    ("floor_efficiency", "bare asyncio floor", 1.0, "{:.2f}"),
    ("cpu_per_turn_us", "CPU µs/turn", 1.0, "{:.1f}"),
    ("solo_cpu_per_turn_us", "one conversation", 1.0, "{:.1f}"),
    ("load_ratio", "load ratio", 1.0, "{:.2f}"),
    ("gc_share", "collector share", 1.0, "{:.0%}"),
    ("build_us", "build µs/team", 1.0, "{:.0f}"),
    ("calibration_s", "calibration ms", 1000.0, "{:.1f}"),
)


def _concurrency(rows: list[Row], frameworks: Sequence[str]) -> list[str]:
    """Efficiency under load beside the bare asyncio floor, the CPU a turn costs, and calibration."""
    mine = [r for r in rows if r.scenario.startswith("concurrency") and r.status == "ok" and r.extra]
    if not mine:
        return []
    lines = [
        "",
        "Concurrency, each measurement beside what the same process measured (medians): the efficiency of a "
        "bare asyncio loop doing the same waits; the CPU per turn under load and with one conversation at a "
        "time (the model's wait shortened to 1 µs), and their ratio; the collector's share of the CPU time; "
        "the time to build one team (teams built inside the timed region); the calibration loop.",
        "",
        "| Scenario | Size | Framework | efficiency | " + " | ".join(c[1] for c in _LOAD_COLUMNS) + " |",
        "|---" * (4 + len(_LOAD_COLUMNS)) + "|",
    ]
    order = {f: i for i, f in enumerate(frameworks)}
    for r in sorted(mine, key=lambda r: (r.scenario, r.size, order.get(r.framework, 99))):
        cells = [
            fmt.format(r.extra[key] * scale) if key in r.extra else "—"
            for key, _, scale, fmt in _LOAD_COLUMNS
        ]
        built = "built inside" if r.scenario == "concurrency_built" else "built before"
        lines.append(
            f"| {built} | {r.size:,} | {LABELS[r.framework]} | {r.median:.2f} | " + " | ".join(cells) + " |"
        )
    return lines


def _handoff_floor(rows: list[Row]) -> list[str]:
    """What no AgentChat implementation can go below, and the lead over each peer it leaves room for."""
    notes: list[str] = []
    for scenario, key, unit, what in (
        ("swarm_instructions", "floor_instructions_k", "k instructions", "counted by callgrind"),
        ("swarm", "floor_per_turn_ms", "ms", "timed with flowgen's runs"),
    ):
        mine = [r for r in rows if r.scenario == scenario and key in r.extra]
        if not mine:
            continue
        floor = mine[0].extra[key]
        peers = {
            r.framework: r.median
            for r in rows
            if r.scenario == scenario and r.size == mine[0].size and r.framework in PEERS and r.median
        }
        leads = ", ".join(f"{cost / floor:.3g}{TIMES} {LABELS[name]}'s" for name, cost in peers.items())
        notes.append(
            f"The AgentChat API's floor for a swarm handoff, {what}: {_number(floor)} {unit}"
            + (f", which caps any AgentChat implementation's lead at {leads}." if leads else ".")
        )
    if not notes:
        return []
    return [
        "",
        "A handoff cannot cost less than building the objects the AgentChat API makes every handoff leave "
        "behind (benchmarks/handoff_floor.py builds only those, with no engine around them).",
        *notes,
    ]


def _ms(seconds: float | None) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds else "n/a"
