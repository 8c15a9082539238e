"""What running a one-line Python block costs with each code executor, and the sandbox's share of it.

``python -m benchmarks.code_execution [--repeats N]`` prints one JSON object: for each way of running
``print(1)`` the median, min and max wall time in milliseconds over N runs (after one warm-up run),
and the ratios that matter: the sandbox over a bare subprocess, and each executor over the bare one.

- ``bare_subprocess``: the sandbox's interpreter started directly on a file (asyncio subprocess) with
  ``-S``, as the sandbox, which hides the host's site-packages, nearly runs it: the floor the sandbox
  is compared with (``-S`` also skips the small ``site`` module, so the overhead is an upper bound). ``bare_subprocess_venv``: the same with this program's
  interpreter (a virtual environment's), the one the local executors run: their floor.
- ``bwrap_true``: bubblewrap launching ``/bin/true`` with the sandbox's namespaces: bubblewrap alone.
- ``local``: LocalCommandLineCodeExecutor (file written, process group, scrubbed environment).
- ``sandboxed``: SandboxedCodeExecutor (all of the above in bubblewrap, unprivileged, under limits).
- ``jupyter``: JupyterCodeExecutor on a started kernel (no process per block).
- ``autogen_local``: AutoGen's LocalCommandLineCodeExecutor, where AutoGen is installed.
- ``docker``: DockerCommandLineCodeExecutor, measured only where a Docker daemon answers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from flowgen.code_executors import (
    CodeBlock,
    DockerCommandLineCodeExecutor,
    JupyterCodeExecutor,
    LocalCommandLineCodeExecutor,
    SandboxedCodeExecutor,
)
from flowgen.core import CancellationToken
from flowgen.errors import SandboxUnavailableError

CODE = "print(1)\n"
Runner = Callable[[], Awaitable[object]]


async def timed(runners: dict[str, Runner], repeats: int) -> dict[str, dict[str, float]]:
    """Each runner's wall times, interleaved (A B C A B C ...) so that a busy spell hits all alike."""
    for run in runners.values():
        await run()  # warm-up: first-run costs (bytecode, kernel warm-up) are not per-block costs
    samples: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(repeats):
        for name, run in runners.items():
            started = time.perf_counter()
            await run()
            samples[name].append((time.perf_counter() - started) * 1000)
    return {
        name: {
            "median_ms": round(statistics.median(times), 2),
            "min_ms": round(min(times), 2),
            "max_ms": round(max(times), 2),
        }
        for name, times in samples.items()
    }


def _executor_runner(executor: Any) -> Runner:
    block = [CodeBlock(code=CODE, language="python")]

    async def run() -> object:
        result = await executor.execute_code_blocks(block, CancellationToken())
        assert result.exit_code == 0 and result.output.strip() == "1", result.output
        return result

    return run


def _process_runner(argv: list[str]) -> Runner:
    async def run() -> object:
        proc = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE)
        out, _ = await proc.communicate()
        assert proc.returncode == 0
        return out

    return run


async def measure(repeats: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        script = work / "one_line.py"
        script.write_text(CODE)
        warnings.simplefilter("ignore", UserWarning)
        async with contextlib.AsyncExitStack() as stack:
            sandboxed = await stack.enter_async_context(
                SandboxedCodeExecutor(timeout=30, work_dir=work / "s")
            )
            local = await stack.enter_async_context(
                LocalCommandLineCodeExecutor(timeout=30, work_dir=work / "l")
            )
            jupyter = await stack.enter_async_context(JupyterCodeExecutor(timeout=30, output_dir=work / "j"))
            runners = {
                "bare_subprocess": _process_runner([sandboxed.python, "-S", str(script)]),
                "bare_subprocess_venv": _process_runner([sys.executable, str(script)]),
                "bwrap_true": _process_runner([*sandboxed.sandbox_command(), "/bin/true"]),
                "sandboxed": _executor_runner(sandboxed),
                "local": _executor_runner(local),
                "jupyter": _executor_runner(jupyter),
            }
            autogen = _autogen(work / "autogen")
            if isinstance(autogen, str):
                results["autogen_local"] = {"unavailable": autogen}
            else:
                runners["autogen_local"] = autogen
            results.update(await timed(runners, repeats))
        results["docker"] = await _docker(work / "docker", repeats)
    bare = results["bare_subprocess"]["median_ms"]
    bare_venv = results["bare_subprocess_venv"]["median_ms"]
    median = {k: v["median_ms"] for k, v in results.items() if "median_ms" in v}
    results["ratios"] = {
        "sandbox_over_bare_subprocess": round(median["sandboxed"] / bare, 2),
        "sandbox_overhead_ms": round(median["sandboxed"] - bare, 2),
        "local_over_bare_subprocess_venv": round(median["local"] / bare_venv, 2),
        "local_overhead_ms": round(median["local"] - bare_venv, 2),
        "sandbox_over_local": round(median["sandboxed"] / median["local"], 2),
        "jupyter_over_bare_subprocess_venv": round(median["jupyter"] / bare_venv, 2),
    }
    if "median_ms" in results["autogen_local"]:
        results["ratios"]["local_over_autogen_local"] = round(median["local"] / median["autogen_local"], 2)
    return results


def _autogen(work: Path) -> Runner | str:
    try:
        from autogen_core import CancellationToken as AutoGenToken
        from autogen_core.code_executor import CodeBlock as AutoGenBlock
        from autogen_ext.code_executors.local import LocalCommandLineCodeExecutor as AutoGenLocal
    except ImportError:
        return "AutoGen is not installed (pip install -e '.[bench]')"
    work.mkdir()
    executor = AutoGenLocal(timeout=30, work_dir=work)
    block = [AutoGenBlock(code=CODE, language="python")]

    async def run() -> object:
        return await executor.execute_code_blocks(block, AutoGenToken())

    return run


async def _docker(work: Path, repeats: int) -> dict[str, Any]:
    try:
        async with DockerCommandLineCodeExecutor(timeout=60, work_dir=work) as docker:
            return (await timed({"docker": _executor_runner(docker)}, repeats))["docker"]
    except SandboxUnavailableError as e:
        return {"unavailable": str(e)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args(argv)
    print(
        json.dumps(
            {"repeats": args.repeats, "code": CODE.strip(), **asyncio.run(measure(args.repeats))}, indent=1
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
