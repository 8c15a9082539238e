"""``python -m benchmarks``: run every scenario for every framework, interleaved, and write the results.

Each measurement is a fresh process (:mod:`benchmarks.child`, or :mod:`benchmarks.startup` timed
whole); for each scenario size the frameworks take turns (A B C A B C …) for ``--repeats`` rounds.
Writes ``results.json``, ``results.md`` and ``chart.svg`` into ``--out``; a full run (not ``--quick``,
no ``--only``) also copies them to ``docs/bench/`` for the README.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.calibration import calibrate
from benchmarks.chart import render_chart
from benchmarks.frameworks import FRAMEWORKS
from benchmarks.scenarios import PEER_CAP, SCENARIOS, Scenario
from benchmarks.summary import Record, calibration_median, summarise
from benchmarks.table import render_table

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "benchmarks" / "results"
PUBLISHED = ROOT / "docs" / "bench"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one repeat at small sizes (a smoke test)")
    parser.add_argument(
        "--only", action="append", choices=sorted(SCENARIOS), metavar="SCENARIO", help="repeatable"
    )
    parser.add_argument("--frameworks", nargs="+", choices=list(FRAMEWORKS), default=list(FRAMEWORKS))
    parser.add_argument("--repeats", type=int, help="rounds per scenario size (default 5; 1 with --quick)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="directory for the results")
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="seconds before a measurement is abandoned"
    )
    parser.add_argument("--no-publish", action="store_true", help="do not copy a full run to docs/bench/")
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = 1 if args.quick else 5
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


#: Runs a process under callgrind, which prints its instruction count on stderr and writes no file.
_CALLGRIND = ("valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null")


def _spawn(
    module: str, *args: str, timeout: float, runner: Sequence[str] = ()
) -> tuple[subprocess.CompletedProcess[str] | None, float]:
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [*runner, sys.executable, "-m", module, *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None, time.perf_counter() - start
    return done, time.perf_counter() - start


def measure(framework: str, scenario: str, size: int, timeout: float) -> Record:
    """One measurement in a fresh process."""
    if scenario == "startup":
        return measure_startup(framework, timeout)
    if scenario == "startup_instructions":
        return measure_instructions(framework, timeout)
    if scenario == "swarm_instructions":
        return measure_handoff_instructions(framework, size, timeout)
    record = _measured(framework, scenario, size, timeout)
    if scenario == "swarm" and framework == "flowgen" and record["status"] == "ok":
        # The floor runs right after flowgen, under the same load: what no AgentChat engine goes below.
        floor = _measured("floor", scenario, size, timeout)
        if floor["status"] == "ok":
            record["floor_per_turn_ms"] = floor["per_turn_ms"]
    return record


def _measured(framework: str, scenario: str, size: int, timeout: float) -> Record:
    base: Record = {"framework": framework, "scenario": scenario, "size": size}
    done, wall = _spawn("benchmarks.child", framework, scenario, str(size), timeout=timeout)
    if done is None:
        return {**base, "status": "timeout", "reason": f"no result after {wall:.0f} s"}
    lines = done.stdout.strip().splitlines()
    try:
        return dict(json.loads(lines[-1]))
    except (IndexError, json.JSONDecodeError):
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {**base, "status": "error", "reason": f"exit {done.returncode}: {' | '.join(tail)}"[:500]}


def measure_startup(framework: str, timeout: float) -> Record:
    """The whole-process time of importing ``framework`` and running one turn, next to a bare interpreter's."""
    record: Record = {"framework": framework, "scenario": "startup", "size": 1, "calibration_s": calibrate()}
    baseline, baseline_s = _spawn("benchmarks.startup", "none", timeout=timeout)
    floor, floor_s = _spawn("benchmarks.startup", "floor", timeout=timeout)
    done, wall = _spawn("benchmarks.startup", framework, timeout=timeout)
    if done is None:
        return {**record, "status": "timeout", "reason": f"no result after {wall:.0f} s"}
    out = done.stdout.strip()
    if done.returncode == 3:
        return {**record, "status": "unavailable", "reason": out.removeprefix("unavailable: ")}
    if done.returncode != 0 or out != "ok":
        tail = " | ".join((done.stderr or out).strip().splitlines()[-3:])
        return {**record, "status": "error", "reason": f"exit {done.returncode}: {tail}"[:500]}
    record.update(
        status="ok",
        wall_s=wall,
        baseline_s=baseline_s if baseline is not None else None,
        floor_s=floor_s if floor is not None else None,
    )
    return record


def measure_instructions(framework: str, timeout: float) -> Record:
    """The start-up process's instruction count under callgrind, next to the floor's.

    Counts do not depend on what else the machine is doing, so one run gives the ratio that the
    wall-clock start-up scenario can only estimate on a noisy machine.
    """
    record = _counted_record(framework, "startup_instructions", 1)
    counts: dict[str, float] = {}
    for target in ("floor", framework):
        count = _instructions(record, "benchmarks.startup", target, timeout=timeout)
        if isinstance(count, dict):
            return count
        counts[target] = count / 1e6
    return {
        **record,
        "status": "ok",
        "instructions_m": counts[framework],
        "floor_instructions_m": counts["floor"],
    }


def measure_handoff_instructions(framework: str, size: int, timeout: float) -> Record:
    """Instructions per swarm handoff under callgrind: two runs, 1 and ``1 + size`` handoffs, differenced.

    With flowgen, the least the AgentChat API allows (:mod:`benchmarks.handoff_floor`) is counted too.
    """
    record = _counted_record(framework, "swarm_instructions", size)
    per_handoff: dict[str, float] = {}
    for target in (framework, "floor") if framework == "flowgen" else (framework,):
        counts: list[int] = []
        for handoffs in (1, 1 + size):
            count = _instructions(record, "benchmarks.handoff_count", target, str(handoffs), timeout=timeout)
            if isinstance(count, dict):
                return count
            counts.append(count)
        per_handoff[target] = (counts[1] - counts[0]) / size / 1000
    floor = {"floor_instructions_k": per_handoff["floor"]} if "floor" in per_handoff else {}
    return {**record, "status": "ok", "instructions_k": per_handoff[framework], **floor}


def _counted_record(framework: str, scenario: str, size: int) -> Record:
    return {"framework": framework, "scenario": scenario, "size": size, "calibration_s": calibrate()}


def _instructions(record: Record, module: str, *args: str, timeout: float) -> int | Record:
    """The instruction count of ``python -m module *args`` under callgrind, or the failed ``record``."""
    if shutil.which("valgrind") is None:
        return {**record, "status": "unavailable", "reason": "valgrind is not installed"}
    done, wall = _spawn(module, *args, timeout=timeout, runner=_CALLGRIND)
    if done is None:
        return {**record, "status": "timeout", "reason": f"no result after {wall:.0f} s"}
    if done.returncode == 3:
        return {
            **record,
            "status": "unavailable",
            "reason": done.stdout.strip().removeprefix("unavailable: "),
        }
    count = _collected(done.stderr)
    if done.returncode != 0 or count is None:
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        return {**record, "status": "error", "reason": f"exit {done.returncode}: {tail}"[:500]}
    return count


def _collected(stderr: str) -> int | None:
    """The total from callgrind's summary line (``==pid== Collected : 123``)."""
    for line in stderr.splitlines():
        if "Collected :" in line:
            return int(line.rsplit(":", 1)[1].strip())
    return None


def plan(args: argparse.Namespace) -> list[tuple[Scenario, int, list[str]]]:
    """(scenario, size, frameworks) in run order."""
    chosen = [SCENARIOS[name] for name in args.only] if args.only else list(SCENARIOS.values())
    return [
        (scenario, size, [f for f in args.frameworks if scenario.runs(f, size)])
        for scenario in chosen
        for size in scenario.sizes_for(args.quick)
    ]


def run(args: argparse.Namespace) -> list[Record]:
    records: list[Record] = []
    for scenario, size, frameworks in plan(args):
        stopped: set[str] = set()  # an unavailable or failing framework is not retried at this size
        for repeat in range(scenario.repeats or args.repeats):
            for framework in frameworks:
                if framework in stopped:
                    continue
                record = measure(framework, scenario.name, size, args.timeout)
                record["repeat"] = repeat
                records.append(record)
                _progress(record, scenario)
                if record["status"] != "ok":
                    stopped.add(framework)
    return records


def _progress(record: Record, scenario: Scenario) -> None:
    value = record.get(scenario.metric)
    shown = f"{value:.4g} {scenario.unit}" if record["status"] == "ok" else record.get("reason", "")
    print(
        f"[bench] {record['scenario']:<12} {record['size']:>6} {record['framework']:<10} "
        f"#{record['repeat']} {record['status']:<11} {shown}",
        file=sys.stderr,
        flush=True,
    )


def meta(args: argparse.Namespace, started: datetime, elapsed: float) -> dict[str, Any]:
    return {
        "started": started.isoformat(timespec="seconds"),
        "elapsed_s": round(elapsed, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "quick": args.quick,
        "repeats": args.repeats,
        "frameworks": args.frameworks,
        "only": args.only,
        "peer_cap": PEER_CAP,
    }


def write(out: Path, document: dict[str, Any]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    files = {
        out / "results.json": json.dumps(document, indent=2, sort_keys=True) + "\n",
        out / "results.md": render_table(document),
        out / "chart.svg": render_chart(document),
    }
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return list(files)


def compile_bytecode() -> None:
    """Byte-compile flowgen and the harness, as pip does for every package it installs.

    The peers come from pip with their bytecode written; an editable checkout has none while
    PYTHONDONTWRITEBYTECODE is set, and every fresh process would compile flowgen from source again.
    """
    for package in ("flowgen", "benchmarks"):
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.submodule_search_locations:
            for folder in spec.submodule_search_locations:
                compileall.compile_dir(folder, quiet=1)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    compile_bytecode()
    started, clock = datetime.now(UTC), time.perf_counter()
    records = run(args)
    rows = summarise(records)
    document = {
        "meta": {
            **meta(args, started, time.perf_counter() - clock),
            "calibration_median_s": calibration_median(records),
        },
        "summary": [row.as_json() for row in rows],
        "runs": records,
    }
    written = write(args.out, document)
    if not args.quick and not args.only and not args.no_publish:
        PUBLISHED.mkdir(parents=True, exist_ok=True)
        for path in written:
            shutil.copyfile(path, PUBLISHED / path.name)
        written.append(PUBLISHED)
    print(render_table(document))
    print("[bench] wrote " + ", ".join(str(p) for p in written), file=sys.stderr)
    return 0 if all(r["status"] in {"ok", "unavailable"} for r in records) else 1
