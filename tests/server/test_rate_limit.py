"""Per-key rate limits: a token bucket per key digest, on an injected clock (no test waits)."""

from __future__ import annotations

from pathlib import Path

import pytest
from server_support import KEY_A, KEY_B
from thread_support import refused, serving_with, stored

from flowgen.errors import RateLimitedError, RequestError
from flowgen.server.rate_limit import RateLimits


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_key_over_its_limit_gets_429_with_retry_after(tmp_path: Path) -> None:
    clock = Clock()
    async with serving_with(tmp_path, clock=clock, rate_limit_per_minute=6, rate_limit_burst=3) as served:
        for _ in range(3):
            assert (await served.client.get("/agents", headers=served.headers())).status_code == 200
        before = await stored(served)
        limited = await served.client.post("/threads", headers=served.headers(), json={"thread_id": "t"})
        message = refused(limited, 429, "rate_limited")
        assert limited.headers["Retry-After"] == "10"  # 6 a minute: a token every 10 s
        assert "retry in 10 s" in message and "6 requests a minute" in message
        assert await stored(served) == before  # the refused request created nothing
        other = await served.client.get("/agents", headers=served.headers(KEY_B))
        assert other.status_code == 200  # each key has its own bucket
        assert (await served.client.get("/health")).status_code == 200  # probes are not limited
        clock.now += 9.0
        assert refused(await served.client.get("/agents", headers=served.headers()), 429, "rate_limited")
        assert (await served.client.get("/agents", headers=served.headers())).headers.get(
            "Retry-After"
        ) == "1"
        clock.now += 1.0
        assert (await served.client.get("/agents", headers=served.headers())).status_code == 200


async def test_a_wrong_key_is_401_not_429(tmp_path: Path) -> None:
    async with serving_with(tmp_path, clock=Clock(), rate_limit_per_minute=1, rate_limit_burst=1) as served:
        assert (await served.client.get("/agents", headers=served.headers())).status_code == 200
        refused(await served.client.get("/agents", headers={"X-API-Key": "wrong"}), 401, "wrong_api_key")


async def test_one_request_takes_one_token_however_many_checks_it_makes(tmp_path: Path) -> None:
    clock = Clock()
    async with serving_with(tmp_path, clock=clock, rate_limit_per_minute=60, rate_limit_burst=2) as served:
        made = await served.client.post("/threads", headers=served.headers(), json={"thread_id": "t"})
        assert made.status_code == 201
        # GET /threads/{id} authenticates, then checks ownership: still one token.
        assert (await served.client.get("/threads/t", headers=served.headers())).status_code == 200
        refused(await served.client.get("/threads/t", headers=served.headers()), 429, "rate_limited")


async def test_limits_are_off_by_default(tmp_path: Path) -> None:
    async with serving_with(tmp_path, clock=Clock()) as served:
        for _ in range(100):
            assert (await served.client.get("/agents", headers=served.headers())).status_code == 200


def test_the_bucket_refills_at_the_rate_up_to_the_burst() -> None:
    clock = Clock()
    limits = RateLimits(per_minute=120, burst=4, clock=clock)
    for _ in range(4):
        limits.take(KEY_A)
    with pytest.raises(RateLimitedError) as refused_once:
        limits.take(KEY_A)
    assert isinstance(refused_once.value, RequestError) and refused_once.value.status == 429
    assert refused_once.value.retry_after == 1
    clock.now += 60.0  # an idle minute refills to the burst, not beyond
    for _ in range(4):
        limits.take(KEY_A)
    with pytest.raises(RateLimitedError):
        limits.take(KEY_A)
    clock.now += 0.5  # 2 a second: one token back
    limits.take(KEY_A)
    with pytest.raises(RateLimitedError):
        limits.take(KEY_A)


def test_burst_defaults_to_a_minutes_worth() -> None:
    from flowgen.server import ServerSettings

    assert ServerSettings(_env_file=None, rate_limit_per_minute=30).burst == 30
    assert ServerSettings(_env_file=None, rate_limit_per_minute=30, rate_limit_burst=5).burst == 5
