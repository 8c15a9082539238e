"""The Checkpointer protocol: what the engine needs from a store of checkpoints.

A store keeps, per thread, a tree of :class:`~flowgen.checkpoint.records.Checkpoint` rows (each
naming its parent), the graph summaries their fingerprints stand for, and a lease saying which
process is running the thread. Writes are appends only; a step never rewrites what came before.
Check a store of your own with :func:`flowgen.testing.checkpointer_conformance`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from flowgen.checkpoint.records import Checkpoint, ThreadInfo, ThreadSnapshot


@runtime_checkable
class Lease(Protocol):
    """The right to write to one thread, held by one run at a time."""

    @property
    def thread_id(self) -> str: ...

    async def release(self) -> None:
        """Give the thread up (idempotent)."""


@runtime_checkable
class Checkpointer(Protocol):
    """A store of checkpoints. Every method is safe to call from several processes at once."""

    async def acquire(self, thread_id: str) -> Lease:
        """Take the thread's lease; raise ThreadBusyError if another live run holds it."""

    async def put(
        self, lease: Lease, checkpoints: Sequence[Checkpoint], graph: Mapping[str, Any] | None = None
    ) -> None:
        """Append ``checkpoints`` (and the graph summary their fingerprint stands for) atomically.

        Raises ThreadBusyError if ``lease`` is no longer the thread's.
        """

    async def get(self, thread_id: str, checkpoint_id: str | None = None) -> ThreadSnapshot | None:
        """The state at ``checkpoint_id`` (default: the newest), ancestors folded in; None if absent.

        Raises CheckpointCorruptError naming the thread and checkpoint when a row on the way is bad.
        """

    async def head(self, thread_id: str) -> str | None:
        """The id of the thread's newest checkpoint, or None."""

    def history(
        self, thread_id: str, *, limit: int | None = None, before: str | None = None
    ) -> AsyncIterator[Checkpoint]:
        """The thread's checkpoints, newest first; only those older than ``before`` if given."""

    async def graph(self, fingerprint: str) -> dict[str, Any] | None:
        """The graph summary stored for ``fingerprint``."""

    async def threads(self) -> list[ThreadInfo]:
        """Every thread in the store, most recently updated first."""

    async def delete_thread(self, thread_id: str) -> None:
        """Remove a thread, its checkpoints and its lease."""

    async def aclose(self) -> None:
        """Release connections (the store's data stays)."""
