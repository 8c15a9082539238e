"""Limits on what one model client asks of its provider: requests in flight and tokens per minute.

A client shared by many agents (one pooled connection, one API key) must not fire every agent's
request at once: providers answer a burst with 429s. The limiter makes callers *wait* — cancellably —
for a request slot and for room in the per-minute token budget, instead of failing.

The token budget is a sliding one-minute window. A request is charged what it may cost before it is
sent (the prompt estimate plus its reply cap) and re-charged what the reply's usage says once it
finishes, so a budget is never overrun by requests that were all admitted at the same moment.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from flowgen.models.token_scope import TokenScope

WINDOW = 60.0  # seconds: the budget is per minute


class RequestLimits(BaseModel):
    """The limits, as configuration (settings files and servers embed this model).

    Example:
        >>> RequestLimits(max_concurrent_requests=8, tokens_per_minute=90_000)
        RequestLimits(max_concurrent_requests=8, tokens_per_minute=90000)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_concurrent_requests: int | None = Field(default=None, ge=1)
    tokens_per_minute: int | None = Field(default=None, ge=1)


@dataclass(slots=True)
class Ticket:
    """One admitted request's charge against the token budget, corrected by :meth:`used`."""

    limiter: RequestLimiter
    charge: _Charge | None

    def used(self, tokens: int) -> None:
        """Replace the up-front estimate by what the reply says the request cost."""
        if self.charge is not None:
            self.charge.tokens = tokens
            self.limiter._changed()


@dataclass(slots=True)
class _Charge:
    at: float
    tokens: int


@dataclass(slots=True)
class RequestLimiter:
    """Admits requests within :class:`RequestLimits`; share one instance to share the limits.

    ``clock`` and ``sleep`` are the monotonic clock and the wait used while the budget is spent (tests
    pass a manual clock).

    Example:
        >>> async def demo() -> int:
        ...     limiter = RequestLimiter(RequestLimits(max_concurrent_requests=1))
        ...     async with limiter.admit(0, TokenScope(None)):
        ...         return limiter.in_flight
        >>> asyncio.run(demo())
        1
    """

    limits: RequestLimits
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    in_flight: int = 0
    _charges: deque[_Charge] = field(default_factory=deque)
    _waiters: deque[asyncio.Future[None]] = field(default_factory=deque)

    @asynccontextmanager
    async def admit(self, planned_tokens: int, scope: TokenScope) -> AsyncIterator[Ticket]:
        """Wait for a request slot and budget room, hold them for the ``async with`` body."""
        await scope.run(self._wait_for_slot())
        self.in_flight += 1
        try:
            charge = await self._charge(planned_tokens, scope)
            yield Ticket(self, charge)
        finally:
            self.in_flight -= 1
            self._changed()

    def spent(self) -> int:
        """Tokens charged within the last minute."""
        self._expire()
        return sum(c.tokens for c in self._charges)

    async def _wait_for_slot(self) -> None:
        cap = self.limits.max_concurrent_requests
        while cap is not None and self.in_flight >= cap:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    self._changed()  # woken, then cancelled: pass the freed slot on
                elif waiter in self._waiters:
                    self._waiters.remove(waiter)
                raise

    async def _charge(self, planned: int, scope: TokenScope) -> _Charge | None:
        budget = self.limits.tokens_per_minute
        if budget is None:
            return None
        # A request larger than the whole budget still runs, alone in its minute, rather than never.
        planned = min(planned, budget)
        while self.spent() + planned > budget:
            oldest = self._charges[0]
            await scope.run(self.sleep(max(oldest.at + WINDOW - self.clock(), 0.0)))
        charge = _Charge(self.clock(), planned)
        self._charges.append(charge)
        return charge

    def _expire(self) -> None:
        horizon = self.clock() - WINDOW
        while self._charges and self._charges[0].at <= horizon:
            self._charges.popleft()

    def _changed(self) -> None:
        """A slot was freed or a charge shrank: let the first waiter look again."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return


def limiter_for(limits: RequestLimits | RequestLimiter | None) -> RequestLimiter | None:
    """The limiter a client uses: a shared one as given, a new one for plain limits, none for none."""
    if limits is None or isinstance(limits, RequestLimiter):
        return limits
    if limits.max_concurrent_requests is None and limits.tokens_per_minute is None:
        return None
    return RequestLimiter(limits)
