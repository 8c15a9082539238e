"""Turning telemetry on and off: :func:`instrument` installs the observer the hooks report to."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from flowgen.errors import ConfigurationError
from flowgen.telemetry import hooks, semconv
from flowgen.telemetry.observer import Telemetry

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider
    from prometheus_client import CollectorRegistry

__all__ = [
    "Telemetry",
    "disable_event_logs",
    "enable_event_logs",
    "instrument",
    "runtime_observer",
    "uninstrument",
]

_INSTALL = "install the optional dependencies with: pip install 'flowgen[telemetry]'"


def _capture_from_environment() -> bool:
    return os.environ.get(semconv.CAPTURE_CONTENT_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def instrument(
    *,
    tracer_provider: TracerProvider | None = None,
    tracing: bool = True,
    prometheus: bool | CollectorRegistry = True,
    meter_provider: MeterProvider | None = None,
    logs: bool = False,
    capture_message_content: bool | None = None,
    core_deliveries: bool = False,
) -> Telemetry:
    """Report flowgen's runs as OpenTelemetry spans, metrics and log lines; returns the installed observer.

    Args:
        tracer_provider: where spans go; the global provider when None (which exports nothing until
            the application configures it).
        tracing: False for metrics and logs only.
        prometheus: keep the metrics in a new Prometheus registry (True), in the given one, or not
            at all (False). :func:`~flowgen.telemetry.start_metrics_server` serves them.
        meter_provider: also record the same metrics through this OpenTelemetry meter provider.
        logs: also write event log lines (as :func:`~flowgen.telemetry.configure_logging` does).
        capture_message_content: record prompts, replies and tool arguments/results on spans
            (redacted); None reads ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``. Off by default.
        core_deliveries: a span for each message the Core runtime delivers (off: deliveries only carry
            the trace context, so a Core application's trace is still one tree).

    Installing replaces any observer installed before. Use the result as a context manager, or call
    :func:`uninstrument`, to turn everything off again.
    """
    tracer = None
    if tracing:
        try:
            from opentelemetry import trace
        except ImportError as exc:
            raise ConfigurationError(f"tracing needs opentelemetry-api; {_INSTALL}") from exc
        provider = tracer_provider if tracer_provider is not None else trace.get_tracer_provider()
        tracer = provider.get_tracer("flowgen")
    metrics = None
    if prometheus is not False or meter_provider is not None:
        from flowgen.telemetry.metrics import Metrics

        metrics = Metrics(_registry(prometheus), meter_provider)
    capture = _capture_from_environment() if capture_message_content is None else capture_message_content
    telemetry = Telemetry(
        tracer=tracer, metrics=metrics, logs=logs, capture_content=capture, core_deliveries=core_deliveries
    )
    _retire(hooks.observer)
    hooks.observer = telemetry
    return telemetry


def _registry(prometheus: bool | CollectorRegistry) -> CollectorRegistry | None:
    if prometheus is False:
        return None
    try:
        from prometheus_client import CollectorRegistry
    except ImportError as exc:
        raise ConfigurationError(f"Prometheus metrics need prometheus_client; {_INSTALL}") from exc
    if prometheus is True:
        return CollectorRegistry(auto_describe=True)
    if not isinstance(prometheus, CollectorRegistry):
        raise ConfigurationError(
            f"prometheus= takes True, False or a prometheus_client CollectorRegistry, not {type(prometheus).__name__}"
        )
    return prometheus


def uninstrument() -> None:
    """Turn telemetry off: every hook site is skipped again, and the metrics leave their registry."""
    _retire(hooks.observer)
    hooks.observer = None


def _retire(observer: object) -> None:
    if isinstance(observer, Telemetry) and observer.metrics is not None:
        observer.metrics.close()


def enable_event_logs() -> None:
    """Write event log lines: through the installed observer, or one that does nothing else."""
    observer = hooks.observer
    if isinstance(observer, Telemetry):
        observer.logs = True
    elif observer is None:
        hooks.observer = Telemetry(
            tracer=None, metrics=None, logs=True, capture_content=False, core_deliveries=False
        )


def disable_event_logs() -> None:
    """Stop the event log lines :func:`enable_event_logs` started (and its observer, if logs were all it did)."""
    observer = hooks.observer
    if not isinstance(observer, Telemetry):
        return
    if observer.tracer is None and observer.metrics is None:
        hooks.observer = None
    else:
        observer.logs = False


def runtime_observer(tracer_provider: TracerProvider) -> Telemetry:
    """The observer a Core runtime built with ``tracer_provider=`` keeps for its own deliveries.

    AutoGen's runtimes take ``tracer_provider=``; flowgen's do the same by holding this observer and
    calling its ``carry()`` / ``delivery()`` (see :mod:`flowgen.telemetry.hooks`) instead of the
    installed one: delivery spans go to that provider whether or not :func:`instrument` was called.
    """
    return Telemetry(
        tracer=tracer_provider.get_tracer("flowgen"),
        metrics=None,
        logs=False,
        capture_content=False,
        core_deliveries=True,
    )
