"""A run folded onto its graph: per-node visits, time, tokens and errors; per-edge counts and steps.

Events name nodes of the top graph by their name and nodes inside nested teams by their path
(``team/inner``). An ``EdgeTaken`` without an edge index (a router's choice, a handoff) is matched to
the first edge of the graph it belongs to that joins the same two nodes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from flowgen.engine.trace import EdgeTaken, NodeFinished, NodeStarted, RunStopped, RunTrace, StepStarted
from flowgen.graph.spec import GraphSpec

EdgeKey = tuple[str, int]
"""An edge as (node path of the graph holding it, index in that graph's edges)."""


@dataclass(slots=True)
class NodeStats:
    """What one node did over the run.

    Example:
        >>> NodeStats(visits=2, seconds=1.5).tooltip().splitlines()[:2]
        ['visits: 2', 'time: 1.500s']
    """

    visits: int = 0
    seconds: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    models: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)

    def tooltip(self) -> str:
        """One line per fact, for the node's tooltip."""
        lines = [
            f"visits: {self.visits}",
            f"time: {seconds(self.seconds)}",
            f"tokens: {self.prompt_tokens} prompt + {self.completion_tokens} completion",
        ]
        if self.models:
            lines.append("model: " + ", ".join(self.models))
        if self.steps:
            lines.append("steps: " + ", ".join(str(s) for s in self.steps))
        lines.extend(f"error: {e}" for e in self.errors)
        return "\n".join(lines)


@dataclass(slots=True)
class EdgeStats:
    """How often an edge fired, from which step on, and why the first time."""

    count: int
    first_step: int
    reason: str


@dataclass(slots=True)
class StepStats:
    """One scheduler step: the nodes it ran and the edges taken when they finished."""

    step: int
    nodes: list[str] = field(default_factory=list)
    edges: list[EdgeKey] = field(default_factory=list)
    start: float = 0.0
    end: float = 0.0


@dataclass(slots=True)
class RunOverlay:
    """Everything the drawing needs to know about a run, keyed by node path and edge key.

    Example:
        >>> from datetime import UTC, datetime
        >>> from flowgen.graph import AgentNode, GraphSpec
        >>> from flowgen.engine.trace import NodeStarted, RunTrace
        >>> graph = GraphSpec(nodes=(AgentNode(name="a"),), entry=("a",))
        >>> events = [NodeStarted(t=0.0, step=1, node="a", turn=1), NodeStarted(t=1.0, step=2, node="a", turn=2)]
        >>> overlay = RunOverlay.from_trace(RunTrace(graph=graph, started_at=datetime(2026, 1, 1, tzinfo=UTC), events=events))
        >>> overlay.nodes["a"].visits, sorted(overlay.steps)
        (2, [1, 2])
    """

    nodes: dict[str, NodeStats]
    edges: dict[EdgeKey, EdgeStats]
    steps: dict[int, StepStats]
    stop: RunStopped | None
    reached: set[str] = field(default_factory=set)
    last_node: str | None = None
    decisions: Counter[str] = field(default_factory=Counter)

    @property
    def stop_node(self) -> str | None:
        """Where the run stopped: the node the stop names, else the last node that finished."""
        return self.stop.node if self.stop and self.stop.node else self.last_node

    @property
    def max_visits(self) -> int:
        return max((s.visits for s in self.nodes.values()), default=0)

    @classmethod
    def from_trace(cls, trace: RunTrace) -> RunOverlay:
        """Fold ``trace``'s events; unknown nodes are kept (they are simply not drawn)."""
        graphs = dict(trace.graph.walk())
        nodes: dict[str, NodeStats] = defaultdict(NodeStats)
        edges: dict[EdgeKey, EdgeStats] = {}
        steps: dict[int, StepStats] = {}
        reached: set[str] = set()
        decisions: Counter[str] = Counter()
        for event in trace.events:
            step = steps.setdefault(event.step, StepStats(event.step, start=event.t, end=event.t))
            step.end = max(step.end, event.t)
            if isinstance(event, StepStarted):
                step.nodes.extend(n for n in event.nodes if n not in step.nodes)
            elif isinstance(event, NodeStarted):
                _start(nodes[event.node], step, event)
            elif isinstance(event, NodeFinished):
                _finish(nodes[event.node], event)
                step.end = max(step.end, event.t)
            elif isinstance(event, EdgeTaken):
                key = resolve_edge(graphs, event)
                if key is not None:
                    _take(edges, key, event)
                    step.edges.append(key)
                reached.add(event.target)
                decisions[event.source] += 1
        ran = {k: s for k, s in sorted(steps.items()) if s.nodes}
        finished = trace.node_finishes()
        last = finished[-1].node if finished else None
        return cls(
            nodes=dict(nodes),
            edges=edges,
            steps=ran,
            stop=trace.stop,
            reached=reached,
            last_node=last,
            decisions=decisions,
        )


def seconds(value: float) -> str:
    """A duration readable at any scale: ``1.250s``, ``12.5ms``, ``46µs``."""
    if value >= 1:
        return f"{value:.3f}s"
    if value >= 0.001:
        return f"{value * 1000:.1f}ms"
    return f"{value * 1e6:.0f}\u00b5s"


def _start(stats: NodeStats, step: StepStats, event: NodeStarted) -> None:
    stats.visits += 1
    if event.step not in stats.steps:
        stats.steps.append(event.step)
    if event.node not in step.nodes:
        step.nodes.append(event.node)


def _finish(stats: NodeStats, event: NodeFinished) -> None:
    stats.seconds += event.duration
    stats.prompt_tokens += event.prompt_tokens
    stats.completion_tokens += event.completion_tokens
    if event.model and event.model not in stats.models:
        stats.models.append(event.model)
    if event.error:
        stats.errors.append(event.error)


def _take(edges: dict[EdgeKey, EdgeStats], key: EdgeKey, event: EdgeTaken) -> None:
    if key in edges:
        edges[key].count += 1
    else:
        edges[key] = EdgeStats(count=1, first_step=event.step, reason=event.reason)


def split_path(path: str) -> tuple[str, str]:
    """``"team/inner"`` -> ``("team", "inner")``; a top-level name has the prefix ``""``."""
    prefix, _, name = path.rpartition("/")
    return prefix, name


def resolve_edge(graphs: dict[str, GraphSpec], event: EdgeTaken) -> EdgeKey | None:
    """The drawn edge an ``EdgeTaken`` event refers to, or None when the graph has no such edge."""
    top = graphs[""]
    # A top-level name wins over a nested path, so a node named "a/b" is not read as b inside a.
    prefix, source = ("", event.source) if top.has_node(event.source) else split_path(event.source)
    graph = graphs.get(prefix)
    if graph is None:
        return None
    target = event.target if prefix == "" else split_path(event.target)[1]
    if event.edge is not None and 0 <= event.edge < len(graph.edges):
        return prefix, event.edge
    for index in graph.out_edge_indices(source):
        if graph.edges[index].target == target:
            return prefix, index
    return None
