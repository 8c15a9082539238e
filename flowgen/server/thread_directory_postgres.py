"""The thread directory in PostgreSQL: the server's table beside the checkpoints, when ``--store`` is a URL.

Imports psycopg (the ``postgres`` extra) only when the first call opens the pool. Metadata is stored
as ``jsonb`` and searched there (each pair compared with ``->``), then checked once more with the
same exact comparison the SQLite directory uses, so both stores answer a search alike.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flowgen.errors import ConfigurationError
from flowgen.server.thread_directory import ThreadRecord, canonical, matches

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool

_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS flowgen_server_threads (
        seq BIGSERIAL,
        thread_id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        metadata JSONB NOT NULL DEFAULT '{}'
    )""",
    "CREATE INDEX IF NOT EXISTS flowgen_server_threads_owner ON flowgen_server_threads (owner, seq DESC)",
]
_COLUMNS = "thread_id, owner, created_at, metadata"


class PostgresThreadDirectory:
    """Thread owners and metadata in a PostgreSQL table (its own small connection pool)."""

    def __init__(self, conninfo: str, *, max_size: int = 4) -> None:
        self.conninfo = conninfo
        self._max_size = max_size
        self._pool: AsyncConnectionPool[Any] | None = None
        self._opening = asyncio.Lock()  # two first calls at once open one pool, not two

    async def _open(self) -> AsyncConnectionPool[Any]:
        if self._pool is not None:
            return self._pool
        async with self._opening:
            return self._pool or await self._new_pool()

    async def _new_pool(self) -> AsyncConnectionPool[Any]:
        try:
            from psycopg_pool import AsyncConnectionPool
        except ImportError as error:  # pragma: no cover - depends on the installed extras
            raise ConfigurationError(
                "a postgresql:// store needs psycopg 3 and psycopg_pool: pip install 'flowgen[postgres]'"
            ) from error
        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            self.conninfo, min_size=1, max_size=self._max_size, open=False, kwargs={"autocommit": True}
        )
        await pool.open(wait=True)
        try:
            async with pool.connection() as conn:
                for statement in _SCHEMA:
                    await conn.execute(statement)
        except BaseException:
            await pool.close()
            raise
        self._pool = pool
        return pool

    async def _fetch(self, query: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        pool = await self._open()
        async with pool.connection() as conn:
            cur = await conn.execute(query, args)
            return list(await cur.fetchall()) if cur.description else []

    async def add(self, thread_id: str, owner: str, metadata: Mapping[str, Any]) -> ThreadRecord | None:
        record = ThreadRecord(
            thread_id=thread_id, owner=owner, created_at=datetime.now(UTC), metadata=dict(metadata)
        )
        added = await self._fetch(
            f"INSERT INTO flowgen_server_threads ({_COLUMNS}) VALUES (%s, %s, %s, %s::jsonb) "
            "ON CONFLICT (thread_id) DO NOTHING RETURNING thread_id",
            (thread_id, owner, record.created_at, canonical(record.metadata)),
        )
        return record if added else None

    async def get(self, thread_id: str) -> ThreadRecord | None:
        rows = await self._fetch(
            f"SELECT {_COLUMNS} FROM flowgen_server_threads WHERE thread_id = %s", (thread_id,)
        )
        return _record(rows[0]) if rows else None

    async def listing(
        self,
        owner: str | None,
        metadata: Mapping[str, Any] | None = None,
        *,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[ThreadRecord]:
        conditions: list[str] = []
        args: list[Any] = []
        if owner is not None:
            conditions.append("owner = %s")
            args.append(owner)
        for key, value in (metadata or {}).items():
            conditions.append("metadata -> %s = %s::jsonb")
            args += [key, canonical(value)]
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = await self._fetch(
            f"SELECT {_COLUMNS} FROM flowgen_server_threads {where} ORDER BY seq DESC LIMIT %s OFFSET %s",
            (*args, limit, offset),
        )
        # jsonb calls 1 and 1.0 equal; the exact check keeps the answer the SQLite directory gives.
        return [r for r in map(_record, rows) if matches(r.metadata, metadata)]

    async def remove(self, thread_id: str) -> bool:
        gone = await self._fetch(
            "DELETE FROM flowgen_server_threads WHERE thread_id = %s RETURNING thread_id", (thread_id,)
        )
        return bool(gone)

    async def aclose(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()


def _record(row: tuple[Any, ...]) -> ThreadRecord:
    thread_id, owner, created, metadata = row
    found = json.loads(metadata) if isinstance(metadata, str) else metadata
    return ThreadRecord(thread_id=thread_id, owner=owner, created_at=created, metadata=found)
