"""Which caller owns which thread: a table beside the checkpoints, in the same SQLite file.

The checkpoint store knows threads by id only; the server also needs each thread's owner (the digest
of the API key that created it) and when it was made, so a caller sees only its own threads.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import UTC, datetime

from pydantic import BaseModel

_SCHEMA = """
CREATE TABLE IF NOT EXISTS flowgen_server_threads (
    thread_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    created_at TEXT NOT NULL
)
"""


class ThreadRecord(BaseModel):
    thread_id: str
    owner: str
    created_at: datetime


class ThreadDirectory:
    """Thread owners in a SQLite file; every call runs in a worker thread, one at a time."""

    def __init__(self, path: str) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA busy_timeout = 5000")
        self._db.execute(_SCHEMA)
        self._lock = threading.Lock()

    async def add(self, thread_id: str, owner: str) -> ThreadRecord:
        record = ThreadRecord(thread_id=thread_id, owner=owner, created_at=datetime.now(UTC))
        await self._run(
            "INSERT INTO flowgen_server_threads VALUES (?, ?, ?)",
            (record.thread_id, record.owner, record.created_at.isoformat()),
        )
        return record

    async def get(self, thread_id: str) -> ThreadRecord | None:
        rows = await self._run("SELECT * FROM flowgen_server_threads WHERE thread_id = ?", (thread_id,))
        if not rows:
            return None
        tid, owner, created = rows[0]
        return ThreadRecord(thread_id=tid, owner=owner, created_at=datetime.fromisoformat(created))

    async def owned_by(self, owner: str, limit: int | None = None) -> list[ThreadRecord]:
        """The owner's threads, newest first."""
        rows = await self._run(
            "SELECT * FROM flowgen_server_threads WHERE owner = ? ORDER BY rowid DESC LIMIT ?",
            (owner, str(limit if limit is not None else -1)),
        )
        return [ThreadRecord(thread_id=t, owner=o, created_at=datetime.fromisoformat(c)) for t, o, c in rows]

    async def _run(self, sql: str, params: tuple[str, ...]) -> list[tuple[str, str, str]]:
        def go() -> list[tuple[str, str, str]]:
            with self._lock:
                return self._db.execute(sql, params).fetchall()

        return await asyncio.to_thread(go)

    def close(self) -> None:
        with self._lock:
            self._db.close()
