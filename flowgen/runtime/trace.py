"""Run events and the run trace: what happened, when, and why — the record ``visualize`` draws.

Events are frozen slotted dataclasses; ``RunTrace`` is the pydantic model that carries them across the
boundary as JSON. While a run goes on, the scheduler records its events flat, as numbers and text (see
:class:`TraceRecorder`), and a finished run's :class:`TraceRecording` builds the RunTrace when it is
first read: most runs' traces are never looked at, and the flat record costs the garbage collector
nothing. Times are seconds since the run started
(``t``), from a monotonic clock; ``started_at`` is the wall-clock start.

Nested teams: when a node is itself a team, the inner run's NodeStarted, NodeFinished and EdgeTaken
events are copied into the outer trace with node paths (``outer_node/inner_node``), between the outer
node's own NodeStarted and NodeFinished, at the outer step. The outer node's NodeFinished still counts
every token of the inner run, so totals read only the top graph's nodes (:meth:`RunTrace.is_top`).

Edges are recorded when the node they make ready runs: an edge that fired in the last step of a run
which stops with that node still to run (termination, max_turns, handoff) is recorded at the start of
the run that resumes it, with the step it fired in. Edges into an end node are recorded at once.

Several runs of one team (a Swarm resumed after a handoff to the user, a team run again without a
task) make one trace with :meth:`RunTrace.continued` or :meth:`RunTrace.merge`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from flowgen.errors import ConfigurationError
from flowgen.graph.spec import GraphSpec

StopKind = Literal[
    "termination",  # a termination condition fired
    "max_turns",  # the turn budget ran out
    "completed",  # the graph reached its end: no node left to run
    "stalled",  # nodes are still waiting but no edge can ever fire them
    "handoff",  # a handoff left the team (e.g. to the user)
    "cancelled",
    "error",
]


@dataclass(frozen=True, slots=True)
class RunStarted:
    t: float
    step: int
    task: str
    kind: Literal["run_started"] = "run_started"


@dataclass(frozen=True, slots=True)
class StepStarted:
    t: float
    step: int
    nodes: tuple[str, ...]
    kind: Literal["step_started"] = "step_started"


@dataclass(frozen=True, slots=True)
class NodeStarted:
    t: float
    step: int
    node: str
    turn: int
    kind: Literal["node_started"] = "node_started"


@dataclass(frozen=True, slots=True)
class NodeFinished:
    t: float
    step: int
    node: str
    turn: int
    duration: float
    prompt_tokens: int = 0
    completion_tokens: int = 0
    message_ids: tuple[str, ...] = ()
    error: str | None = None
    model: str | None = None
    kind: Literal["node_finished"] = "node_finished"


@dataclass(frozen=True, slots=True)
class EdgeTaken:
    """An edge fired. ``reason`` says why in words; ``edge`` is its index in the graph's edges."""

    t: float
    step: int
    source: str
    target: str
    edge: int | None
    reason: str
    candidates: tuple[str, ...] = ()
    attempts: int = 0
    kind: Literal["edge_taken"] = "edge_taken"


@dataclass(frozen=True, slots=True)
class RunStopped:
    t: float
    step: int
    reason: str
    stop: StopKind
    node: str | None = None
    kind: Literal["run_stopped"] = "run_stopped"


RunEvent = Annotated[
    RunStarted | StepStarted | NodeStarted | NodeFinished | EdgeTaken | RunStopped,
    Field(discriminator="kind"),
]


AnyEvent = RunStarted | StepStarted | NodeStarted | NodeFinished | EdgeTaken | RunStopped

_KINDS: tuple[type[AnyEvent], ...] = (
    RunStarted,
    StepStarted,
    NodeStarted,
    NodeFinished,
    EdgeTaken,
    RunStopped,
)
RUN_STARTED, STEP_STARTED, NODE_STARTED, NODE_FINISHED, EDGE_TAKEN, RUN_STOPPED = range(len(_KINDS))
_CODES = {kind: code for code, kind in enumerate(_KINDS)}
_FIELDS = {kind: tuple(name for name in kind.__slots__ if name != "kind") for kind in _KINDS}
_TEXTS = frozenset({"nodes", "message_ids", "candidates"})  # the fields holding tuples of text


@dataclass(slots=True)
class TraceRecorder:
    """Collects a run's events; :meth:`seal` hands them over, built into a RunTrace when first read.

    The events of a running run are kept flat in one list: each is its kind's code, then its fields in
    order, a tuple of text as its length then its items. Nothing in that list is an object the garbage
    collector tracks (numbers and text only), so recording adds nothing to what its collections count
    and scan — four events a turn would otherwise be most of what each turn leaves behind.
    """

    graph: GraphSpec
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    flat: list[Any] = field(default_factory=list)
    #: Where the trailing run of EdgeTaken events begins (every other event moves it to the end).
    edges_from: int = 0

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

    def add(self, event: AnyEvent) -> None:
        """Record an event made elsewhere (a carried edge, a nested team's event)."""
        flat = self.flat
        flat.append(_CODES[type(event)])
        for name in _FIELDS[type(event)]:
            value = getattr(event, name)
            if name in _TEXTS:
                flat.append(len(value))
                flat.extend(value)
            else:
                flat.append(value)
        if type(event) is not EdgeTaken:
            self.edges_from = len(flat)

    def take_trailing_edges(self, step: int) -> list[EdgeTaken]:
        """Remove and return the EdgeTaken events of ``step`` that end the record so far."""
        tail = [e for e in _decode(self.flat, self.edges_from) if isinstance(e, EdgeTaken)]
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
        return _decode(self.flat, 0)

    def failed_nodes(self) -> list[str]:
        """The nodes whose NodeFinished carries an error, in order."""
        return [e.node for e in self.events if isinstance(e, NodeFinished) and e.error is not None]

    def seal(self) -> TraceRecording:
        """The run's record as it stands; the recorder may go on without changing it."""
        return TraceRecording(self.graph, self.started_at, tuple(self.flat))


def _decode(flat: Sequence[Any], i: int) -> list[AnyEvent]:
    events: list[AnyEvent] = []
    end = len(flat)
    while i < end:
        kind = _KINDS[flat[i]]
        i += 1
        args: list[Any] = []
        for name in _FIELDS[kind]:
            if name in _TEXTS:
                n = flat[i]
                args.append(tuple(flat[i + 1 : i + 1 + n]))
                i += 1 + n
            else:
                args.append(flat[i])
                i += 1
        events.append(kind(*args))
    return events


class TraceRecording:
    """A finished run's events, flat; :meth:`build` makes the RunTrace once, when first asked.

    Most runs' traces are never read; those that are pay for their event objects then, not during
    the run.
    """

    __slots__ = ("_built", "flat", "graph", "started_at")

    def __init__(self, graph: GraphSpec, started_at: datetime, flat: tuple[Any, ...]) -> None:
        self.graph = graph
        self.started_at = started_at
        self.flat = flat
        self._built: RunTrace | None = None

    def build(self) -> RunTrace:
        if self._built is None:
            # The events are the engine's own, already valid: no need to validate thousands of them.
            events = _decode(self.flat, 0)
            self._built = RunTrace.model_construct(
                graph=self.graph, started_at=self.started_at, events=events
            )
        return self._built


class RunTrace(BaseModel):
    """Every event of one run (or of several runs of one team, continued), with the graph they ran on.

    Example:
        >>> from datetime import UTC, datetime, timedelta
        >>> from flowgen.graph import AgentNode, GraphSpec
        >>> graph = GraphSpec(nodes=(AgentNode(name="a"),), entry=("a",))
        >>> t0 = datetime(2026, 1, 1, tzinfo=UTC)
        >>> first = RunTrace(graph=graph, started_at=t0, events=[NodeStarted(t=0.5, step=1, node="a", turn=1)])
        >>> later = RunTrace(
        ...     graph=graph, started_at=t0 + timedelta(seconds=2), events=[NodeStarted(t=0.5, step=1, node="a", turn=1)]
        ... )
        >>> [(e.t, e.step) for e in first.continued(later).events]
        [(0.5, 1), (2.5, 2)]
    """

    model_config = ConfigDict(frozen=False, defer_build=True)

    graph: GraphSpec
    started_at: datetime
    events: list[RunEvent] = []

    @property
    def stop(self) -> RunStopped | None:
        for event in reversed(self.events):
            if isinstance(event, RunStopped):
                return event
        return None

    @property
    def stop_reason(self) -> str | None:
        stop = self.stop
        return stop.reason if stop else None

    def is_top(self, node: str) -> bool:
        """Whether ``node`` is a node of the top graph (not an ``outer/inner`` path of a nested team)."""
        return self.graph.has_node(node)

    def visits(self) -> Counter[str]:
        """How many times each node ran (nested teams' nodes by path)."""
        return Counter(e.node for e in self.events if isinstance(e, NodeStarted))

    def edge_counts(self) -> Counter[int]:
        """How many times each edge of the top graph (by index) was taken."""
        return Counter(
            e.edge
            for e in self.events
            if isinstance(e, EdgeTaken) and e.edge is not None and self.is_top(e.source)
        )

    def first_step_of_edge(self) -> dict[int, int]:
        """The step each edge of the top graph (by index) was first taken in."""
        first: dict[int, int] = {}
        for e in self.events:
            if isinstance(e, EdgeTaken) and e.edge is not None and self.is_top(e.source):
                first.setdefault(e.edge, e.step)
        return first

    def node_finishes(self) -> list[NodeFinished]:
        """The top graph's NodeFinished events (a nested team's finish already counts its inner nodes)."""
        return [e for e in self.events if isinstance(e, NodeFinished) and self.is_top(e.node)]

    def steps(self) -> list[StepStarted]:
        return [e for e in self.events if isinstance(e, StepStarted)]

    def continued(self, later: RunTrace | None) -> RunTrace:
        """One trace of this run followed by ``later``, a later run of the same team.

        ``later``'s times move onto this trace's clock (by the wall-clock gap between the starts) and
        its steps follow on from this trace's, so both stay non-decreasing; a run that continued the
        team without a reset already numbers its steps on from the last one and keeps them. Neither
        trace is changed.

        Raises:
            ConfigurationError: ``later`` ran on a different graph.
        """
        return RunTrace.merge([self, later]) or self

    @classmethod
    def merge(cls, traces: Sequence[RunTrace | None]) -> RunTrace | None:
        """The traces of consecutive runs of one team as one trace (see :meth:`continued`); None if none.

        Example:
            >>> RunTrace.merge([None, None]) is None
            True
        """
        present = [t for t in traces if t is not None]
        if not present:
            return None
        first = present[0]
        events: list[RunStarted | StepStarted | NodeStarted | NodeFinished | EdgeTaken | RunStopped] = list(
            first.events
        )
        last_t = max((e.t for e in events), default=0.0)
        last_step = max((e.step for e in events), default=0)
        for later in present[1:]:
            if later.graph is not first.graph and later.graph != first.graph:
                raise ConfigurationError(
                    f"cannot continue a trace of graph {first.graph.name!r} with one of graph "
                    f"{later.graph.name!r}; only runs of the same team make one trace"
                )
            dt = max((later.started_at - first.started_at).total_seconds(), last_t)
            ds = _step_shift(last_step, later.events)
            moved = [replace(e, t=e.t + dt, step=e.step + ds) for e in later.events]
            events.extend(moved)
            last_t = max((e.t for e in moved), default=last_t)
            last_step = max((e.step for e in moved), default=last_step)
        return cls.model_construct(graph=first.graph, started_at=first.started_at, events=events)


def _step_shift(last_step: int, later: Sequence[RunEvent]) -> int:
    """How far to move ``later``'s steps so that its first step comes after ``last_step``."""
    running = [e.step for e in later if isinstance(e, StepStarted | NodeStarted)]
    if running:
        return max(0, last_step + 1 - min(running))
    return max(0, last_step - min((e.step for e in later), default=last_step))
