"""A circuit breaker per model: stop calling a model that keeps failing, probe it again later.

closed     calls pass; a failure is remembered. ``failure_threshold`` failures within ``window``
           seconds open the breaker.
open       calls are refused (the fallback chain skips the model) until ``cool_down`` seconds pass.
half-open  one probe call is let through: success closes the breaker, failure opens it again.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

BreakerState = Literal["closed", "open", "half_open"]


class BreakerPolicy(BaseModel):
    """When a breaker opens and how long it stays open.

    Example:
        >>> BreakerPolicy(failure_threshold=3, window=30.0, cool_down=10.0).failure_threshold
        3
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    failure_threshold: int = Field(default=5, ge=1)
    window: float = Field(default=60.0, gt=0)
    cool_down: float = Field(default=30.0, gt=0)


@dataclass(slots=True)
class CircuitBreaker:
    """One model's breaker. ``clock`` is monotonic seconds (tests pass a manual one).

    Example:
        >>> now = [0.0]
        >>> breaker = CircuitBreaker(BreakerPolicy(failure_threshold=2, cool_down=5.0), lambda: now[0])
        >>> breaker.record_failure(); breaker.record_failure(); breaker.state
        'open'
        >>> breaker.allow()
        False
        >>> now[0] = 5.0
        >>> breaker.allow(), breaker.state
        (True, 'half_open')
        >>> breaker.record_success(); breaker.state
        'closed'
    """

    policy: BreakerPolicy = field(default_factory=BreakerPolicy)
    clock: Callable[[], float] = time.monotonic
    #: Called with (new state, previous state) on every change (metrics count them).
    on_change: Callable[[BreakerState, BreakerState], None] | None = None
    _state: BreakerState = "closed"
    opened_at: float = 0.0
    probing: bool = False
    _failures: deque[float] = field(default_factory=deque)

    @property
    def state(self) -> BreakerState:
        return self._state

    @state.setter
    def state(self, value: BreakerState) -> None:
        previous, self._state = self._state, value
        if value != previous and self.on_change is not None:
            self.on_change(value, previous)

    def allow(self) -> bool:
        """May a call go to this model now? Moves an open breaker past its cool-down to half-open."""
        if self.state == "open" and self.clock() - self.opened_at >= self.policy.cool_down:
            self.state = "half_open"
            self.probing = False
        if self.state == "half_open":
            if self.probing:
                return False  # one probe at a time; the others keep falling back
            self.probing = True
            return True
        return self.state == "closed"

    def record_success(self) -> None:
        self.state = "closed"
        self.probing = False
        self._failures.clear()

    def record_failure(self) -> None:
        now = self.clock()
        if self.state == "half_open":
            self._open(now)
            return
        self._failures.append(now)
        while self._failures and now - self._failures[0] > self.policy.window:
            self._failures.popleft()
        if len(self._failures) >= self.policy.failure_threshold:
            self._open(now)

    def release_probe(self) -> None:
        """A half-open probe ended without a verdict (it was cancelled): let the next call probe."""
        self.probing = False

    def _open(self, now: float) -> None:
        self.state = "open"
        self.opened_at = now
        self.probing = False
        self._failures.clear()
