"""Run one program text under flowgen's imports and under AutoGen's, and compare what it observed.

A program is Python source that imports only from ``flowgen.*`` and defines ``async def main()``.
For AutoGen the ``from flowgen.X import a, b`` statements are rewritten name by name to AutoGen's
modules (the map of DESIGN.md §2); nothing else in the text changes, so imports belong at the top
level of the program, not inside functions. ``main()`` returns whatever it
wants compared: streamed items, TaskResults, Responses, strings, numbers, nested in lists, tuples and
dicts. :func:`observe` turns those into plain data — a message or event becomes
``(type name, source, to_text())``, a TaskResult its messages and stop reason — so values from the two
libraries compare with ``==`` while ids and timestamps, which differ naturally, are left out.

:func:`check` runs the flowgen side against expected values (so the test means something where AutoGen
is not installed), then, when AutoGen is importable, runs the AutoGen side and requires it to observe
the same.
"""

from __future__ import annotations

import ast
import asyncio
import importlib.util
import json
import os
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import pytest

Flavor = Literal["flowgen", "autogen"]
PROGRAMS_DIR = Path(__file__).parent / "programs"

# FLOWGEN_COMPAT_WITHOUT_AUTOGEN=1 runs the flowgen side alone, as on a machine without AutoGen.
AUTOGEN_AVAILABLE = not os.environ.get("FLOWGEN_COMPAT_WITHOUT_AUTOGEN") and all(
    importlib.util.find_spec(name) is not None
    for name in ("autogen_agentchat", "autogen_core", "autogen_ext")
)

# Where each flowgen module's names live in AutoGen; names listed in _MOVED live elsewhere.
_MODULES = {
    "flowgen.agents": "autogen_agentchat.agents",
    "flowgen.teams": "autogen_agentchat.teams",
    "flowgen.conditions": "autogen_agentchat.conditions",
    "flowgen.messages": "autogen_agentchat.messages",
    "flowgen.base": "autogen_agentchat.base",
    "flowgen.ui": "autogen_agentchat.ui",
    "flowgen.tools": "autogen_core.tools",
    "flowgen.core": "autogen_core",
    "flowgen.models": "autogen_core.models",
    "flowgen.model_context": "autogen_core.model_context",
    "flowgen.memory": "autogen_core.memory",
    "flowgen.code_executors": "autogen_core.code_executor",
}
_MOVED = {
    ("flowgen.models", "ReplayChatCompletionClient"): "autogen_ext.models.replay",
    ("flowgen.tools", "AgentTool"): "autogen_agentchat.tools",
    ("flowgen.tools", "TeamTool"): "autogen_agentchat.tools",
    ("flowgen.core", "MemoryContent"): "autogen_core.memory",
    ("flowgen.core", "MemoryMimeType"): "autogen_core.memory",
    ("flowgen.code_executors", "LocalCommandLineCodeExecutor"): "autogen_ext.code_executors.local",
}


def autogen_source(program: str) -> str:
    """The program text with each ``from flowgen.X import ...`` replaced by AutoGen's imports."""
    lines = program.splitlines()
    tree = ast.parse(program)
    replacements: list[tuple[int, int, list[str]]] = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("flowgen"):
            module = node.module or ""
            new = [
                f"from {_MOVED.get((module, a.name), _MODULES[module])} import {a.name}"
                + (f" as {a.asname}" if a.asname else "")
                for a in node.names
            ]
            replacements.append((node.lineno - 1, node.end_lineno or node.lineno, new))
    for start, end, new in reversed(replacements):
        lines[start:end] = new
    return "\n".join(lines)


def load(program: str, flavor: Flavor) -> dict[str, Any]:
    """Execute the program text under one flavor's imports and return its namespace."""
    source = textwrap.dedent(program)
    if flavor == "autogen":
        source = autogen_source(source)
    namespace: dict[str, Any] = {"__name__": f"differential_{flavor}"}
    exec(compile(source, f"<{flavor} program>", "exec"), namespace)
    return namespace


def observe(value: Any) -> Any:
    """Plain, library-independent data for what a program returned."""
    kind = type(value).__name__
    if kind == "TaskResult":
        return {"messages": observe(list(value.messages)), "stop_reason": value.stop_reason}
    if kind == "Response":
        return {
            "chat_message": observe(value.chat_message),
            "inner_messages": observe(list(value.inner_messages or [])),
        }
    if hasattr(value, "to_text") and hasattr(value, "source"):
        return (kind, value.source, value.to_text())
    if hasattr(value, "model_dump"):  # LLM messages, tool results: their content, not their ids
        return (kind, observe(value.model_dump(exclude={"id", "created_at"})))
    if isinstance(value, Mapping):
        return {k: observe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [observe(v) for v in value]
    return value


async def run(program: str, flavor: Flavor) -> Any:
    """Run the program's ``main()`` under one flavor and observe what it returned, as JSON data."""
    main = load(program, flavor)["main"]
    return json.loads(json.dumps(observe(await main()), default=repr))


def _expected_path(module: str) -> Path:
    return PROGRAMS_DIR / f"{module.rsplit('.', 1)[-1]}.json"


def expected(module: str, name: str) -> Any:
    """The recorded observation of program ``name`` of test module ``module``."""
    return json.loads(_expected_path(module).read_text())[name]


def cases(programs: Mapping[str, str], xfail: Mapping[str, str] | None = None) -> list[Any]:
    """pytest parameters for each program, the ones in ``xfail`` marked strict with their reason."""
    marks = xfail or {}
    return [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=marks[name]))
        if name in marks
        else name
        for name in programs
    ]


async def check(module: str, name: str, program: str, *, differs: str | None = None) -> Any:
    """flowgen must observe what was recorded; AutoGen, when installed, must observe the same.

    With ``differs`` (the reason), the program shows a deliberate difference: flowgen must observe
    what was recorded for it, and AutoGen must observe something else.
    """
    ours = await run(program, "flowgen")
    assert ours == expected(module, name)
    if AUTOGEN_AVAILABLE:
        theirs = await run(program, "autogen")
        if differs is None:
            assert ours == theirs
        else:
            assert ours != theirs, (
                f"AutoGen no longer differs here ({differs}): drop the deliberate difference"
            )
    return ours


async def record(module_name: str, flavor: Flavor) -> None:
    """Write module ``module_name``'s observations under ``flavor`` to its expected-values file.

    AutoGen's observations are the reference; the programs in the module's ``DIFFERENCES`` are
    recorded from flowgen, whose behaviour there is deliberate.
    """
    module = importlib.import_module(module_name)
    differences: Mapping[str, str] = getattr(module, "DIFFERENCES", {})
    observed: dict[str, Any] = {}
    header = getattr(module, "HEADER", "")
    for name, text in module.PROGRAMS.items():
        try:
            observed[name] = await run(header + text, "flowgen" if name in differences else flavor)
        except Exception as e:  # report every broken program at once, record the rest
            print(f"{module_name}: {name}: {type(e).__name__}: {str(e).splitlines()[0]}", file=sys.stderr)
    _expected_path(module_name).write_text(json.dumps(observed, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":  # python -m tests.compat.differential tests.compat.test_differential_x
    for target in sys.argv[1:]:
        asyncio.run(record(target, "autogen"))
