"""Durable runs: checkpoint stores a team writes every step to, so a run survives its process.

Pass one to a team (``checkpointer=``) and run with a ``thread_id``; see
:class:`~flowgen.checkpoint.protocol.Checkpointer` for what a store does. Each backend loads on
first use; only :class:`PostgresCheckpointer` needs an optional package (psycopg, the ``postgres``
extra).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowgen.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from flowgen.checkpoint.memory import MemoryCheckpointer
    from flowgen.checkpoint.postgres import PostgresCheckpointer
    from flowgen.checkpoint.protocol import Checkpointer, Lease
    from flowgen.checkpoint.records import Checkpoint, ThreadInfo, ThreadSnapshot
    from flowgen.checkpoint.sqlite import SqliteCheckpointer

_LAZY = {
    "Checkpoint": "flowgen.checkpoint.records",
    "Checkpointer": "flowgen.checkpoint.protocol",
    "Lease": "flowgen.checkpoint.protocol",
    "MemoryCheckpointer": "flowgen.checkpoint.memory",
    "PostgresCheckpointer": "flowgen.checkpoint.postgres",
    "SqliteCheckpointer": "flowgen.checkpoint.sqlite",
    "ThreadInfo": "flowgen.checkpoint.records",
    "ThreadSnapshot": "flowgen.checkpoint.records",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "Checkpoint",
    "Checkpointer",
    "Lease",
    "MemoryCheckpointer",
    "PostgresCheckpointer",
    "SqliteCheckpointer",
    "ThreadInfo",
    "ThreadSnapshot",
]
