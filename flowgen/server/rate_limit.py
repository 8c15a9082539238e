"""Per-key rate limits: a token bucket for each caller, keyed by the digest of its API key.

A bucket holds up to ``burst`` tokens and refills at ``per_minute / 60`` tokens a second; each
request takes one. An empty bucket refuses the request with a 429 whose ``Retry-After`` says how
many seconds until a token is back. Buckets exist only for accepted keys (the caller is known before
a token is taken), so their number is bounded by the keys the server was given.

Example:
    >>> now = [0.0]
    >>> limits = RateLimits(per_minute=60, burst=2, clock=lambda: now[0])
    >>> limits.take("owner"); limits.take("owner")
    >>> try:
    ...     limits.take("owner")
    ... except RateLimitedError as refused:
    ...     refused.retry_after
    1
    >>> now[0] = 1.0
    >>> limits.take("owner")
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from flowgen.errors import RateLimitedError


class _Bucket:
    __slots__ = ("stamp", "tokens")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens = tokens
        self.stamp = stamp


class RateLimits:
    """Token buckets by owner id; :meth:`take` spends one token or raises :class:`RateLimitedError`.

    Args:
        per_minute: tokens added per minute (the sustained rate); 0 turns limits off.
        burst: the bucket size (requests allowed at once).
        clock: seconds, monotonic (injectable so tests need not wait).
    """

    __slots__ = ("_buckets", "_burst", "_clock", "_rate")

    def __init__(self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(max(burst, 1))
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    @property
    def enabled(self) -> bool:
        return self._rate > 0

    def take(self, owner: str) -> None:
        if not self.enabled:
            return
        now = self._clock()
        bucket = self._buckets.get(owner)
        if bucket is None:
            bucket = self._buckets[owner] = _Bucket(self._burst, now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.stamp) * self._rate)
        bucket.stamp = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return
        wait = max(1, math.ceil((1.0 - bucket.tokens) / self._rate))
        raise RateLimitedError(
            wait,
            f"this API key made more than {self._rate * 60:g} requests a minute (bursts up to "
            f"{self._burst:g}); retry in {wait} s (the Retry-After header says the same)",
        )
