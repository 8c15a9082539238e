"""The server's checkpoint store from its URL: PostgreSQL for ``postgresql://``, else a SQLite file.

The thread directory follows the same URL (:func:`flowgen.server.thread_directory.open_directory`),
so everything the server keeps is in one place.
"""

from __future__ import annotations

from flowgen.checkpoint.protocol import Checkpointer
from flowgen.server.thread_directory import POSTGRES_SCHEMES


def open_store(url: str) -> Checkpointer:
    if url.startswith(POSTGRES_SCHEMES):
        from flowgen.checkpoint.postgres import PostgresCheckpointer

        return PostgresCheckpointer(url)
    from flowgen.checkpoint.sqlite import SqliteCheckpointer

    return SqliteCheckpointer(url.removeprefix("sqlite:///"))
