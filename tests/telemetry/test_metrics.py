"""Metrics: Prometheus exposition parsed back, the OpenTelemetry reader's view, and the /metrics server."""

from __future__ import annotations

import urllib.request

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families
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
from flowgen.telemetry.metrics import SPECS
from flowgen.tools import FunctionTool

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _samples(text: str) -> Samples:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


async def _run_team() -> None:
    info = ModelInfo(
        vision=False, function_calling=True, json_output=False, family="x", structured_output=False
    )
    call = CreateResult(
        finish_reason="function_calls",
        content=[
            FunctionCall(id="c1", name="echo", arguments='{"text": "hi"}'),
            FunctionCall(id="c2", name="made_up", arguments="{}"),
        ],
        usage=RequestUsage(prompt_tokens=10, completion_tokens=4),
    )

    def echo(text: str) -> str:
        return text

    a = AssistantAgent(
        "a", ReplayChatCompletionClient([call, "a done"], model_info=info), tools=[FunctionTool(echo, "e")]
    )
    b = AssistantAgent("b", ReplayChatCompletionClient(["b says"]))
    team = RoundRobinGroupChat([a, b], termination_condition=MaxMessageTermination(3), name="pair")
    await team.run(task="go")


async def test_prometheus_exposition_holds_runs_turns_tools_models_and_tokens(traced: Traced) -> None:
    await _run_team()
    body, content_type = telemetry.render_metrics()
    assert content_type.startswith("text/plain")
    samples = _samples(body.decode())
    assert _value(samples, "flowgen_runs_started_total", team="pair") == 1
    assert _value(samples, "flowgen_runs_finished_total", team="pair", stop="termination") == 1
    assert _value(samples, "flowgen_runs_active", team="pair") == 0
    assert _value(samples, "flowgen_agent_turns_total", agent="a", status="ok") == 1
    assert _value(samples, "flowgen_agent_turns_total", agent="b", status="ok") == 1
    assert _value(samples, "flowgen_agent_turn_duration_seconds_count", agent="a") == 1
    assert _value(samples, "flowgen_tool_calls_total", tool="echo", status="ok") == 1
    # A tool name the model made up is one label value, whatever it was.
    assert _value(samples, "flowgen_tool_calls_total", tool="unknown", status="error") == 1
    assert _value(samples, "flowgen_model_calls_total", provider="replay", model="unknown", status="ok") == 2
    assert _value(samples, "flowgen_model_tokens_total", model="unknown", type="input") >= 10
    assert _value(samples, "flowgen_model_tokens_total", model="unknown", type="output") >= 4
    assert _value(samples, "flowgen_model_duration_seconds_count", provider="replay", model="unknown") == 2
    labels = {k for (_, pairs) in samples for k, _ in pairs}
    assert labels <= {
        "team",
        "stop",
        "agent",
        "status",
        "tool",
        "provider",
        "model",
        "type",
        "le",
        "intervention",
    }


async def test_openmetrics_when_the_scraper_asks_for_it(traced: Traced) -> None:
    await _run_team()
    body, content_type = telemetry.render_metrics("application/openmetrics-text; version=1.0.0")
    assert content_type.startswith("application/openmetrics-text")
    names = {f.name for f in parse_openmetrics(body.decode())}
    assert {"flowgen_runs_started", "flowgen_agent_turn_duration_seconds"} <= names


async def test_the_same_metrics_through_the_opentelemetry_api(traced: Traced) -> None:
    await _run_team()
    data = traced.reader.get_metrics_data()
    points: dict[str, list[tuple[dict[str, object], object]]] = {}
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                points[metric.name] = [(dict(p.attributes or {}), p) for p in metric.data.data_points]
    assert {
        "flowgen.runs.started",
        "flowgen.agent.turns",
        "flowgen.tool.calls",
        "flowgen.model.calls",
    } <= set(points)
    turns = {(a["agent"], a["status"]): p.value for a, p in points["flowgen.agent.turns"]}  # type: ignore[attr-defined]
    assert turns == {("a", "ok"): 1, ("b", "ok"): 1}
    (_, histogram), *_ = points["flowgen.agent.turn.duration"]
    assert histogram.count == 1  # type: ignore[attr-defined]
    for name in points:
        assert name in SPECS  # every name is one of the table's, the same as Prometheus's


async def test_checkpoint_and_intervention_hooks_count(traced: Traced) -> None:
    assert hooks.observer is not None
    hooks.observer.checkpoint_written(0.004, True)
    hooks.observer.checkpoint_written(0.2, False)
    hooks.observer.messages_dropped(3, "ContentFilter")
    samples = _samples(telemetry.render_metrics()[0].decode())
    assert _value(samples, "flowgen_checkpoint_writes_total", status="ok") == 1
    assert _value(samples, "flowgen_checkpoint_writes_total", status="error") == 1
    assert _value(samples, "flowgen_checkpoint_duration_seconds_count") == 2
    assert _value(samples, "flowgen_messages_dropped_total", intervention="ContentFilter") == 3


async def test_start_metrics_server_serves_the_metrics_on_localhost(traced: Traced) -> None:
    await _run_team()
    with telemetry.start_metrics_server(0) as server:
        assert server.addr == "127.0.0.1"
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/metrics", timeout=10) as response:
            text = response.read().decode()
    assert _value(_samples(text), "flowgen_runs_started_total", team="pair") == 1


def test_a_registry_of_the_applications_own() -> None:
    registry = CollectorRegistry()
    make_traced(prometheus=registry)
    assert registry.get_sample_value("flowgen_runs_started_total", {"team": "x"}) is None
    body, _ = telemetry.render_metrics(registry=registry)
    assert b"flowgen_agent_turns_total" in body


def test_serving_metrics_with_none_configured_says_how_to_fix_it() -> None:
    with pytest.raises(ConfigurationError, match="instrument"):
        telemetry.render_metrics()
    make_traced(prometheus=False)
    with pytest.raises(ConfigurationError, match="prometheus=True"):
        telemetry.start_metrics_server(0)
    with pytest.raises(ConfigurationError, match="port"):
        telemetry.start_metrics_server(70000, registry=CollectorRegistry())


def test_counts_from_several_threads_are_summed_and_buckets_are_cumulative() -> None:
    import threading

    traced = make_traced(tracing=False)
    metrics = traced.observer.metrics
    assert metrics is not None

    def work() -> None:
        for _ in range(1000):
            metrics.add("flowgen.agent.turns", 1, "a", "ok")
            metrics.observe("flowgen.agent.turn.duration", 0.003, "a")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    metrics.observe("flowgen.agent.turn.duration", 7.0, "a")
    samples = _samples(telemetry.render_metrics()[0].decode())
    assert _value(samples, "flowgen_agent_turns_total", agent="a", status="ok") == 4000
    assert _value(samples, "flowgen_agent_turn_duration_seconds_bucket", agent="a", le="0.001") == 0
    assert _value(samples, "flowgen_agent_turn_duration_seconds_bucket", agent="a", le="0.005") == 4000
    assert _value(samples, "flowgen_agent_turn_duration_seconds_bucket", agent="a", le="10.0") == 4001
    assert _value(samples, "flowgen_agent_turn_duration_seconds_bucket", agent="a", le="+Inf") == 4001
    assert _value(samples, "flowgen_agent_turn_duration_seconds_count", agent="a") == 4001
    assert _value(samples, "flowgen_agent_turn_duration_seconds_sum", agent="a") == pytest.approx(19.0)


async def test_instrumenting_again_with_the_same_registry_replaces_the_metrics() -> None:
    registry = CollectorRegistry()
    make_traced(prometheus=registry)
    await _run_team()
    make_traced(prometheus=registry)  # the first set leaves the registry; the names are free again
    await _run_team()
    assert registry.get_sample_value("flowgen_runs_started_total", {"team": "pair"}) == 1
    telemetry.uninstrument()
    assert registry.get_sample_value("flowgen_runs_started_total", {"team": "pair"}) is None


async def test_fallback_switches_and_breaker_states_are_counted(traced: Traced) -> None:
    from flowgen.errors import ModelClientError
    from flowgen.models import (
        BreakerPolicy,
        FallbackChatCompletionClient,
        FunctionChatCompletionClient,
        UserMessage,
    )

    def down(messages: object, info: object) -> str:
        raise ModelClientError("503 overloaded", retryable=True, status_code=503)

    client = FallbackChatCompletionClient(
        [FunctionChatCompletionClient(down), ReplayChatCompletionClient(["a", "b", "c"])],
        breaker=BreakerPolicy(failure_threshold=2, cool_down=600.0),
    )
    for _ in range(3):
        await client.create([UserMessage(content="hi", source="user")])
    samples = _samples(telemetry.render_metrics()[0].decode())
    primary = "FunctionChatCompletionClient#0"
    assert _value(samples, "flowgen_model_fallbacks_total", model=primary, reason="error") == 2
    assert _value(samples, "flowgen_model_fallbacks_total", model=primary, reason="circuit_open") == 1
    assert _value(samples, "flowgen_model_breaker_transitions_total", model=primary, state="open") == 1
    assert _value(samples, "flowgen_model_breakers_open", model=primary) == 1
