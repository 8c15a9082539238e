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


def test_without_a_tracer_provider_spans_go_to_the_global_one_once_the_application_sets_it() -> None:
    code = (
        "import asyncio\n"
        "from opentelemetry import trace\n"
        "from opentelemetry.sdk.trace import TracerProvider\n"
        "from opentelemetry.sdk.trace.export import SimpleSpanProcessor\n"
        "from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter\n"
        "import flowgen.telemetry as telemetry\n"
        "from flowgen.agents import AssistantAgent\n"
        "from flowgen.models import ReplayChatCompletionClient\n"
        "from flowgen.teams import RoundRobinGroupChat\n"
        "async def run():\n"
        "    agent = AssistantAgent('a', model_client=ReplayChatCompletionClient(['hi']))\n"
        "    await RoundRobinGroupChat([agent], max_turns=1).run(task='go')\n"
        "observer = telemetry.instrument()\n"
        "asyncio.run(run())  # no provider anywhere: spans are non-recording, nothing is exported\n"
        "print(observer.http_headers())\n"
        "exporter = InMemorySpanExporter()\n"
        "provider = TracerProvider()\n"
        "provider.add_span_processor(SimpleSpanProcessor(exporter))\n"
        "trace.set_tracer_provider(provider)\n"
        "asyncio.run(run())\n"
        "print(sorted(s.name for s in exporter.get_finished_spans()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == [
        "None",
        "['chat', 'invoke_agent a', 'invoke_workflow RoundRobinGroupChat']",
    ]
