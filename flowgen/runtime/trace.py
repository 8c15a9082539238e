"""Run events and the run trace: what happened, when, and why — the record ``visualize`` draws.

Events are frozen slotted dataclasses (cheap to make on the scheduler's hot path); ``RunTrace`` is the
pydantic model that carries them across the boundary as JSON. Times are seconds since the run started
(``t``), from a monotonic clock; ``started_at`` is the wall-clock start.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

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


@dataclass(slots=True)
class TraceRecorder:
    """Collects events during a run; the scheduler appends, :meth:`finish` hands over a RunTrace."""

    graph: GraphSpec
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    events: list[RunStarted | StepStarted | NodeStarted | NodeFinished | EdgeTaken | RunStopped] = field(
        default_factory=list
    )


class RunTrace(BaseModel):
    """Every event of one run (or of several runs of one team, continued), with the graph they ran on."""

    model_config = ConfigDict(frozen=False)

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

    def visits(self) -> Counter[str]:
        """How many times each node ran."""
        return Counter(e.node for e in self.events if isinstance(e, NodeStarted))

    def edge_counts(self) -> Counter[int]:
        """How many times each edge (by index) was taken."""
        return Counter(e.edge for e in self.events if isinstance(e, EdgeTaken) and e.edge is not None)

    def first_step_of_edge(self) -> dict[int, int]:
        first: dict[int, int] = {}
        for e in self.events:
            if isinstance(e, EdgeTaken) and e.edge is not None:
                first.setdefault(e.edge, e.step)
        return first

    def node_finishes(self) -> list[NodeFinished]:
        return [e for e in self.events if isinstance(e, NodeFinished)]

    def steps(self) -> list[StepStarted]:
        return [e for e in self.events if isinstance(e, StepStarted)]
