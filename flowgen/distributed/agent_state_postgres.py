"""Agent states in PostgreSQL: a ``state_store`` outside the cluster, for a cluster of machines.

Through psycopg 3 (async) and a small connection pool per host actor, as the Postgres checkpoint
store does (the ``postgres`` extra; imported on first use). Commits are asynchronous by default
(``synchronous_commit=off`` for these connections only): a save is in the server when the write
returns, so killing an actor, a node or the whole Ray cluster loses nothing; only a crash of the
database server itself can lose the last fraction of a second of saves. The URL's password is never
shown: ``description`` and ``repr`` mask it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from flowgen.distributed.agent_state_store import masked_url
from flowgen.errors import AgentStateError, ConfigurationError

if TYPE_CHECKING:
    from psycopg import AsyncConnection
    from psycopg_pool import AsyncConnectionPool

_SCHEMA = """CREATE TABLE IF NOT EXISTS flowgen_agent_states (
    runtime TEXT NOT NULL,
    agent TEXT NOT NULL,
    payload TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    saved_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (runtime, agent)
)"""
# Actors opening the store together must not race on CREATE TABLE (two sessions creating one table
# at once can fail on the catalog's unique index): the first takes this lock, the others wait.
_SCHEMA_LOCK = 0x666C6F7753  # "flowS"
# Last write wins; version counts an agent's writes (for inspection: nothing reads it).
_UPSERT = (
    "INSERT INTO flowgen_agent_states (runtime, agent, payload) VALUES (%s, %s, %s) "
    "ON CONFLICT (runtime, agent) DO UPDATE SET payload = EXCLUDED.payload, "
    "version = flowgen_agent_states.version + 1, saved_at = now()"
)


class PostgresAgentStateStore:
    """Agent states in the ``flowgen_agent_states`` table (created if missing).

    Args:
        conninfo: a ``postgresql://`` URL. Prefer one without a password (libpq reads
            ``PGPASSWORD`` or ``~/.pgpass`` on each node): the URL travels to every host actor.
        max_size: the most connections this store opens (one per save or load in progress).
        synchronous_commit: wait for each save to reach the server's disk (see the module doc).
        connect_timeout: seconds to wait for the first connection before failing.
    """

    __slots__ = ("_opening", "_pool", "_sizes", "conninfo", "description", "synchronous_commit", "timeout")

    def __init__(
        self,
        conninfo: str,
        *,
        max_size: int = 2,
        synchronous_commit: bool = False,
        connect_timeout: float = 30.0,
    ) -> None:
        if not conninfo:
            raise ConfigurationError("PostgresAgentStateStore needs a URL, e.g. postgresql://user@host/db")
        self.conninfo = conninfo
        self.description = f"the Postgres agent state store {masked_url(conninfo)!r}"
        self.synchronous_commit = synchronous_commit
        self.timeout = connect_timeout
        self._sizes = (1, max_size)
        self._pool: AsyncConnectionPool[Any] | None = None
        self._opening: asyncio.Lock | None = None

    def __repr__(self) -> str:
        return f"PostgresAgentStateStore({masked_url(self.conninfo)!r})"

    async def _open(self) -> AsyncConnectionPool[Any]:
        if self._pool is not None:
            return self._pool
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:  # concurrent first saves open one pool, not one each
            if self._pool is None:
                self._pool = await self._new_pool()
            return self._pool

    async def _new_pool(self) -> AsyncConnectionPool[Any]:
        try:
            from psycopg_pool import AsyncConnectionPool
        except ImportError as error:  # pragma: no cover - depends on the installed extras
            raise ConfigurationError(
                "a postgresql:// state_store needs psycopg 3 and psycopg_pool: pip install 'flowgen[postgres]'"
            ) from error
        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            self.conninfo, min_size=self._sizes[0], max_size=self._sizes[1], open=False,
            kwargs={"autocommit": True}, configure=self._configure,
        )  # fmt: skip
        try:
            await pool.open(wait=True, timeout=self.timeout)
            async with pool.connection() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                await conn.execute(_SCHEMA)
        except Exception as error:
            await pool.close()
            raise self._unreachable(error) from (None if self._leaks(error) else error)
        return pool

    async def _configure(self, conn: AsyncConnection[Any]) -> None:
        if not self.synchronous_commit:
            await conn.execute("SET synchronous_commit = off")

    def _unreachable(self, error: Exception) -> AgentStateError:
        said = str(error)
        for secret in self._secrets():
            said = said.replace(secret, "***")
        return AgentStateError(
            f"cannot open {self.description}: {type(error).__name__}: {said}; check the server is up and "
            "reachable from every node, and the URL's user, database and password"
        )

    def _secrets(self) -> list[str]:
        parts = urlsplit(self.conninfo)
        found = [parts.password or ""]
        found += [v for k, v in parse_qsl(parts.query) if k.lower() == "password"]
        return [secret for secret in found if secret]

    def _leaks(self, error: BaseException) -> bool:
        """Whether the error (or one it chains) quotes a secret: then it is not kept as the cause."""
        seen: BaseException | None = error
        while seen is not None:
            if any(secret in str(seen) for secret in self._secrets()):
                return True
            seen = seen.__cause__ or seen.__context__
        return False

    async def write(self, runtime: str, agent: str, row: str) -> None:
        pool = await self._open()
        async with pool.connection() as conn:
            await conn.execute(_UPSERT, (runtime, agent, row))

    async def read(self, runtime: str, agent: str) -> str | None:
        pool = await self._open()
        async with pool.connection() as conn:
            cur = await conn.execute(
                "SELECT payload FROM flowgen_agent_states WHERE runtime = %s AND agent = %s", (runtime, agent)
            )
            found = await cur.fetchone()
        return None if found is None else str(found[0])

    async def forget(self, runtime: str) -> None:
        pool = await self._open()
        async with pool.connection() as conn:
            await conn.execute("DELETE FROM flowgen_agent_states WHERE runtime = %s", (runtime,))

    async def aclose(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()
