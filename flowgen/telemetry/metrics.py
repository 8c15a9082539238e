"""flowgen's metrics, defined once and kept in Prometheus (prometheus_client) and OpenTelemetry alike.

Each metric has one name: dotted for OpenTelemetry (``flowgen.agent.turn.duration``), and as
Prometheus spells the same name (``flowgen_agent_turn_duration_seconds``; counters gain ``_total``),
which is also what OpenTelemetry's own Prometheus exporter would make of it. Labels are few and of low
cardinality: team, agent, tool, provider and model names come from the application's configuration
(a tool name the model made up is counted as ``unknown``), never thread ids or message text.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING, Any, Literal

from flowgen.errors import ConfigurationError

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from prometheus_client import CollectorRegistry

Kind = Literal["counter", "histogram", "gauge"]
Series = tuple[str, tuple[str, ...]]  # a metric's name and its label values

#: Seconds, from a zero-latency turn to a slow model call.
BUCKETS = (0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


@dataclass(frozen=True, slots=True)
class MetricSpec:
    name: str  # the OpenTelemetry name
    kind: Kind
    unit: str  # UCUM, as OpenTelemetry wants it
    description: str
    labels: tuple[str, ...]

    @property
    def prometheus_name(self) -> str:
        """The name given to prometheus_client, which adds ``_total`` to counters when it exposes them."""
        base = self.name.replace(".", "_")
        return base + "_seconds" if self.unit == "s" else base


SPECS: dict[str, MetricSpec] = {
    s.name: s
    for s in (
        MetricSpec("flowgen.runs.started", "counter", "{run}", "Team runs started.", ("team",)),
        MetricSpec(
            "flowgen.runs.finished", "counter", "{run}", "Team runs stopped, by stop kind.", ("team", "stop")
        ),
        MetricSpec("flowgen.runs.active", "gauge", "{run}", "Team runs going on now.", ("team",)),
        MetricSpec(
            "flowgen.agent.turns", "counter", "{turn}", "Agent turns, by outcome.", ("agent", "status")
        ),
        MetricSpec("flowgen.agent.turn.duration", "histogram", "s", "Duration of agent turns.", ("agent",)),
        MetricSpec("flowgen.tool.calls", "counter", "{call}", "Tool calls, by outcome.", ("tool", "status")),
        MetricSpec("flowgen.tool.duration", "histogram", "s", "Duration of tool calls.", ("tool",)),
        MetricSpec(
            "flowgen.model.calls",
            "counter",
            "{call}",
            "Model calls, by outcome.",
            ("provider", "model", "status"),
        ),
        MetricSpec(
            "flowgen.model.duration", "histogram", "s", "Duration of model calls.", ("provider", "model")
        ),
        MetricSpec(
            "flowgen.model.time_to_first_token",
            "histogram",
            "s",
            "Time from a streaming model call's start to its first chunk.",
            ("provider", "model"),
        ),
        MetricSpec(
            "flowgen.model.tokens", "counter", "{token}", "Tokens used, input or output.", ("model", "type")
        ),
        MetricSpec("flowgen.model.retries", "counter", "{retry}", "Model calls tried again.", ("provider",)),
        MetricSpec(
            "flowgen.model.fallbacks",
            "counter",
            "{switch}",
            "Calls a fallback chain moved past a model, by why (error, timeout, circuit_open).",
            ("model", "reason"),
        ),
        MetricSpec(
            "flowgen.model.breaker_transitions",
            "counter",
            "{transition}",
            "Circuit breaker state changes, by the state entered.",
            ("model", "state"),
        ),
        MetricSpec(
            "flowgen.model.breakers_open", "gauge", "{breaker}", "Circuit breakers open now.", ("model",)
        ),
        MetricSpec("flowgen.checkpoint.writes", "counter", "{write}", "Checkpoint writes.", ("status",)),
        MetricSpec("flowgen.checkpoint.duration", "histogram", "s", "Duration of checkpoint writes.", ()),
        MetricSpec(
            "flowgen.messages.dropped",
            "counter",
            "{message}",
            "Messages dropped by intervention handlers.",
            ("intervention",),
        ),
    )
}


class _Shard:
    """One thread's counts: only that thread writes them, so recording takes no lock."""

    __slots__ = ("counts", "histograms")

    def __init__(self) -> None:
        self.counts: dict[Series, float] = {}
        #: Per series: the count in each bucket (not cumulative; the last is +Inf), then the sum.
        self.histograms: dict[Series, list[float]] = {}


class Metrics:
    """The metrics of :data:`SPECS`, counted in plain per-thread tables that Prometheus reads when it
    scrapes (a collector registered in ``registry``), and also recorded through an OpenTelemetry meter
    when one is given.

    prometheus_client's own instruments take a lock and walk their buckets on every update (about a
    microsecond a counter, two a histogram); a turn updates six series, so counting here and building
    the exposition at scrape time keeps metrics from doubling the cost of a fast turn.
    """

    def __init__(self, registry: CollectorRegistry | None, meter_provider: MeterProvider | None) -> None:
        self.registry = registry
        self._local = threading.local()
        self._shards: list[_Shard] = []
        self._shards_lock = threading.Lock()
        self._otel: dict[str, Any] = {} if meter_provider is None else _otel_instruments(meter_provider)
        self._attributes: dict[Series, dict[str, str]] = {}
        self._collector: Any = None
        if registry is not None:
            self._collector = _collector(self)
            registry.register(self._collector)

    def close(self) -> None:
        """Take the metrics out of their Prometheus registry (so that another set can take the names)."""
        if self.registry is not None and self._collector is not None:
            self.registry.unregister(self._collector)
            self._collector = None

    def _shard(self) -> _Shard:
        shard = _Shard()
        self._local.shard = shard
        with self._shards_lock:
            self._shards.append(shard)
        return shard

    def add(self, name: str, amount: float, *labels: str) -> None:
        """Add to a counter (or move a gauge, by a negative amount too)."""
        try:
            counts = self._local.shard.counts
        except AttributeError:
            counts = self._shard().counts
        key = (name, labels)
        counts[key] = counts.get(key, 0.0) + amount
        if self._otel:
            self._otel[name].add(amount, self._attributes_of(key))

    def observe(self, name: str, value: float, *labels: str) -> None:
        """Record one value in a histogram."""
        try:
            histograms = self._local.shard.histograms
        except AttributeError:
            histograms = self._shard().histograms
        key = (name, labels)
        series = histograms.get(key)
        if series is None:
            series = histograms[key] = [0.0] * (len(BUCKETS) + 2)
        series[bisect_left(BUCKETS, value)] += 1
        series[-1] += value
        if self._otel:
            self._otel[name].record(value, self._attributes_of(key))

    def _attributes_of(self, key: Series) -> dict[str, str]:
        attributes = self._attributes.get(key)
        if attributes is None:
            attributes = self._attributes[key] = dict(zip(SPECS[key[0]].labels, key[1], strict=True))
        return attributes

    def totals(self) -> tuple[dict[Series, float], dict[Series, list[float]]]:
        """Every thread's counts summed: counters and gauges, and histograms (buckets, then the sum)."""
        with self._shards_lock:
            shards = list(self._shards)
        counts: dict[Series, float] = {}
        histograms: dict[Series, list[float]] = {}
        for shard in shards:
            for key, value in dict(shard.counts).items():  # a copy: its thread may be adding a series
                counts[key] = counts.get(key, 0.0) + value
            for key, series in dict(shard.histograms).items():
                total = histograms.setdefault(key, [0.0] * len(series))
                for i, value in enumerate(list(series)):
                    total[i] += value
        return counts, histograms


def _collector(metrics: Metrics) -> Any:
    """A prometheus_client collector exposing ``metrics`` as they stand when it is scraped."""
    from prometheus_client.metrics_core import (
        CounterMetricFamily,
        GaugeMetricFamily,
        HistogramMetricFamily,
        Metric,
    )
    from prometheus_client.registry import Collector

    bounds = [repr(b) for b in BUCKETS] + ["+Inf"]  # as Prometheus writes these bounds: "0.0005", "1.0"

    def family(
        spec: MetricSpec, counts: dict[Series, float], histograms: dict[Series, list[float]]
    ) -> Metric:
        name, doc, labels = spec.prometheus_name, spec.description, list(spec.labels)
        if spec.kind == "histogram":
            made = HistogramMetricFamily(name, doc, labels=labels)
            for (series, values), buckets in histograms.items():
                if series == spec.name:
                    cumulative = list(zip(bounds, accumulate(buckets[:-1]), strict=True))
                    made.add_metric(list(values), cumulative, buckets[-1])
            return made
        kind = CounterMetricFamily if spec.kind == "counter" else GaugeMetricFamily
        counted = kind(name, doc, labels=labels)
        for (series, values), value in counts.items():
            if series == spec.name:
                counted.add_metric(list(values), value)
        return counted

    class FlowgenCollector(Collector):
        def collect(self) -> Iterator[Metric]:
            counts, histograms = metrics.totals()
            for spec in SPECS.values():
                yield family(spec, counts, histograms)

    return FlowgenCollector()


def _otel_instruments(meter_provider: MeterProvider) -> dict[str, Any]:
    meter = meter_provider.get_meter("flowgen")
    made: dict[str, Any] = {}
    for spec in SPECS.values():
        name, unit, doc = spec.name, spec.unit, spec.description
        if spec.kind == "counter":
            made[name] = meter.create_counter(name, unit=unit, description=doc)
        elif spec.kind == "gauge":
            made[name] = meter.create_up_down_counter(name, unit=unit, description=doc)
        else:
            made[name] = meter.create_histogram(
                name, unit=unit, description=doc, explicit_bucket_boundaries_advisory=list(BUCKETS)
            )
    return made


def _registry(registry: CollectorRegistry | None) -> CollectorRegistry:
    if registry is not None:
        return registry
    from flowgen.telemetry import hooks
    from flowgen.telemetry.observer import Telemetry

    active = hooks.observer
    if isinstance(active, Telemetry) and active.metrics is not None and active.metrics.registry is not None:
        return active.metrics.registry
    raise ConfigurationError(
        "no Prometheus metrics to serve: call flowgen.telemetry.instrument(prometheus=True) first, "
        "or pass registry="
    )


def render_metrics(accept: str | None = None, registry: CollectorRegistry | None = None) -> tuple[bytes, str]:
    """The body and content type of a ``/metrics`` response, for any web framework to return.

    ``accept`` is the request's Accept header (OpenMetrics is chosen when it asks for it); the
    registry is the instrumented one unless given.
    """
    from prometheus_client.exposition import choose_encoder

    encoder, content_type = choose_encoder(accept or "")
    return encoder(_registry(registry)), content_type


class MetricsServer:
    """A running ``/metrics`` HTTP endpoint (a daemon thread); :meth:`close` stops it."""

    def __init__(self, port: int, addr: str, registry: CollectorRegistry) -> None:
        from prometheus_client import start_http_server

        self._server, self._thread = start_http_server(port, addr=addr, registry=registry)
        self.port: int = self._server.server_port
        self.addr = addr

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> MetricsServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_metrics_server(
    port: int, addr: str = "127.0.0.1", registry: CollectorRegistry | None = None
) -> MetricsServer:
    """Serve the metrics for Prometheus to scrape at ``http://addr:port/metrics`` (port 0: any free port).

    Binds to localhost unless ``addr`` says otherwise (``"0.0.0.0"`` for a scraper on another host).
    """
    if not 0 <= port <= 65535:
        raise ConfigurationError(f"port must be between 0 and 65535, got {port}")
    return MetricsServer(port, addr, _registry(registry))
