"""Where evicted agents' states wait: a SQLite file, so a million idle sessions cost no memory.

The runtime's default store is a dict (fast, but every idle session's state stays in memory); pass
``state_store=SqliteStateStore(path)`` to keep them on disk. States are JSON: what ``save_state``
returns must be JSON-serializable, as it must be for ``runtime.save_state()`` anyway.

Example:
    >>> store = SqliteStateStore(":memory:")
    >>> store["worker/s1"] = {"count": 3}
    >>> dict(store["worker/s1"]), len(store), store.pop("worker/s1"), len(store)
    ({'count': 3}, 1, {'count': 3}, 0)
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Any


class SqliteStateStore(MutableMapping[str, Mapping[str, Any]]):
    """A MutableMapping from agent id (``"type/key"``) to saved state, in one SQLite table."""

    def __init__(self, path: str | Path) -> None:
        self._db = sqlite3.connect(str(path), isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        # Idle sessions should cost disk, not memory: a small page cache (256 KiB) is plenty for
        # point reads and writes by key.
        self._db.execute("PRAGMA cache_size=-256")
        # WITHOUT ROWID: the key is the only index (one b-tree, not a rowid table plus an index),
        # and inserts leave the connection's last row id at 0, so no int is made for it per call.
        # Files made before keep their rowid table, which works the same.
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS agent_state"
            " (agent_id TEXT PRIMARY KEY, state TEXT NOT NULL) WITHOUT ROWID"
        )
        # One cursor for every statement: Connection.execute makes a cursor per call and keeps a
        # weak reference to each in a list it rebuilds every 200 cursors, so a burst of activations
        # left that list and its weak references alive in the burst's memory, pinning some of it
        # after eviction. Every statement here runs to its end, so sharing the cursor is safe.
        self._sql = self._db.cursor()

    def __getitem__(self, key: str) -> Mapping[str, Any]:
        row = self._sql.execute("SELECT state FROM agent_state WHERE agent_id = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        state: Mapping[str, Any] = json.loads(row[0])
        return state

    def __setitem__(self, key: str, value: Mapping[str, Any]) -> None:
        try:
            text = json.dumps(dict(value))
        except TypeError as e:
            raise TypeError(f"the saved state of {key} is not JSON-serializable: {e}") from e
        self._sql.execute("INSERT OR REPLACE INTO agent_state (agent_id, state) VALUES (?, ?)", (key, text))

    def update(self, other: Any = (), /, **kwargs: Mapping[str, Any]) -> None:
        """Store many states in one transaction (what eviction does with each sweep)."""
        items = dict(other, **kwargs)
        rows = []
        for key, value in items.items():
            try:
                rows.append((key, json.dumps(dict(value))))
            except TypeError as e:
                raise TypeError(f"the saved state of {key} is not JSON-serializable: {e}") from e
        with self._db:
            self._sql.execute("BEGIN")
            self._sql.executemany("INSERT OR REPLACE INTO agent_state (agent_id, state) VALUES (?, ?)", rows)

    _MISSING: Any = object()

    def pop(self, key: str, default: Any = _MISSING) -> Any:
        """Take a state out in one statement (activation reads each evicted state once)."""
        # fetchall: the statement runs to its end and is reset, so its cached copy is reused.
        rows = self._sql.execute(
            "DELETE FROM agent_state WHERE agent_id = ? RETURNING state", (key,)
        ).fetchall()
        row = rows[0] if rows else None
        if row is None:
            if default is self._MISSING:
                raise KeyError(key)
            return default
        return json.loads(row[0])

    def __delitem__(self, key: str) -> None:
        if self._sql.execute("DELETE FROM agent_state WHERE agent_id = ?", (key,)).rowcount == 0:
            raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter([row[0] for row in self._sql.execute("SELECT agent_id FROM agent_state")])

    def __len__(self) -> int:
        count: int = self._sql.execute("SELECT COUNT(*) FROM agent_state").fetchone()[0]
        return count

    def close(self) -> None:
        self._db.close()
