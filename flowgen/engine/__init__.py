"""The async scheduler that executes a graph, its run state, and the run trace.

Every name loads on first use (module ``__getattr__``): ``flowgen.base`` imports the recording from
this package, the scheduler imports ``flowgen.base``, and a run reads its trace's events and
:class:`RunTrace` (``flowgen.engine.trace``) only when someone looks at them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowgen.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from flowgen.engine.policy import Selection, SelectionContext, SpeakerPolicy, StatefulPolicy
    from flowgen.engine.recording import StopKind, TraceRecorder
    from flowgen.engine.scheduler import GraphRunner, RunOutcome
    from flowgen.engine.state import LiveState, RunState
    from flowgen.engine.trace import (
        EdgeTaken,
        NodeFinished,
        NodeStarted,
        RunEvent,
        RunStarted,
        RunStopped,
        RunTrace,
        StepStarted,
    )

_LAZY = {
    "EdgeTaken": "flowgen.engine.trace",
    "GraphRunner": "flowgen.engine.scheduler",
    "LiveState": "flowgen.engine.state",
    "NodeFinished": "flowgen.engine.trace",
    "NodeStarted": "flowgen.engine.trace",
    "RunEvent": "flowgen.engine.trace",
    "RunOutcome": "flowgen.engine.scheduler",
    "RunStarted": "flowgen.engine.trace",
    "RunState": "flowgen.engine.state",
    "RunStopped": "flowgen.engine.trace",
    "RunTrace": "flowgen.engine.trace",
    "Selection": "flowgen.engine.policy",
    "SelectionContext": "flowgen.engine.policy",
    "SpeakerPolicy": "flowgen.engine.policy",
    "StatefulPolicy": "flowgen.engine.policy",
    "StepStarted": "flowgen.engine.trace",
    "StopKind": "flowgen.engine.recording",
    "TraceRecorder": "flowgen.engine.recording",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


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
