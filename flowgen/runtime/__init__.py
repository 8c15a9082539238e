"""The async scheduler that executes a graph, its run state, and the run trace."""

from flowgen.runtime.trace import (
    EdgeTaken,
    NodeFinished,
    NodeStarted,
    RunEvent,
    RunStarted,
    RunStopped,
    RunTrace,
    StepStarted,
    StopKind,
    TraceRecorder,
)

__all__ = [
    "EdgeTaken",
    "NodeFinished",
    "NodeStarted",
    "RunEvent",
    "RunStarted",
    "RunStopped",
    "RunTrace",
    "StepStarted",
    "StopKind",
    "TraceRecorder",
]
