"""PostgresCheckpointer: checkpoints in PostgreSQL, through psycopg 3 (async) and a connection pool.

The only module of flowgen that imports psycopg (the ``postgres`` extra), and only when a
PostgresCheckpointer is first used.

Commits are asynchronous by default (``synchronous_commit=off`` for flowgen's connections only): a
step is saved in the server when the write returns, so killing the application at any point loses
nothing; only a crash of the database server itself can lose the last fraction of a second of steps
(never part of one), which then simply run again on resume. That is the guarantee SQLite gives in WAL
mode with ``synchronous=NORMAL``, and it saves a disk flush per step. Pass
``synchronous_commit=True`` to wait for the flush as well. A run's lease is a session advisory lock held on one pooled
connection for the whole run; the run's writes go through that same connection, so if the process
dies the server drops the connection, the lock with it, and nothing half-written stays behind (each
step is one transaction). Any worker with the connection string can continue any thread.

Example (needs a server)::

    store = PostgresCheckpointer("postgresql://user@127.0.0.1:5432/flowgen")
    team = RoundRobinGroupChat(agents, termination_condition=stop, checkpointer=store)
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from flowgen.checkpoint.chain import Row, fold, parse
from flowgen.checkpoint.records import Checkpoint, ThreadInfo, ThreadSnapshot
from flowgen.errors import CheckpointError, ConfigurationError, ThreadBusyError

if TYPE_CHECKING:
    from psycopg import AsyncConnection
    from psycopg_pool import AsyncConnectionPool

_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS flowgen_checkpoints (
        thread_id TEXT NOT NULL,
        checkpoint_id TEXT NOT NULL,
        parent_id TEXT,
        step INTEGER NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        payload TEXT NOT NULL,
        PRIMARY KEY (thread_id, checkpoint_id)
    )""",
    "CREATE TABLE IF NOT EXISTS flowgen_graphs (fingerprint TEXT PRIMARY KEY, summary TEXT NOT NULL)",
]
#: Namespaces the advisory locks, so that flowgen's never collide with an application's own.
_LOCK_SEED = 0x666C6F77


class PostgresLease:
    """A lease on a thread: an advisory lock held on one connection taken from the pool."""

    __slots__ = ("_conn", "_store", "thread_id")

    def __init__(self, store: PostgresCheckpointer, thread_id: str, conn: AsyncConnection[Any]) -> None:
        self._store = store
        self._conn: AsyncConnection[Any] | None = conn
        self.thread_id = thread_id

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if not conn.closed:
                await conn.execute(
                    "SELECT pg_advisory_unlock(hashtextextended(%s, %s))", (self.thread_id, _LOCK_SEED)
                )
        finally:
            await self._store._pool_ready().putconn(conn)


class PostgresCheckpointer:
    """A checkpointer storing threads in PostgreSQL.

    Args:
        conninfo: a libpq connection string or URL.
        min_size: connections the pool keeps open.
        max_size: the most connections the pool opens (each running thread holds one).
        synchronous_commit: wait for each step's write to reach the server's disk (see the module doc).
    """

    def __init__(
        self, conninfo: str, *, min_size: int = 1, max_size: int = 10, synchronous_commit: bool = False
    ) -> None:
        if not conninfo:
            raise ConfigurationError(
                "PostgresCheckpointer needs a connection string, e.g. postgresql://user@host/db"
            )
        self.conninfo = conninfo
        self._sizes = (min_size, max_size)
        self.synchronous_commit = synchronous_commit
        self._pool: AsyncConnectionPool[Any] | None = None
        self._ready = False
        self._opening: asyncio.Lock | None = None

    def _pool_ready(self) -> AsyncConnectionPool[Any]:
        if self._pool is None:
            raise CheckpointError("the Postgres checkpoint store is closed")
        return self._pool

    async def _open(self) -> AsyncConnectionPool[Any]:
        if self._pool is not None and self._ready:
            return self._pool
        # Runs starting together must open one pool, not one each (a lease's connection goes back
        # to the pool it came from).
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            return await self._open_once()

    async def _open_once(self) -> AsyncConnectionPool[Any]:
        if self._pool is None:
            try:
                from psycopg_pool import AsyncConnectionPool
            except ImportError as error:  # pragma: no cover - depends on the installed extras
                raise ConfigurationError(
                    "PostgresCheckpointer needs psycopg 3 and psycopg_pool: pip install 'flowgen[postgres]'"
                ) from error
            pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
                self.conninfo, min_size=self._sizes[0], max_size=self._sizes[1], open=False,
                kwargs={"autocommit": True}, configure=self._configure,
            )  # fmt: skip
            await pool.open(wait=True)
            self._pool = pool
        if not self._ready:
            async with self._pool.connection() as conn:
                for statement in _SCHEMA:
                    await conn.execute(statement)
            self._ready = True
        return self._pool

    async def _configure(self, conn: AsyncConnection[Any]) -> None:
        if not self.synchronous_commit:
            await conn.execute("SET synchronous_commit = off")

    # ----------------------------------------------------------------- leases

    async def acquire(self, thread_id: str) -> PostgresLease:
        pool = await self._open()
        conn = await pool.getconn()
        try:
            cur = await conn.execute(
                "SELECT pg_try_advisory_lock(hashtextextended(%s, %s))", (thread_id, _LOCK_SEED)
            )
            row = await cur.fetchone()
        except BaseException:
            await pool.putconn(conn)
            raise
        if row is None or not row[0]:
            await pool.putconn(conn)
            raise ThreadBusyError(
                f"thread {thread_id!r} is being run by another process (it holds the thread's lock in "
                "PostgreSQL); wait for that run to finish, or use another thread id"
            )
        return PostgresLease(self, thread_id, conn)

    # ----------------------------------------------------------------- writing

    async def put(
        self, lease: object, checkpoints: Sequence[Checkpoint], graph: Mapping[str, Any] | None = None
    ) -> None:
        conn = lease._conn if isinstance(lease, PostgresLease) and lease._store is self else None
        if conn is None or conn.closed:
            name = getattr(lease, "thread_id", "?")
            raise ThreadBusyError(f"the lease on thread {name!r} is not held; acquire it before writing")
        rows = [
            (cp.thread_id, cp.checkpoint_id, cp.parent_id, cp.step, cp.created_at, cp.model_dump_json())
            for cp in checkpoints
        ]
        if len(rows) == 1 and graph is None:  # the usual step: one statement, atomic on its own
            await conn.execute("INSERT INTO flowgen_checkpoints VALUES (%s, %s, %s, %s, %s, %s)", rows[0])
            return
        async with conn.transaction():
            if graph is not None and checkpoints:
                await conn.execute(
                    "INSERT INTO flowgen_graphs VALUES (%s, %s) ON CONFLICT DO NOTHING",
                    (checkpoints[0].fingerprint, json.dumps(graph, sort_keys=True)),
                )
            async with conn.cursor() as cur:
                await cur.executemany("INSERT INTO flowgen_checkpoints VALUES (%s, %s, %s, %s, %s, %s)", rows)

    # ----------------------------------------------------------------- reading

    async def _fetch(self, query: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        pool = await self._open()
        async with pool.connection() as conn:
            cur = await conn.execute(query, args)
            return list(await cur.fetchall())

    async def get(self, thread_id: str, checkpoint_id: str | None = None) -> ThreadSnapshot | None:
        found = await self._fetch(
            "SELECT checkpoint_id, parent_id, payload FROM flowgen_checkpoints WHERE thread_id = %s",
            (thread_id,),
        )
        rows = {r[0]: Row(r[0], r[1], r[2]) for r in found}
        if not rows:
            return None
        return fold(thread_id, rows, checkpoint_id or max(rows))

    async def head(self, thread_id: str) -> str | None:
        found = await self._fetch(
            "SELECT max(checkpoint_id) FROM flowgen_checkpoints WHERE thread_id = %s", (thread_id,)
        )
        return found[0][0] if found else None

    async def history(
        self, thread_id: str, *, limit: int | None = None, before: str | None = None
    ) -> AsyncIterator[Checkpoint]:
        found = await self._fetch(
            "SELECT checkpoint_id, parent_id, payload FROM flowgen_checkpoints WHERE thread_id = %s "
            "AND (%s::text IS NULL OR checkpoint_id < %s) ORDER BY checkpoint_id DESC LIMIT %s",
            (thread_id, before, before, limit),
        )
        for r in found:
            yield parse(thread_id, Row(r[0], r[1], r[2]))

    async def graph(self, fingerprint: str) -> dict[str, Any] | None:
        found = await self._fetch("SELECT summary FROM flowgen_graphs WHERE fingerprint = %s", (fingerprint,))
        return dict(json.loads(found[0][0])) if found else None

    async def threads(self) -> list[ThreadInfo]:
        found = await self._fetch(
            "SELECT DISTINCT ON (thread_id) thread_id, checkpoint_id, step, created_at, "
            "count(*) OVER (PARTITION BY thread_id) FROM flowgen_checkpoints "
            "ORDER BY thread_id, checkpoint_id DESC",
            (),
        )
        infos = [
            ThreadInfo(thread_id=r[0], head=r[1], step=r[2], updated_at=r[3], checkpoints=r[4]) for r in found
        ]
        return sorted(infos, key=lambda i: i.head, reverse=True)

    async def delete_thread(self, thread_id: str) -> None:
        pool = await self._open()
        async with pool.connection() as conn:
            await conn.execute("DELETE FROM flowgen_checkpoints WHERE thread_id = %s", (thread_id,))

    async def aclose(self) -> None:
        pool, self._pool = self._pool, None
        self._ready = False
        if pool is not None:
            await pool.close()
