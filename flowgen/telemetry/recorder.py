"""ObservedRecorder: the engine's trace recorder with telemetry listening to its run and turn events.

The engine records every run through a :class:`~flowgen.engine.recording.TraceRecorder`; when
telemetry is on it records through this subclass instead, which passes the same events on to the
observer: the run's start and stop become the team span and the run metrics, each node's start and
finish a turn span, the turn metrics and a log line. The trace is what is exported; nothing else in
the engine changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from flowgen.engine.recording import StopKind, TraceRecorder

if TYPE_CHECKING:
    from flowgen.graph.spec import GraphSpec
    from flowgen.telemetry.observer import RunScope, Telemetry, TurnScope


class ObservedRecorder(TraceRecorder):
    __slots__ = ("_run", "_team", "_telemetry", "_turns")

    def __init__(self, graph: GraphSpec, telemetry: Telemetry, team: str) -> None:
        super().__init__(graph)
        self._telemetry = telemetry
        self._team = team
        self._run: RunScope | None = None
        self._turns: dict[str, TurnScope] = {}

    def run_started(self, t: float, step: int, task: str) -> None:
        super().run_started(t, step, task)
        self._run = self._telemetry.run_started(self._team, task)

    def node_started(self, t: float, step: int, node: str, turn: int) -> None:
        super().node_started(t, step, node, turn)
        if self._run is not None:
            self._turns[node] = self._telemetry.turn_started(self._run, node, turn)

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
        super().node_finished(
            t, step, node, turn, duration, prompt_tokens, completion_tokens, message_ids, error, model
        )
        scope = self._turns.pop(node, None)
        if scope is not None:
            self._telemetry.turn_finished(scope, duration, prompt_tokens, completion_tokens, error)

    def run_stopped(self, t: float, step: int, reason: str, stop: StopKind, node: str | None = None) -> None:
        super().run_stopped(t, step, reason, stop, node)
        # Turns still open were cut short (cancellation): they end with the run, innermost first.
        for scope in reversed(list(self._turns.values())):
            self._telemetry.turn_finished(scope, None, 0, 0, "cancelled")
        self._turns.clear()
        if self._run is not None:
            self._telemetry.run_stopped(self._run, reason, stop)
            self._run = None
