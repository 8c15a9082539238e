"""SqliteStore: a cache store in one SQLite file, shared by processes and kept across runs."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from flowgen.core.cache_store import CacheStore

logger = logging.getLogger("flowgen.models.cache")


class SqliteStore(CacheStore[Any]):
    """Values stored as JSON (pydantic models included) in a table of one SQLite file.

    Reads give back plain JSON data; :class:`~flowgen.models.cache.ChatCompletionCache` validates it
    into replies. A row that is not JSON reads as absent, with a warning.

    Example:
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "cache.db")
        >>> store = SqliteStore(path)
        >>> store.set("k", {"answer": 42})
        >>> SqliteStore(path).get("k")
        {'answer': 42}
    """

    def __init__(self, path: str | Path, *, table: str = "chat_cache") -> None:
        if not table.isidentifier():
            raise ValueError(f"table must be a plain SQL identifier, not {table!r}")
        self.path = Path(path)
        self._table = table
        self._lock = threading.Lock()
        # One connection, used under a lock: the store is called from the event loop's thread and
        # from worker threads alike; WAL lets other processes read while this one writes.
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            row = self._db.execute(f"SELECT value FROM {self._table} WHERE key = ?", (key,)).fetchone()
        if row is None:
            return default
        try:
            return json.loads(row[0])
        except (json.JSONDecodeError, TypeError) as error:
            logger.warning(
                "%s: cache row %s is not JSON (%s); treating it as a miss", self.path, key[:12], error
            )
            return default

    def set(self, key: str, value: Any) -> None:
        text = _ANY.dump_json(value).decode()
        with self._lock:
            self._db.execute(f"INSERT OR REPLACE INTO {self._table} (key, value) VALUES (?, ?)", (key, text))

    def close(self) -> None:
        with self._lock:
            self._db.close()


_ANY: TypeAdapter[Any] = TypeAdapter(Any)
