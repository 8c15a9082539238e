"""Progress: what a handler in a host actor pushes to its caller while it runs, before its reply.

A team participant hosted on Ray streams its inner events back this way: the caller asked for
progress when it sent the turn (``RayAgentRuntime.send_with_progress``), the host runs the handler
with an emitter set, and every chunk the handler emits leaves in the same streaming actor call as
the reply, ahead of it and in order. Chunks emitted within one turn of the actor's loop leave
together. A handler called without an emitter (a plain send) gets None from :func:`progress_emitter`
and returns what it would have pushed with its reply instead.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

#: Pushes one chunk of JSON bytes to the caller of the handler running in this task.
Emit = Callable[[bytes], None]

_EMITTER: ContextVar[Emit | None] = ContextVar("flowgen_distributed_progress", default=None)


def progress_emitter() -> Emit | None:
    """Where the handler running now pushes progress; None when its caller did not ask for any."""
    return _EMITTER.get()


def set_progress_emitter(emit: Emit | None) -> None:
    """Set in the task that runs one envelope's handler (each task has its own context)."""
    _EMITTER.set(emit)
