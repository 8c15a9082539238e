"""Fixtures for the server tests (the app itself is built in server_support)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from exec_support import Exec, serving_exec
from server_support import Served, serving


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    async with serving(tmp_path) as running:
        yield running


@pytest.fixture
async def served_exec(tmp_path: Path) -> AsyncIterator[Exec]:
    async with serving_exec(tmp_path) as running:
        yield running
