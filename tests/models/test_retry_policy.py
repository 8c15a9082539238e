"""RetryPolicy delays and the retry loop: what is retried, how often, and what is raised at the end."""

from __future__ import annotations

import pytest

from flowgen.errors import ModelClientError
from flowgen.models.retry import Failure, RetryPolicy, call_with_retries, parse_retry_after
from flowgen.models.token_scope import TokenScope

FAST = RetryPolicy(max_retries=2, initial_delay=0.0, jitter=0.0)


class Flaky(Exception):
    """Stands in for an SDK error."""


def classify(exc: Exception) -> Failure | None:
    if isinstance(exc, Flaky):
        return Failure(ModelClientError(str(exc), retryable=str(exc) != "fatal", status_code=500))
    return None


def test_delays_double_up_to_the_cap() -> None:
    policy = RetryPolicy(initial_delay=1.0, max_delay=3.0, jitter=0.0)
    assert [policy.delay(n, None) for n in range(4)] == [1.0, 2.0, 3.0, 3.0]


def test_jitter_only_shortens_the_delay() -> None:
    policy = RetryPolicy(initial_delay=1.0, jitter=0.5)
    assert all(0.5 <= policy.delay(0, None) <= 1.0 for _ in range(50))


def test_retry_after_replaces_the_backoff_unless_it_is_too_long() -> None:
    policy = RetryPolicy(initial_delay=1.0, jitter=0.0, max_retry_after=10.0)
    assert policy.delay(0, 4.0) == 4.0
    assert policy.delay(0, 100.0) == 1.0


def test_retry_after_headers_are_read_in_milliseconds_or_seconds() -> None:
    assert parse_retry_after({"retry-after-ms": "250"}.get) == 0.25
    assert parse_retry_after({"retry-after": "3"}.get) == 3.0
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}.get) is None
    empty: dict[str, str] = {}
    assert parse_retry_after(empty.get) is None


async def test_a_retryable_failure_is_retried_until_it_succeeds() -> None:
    outcomes: list[Exception | str] = [Flaky("busy"), Flaky("busy"), "done"]

    async def attempt() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    result = await call_with_retries(
        attempt, classify=classify, policy=FAST, scope=TokenScope(None), provider="T"
    )
    assert result == "done"


async def test_after_the_last_retry_the_model_client_error_is_raised_from_the_sdk_error() -> None:
    attempts = 0

    async def attempt() -> str:
        nonlocal attempts
        attempts += 1
        raise Flaky("busy")

    with pytest.raises(ModelClientError) as caught:
        await call_with_retries(attempt, classify=classify, policy=FAST, scope=TokenScope(None), provider="T")
    assert attempts == 3
    assert isinstance(caught.value.__cause__, Flaky)
    assert caught.value.retryable
    assert "gave up after 3 attempts" in caught.value.__notes__[0]


async def test_a_non_retryable_failure_is_raised_at_once() -> None:
    attempts = 0

    async def attempt() -> str:
        nonlocal attempts
        attempts += 1
        raise Flaky("fatal")

    with pytest.raises(ModelClientError):
        await call_with_retries(attempt, classify=classify, policy=FAST, scope=TokenScope(None), provider="T")
    assert attempts == 1


async def test_unclassified_errors_propagate_unchanged() -> None:
    async def attempt() -> str:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        await call_with_retries(attempt, classify=classify, policy=FAST, scope=TokenScope(None), provider="T")
