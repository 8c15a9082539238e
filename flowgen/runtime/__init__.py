"""The async scheduler that executes a graph, its run state, and the run trace.

Every name loads on first use (module ``__getattr__``): ``flowgen.base`` imports the recording from
this package, the scheduler imports ``flowgen.base``, and a run reads its trace's events and
:class:`RunTrace` (``flowgen.runtime.trace``) only when someone looks at them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowgen.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from flowgen.runtime.policy import Selection, SelectionContext, SpeakerPolicy, StatefulPolicy
    from flowgen.runtime.recording import StopKind, TraceRecorder
    from flowgen.runtime.scheduler import GraphRunner, RunOutcome
    from flowgen.runtime.state import LiveState, RunState
    from flowgen.runtime.trace import (
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
    "EdgeTaken": "flowgen.runtime.trace",
    "GraphRunner": "flowgen.runtime.scheduler",
    "LiveState": "flowgen.runtime.state",
    "NodeFinished": "flowgen.runtime.trace",
    "NodeStarted": "flowgen.runtime.trace",
    "RunEvent": "flowgen.runtime.trace",
    "RunOutcome": "flowgen.runtime.scheduler",
    "RunStarted": "flowgen.runtime.trace",
    "RunState": "flowgen.runtime.state",
    "RunStopped": "flowgen.runtime.trace",
    "RunTrace": "flowgen.runtime.trace",
    "Selection": "flowgen.runtime.policy",
    "SelectionContext": "flowgen.runtime.policy",
    "SpeakerPolicy": "flowgen.runtime.policy",
    "StatefulPolicy": "flowgen.runtime.policy",
    "StepStarted": "flowgen.runtime.trace",
    "StopKind": "flowgen.runtime.recording",
    "TraceRecorder": "flowgen.runtime.recording",
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
