"""Telemetry off (the default): nothing is installed, imported or sent."""

from __future__ import annotations

import subprocess
import sys


def test_a_run_without_telemetry_imports_neither_opentelemetry_nor_prometheus_client() -> None:
    code = (
        "import asyncio, sys\n"
        "from flowgen.agents import AssistantAgent\n"
        "from flowgen.models import ReplayChatCompletionClient\n"
        "from flowgen.teams import RoundRobinGroupChat\n"
        "from flowgen.telemetry import hooks\n"
        "agent = AssistantAgent('a', model_client=ReplayChatCompletionClient(['hi']))\n"
        "asyncio.run(RoundRobinGroupChat([agent], max_turns=1).run(task='go'))\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & {'opentelemetry', 'prometheus_client'})\n"
        "telemetry = sorted(m for m in sys.modules if m.startswith('flowgen.telemetry'))\n"
        "print(hooks.observer, loaded, telemetry)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "None [] ['flowgen.telemetry', 'flowgen.telemetry.hooks']"
