"""Structured logs: JSON lines with the events' fields and, inside a span, its trace and span ids."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from telemetry_kit import Traced, make_traced

import flowgen.telemetry as telemetry
from flowgen.agents import AssistantAgent
from flowgen.conditions import MaxMessageTermination
from flowgen.core import FunctionCall
from flowgen.errors import ConfigurationError
from flowgen.models import ReplayChatCompletionClient
from flowgen.models.types import CreateResult, ModelInfo, RequestUsage
from flowgen.teams import RoundRobinGroupChat
from flowgen.telemetry import hooks
from flowgen.tools import FunctionTool

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = telemetry.configure_logging("json", stream=stream)
    yield stream
    logging.getLogger("flowgen").removeHandler(handler)


def _records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


async def _run() -> None:
    info = ModelInfo(
        vision=False, function_calling=True, json_output=False, family="x", structured_output=False
    )
    call = CreateResult(
        finish_reason="function_calls",
        content=[FunctionCall(id="c1", name="shout", arguments='{"text": "hi"}')],
        usage=RequestUsage(prompt_tokens=5, completion_tokens=2),
    )

    def shout(text: str) -> str:
        return text.upper()

    agent = AssistantAgent(
        "a", ReplayChatCompletionClient([call], model_info=info), tools=[FunctionTool(shout, "s")]
    )
    await RoundRobinGroupChat([agent], termination_condition=MaxMessageTermination(2), name="t").run(
        task="go"
    )


async def test_json_lines_for_each_event(json_lines: io.StringIO) -> None:
    await _run()
    records = _records(json_lines)
    events = [r["event"] for r in records if "event" in r]
    assert events == ["agent_created", "model_call", "tool_executed", "turn_finished", "run_stopped"]
    by_event = {r["event"]: r for r in records}
    assert by_event["agent_created"]["agent"] == "a"
    turn = by_event["turn_finished"]
    assert (turn["agent"], turn["outcome"], turn["input_tokens"], turn["output_tokens"]) == ("a", "ok", 5, 2)
    assert isinstance(turn["duration_s"], float)
    tool = by_event["tool_executed"]
    assert (tool["tool"], tool["outcome"], tool["result_chars"]) == ("shout", "ok", 2)
    model = by_event["model_call"]
    assert (model["provider"], model["retries"], model["outcome"]) == ("replay", 0, "ok")
    stopped = by_event["run_stopped"]
    assert (stopped["team"], stopped["stop"]) == ("t", "termination")
    for record in records:
        assert {"time", "level", "logger", "message"} <= set(record)
    # No span is active without tracing: no ids.
    assert all("trace_id" not in r for r in records)


async def test_trace_and_span_ids_on_lines_written_inside_a_span(json_lines: io.StringIO) -> None:
    traced: Traced = make_traced(logs=True)
    await _run()
    records = {r["event"]: r for r in _records(json_lines) if "event" in r}
    spans = {s.name: s for s in traced.spans()}
    turn_span = spans["invoke_agent a"]
    model = records["model_call"]
    assert model["trace_id"] == f"{turn_span.context.trace_id:032x}"
    # The model call's line is written as its span ends, while it is current.
    assert model["span_id"] == f"{spans['chat'].context.span_id:016x}"
    assert records["turn_finished"]["span_id"] == f"{turn_span.context.span_id:016x}"


def test_unknown_log_format_says_which_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWGEN_LOG_FORMAT", "xml")
    with pytest.raises(ConfigurationError, match=r"FLOWGEN_LOG_FORMAT.*text, json"):
        telemetry.configure_logging()
    assert hooks.observer is None


def _cli(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "flowgen.cli", *args, "run", str(ROOT / "graphs" / "write_review.py")]
    command += ["--task", "Write a haiku", "--out", str(tmp_path)]
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=120, check=True)


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_the_cli_writes_json_lines_with_log_format_json(tmp_path: Path, how: str) -> None:
    if how == "flag":
        done = _cli(tmp_path, "--log-format", "json")
    else:
        done = _cli(tmp_path, env={"FLOWGEN_LOG_FORMAT": "json"})
    records = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    events = {r.get("event") for r in records}
    assert {"agent_created", "turn_finished", "model_call", "run_stopped"} <= events
    assert all(line.startswith("{") for line in done.stderr.splitlines() if line.strip())
