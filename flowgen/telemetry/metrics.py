"""flowgen's metrics, defined once and kept in Prometheus (prometheus_client) and OpenTelemetry alike.

Each metric has one name: dotted for OpenTelemetry (``flowgen.agent.turn.duration``), and as
Prometheus spells the same name (``flowgen_agent_turn_duration_seconds``; counters gain ``_total``),
which is also what OpenTelemetry's own Prometheus exporter would make of it. Labels are few and of low
cardinality: team, agent, tool, provider and model names come from the application's configuration
(a tool name the model made up is counted as ``unknown``), never thread ids or message text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from flowgen.errors import ConfigurationError

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from prometheus_client import CollectorRegistry

Kind = Literal["counter", "histogram", "gauge"]

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


class Metrics:
    """The metrics of :data:`SPECS`, recorded into a Prometheus registry and/or an OpenTelemetry meter.

    Label children and attribute dicts are made once per label values and kept: recording a turn
    costs dictionary lookups, not instrument look-ups.
    """

    def __init__(self, registry: CollectorRegistry | None, meter_provider: MeterProvider | None) -> None:
        self.registry = registry
        self._prometheus: dict[str, Any] = {} if registry is None else _prometheus_instruments(registry)
        self._otel: dict[str, Any] = {} if meter_provider is None else _otel_instruments(meter_provider)
        self._children: dict[tuple[str, tuple[str, ...]], tuple[Any, Any]] = {}

    def _child(self, name: str, labels: tuple[str, ...]) -> tuple[Any, Any]:
        key = (name, labels)
        child = self._children.get(key)
        if child is None:
            prom = self._prometheus.get(name)
            if prom is not None and labels:
                prom = prom.labels(*labels)
            attributes = dict(zip(SPECS[name].labels, labels, strict=True))
            child = self._children[key] = (prom, (self._otel.get(name), attributes))
        return child

    def add(self, name: str, amount: float, *labels: str) -> None:
        """Add to a counter (or move a gauge, by a negative amount too)."""
        prom, (otel, attributes) = self._child(name, labels)
        if prom is not None:
            prom.inc(amount)
        if otel is not None:
            otel.add(amount, attributes)

    def observe(self, name: str, value: float, *labels: str) -> None:
        """Record one value in a histogram."""
        prom, (otel, attributes) = self._child(name, labels)
        if prom is not None:
            prom.observe(value)
        if otel is not None:
            otel.record(value, attributes)


def _prometheus_instruments(registry: CollectorRegistry) -> dict[str, Any]:
    from prometheus_client import Counter, Gauge, Histogram

    made: dict[str, Any] = {}
    for spec in SPECS.values():
        name, doc, labels = spec.prometheus_name, spec.description, spec.labels
        if spec.kind == "counter":
            made[spec.name] = Counter(name, doc, labels, registry=registry)
        elif spec.kind == "gauge":
            made[spec.name] = Gauge(name, doc, labels, registry=registry)
        else:
            made[spec.name] = Histogram(name, doc, labels, registry=registry, buckets=BUCKETS)
    return made


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
