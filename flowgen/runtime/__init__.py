"""The async scheduler that executes a graph, its run state, and the run trace.

The scheduler (``flowgen.runtime.scheduler``) is imported lazily: ``flowgen.base`` imports the trace
from this package, and the scheduler imports ``flowgen.base``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from flowgen.runtime.policy import Selection, SelectionContext, SpeakerPolicy, StatefulPolicy
    from flowgen.runtime.scheduler import GraphRunner, RunOutcome
    from flowgen.runtime.state import LiveState, RunState

_LAZY = {
    "GraphRunner": "flowgen.runtime.scheduler",
    "RunOutcome": "flowgen.runtime.scheduler",
    "LiveState": "flowgen.runtime.state",
    "RunState": "flowgen.runtime.state",
    "Selection": "flowgen.runtime.policy",
    "SelectionContext": "flowgen.runtime.policy",
    "SpeakerPolicy": "flowgen.runtime.policy",
    "StatefulPolicy": "flowgen.runtime.policy",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'flowgen.runtime' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "EdgeTaken",
    "GraphRunner",
    "LiveState",
    "NodeFinished",
    "NodeStarted",
    "RunEvent",
    "RunOutcome",
    "RunStarted",
    "RunState",
    "RunStopped",
    "RunTrace",
    "Selection",
    "SelectionContext",
    "SpeakerPolicy",
    "StatefulPolicy",
    "StepStarted",
    "StopKind",
    "TraceRecorder",
]
