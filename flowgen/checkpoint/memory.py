"""MemoryCheckpointer: checkpoints kept in this process, for tests and short-lived programs.

Rows are stored as JSON text exactly as the other backends store them, so a run checkpointed here
exercises the same validation when it is read back.

Example:
    >>> import asyncio
    >>> from flowgen.checkpoint.records import Checkpoint, new_checkpoint_id
    >>> async def main() -> int:
    ...     store = MemoryCheckpointer()
    ...     lease = await store.acquire("t")
    ...     cp = Checkpoint(thread_id="t", checkpoint_id=new_checkpoint_id(), step=0, fingerprint="f")
    ...     await store.put(lease, [cp])
    ...     await lease.release()
    ...     return len([c async for c in store.history("t")])
    >>> asyncio.run(main())
    1
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from flowgen.checkpoint.chain import Row, fold, parse
from flowgen.checkpoint.records import Checkpoint, ThreadInfo, ThreadSnapshot
from flowgen.errors import CheckpointError, ThreadBusyError


class MemoryLease:
    """A lease on a thread of a :class:`MemoryCheckpointer`."""

    __slots__ = ("_store", "owner", "thread_id")

    def __init__(self, store: MemoryCheckpointer, thread_id: str) -> None:
        self._store = store
        self.thread_id = thread_id
        self.owner = uuid.uuid4().hex

    async def release(self) -> None:
        if self._store._leases.get(self.thread_id) == self.owner:
            del self._store._leases[self.thread_id]


class MemoryCheckpointer:
    """A checkpointer that keeps every thread in memory (lost when the process ends)."""

    def __init__(self) -> None:
        self._rows: dict[str, dict[str, Row]] = {}
        self._graphs: dict[str, dict[str, Any]] = {}
        self._leases: dict[str, str] = {}

    async def acquire(self, thread_id: str) -> MemoryLease:
        if thread_id in self._leases:
            raise ThreadBusyError(
                f"thread {thread_id!r} is being run by another run of this process; wait for it to finish "
                "or use another thread id"
            )
        lease = MemoryLease(self, thread_id)
        self._leases[thread_id] = lease.owner
        return lease

    async def put(
        self, lease: object, checkpoints: Sequence[Checkpoint], graph: Mapping[str, Any] | None = None
    ) -> None:
        if not isinstance(lease, MemoryLease) or self._leases.get(lease.thread_id) != lease.owner:
            name = getattr(lease, "thread_id", "?")
            raise ThreadBusyError(f"the lease on thread {name!r} is not held; acquire it before writing")
        rows = self._rows.setdefault(lease.thread_id, {})
        ids = [cp.checkpoint_id for cp in checkpoints]
        taken = [i for i in ids if i in rows]
        if taken or len(set(ids)) != len(ids):
            # All or nothing, as a database transaction would be.
            raise CheckpointError(
                f"thread {lease.thread_id!r} already has checkpoints {taken or ids}; ids are unique"
            )
        if graph is not None and checkpoints:
            self._graphs.setdefault(checkpoints[0].fingerprint, dict(graph))
        for cp in checkpoints:
            rows[cp.checkpoint_id] = Row(cp.checkpoint_id, cp.parent_id, cp.model_dump_json())

    async def get(self, thread_id: str, checkpoint_id: str | None = None) -> ThreadSnapshot | None:
        rows = self._rows.get(thread_id)
        if not rows:
            return None
        return fold(thread_id, rows, checkpoint_id or max(rows))

    async def head(self, thread_id: str) -> str | None:
        rows = self._rows.get(thread_id)
        return max(rows) if rows else None

    async def history(
        self, thread_id: str, *, limit: int | None = None, before: str | None = None
    ) -> AsyncIterator[Checkpoint]:
        rows = self._rows.get(thread_id, {})
        ids = sorted((i for i in rows if before is None or i < before), reverse=True)
        for checkpoint_id in ids[:limit]:
            yield parse(thread_id, rows[checkpoint_id])

    async def graph(self, fingerprint: str) -> dict[str, Any] | None:
        return self._graphs.get(fingerprint)

    async def threads(self) -> list[ThreadInfo]:
        infos = []
        for thread_id, rows in self._rows.items():
            if rows:
                head = parse(thread_id, rows[max(rows)])
                infos.append(ThreadInfo(thread_id=thread_id, checkpoints=len(rows), head=head.checkpoint_id,
                                        step=head.step, updated_at=head.created_at))  # fmt: skip
        return sorted(infos, key=lambda i: i.head, reverse=True)

    async def delete_thread(self, thread_id: str) -> None:
        self._rows.pop(thread_id, None)
        self._leases.pop(thread_id, None)

    async def aclose(self) -> None:
        return None
