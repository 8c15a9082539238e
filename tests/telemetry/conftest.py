"""Telemetry fixtures: an observer installed per test, and none left installed after it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from telemetry_kit import Traced, make_traced

from flowgen.telemetry import hooks


@pytest.fixture(autouse=True)
def no_observer_left() -> Iterator[None]:
    yield
    hooks.observer = None


@pytest.fixture
def traced() -> Traced:
    return make_traced()
