"""Which caller owns which thread, when it was made and its metadata: a table beside the checkpoints.

The checkpoint store knows threads by id only; the server also needs each thread's owner (the digest
of the API key that created it), when it was made and the caller's metadata, so a caller sees only
its own threads and can search them. The table lives in the server's store: the same SQLite file, or
the same PostgreSQL database (:mod:`flowgen.server.thread_directory_postgres`) when ``--store`` is a
``postgresql://`` URL. Rows read back are validated like any stored row.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import BaseModel

POSTGRES_SCHEMES = ("postgresql://", "postgres://")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS flowgen_server_threads (
    thread_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    created_at TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}'
)
"""


class ThreadRecord(BaseModel):
    thread_id: str
    owner: str
    created_at: datetime
    metadata: dict[str, Any] = {}


class ThreadDirectory(Protocol):
    """Thread owners and metadata; every listing is newest first."""

    async def add(self, thread_id: str, owner: str, metadata: Mapping[str, Any]) -> ThreadRecord | None:
        """Record a new thread; None when ``thread_id`` is already taken (nothing is changed then)."""

    async def get(self, thread_id: str) -> ThreadRecord | None: ...

    async def listing(
        self,
        owner: str | None,
        metadata: Mapping[str, Any] | None = None,
        *,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[ThreadRecord]:
        """The threads of ``owner`` (every thread when None) whose metadata holds every pair given,
        newest first, ``offset`` of them skipped and at most ``limit`` returned."""

    async def remove(self, thread_id: str) -> bool:
        """Forget a thread; False when it was not there."""

    async def aclose(self) -> None: ...


def open_directory(store: str) -> ThreadDirectory:
    """The directory for the server's store URL: a Postgres table, or a table in the SQLite file."""
    if store.startswith(POSTGRES_SCHEMES):
        from flowgen.server.thread_directory_postgres import PostgresThreadDirectory

        return PostgresThreadDirectory(store)
    return SqliteThreadDirectory(store.removeprefix("sqlite:///"))


def canonical(value: Any) -> str:
    """One JSON text per JSON value (keys sorted), so stored and asked-for metadata compare exactly."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def matches(metadata: Mapping[str, Any], wanted: Mapping[str, Any] | None) -> bool:
    """Every pair of ``wanted`` is in ``metadata`` with the same JSON value (``1`` is not ``true``)."""
    return not wanted or all(
        k in metadata and canonical(metadata[k]) == canonical(v) for k, v in wanted.items()
    )


class SqliteThreadDirectory:
    """The directory in a SQLite file; every call runs in a worker thread, one at a time."""

    def __init__(self, path: str) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA busy_timeout = 5000")
        self._db.execute(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(flowgen_server_threads)")}
        if "metadata" not in columns:  # a file written before threads had metadata
            self._db.execute(
                "ALTER TABLE flowgen_server_threads ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}'"
            )
        self._lock = threading.Lock()

    async def add(self, thread_id: str, owner: str, metadata: Mapping[str, Any]) -> ThreadRecord | None:
        record = ThreadRecord(
            thread_id=thread_id, owner=owner, created_at=datetime.now(UTC), metadata=dict(metadata)
        )
        added = await self._run(
            "INSERT OR IGNORE INTO flowgen_server_threads VALUES (?, ?, ?, ?) RETURNING thread_id",
            (record.thread_id, record.owner, record.created_at.isoformat(), canonical(record.metadata)),
        )
        return record if added else None

    async def get(self, thread_id: str) -> ThreadRecord | None:
        rows = await self._run("SELECT * FROM flowgen_server_threads WHERE thread_id = ?", (thread_id,))
        return _record(rows[0]) if rows else None

    async def listing(
        self,
        owner: str | None,
        metadata: Mapping[str, Any] | None = None,
        *,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[ThreadRecord]:
        where, params = ("", ()) if owner is None else ("WHERE owner = ?", (owner,))
        page = not metadata  # metadata is matched here, after the query, so it pages here too
        sql = f"SELECT * FROM flowgen_server_threads {where} ORDER BY rowid DESC"
        if page:
            sql += " LIMIT ? OFFSET ?"
            params = (*params, str(-1 if limit is None else limit), str(offset))
        records = [_record(row) for row in await self._run(sql, params)]
        if page:
            return records
        found = [r for r in records if matches(r.metadata, metadata)]
        return found[offset : None if limit is None else offset + limit]

    async def remove(self, thread_id: str) -> bool:
        gone = await self._run(
            "DELETE FROM flowgen_server_threads WHERE thread_id = ? RETURNING thread_id", (thread_id,)
        )
        return bool(gone)

    async def _run(self, sql: str, params: tuple[str, ...]) -> list[tuple[str, ...]]:
        def go() -> list[tuple[str, ...]]:
            with self._lock:
                return self._db.execute(sql, params).fetchall()

        return await asyncio.to_thread(go)

    async def aclose(self) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _record(row: tuple[Any, ...]) -> ThreadRecord:
    thread_id, owner, created, metadata = row
    return ThreadRecord(
        thread_id=thread_id,
        owner=owner,
        created_at=datetime.fromisoformat(created),
        metadata=json.loads(metadata),
    )
