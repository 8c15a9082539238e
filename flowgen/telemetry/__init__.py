"""Observability: OpenTelemetry spans, Prometheus metrics and structured logs of flowgen runs.

They are views of what flowgen already records — the engine's run events, the agents' model calls,
the tools' executions — attached where those happen through :mod:`flowgen.telemetry.hooks`. Nothing
is recorded, exported or imported (OpenTelemetry and prometheus_client are the optional ``telemetry``
extra) until :func:`instrument` or :func:`configure_logging` is called.

Example:
    >>> import flowgen.telemetry as telemetry
    >>> from flowgen.telemetry import hooks
    >>> hooks.observer is None  # nothing configured: every hook site is skipped
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowgen.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from flowgen.telemetry.install import instrument, runtime_observer, uninstrument
    from flowgen.telemetry.logs import JsonFormatter, configure_logging
    from flowgen.telemetry.metrics import MetricsServer, render_metrics, start_metrics_server
    from flowgen.telemetry.observer import Telemetry
    from flowgen.telemetry.redaction import Redactor
    from flowgen.telemetry.span_drawing import span_tree
    from flowgen.telemetry.thread_scope import conversation

__all__ = [
    "JsonFormatter",
    "MetricsServer",
    "Redactor",
    "Telemetry",
    "configure_logging",
    "conversation",
    "instrument",
    "render_metrics",
    "runtime_observer",
    "span_tree",
    "start_metrics_server",
    "uninstrument",
]

_LAZY = {
    "JsonFormatter": "flowgen.telemetry.logs",
    "MetricsServer": "flowgen.telemetry.metrics",
    "Redactor": "flowgen.telemetry.redaction",
    "Telemetry": "flowgen.telemetry.observer",
    "configure_logging": "flowgen.telemetry.logs",
    "conversation": "flowgen.telemetry.thread_scope",
    "instrument": "flowgen.telemetry.install",
    "render_metrics": "flowgen.telemetry.metrics",
    "runtime_observer": "flowgen.telemetry.install",
    "span_tree": "flowgen.telemetry.span_drawing",
    "start_metrics_server": "flowgen.telemetry.metrics",
    "uninstrument": "flowgen.telemetry.install",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
