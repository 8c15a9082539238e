"""Structured logs: flowgen's events as log records, written as JSON lines or text, secrets redacted.

Events (logger ``flowgen.events``, level INFO): ``agent_created``, ``turn_finished``,
``tool_executed``, ``model_call`` and ``run_stopped``, each with its fields in the record's
``flowgen`` attribute. The JSON formatter writes one object per line: time, level, logger, message,
the event's fields, and ``trace_id`` / ``span_id`` when a span is active.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import IO, Any, Literal

from flowgen.errors import ConfigurationError
from flowgen.telemetry.redaction import Redactor

LogFormat = Literal["text", "json"]
FORMATS: tuple[LogFormat, ...] = ("text", "json")
ENV_FORMAT = "FLOWGEN_LOG_FORMAT"

events = logging.getLogger("flowgen.events")


def _span_ids() -> tuple[str, str] | None:
    """The active span's trace and span ids in hex, if OpenTelemetry is in use and a span is active."""
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:  # never imported: no span can be active
        return None
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return f"{context.trace_id:032x}", f"{context.span_id:016x}"


class JsonFormatter(logging.Formatter):
    """One JSON object per record, redacted; trace and span ids when a span is active."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self._redactor = redactor or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "flowgen", None)
        if isinstance(fields, dict):
            line.update(fields)
        ids = _span_ids()
        if ids is not None:
            line["trace_id"], line["span_id"] = ids
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return self._redactor.redact(json.dumps(line, default=str, ensure_ascii=False))


class TextFormatter(logging.Formatter):
    """``time level logger message key=value ...``, redacted, with the trace ids when a span is active."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")
        self._redactor = redactor or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = getattr(record, "flowgen", None)
        if isinstance(fields, dict):
            text += "".join(f" {k}={v}" for k, v in fields.items() if k != "event")
        ids = _span_ids()
        if ids is not None:
            text += f" trace_id={ids[0]} span_id={ids[1]}"
        return self._redactor.redact(text)


def configure_logging(
    log_format: str | None = None,
    *,
    level: int | str = logging.INFO,
    stream: IO[str] | None = None,
) -> logging.Handler:
    """Write flowgen's logs (the ``flowgen`` logger tree) to ``stream`` (stderr) as text or JSON lines.

    ``log_format`` defaults to the ``FLOWGEN_LOG_FORMAT`` environment variable, else ``"text"``. Also
    turns on flowgen's event log lines (agent created, turn finished, tool executed, model call, run
    stopped). Returns the handler, which the caller may remove from ``logging.getLogger("flowgen")``.
    """
    chosen = (log_format or os.environ.get(ENV_FORMAT) or "text").lower()
    if chosen not in FORMATS:
        raise ConfigurationError(
            f"unknown log format {chosen!r} (from {'the argument' if log_format else ENV_FORMAT}); "
            f"use one of {', '.join(FORMATS)}"
        )
    redactor = Redactor()
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter(redactor) if chosen == "json" else TextFormatter(redactor))
    root = logging.getLogger("flowgen")
    root.addHandler(handler)
    root.setLevel(level)
    from flowgen.telemetry.install import enable_event_logs

    enable_event_logs()
    return handler
