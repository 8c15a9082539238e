"""Agent states in one SQLite file: a ``state_store`` for one machine, whose nodes all open the file.

The file is in WAL mode with ``synchronous=NORMAL`` (as the checkpoint store): a saved state
survives the process being killed at any moment. Each save is one upsert; SQLite calls run on the
actor's event loop, each a single indexed statement.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from flowgen.errors import AgentStateError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS agent_states (
    runtime TEXT NOT NULL,
    agent TEXT NOT NULL,
    payload TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    saved_at REAL NOT NULL,
    PRIMARY KEY (runtime, agent)
) WITHOUT ROWID;
"""
# Last write wins; version counts an agent's writes (for inspection: nothing reads it).
_UPSERT = (
    "INSERT INTO agent_states (runtime, agent, payload, saved_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (runtime, agent) DO UPDATE SET payload = excluded.payload, "
    "version = agent_states.version + 1, saved_at = excluded.saved_at"
)


class SqliteAgentStateStore:
    """Agent states in the ``agent_states`` table of a SQLite file (created if missing).

    Args:
        path: the database file; it may be a RunPool's checkpoint file too (the tables differ).
        busy_timeout: seconds to wait for another process's write.
    """

    __slots__ = ("_busy_timeout", "_db", "description", "path")

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 10.0) -> None:
        self.path = Path(path)
        self.description = f"the SQLite agent state store {str(self.path)!r}"
        self._busy_timeout = busy_timeout
        self._db: sqlite3.Connection | None = None

    def __repr__(self) -> str:
        return f"SqliteAgentStateStore({str(self.path)!r})"

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            try:
                db = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.executescript(_SCHEMA)
            except sqlite3.DatabaseError as error:
                raise AgentStateError(
                    f"cannot open {self.description}: {error}; check the path is a writable SQLite file "
                    "that every node reaches"
                ) from error
            self._db = db
        return self._db

    async def write(self, runtime: str, agent: str, row: str) -> None:
        self._conn().execute(_UPSERT, (runtime, agent, row, time.time()))

    async def read(self, runtime: str, agent: str) -> str | None:
        found = (
            self._conn()
            .execute("SELECT payload FROM agent_states WHERE runtime = ? AND agent = ?", (runtime, agent))
            .fetchone()
        )
        return None if found is None else str(found[0])

    async def forget(self, runtime: str) -> None:
        self._conn().execute("DELETE FROM agent_states WHERE runtime = ?", (runtime,))

    async def aclose(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            db.close()
