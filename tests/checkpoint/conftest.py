"""A real PostgreSQL server for the whole test session, started and stopped here."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from flowgen.testing.postgres_server import PostgresServer, pg_bin


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    if pg_bin() is None:
        if os.geteuid() == 0 or os.environ.get("CI"):
            pytest.fail("PostgreSQL is missing; `make test` installs it (scripts/system-deps.sh)")
        pytest.skip(
            "PostgreSQL is not installed and cannot be installed without root (apt-get install postgresql)"
        )
    server = PostgresServer()
    try:
        yield server.start()
    finally:
        server.stop()
