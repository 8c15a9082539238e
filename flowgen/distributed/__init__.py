"""flowgen on a Ray cluster (install with ``pip install 'flowgen[ray]'``).

Importing this package imports Ray; nothing else in flowgen does. See docs/distributed.md.
"""

from __future__ import annotations

from flowgen.distributed.placement import Placement
from flowgen.distributed.remote_participant import RemoteParticipant
from flowgen.distributed.run_order import RunResult, StepNotice
from flowgen.distributed.run_pool import RunPool
from flowgen.distributed.run_stream import RunStream
from flowgen.distributed.runtime import RayAgentRuntime

__all__ = [
    "Placement",
    "RayAgentRuntime",
    "RemoteParticipant",
    "RunPool",
    "RunResult",
    "RunStream",
    "StepNotice",
]
