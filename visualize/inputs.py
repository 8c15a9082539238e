"""What the drawing functions accept: a graph, a team (anything with a ``.graph``), a trace or a result."""

from __future__ import annotations

from typing import Any

from flowgen.base import TaskResult
from flowgen.engine.trace import RunTrace
from flowgen.errors import ConfigurationError
from flowgen.graph.spec import GraphSpec

Drawable = Any
"""A GraphSpec, a team with a ``graph`` attribute, a RunTrace or a TaskResult carrying a trace."""


def graph_of(obj: Drawable) -> GraphSpec:
    """The graph to draw for ``obj``: itself, its ``.graph``, or the graph its trace ran on."""
    if isinstance(obj, GraphSpec):
        return obj
    if isinstance(obj, RunTrace):
        return obj.graph
    if isinstance(obj, TaskResult):
        return trace_of(obj).graph
    graph = getattr(obj, "graph", None)
    if isinstance(graph, GraphSpec):
        return graph
    raise ConfigurationError(
        f"cannot draw a {type(obj).__name__}: pass a GraphSpec, a team (an object with a `.graph` "
        "GraphSpec), a RunTrace or a TaskResult that carries a trace"
    )


def trace_of(obj: Drawable) -> RunTrace:
    """The run trace of a TaskResult or RunTrace; a clear error when a result has none."""
    if isinstance(obj, RunTrace):
        return obj
    if isinstance(obj, TaskResult):
        if obj.trace is None:
            raise ConfigurationError(
                "this TaskResult carries no trace, so its run cannot be drawn on the graph; "
                "run a flowgen team (which records one) or pass the RunTrace explicitly"
            )
        return obj.trace
    raise ConfigurationError(f"expected a RunTrace or a TaskResult, got {type(obj).__name__}")


def optional_trace(obj: Drawable, trace: RunTrace | TaskResult | None) -> RunTrace | None:
    """The trace to overlay: the explicit one, else the one ``obj`` carries (if it is a run)."""
    if trace is not None:
        return trace_of(trace)
    if isinstance(obj, RunTrace):
        return obj
    if isinstance(obj, TaskResult):
        return obj.trace
    return None
