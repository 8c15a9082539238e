"""Retries with exponential backoff for the network-backed model clients.

The SDKs are built with their own retries switched off so that flowgen owns the policy: the delays
are configurable (tests make them tiny), ``Retry-After`` is honoured, every retry is logged, and the
error after the last attempt is always a :class:`~flowgen.errors.ModelClientError` with the SDK's
exception as ``__cause__``.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from flowgen.errors import ModelClientError
from flowgen.models.token_scope import TokenScope
from flowgen.telemetry import hooks

T = TypeVar("T")

logger = logging.getLogger("flowgen.models.retry")

#: Status codes worth trying again: request timeout, conflict/lock, rate limit, and server errors.
RETRYABLE_STATUS = frozenset({408, 409, 429})


def is_retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUS or status >= 500


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a failed model call is tried again.

    The n-th retry waits ``initial_delay * 2**n`` seconds (capped at ``max_delay``), reduced by up to
    ``jitter`` of itself at random; a server's ``Retry-After`` replaces that delay when it is at most
    ``max_retry_after`` seconds.

    Example:
        >>> RetryPolicy(max_retries=3, initial_delay=0.5, jitter=0.0).delay(2, retry_after=None)
        2.0
        >>> RetryPolicy(jitter=0.0).delay(0, retry_after=1.5)
        1.5
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    jitter: float = 0.25

    def delay(self, retry_index: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number ``retry_index`` (0 for the first retry)."""
        if retry_after is not None and 0 <= retry_after <= self.max_retry_after:
            return retry_after
        base = min(self.initial_delay * 2.0**retry_index, self.max_delay)
        return base * (1.0 - self.jitter * random.random())


@dataclass(frozen=True, slots=True)
class Failure:
    """A classified failure: the flowgen error to raise and the server's requested wait, if any."""

    error: ModelClientError
    retry_after: float | None = None


Classifier = Callable[[Exception], "Failure | None"]


def failure_of(exc: Exception, classify: Classifier) -> Failure | None:
    """The Failure ``exc`` stands for: a ModelClientError raised by a reply check is its own."""
    if isinstance(exc, ModelClientError):
        return Failure(exc)
    return classify(exc)


def give_up(failure: Failure, exc: Exception, retry_index: int, policy: RetryPolicy) -> BaseException:
    """The error to raise when ``failure`` ends the call, with a note on the attempts made."""
    error = failure.error
    if retry_index:
        error.add_note(f"gave up after {retry_index + 1} attempts (max_retries={policy.max_retries})")
    if error is not exc:
        error.__cause__ = exc
    return error


def can_retry(failure: Failure, retry_index: int, policy: RetryPolicy) -> bool:
    return failure.error.retryable and retry_index < policy.max_retries


async def back_off(
    failure: Failure, retry_index: int, *, policy: RetryPolicy, scope: TokenScope, provider: str
) -> None:
    """Log the failure and wait (cancellably) before retry number ``retry_index + 1``."""
    wait = policy.delay(retry_index, failure.retry_after)
    if hooks.observer is not None:
        hooks.observer.model_retry(provider)
    logger.warning(
        "%s call failed (%s); retry %d of %d in %.3fs",
        provider,
        failure.error,
        retry_index + 1,
        policy.max_retries,
        wait,
    )
    await scope.sleep(wait)


async def call_with_retries(
    attempt: Callable[[], Awaitable[T]],
    *,
    classify: Classifier,
    policy: RetryPolicy,
    scope: TokenScope,
    provider: str,
) -> T:
    """Run ``attempt`` until it succeeds, its failure is not retryable, or retries run out.

    ``classify`` turns an SDK exception into a :class:`Failure` (``None`` lets it propagate as is);
    a :class:`~flowgen.errors.ModelClientError` raised by ``attempt`` itself (a reply that failed
    its checks) is classified as it stands. Waiting between attempts is cancellable through
    ``scope``'s token like the attempts themselves.
    """
    retry_index = 0
    while True:
        try:
            return await scope.run(attempt())
        except Exception as exc:
            failure = failure_of(exc, classify)
            if failure is None:
                raise
            if not can_retry(failure, retry_index, policy):
                raise give_up(failure, exc, retry_index, policy) from failure.error.__cause__
            await back_off(failure, retry_index, policy=policy, scope=scope, provider=provider)
            retry_index += 1


def parse_retry_after(headers: Callable[[str], str | None]) -> float | None:
    """Seconds a server asked us to wait, from ``retry-after-ms`` or ``retry-after`` (seconds)."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers(name)
        if value is None:
            continue
        try:
            return float(value) / scale
        except ValueError:
            continue  # an HTTP date: rare from model APIs; fall back to our own backoff
    return None
