"""A run's exported spans as an indented text tree: what a tracing back end would show, in a terminal."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def span_tree(spans: Iterable[Any], *, attributes: Iterable[str] = ()) -> str:
    """Draw finished spans (OpenTelemetry SDK ``ReadableSpan``\\ s) as a tree, children in start order.

    Each line is the span's name and its duration in milliseconds, then the values of the
    ``attributes`` asked for that the span has. Spans whose parent is not among them are roots.

    Example:
        >>> from opentelemetry.sdk.trace import TracerProvider
        >>> from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        >>> from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        >>> exporter = InMemorySpanExporter()
        >>> provider = TracerProvider()
        >>> provider.add_span_processor(SimpleSpanProcessor(exporter))
        >>> tracer = provider.get_tracer("example")
        >>> with tracer.start_as_current_span("team"):
        ...     with tracer.start_as_current_span("turn", attributes={"agent": "a"}):
        ...         pass
        >>> print(span_tree(exporter.get_finished_spans(), attributes=["agent"]).replace("0.0", "0.1"))  # doctest: +ELLIPSIS
        team  ...ms
        └─ turn  ...ms  agent=a
    """
    spans = sorted(spans, key=lambda s: s.start_time or 0)
    ids = {s.context.span_id for s in spans}
    children: dict[int | None, list[Any]] = {}
    for span in spans:
        parent = span.parent.span_id if span.parent is not None and span.parent.span_id in ids else None
        children.setdefault(parent, []).append(span)
    wanted = tuple(attributes)
    lines: list[str] = []

    def draw(span: Any, prefix: str, last: bool, root: bool) -> None:
        millis = ((span.end_time or span.start_time) - span.start_time) / 1e6
        shown = "".join(f"  {k}={span.attributes[k]}" for k in wanted if k in (span.attributes or {}))
        branch = "" if root else ("└─ " if last else "├─ ")
        lines.append(f"{prefix}{branch}{span.name}  {millis:.1f}ms{shown}")
        below = children.get(span.context.span_id, [])
        inner = prefix if root else prefix + ("   " if last else "│  ")
        for i, child in enumerate(below):
            draw(child, inner, i == len(below) - 1, False)

    for root in children.get(None, []):
        draw(root, "", True, True)
    return "\n".join(lines)
