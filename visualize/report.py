"""A self-contained HTML report of one run: open it from disk, no network, no external assets.

It shows the stop reason, the graph with the run drawn on it, the sequence diagram, a step timeline
(one lane per node, bars placed by time so parallel nodes overlap), the messages with their full
content and tool calls, and token usage by agent and model. Clicking a step in the timeline
highlights the nodes it ran and the edges it took in the graph (elements found by their stable ids).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from flowgen.agents.code_fences import fenced_blocks
from flowgen.base import TaskResult
from flowgen.engine.trace import NodeFinished, NodeStarted, RunStarted, RunTrace
from flowgen.errors import RendererNotFoundError
from flowgen.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    BaseTextChatMessage,
    CodeExecutionEvent,
    CodeGenerationEvent,
    ToolCallExecutionEvent,
    ToolCallRequestEvent,
    ToolCallSummaryMessage,
)
from visualize.ids import edge_id, node_id
from visualize.overlay import RunOverlay, seconds
from visualize.render import inline_svg, render_svg
from visualize.renderer import Preference, Renderer
from visualize.sequence import build_sequence
from visualize.sequence_svg import sequence_svg

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("visualize", "templates"),
    autoescape=True,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)
_ENV.filters["seconds"] = seconds


@dataclass(frozen=True, slots=True)
class Bar:
    """One node run on the step timeline; ``left`` and ``width`` are percentages of the run's length.

    Example:
        >>> Bar("a", 1, 0.0, 0.5, 0.0, 50.0, None).width
        50.0
    """

    node: str
    step: int
    start: float
    seconds: float
    left: float
    width: float
    error: str | None


def html_report(
    result: TaskResult | RunTrace,
    path: str | Path | None = None,
    *,
    renderer: Renderer | Preference | None = None,
) -> str:
    """The HTML report of ``result`` (or of a bare RunTrace) as text; also written to ``path`` when given.

        Without a Graphviz renderer the report is still written, with the install hint in place of the
        graph. A result without a trace gets the messages, the sequence diagram and usage from messages.

        Example:
            >>> from flowgen.agents.code_fences import fenced_blocks
    from flowgen.base import TaskResult
            >>> from flowgen.messages import TextMessage
            >>> page = html_report(TaskResult(messages=[TextMessage(source="user", content="hi")], stop_reason="done"))
            >>> page.startswith("<!DOCTYPE html>") and "done" in page
            True
    """
    if isinstance(result, RunTrace):
        result = TaskResult(messages=[], stop_reason=result.stop_reason, trace=result)
    trace = result.trace
    overlay = RunOverlay.from_trace(trace) if trace is not None else None
    context: dict[str, Any] = {
        "title": trace.graph.name if trace else "run",
        "task": _task(trace),
        "started_at": trace.started_at.isoformat() if trace else "",
        "stop_reason": result.stop_reason or (trace.stop_reason if trace else None) or "",
        "stop_kind": overlay.stop.stop if overlay and overlay.stop else "",
        "graph_svg": "",
        "graph_error": "",
        "sequence_svg": sequence_svg(result),
        "messages": [_message_view(i, m) for i, m in enumerate(result.messages)],
        "bars": _bars(trace) if trace else [],
        "steps": _steps(overlay) if overlay else {},
        "usage": _usage(result, trace),
    }
    context["lanes"] = list(dict.fromkeys(b.node for b in context["bars"]))
    if trace is not None:
        try:
            context["graph_svg"] = inline_svg(render_svg(trace, renderer=renderer))
        except RendererNotFoundError as exc:
            context["graph_error"] = str(exc)
    page = _ENV.get_template("report.html.j2").render(**context)
    if path is not None:
        Path(path).write_text(page, encoding="utf-8")
    return page


def _task(trace: RunTrace | None) -> str:
    if trace is None:
        return ""
    return next((e.task for e in trace.events if isinstance(e, RunStarted)), "")


def _message_view(index: int, message: BaseAgentEvent | BaseChatMessage) -> dict[str, Any]:
    arrow = build_sequence([message]).arrows[0]
    calls: list[dict[str, str]] = []
    results: list[dict[str, Any]] = []
    if isinstance(message, ToolCallRequestEvent):
        calls = [{"name": c.name, "arguments": c.arguments} for c in message.content]
    if isinstance(message, ToolCallSummaryMessage):
        calls = [{"name": c.name, "arguments": c.arguments} for c in message.tool_calls]
        results = [r.model_dump() for r in message.results]
    if isinstance(message, ToolCallExecutionEvent):
        results = [r.model_dump() for r in message.content]
    usage = message.models_usage
    code, runs = _code_views(message)
    return {
        "index": index,
        "source": message.source,
        "type": type(message).__name__,
        "kind": arrow.kind,
        "error": arrow.error,
        "summary": arrow.summary(100),
        "full": arrow.full,
        "calls": calls,
        "results": results,
        "code": code,
        "runs": runs,
        "tokens": f"{usage.prompt_tokens} + {usage.completion_tokens}" if usage else "",
    }


def _code_views(
    message: BaseAgentEvent | BaseChatMessage,
) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """The code blocks a message carries (fenced in its text, or generated) and the code runs it reports."""
    if isinstance(message, CodeGenerationEvent):
        blocks = message.code_blocks
    elif isinstance(message, BaseTextChatMessage):
        blocks = fenced_blocks(message.content)
    else:
        blocks = []
    code = [{"language": b.language, "code": b.code} for b in blocks]
    runs: list[dict[str, Any]] = []
    if isinstance(message, CodeExecutionEvent):
        runs = [{"exit_code": message.result.exit_code, "output": message.result.output}]
    return code, runs


def _bars(trace: RunTrace) -> list[Bar]:
    starts: dict[tuple[str, int], NodeStarted] = {}
    runs: list[tuple[str, int, float, float, str | None]] = []
    end = max((e.t for e in trace.events), default=0.0)
    for event in trace.events:
        if isinstance(event, NodeStarted):
            starts[(event.node, event.turn)] = event
        elif isinstance(event, NodeFinished):
            begun = starts.pop((event.node, event.turn), None)
            start = begun.t if begun else event.t - event.duration
            runs.append((event.node, event.step, start, event.duration, event.error))
    runs.extend((s.node, s.step, s.t, end - s.t, "did not finish") for s in starts.values())
    total = max(end, max((r[2] + r[3] for r in runs), default=0.0)) or 1.0
    return [
        Bar(
            node,
            step,
            start,
            seconds,
            round(100 * start / total, 3),
            round(max(0.6, 100 * seconds / total), 3),
            error,
        )
        for node, step, start, seconds, error in sorted(runs, key=lambda r: (r[2], r[1], r[0]))
    ]


def _steps(overlay: RunOverlay) -> dict[str, dict[str, list[str]]]:
    """For the page's script: step number -> ids of the nodes it ran and the edges it took."""
    return {
        str(number): {
            "nodes": [node_id(n) for n in step.nodes],
            "edges": [edge_id(index, prefix) for prefix, index in step.edges],
            "names": list(step.nodes),
        }
        for number, step in overlay.steps.items()
    }


def _usage(result: TaskResult, trace: RunTrace | None) -> list[dict[str, Any]]:
    """Tokens by (agent, model): from the trace's node records, else from the messages' usage."""
    table: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    if trace is not None:
        for f in trace.node_finishes():
            row = table[(f.node, f.model or "—")]
            row[0] += f.prompt_tokens
            row[1] += f.completion_tokens
            row[2] += 1
    else:
        for m in result.messages:
            if m.models_usage is not None:
                row = table[(m.source, "—")]
                row[0] += m.models_usage.prompt_tokens
                row[1] += m.models_usage.completion_tokens
                row[2] += 1
    rows: list[dict[str, Any]] = [
        {"agent": a, "model": mo, "prompt": p, "completion": c, "calls": n}
        for (a, mo), (p, c, n) in table.items()
    ]
    if rows:
        total = [sum(int(r[key]) for r in rows) for key in ("prompt", "completion", "calls")]
        rows.append(
            {"agent": "total", "model": "", "prompt": total[0], "completion": total[1], "calls": total[2]}
        )
    return rows
