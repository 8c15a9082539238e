"""Recording a run: its events kept flat while it goes on, built into a RunTrace when first read.

The scheduler records every run, but most runs' traces are never looked at. So this module holds
only what recording needs; the event classes and :class:`~flowgen.engine.trace.RunTrace` (in
:mod:`flowgen.engine.trace`, their public home) load when a recording is first read back as
events. Nothing here defines a dataclass or a pydantic model: each would cost start-up time in every
program that runs a team.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

if TYPE_CHECKING:
    from flowgen.engine.trace import AnyEvent, RunTrace
    from flowgen.graph.spec import GraphSpec

StopKind = Literal[
    "termination",  # a termination condition fired
    "max_turns",  # the turn budget ran out
    "completed",  # the graph reached its end: no node left to run
    "stalled",  # nodes are still waiting but no edge can ever fire them
    "handoff",  # a handoff left the team (e.g. to the user)
    "interrupted",  # an interrupt_before / interrupt_after node was reached (human in the loop)
    "cancelled",
    "error",
]

#: Each event kind's code in the flat record, in the order of ``flowgen.engine.trace.EVENT_TYPES``.
RUN_STARTED, STEP_STARTED, NODE_STARTED, NODE_FINISHED, EDGE_TAKEN, RUN_STOPPED = range(6)
#: The code of each event's ``kind``.
CODES = {
    "run_started": RUN_STARTED,
    "step_started": STEP_STARTED,
    "node_started": NODE_STARTED,
    "node_finished": NODE_FINISHED,
    "edge_taken": EDGE_TAKEN,
    "run_stopped": RUN_STOPPED,
}
#: Each kind's fields in the order its class takes them, ``kind`` left out (a test pins them to the
#: classes).
FIELDS: tuple[tuple[str, ...], ...] = (
    ("t", "step", "task"),
    ("t", "step", "nodes"),
    ("t", "step", "node", "turn"),
    (
        "t",
        "step",
        "node",
        "turn",
        "duration",
        "prompt_tokens",
        "completion_tokens",
        "message_ids",
        "error",
        "model",
    ),
    ("t", "step", "source", "target", "edge", "reason", "candidates", "attempts"),
    ("t", "step", "reason", "stop", "node"),
)
_TEXTS = frozenset({"nodes", "message_ids", "candidates"})  # the fields holding tuples of text


class TakenEdge(NamedTuple):
    """An EdgeTaken event as the recorder hands it back (a carried edge), without loading the events.

    Every run that stops with an edge fired but its target not yet run carries that edge into the next
    run; it is recorded again from this, with the next run's time.
    """

    t: float
    step: int
    source: str
    target: str
    edge: int | None
    reason: str
    candidates: tuple[str, ...] = ()
    attempts: int = 0

    @property
    def kind(self) -> Literal["edge_taken"]:
        return "edge_taken"


class TraceRecorder:
    """Collects a run's events; :meth:`seal` hands them over, built into a RunTrace when first read.

    The events of a running run are kept flat in one list: each is its kind's code, then its fields in
    order, a tuple of text as its length then its items. Nothing in that list is an object the garbage
    collector tracks (numbers and text only), so recording adds nothing to what its collections count
    and scan — four events a turn would otherwise be most of what each turn leaves behind.

    Example:
        >>> from flowgen.graph import AgentNode, GraphSpec
        >>> rec = TraceRecorder(GraphSpec(nodes=(AgentNode(name="a"),), entry=("a",)))
        >>> rec.node_started(0.5, 1, "a", 1)
        >>> [(e.kind, e.node) for e in rec.events]
        [('node_started', 'a')]
    """

    __slots__ = ("edges_from", "flat", "graph", "started_at")

    def __init__(
        self,
        graph: GraphSpec,
        started_at: datetime | None = None,
        flat: list[Any] | None = None,
        edges_from: int = 0,
    ) -> None:
        self.graph = graph
        self.started_at = datetime.now(UTC) if started_at is None else started_at
        self.flat: list[Any] = [] if flat is None else flat
        #: Where the trailing run of EdgeTaken events begins (every other event moves it to the end).
        self.edges_from = edges_from

    def __repr__(self) -> str:
        return f"TraceRecorder(graph={self.graph.name!r}, started_at={self.started_at!r}, flat={self.flat!r})"

    def run_started(self, t: float, step: int, task: str) -> None:
        self.flat.extend((RUN_STARTED, t, step, task))
        self.edges_from = len(self.flat)

    def step_started(self, t: float, step: int, nodes: Sequence[str]) -> None:
        flat = self.flat
        flat.extend((STEP_STARTED, t, step, len(nodes)))
        flat.extend(nodes)
        self.edges_from = len(flat)

    def node_started(self, t: float, step: int, node: str, turn: int) -> None:
        self.flat.extend((NODE_STARTED, t, step, node, turn))
        self.edges_from = len(self.flat)

    def node_finished(
        self,
        t: float,
        step: int,
        node: str,
        turn: int,
        duration: float,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        message_ids: Sequence[str] = (),
        error: str | None = None,
        model: str | None = None,
    ) -> None:
        flat = self.flat
        flat.extend((NODE_FINISHED, t, step, node, turn, duration, prompt_tokens, completion_tokens))
        flat.append(len(message_ids))
        flat.extend(message_ids)
        flat.extend((error, model))
        self.edges_from = len(flat)

    def edge_taken(
        self,
        t: float,
        step: int,
        source: str,
        target: str,
        edge: int | None,
        reason: str,
        candidates: Sequence[str] = (),
        attempts: int = 0,
    ) -> None:
        flat = self.flat
        flat.extend((EDGE_TAKEN, t, step, source, target, edge, reason, len(candidates)))
        flat.extend(candidates)
        flat.append(attempts)

    def run_stopped(self, t: float, step: int, reason: str, stop: StopKind, node: str | None = None) -> None:
        self.flat.extend((RUN_STOPPED, t, step, reason, stop, node))
        self.edges_from = len(self.flat)

    def add(self, event: AnyEvent | TakenEdge) -> None:
        """Record an event made elsewhere (a carried edge, a nested team's event)."""
        flat = self.flat
        code = CODES[event.kind]
        flat.append(code)
        for name in FIELDS[code]:
            value = getattr(event, name)
            if name in _TEXTS:
                flat.append(len(value))
                flat.extend(value)
            else:
                flat.append(value)
        if code != EDGE_TAKEN:
            self.edges_from = len(flat)

    def take_trailing_edges(self, step: int) -> list[TakenEdge]:
        """Remove and return the edges taken in ``step`` that end the record so far."""
        tail = _edges(self.flat, self.edges_from)
        keep = len(tail)
        while keep and tail[keep - 1].step == step:
            keep -= 1
        taken = tail[keep:]
        if taken:
            del self.flat[self.edges_from :]
            for event in tail[:keep]:
                self.add(event)
        return taken

    @property
    def events(self) -> list[AnyEvent]:
        """The events recorded so far."""
        return decode(self.flat, 0)

    def failed_nodes(self) -> list[str]:
        """The nodes whose NodeFinished carries an error, in order."""
        from flowgen.engine.trace import NodeFinished

        return [e.node for e in self.events if isinstance(e, NodeFinished) and e.error is not None]

    def seal(self) -> TraceRecording:
        """The run's record as it stands; the recorder may go on without changing it."""
        return TraceRecording(self.graph, self.started_at, tuple(self.flat))


def _edges(flat: Sequence[Any], i: int) -> list[TakenEdge]:
    """The edge_taken events from position ``i`` on, which must all be edges (the trailing run)."""
    edges: list[TakenEdge] = []
    end = len(flat)
    while i < end:
        t, step, source, target, edge, reason, n = flat[i + 1 : i + 8]
        edges.append(
            TakenEdge(t, step, source, target, edge, reason, tuple(flat[i + 8 : i + 8 + n]), flat[i + 8 + n])
        )
        i += 9 + n
    return edges


def decode(flat: Sequence[Any], i: int) -> list[AnyEvent]:
    """The events of a flat record from position ``i`` on (loads the event classes)."""
    from flowgen.engine.trace import EVENT_TYPES

    events: list[AnyEvent] = []
    end = len(flat)
    while i < end:
        code = flat[i]
        i += 1
        args: list[Any] = []
        for name in FIELDS[code]:
            if name in _TEXTS:
                n = flat[i]
                args.append(tuple(flat[i + 1 : i + 1 + n]))
                i += 1 + n
            else:
                args.append(flat[i])
                i += 1
        events.append(EVENT_TYPES[code](*args))
    return events


class TraceRecording:
    """A finished run's events, flat; :meth:`build` makes the RunTrace once, when first asked.

    Most runs' traces are never read; those that are pay for their event objects (and for loading
    :mod:`flowgen.engine.trace`) then, not during the run.
    """

    __slots__ = ("_built", "flat", "graph", "started_at")

    def __init__(self, graph: GraphSpec, started_at: datetime, flat: tuple[Any, ...]) -> None:
        self.graph = graph
        self.started_at = started_at
        self.flat = flat
        self._built: RunTrace | None = None

    def build(self) -> RunTrace:
        if self._built is None:
            from flowgen.engine.trace import RunTrace

            # The events are the engine's own, already valid: no need to validate thousands of them.
            events = decode(self.flat, 0)
            self._built = RunTrace.model_construct(
                graph=self.graph, started_at=self.started_at, events=events
            )
        return self._built
