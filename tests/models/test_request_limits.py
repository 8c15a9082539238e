"""RequestLimiter: requests in flight and a tokens-per-minute budget, waited for, cancellably."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import ValidationError

from flowgen.core import CancellationToken
from flowgen.models.request_limits import RequestLimiter, RequestLimits, limiter_for
from flowgen.models.token_scope import TokenScope


class ManualTime:
    """A clock the test moves; sleeping waits until the test has moved it far enough."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeping = asyncio.Event()
        self._moved = asyncio.Event()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        until = self.now + seconds
        while self.now < until:
            self.sleeping.set()
            self._moved.clear()
            await self._moved.wait()

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.sleeping.clear()
        self._moved.set()


async def test_at_most_n_requests_are_in_flight_and_the_rest_wait() -> None:
    limiter = RequestLimiter(RequestLimits(max_concurrent_requests=2))
    release = asyncio.Event()
    peak = 0

    async def request() -> None:
        nonlocal peak
        async with limiter.admit(0, TokenScope(None)):
            peak = max(peak, limiter.in_flight)
            await release.wait()

    tasks = [asyncio.ensure_future(request()) for _ in range(5)]
    while limiter.in_flight < 2:
        await asyncio.sleep(0)
    for _ in range(10):
        await asyncio.sleep(0)
    assert limiter.in_flight == 2
    release.set()
    await asyncio.gather(*tasks)
    assert peak == 2 and limiter.in_flight == 0


async def test_a_cancelled_waiter_gives_its_turn_to_the_next() -> None:
    limiter = RequestLimiter(RequestLimits(max_concurrent_requests=1))
    token = CancellationToken()
    holding = asyncio.Event()
    release = asyncio.Event()
    done: list[str] = []

    async def holder() -> None:
        async with limiter.admit(0, TokenScope(None)):
            holding.set()
            await release.wait()

    async def waiter(name: str, scope: TokenScope) -> None:
        async with limiter.admit(0, scope):
            done.append(name)

    first = asyncio.ensure_future(holder())
    await holding.wait()
    cancelled = asyncio.ensure_future(waiter("cancelled", TokenScope(token)))
    patient = asyncio.ensure_future(waiter("patient", TokenScope(None)))
    for _ in range(5):
        await asyncio.sleep(0)
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    release.set()
    await asyncio.gather(first, patient)
    assert done == ["patient"]


async def test_the_token_budget_makes_a_request_wait_for_the_window_to_pass() -> None:
    time = ManualTime()
    limiter = RequestLimiter(RequestLimits(tokens_per_minute=1000), clock=time.clock, sleep=time.sleep)
    async with limiter.admit(600, TokenScope(None)) as ticket:
        ticket.used(700)  # the reply said it cost more than planned
    assert limiter.spent() == 700

    admitted = asyncio.Event()

    async def second() -> None:
        async with limiter.admit(400, TokenScope(None)):
            admitted.set()

    task = asyncio.ensure_future(second())
    await time.sleeping.wait()
    assert not admitted.is_set()
    time.advance(60.0)
    await task
    assert admitted.is_set() and limiter.spent() == 400


async def test_waiting_for_budget_is_cancellable() -> None:
    time = ManualTime()
    limiter = RequestLimiter(RequestLimits(tokens_per_minute=100), clock=time.clock, sleep=time.sleep)
    async with limiter.admit(100, TokenScope(None)):
        pass
    token = CancellationToken()
    task = asyncio.ensure_future(limiter.admit(50, TokenScope(token)).__aenter__())
    await time.sleeping.wait()
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert limiter.in_flight == 0


async def test_a_request_larger_than_the_budget_still_runs_alone() -> None:
    limiter = RequestLimiter(RequestLimits(tokens_per_minute=100))
    async with limiter.admit(5000, TokenScope(None)):
        assert limiter.spent() == 100


def test_limits_are_validated_and_empty_limits_mean_no_limiter() -> None:
    with pytest.raises(ValidationError):
        RequestLimits(max_concurrent_requests=0)
    assert limiter_for(RequestLimits()) is None
    shared = RequestLimiter(RequestLimits(max_concurrent_requests=3))
    assert limiter_for(shared) is shared
