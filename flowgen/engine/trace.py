"""Run events and the run trace: what happened, when, and why — the record ``visualize`` draws.

Events are frozen slotted dataclasses; ``RunTrace`` is the pydantic model that carries them across the
boundary as JSON. While a run goes on, the scheduler records its events flat, as numbers and text (see
:class:`~flowgen.engine.recording.TraceRecorder`), and a finished run's
:class:`~flowgen.engine.recording.TraceRecording` builds the RunTrace when it is first read (and
loads this module then): most runs' traces are never looked at, and the flat record costs the garbage
collector nothing. Times are seconds since the run started
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
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from flowgen.engine.recording import StopKind, TraceRecorder, TraceRecording
from flowgen.errors import ConfigurationError
from flowgen.graph.spec import GraphSpec

__all__ = [
    "AnyEvent",
    "EVENT_TYPES",
    "EdgeTaken",
    "NodeFinished",
    "NodeStarted",
    "RunEvent",
    "RunStarted",
    "RunStopped",
    "RunTrace",
    "StepStarted",
    "StopKind",
    "TraceRecorder",  # recorded by flowgen.engine.recording; kept importable from here
    "TraceRecording",
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

#: The event classes, in the order of their codes in a flat record (``flowgen.engine.recording``).
EVENT_TYPES: tuple[type[AnyEvent], ...] = (
    RunStarted,
    StepStarted,
    NodeStarted,
    NodeFinished,
    EdgeTaken,
    RunStopped,
)


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
