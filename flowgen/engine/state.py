"""Run state: where a run on a graph stands, live (for the scheduler) and saved (for resuming).

:class:`LiveState` is the scheduler's mutable working copy (slotted, no validation on the hot path);
:class:`RunState` is its pydantic, JSON-ready form used by ``save_state`` / ``load_state`` and
checkpoints. Messages are kept as objects while running and dumped only when saved.

Delivery cursors: node ``n`` has seen every message of the thread before ``cursors[n]`` and, after
that, everything except its own output ``spans[n]`` (a half-open index range). The next time it
runs it receives the chat messages in ``thread[cursor:span_start] + thread[span_end:]`` — the
messages it has not seen, without copying the thread.

Example:
    >>> state = RunState(frontier=["writer"], turn=2)
    >>> RunState.model_validate_json(state.model_dump_json()).frontier
    ['writer']
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from flowgen.engine.recording import StopKind, TakenEdge
from flowgen.messages import BaseAgentEvent, BaseChatMessage, MessageFactory, TextMessage

#: The format of a saved run state this flowgen writes and reads.
STATE_VERSION = 1

#: LiveState's fields, in the order its constructor takes them.
_LIVE_FIELDS = (
    "thread",
    "turn",
    "step",
    "frontier",
    "started",
    "pending",
    "visits",
    "cursors",
    "spans",
    "carried",
    "unshown",
    "stopping",
)


class LiveState:
    """The scheduler's working state; see the module docstring for the cursor rules.

    A plain slotted class rather than a dataclass: every team imports this module, and generating a
    dataclass's methods costs more start-up time than the whole class is worth.
    """

    __slots__ = _LIVE_FIELDS

    def __init__(
        self,
        thread: list[BaseAgentEvent | BaseChatMessage] | None = None,
        turn: int = 0,
        step: int = 0,
        frontier: list[str] | None = None,
        started: bool = False,
        pending: dict[str, dict[str, set[int]]] | None = None,
        visits: dict[str, int] | None = None,
        cursors: dict[str, int] | None = None,
        spans: dict[str, tuple[int, int]] | None = None,
        carried: list[TakenEdge] | None = None,
        unshown: list[int] | None = None,
        stopping: tuple[str, StopKind, str | None] | None = None,
    ) -> None:
        self.thread: list[BaseAgentEvent | BaseChatMessage] = [] if thread is None else thread
        self.turn = turn
        self.step = step
        self.frontier: list[str] = [] if frontier is None else frontier
        self.started = started
        self.pending: dict[str, dict[str, set[int]]] = {} if pending is None else pending
        self.visits: dict[str, int] = {} if visits is None else visits
        self.cursors: dict[str, int] = {} if cursors is None else cursors
        self.spans: dict[str, tuple[int, int]] = {} if spans is None else spans
        #: Edges of the last step whose targets have not run yet; the next run records them in its trace.
        self.carried: list[TakenEdge] = [] if carried is None else carried
        #: Thread indices of chat messages committed but not yet handed to the caller, in order.
        self.unshown: list[int] = [] if unshown is None else unshown
        #: The stop (reason, kind, node) a committed step reached, until the run reports it.
        self.stopping: tuple[str, StopKind, str | None] | None = stopping

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in _LIVE_FIELDS)
        return f"LiveState({fields})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not LiveState:
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in _LIVE_FIELDS)

    __hash__ = None  # type: ignore[assignment]  # mutable, as a dataclass with eq would be

    def unseen(self, node: str) -> list[BaseChatMessage]:
        """The chat messages ``node`` has not received yet, in thread order."""
        thread = self.thread
        start = self.cursors.get(node, 0)
        span = self.spans.get(node)
        if span is None:
            window = thread[start:]
        else:
            window = thread[start : span[0]] + thread[span[1] :]
        # Plain text (nearly every message) passes on its exact type, before the costlier ABC check.
        return [m for m in window if type(m) is TextMessage or isinstance(m, BaseChatMessage)]


class CarriedEdge(BaseModel):
    """An edge that fired as a run stopped, before its target ran (see ``LiveState.carried``)."""

    model_config = ConfigDict(defer_build=True)  # built when a run is first saved or loaded

    step: int
    source: str
    target: str
    edge: int | None
    reason: str


class RunState(BaseModel):
    """The saved form of a run: enough to continue it exactly where it stopped, loops included."""

    model_config = ConfigDict(defer_build=True)  # built when a run is first saved or loaded

    version: int = STATE_VERSION
    #: The type of the team that saved it (absent in states saved before it was recorded).
    team: str | None = None
    thread: list[dict[str, Any]] = []
    turn: int = 0
    step: int = 0
    frontier: list[str] = []
    started: bool = False
    pending: dict[str, dict[str, list[int]]] = {}
    visits: dict[str, int] = {}
    cursors: dict[str, int] = {}
    spans: dict[str, tuple[int, int]] = {}
    carried: list[CarriedEdge] = []
    #: Thread indices of chat messages committed but not yet handed over; the next run yields them first.
    unshown: list[int] = []
    #: The stop a committed step reached that no run has reported yet: reason, kind, node.
    stopping: tuple[str, StopKind, str | None] | None = None
    termination: dict[str, Any] = {}
    policies: dict[str, dict[str, Any]] = {}
    agent_states: dict[str, dict[str, Any]] = {}

    @classmethod
    def from_live(cls, live: LiveState) -> RunState:
        return cls(
            thread=[m.dump() for m in live.thread],
            turn=live.turn,
            step=live.step,
            frontier=list(live.frontier),
            started=live.started,
            pending={t: {g: sorted(s) for g, s in groups.items()} for t, groups in live.pending.items()},
            visits=dict(live.visits),
            cursors=dict(live.cursors),
            spans=dict(live.spans),
            carried=[
                CarriedEdge(step=e.step, source=e.source, target=e.target, edge=e.edge, reason=e.reason)
                for e in live.carried
            ],
            unshown=list(live.unshown),
            stopping=live.stopping,
        )

    def to_live(
        self, factory: MessageFactory, thread: list[BaseAgentEvent | BaseChatMessage] | None = None
    ) -> LiveState:
        """The live form; ``thread`` is the thread's messages when the caller has already made them."""
        return LiveState(
            thread=[factory.create(m) for m in self.thread] if thread is None else thread,
            turn=self.turn,
            step=self.step,
            frontier=list(self.frontier),
            started=self.started,
            pending={t: {g: set(s) for g, s in groups.items()} for t, groups in self.pending.items()},
            visits=dict(self.visits),
            cursors=dict(self.cursors),
            spans={k: (v[0], v[1]) for k, v in self.spans.items()},
            carried=[TakenEdge(0.0, e.step, e.source, e.target, e.edge, e.reason) for e in self.carried],
            unshown=list(self.unshown),
            stopping=self.stopping,
        )
