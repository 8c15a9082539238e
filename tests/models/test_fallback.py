"""FallbackChatCompletionClient: switching models, circuit breakers, streaming, cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from flowgen.core import CancellationToken
from flowgen.errors import AllModelsFailedError, ConfigurationError, ModelClientError
from flowgen.models import (
    CallInfo,
    CreateResult,
    FunctionChatCompletionClient,
    LLMMessage,
    ModelInfo,
    ReplayChatCompletionClient,
    UserMessage,
)
from flowgen.models.circuit_breaker import BreakerPolicy
from flowgen.models.fallback import FallbackChatCompletionClient, Skipped

ASK = [UserMessage(content="hello", source="user")]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def failing(error: BaseException, calls: list[int] | None = None) -> FunctionChatCompletionClient:
    def reply(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        if calls is not None:
            calls.append(info.call_index)
        raise error

    return FunctionChatCompletionClient(reply)


def answering(text: str, calls: list[int] | None = None) -> FunctionChatCompletionClient:
    def reply(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        if calls is not None:
            calls.append(info.call_index)
        return text

    return FunctionChatCompletionClient(reply)


def down() -> ModelClientError:
    return ModelClientError("OpenAI answered 503: overloaded", retryable=True, status_code=503)


async def test_the_backup_answers_when_the_primary_is_down() -> None:
    client = FallbackChatCompletionClient([failing(down()), answering("from the backup")])
    result = await client.create(ASK)
    assert result.content == "from the backup"
    route = client.last_route
    assert route.answered_by == "FunctionChatCompletionClient#1"
    assert route.skipped == (
        Skipped("FunctionChatCompletionClient#0", "ModelClientError: OpenAI answered 503: overloaded"),
    )


async def test_an_error_another_model_would_also_hit_is_raised_at_once() -> None:
    backup_calls: list[int] = []
    rejected = ModelClientError("OpenAI answered 400: bad request", retryable=False, status_code=400)
    client = FallbackChatCompletionClient([failing(rejected), answering("never", backup_calls)])
    with pytest.raises(ModelClientError, match="400"):
        await client.create(ASK)
    assert backup_calls == []


async def test_a_custom_rule_decides_what_is_worth_switching_for() -> None:
    rejected = ModelClientError("answered 400", retryable=False, status_code=400)
    client = FallbackChatCompletionClient(
        [failing(rejected), answering("backup")], switch_on=lambda error: isinstance(error, ModelClientError)
    )
    assert (await client.create(ASK)).content == "backup"


async def test_when_every_model_fails_the_error_lists_each_and_keeps_the_last_cause() -> None:
    last = ConnectionError("connection refused")
    client = FallbackChatCompletionClient([failing(down()), failing(last)])
    with pytest.raises(AllModelsFailedError) as caught:
        await client.create(ASK)
    assert [model for model, _ in caught.value.skipped] == [
        "FunctionChatCompletionClient#0",
        "FunctionChatCompletionClient#1",
    ]
    assert caught.value.__cause__ is last
    assert "503" in str(caught.value) and "connection refused" in str(caught.value)


async def test_the_breaker_opens_skips_for_the_cool_down_probes_half_open_and_closes() -> None:
    clock = Clock()
    primary_calls: list[int] = []
    healthy = [False]

    def primary(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        primary_calls.append(info.call_index)
        if not healthy[0]:
            raise down()
        return "primary is back"

    client = FallbackChatCompletionClient(
        [FunctionChatCompletionClient(primary), answering("backup")],
        breaker=BreakerPolicy(failure_threshold=2, window=60.0, cool_down=30.0),
        clock=clock,
    )
    for _ in range(2):
        assert (await client.create(ASK)).content == "backup"
    assert client.breaker_states()["FunctionChatCompletionClient#0"] == "open"
    assert len(primary_calls) == 2

    clock.now = 29.9  # still cooling down: the primary is not asked at all
    assert (await client.create(ASK)).content == "backup"
    assert len(primary_calls) == 2
    assert client.last_route.skipped == (Skipped("FunctionChatCompletionClient#0", "circuit open"),)

    clock.now = 30.0  # half-open: one probe, which fails and opens the breaker again
    assert (await client.create(ASK)).content == "backup"
    assert len(primary_calls) == 3
    assert client.breaker_states()["FunctionChatCompletionClient#0"] == "open"

    clock.now = 60.0
    healthy[0] = True
    assert (await client.create(ASK)).content == "primary is back"
    assert client.breaker_states()["FunctionChatCompletionClient#0"] == "closed"


async def test_failures_outside_the_window_do_not_open_the_breaker() -> None:
    clock = Clock()
    client = FallbackChatCompletionClient(
        [failing(down()), answering("backup")],
        breaker=BreakerPolicy(failure_threshold=2, window=10.0, cool_down=5.0),
        clock=clock,
    )
    await client.create(ASK)
    clock.now = 11.0
    await client.create(ASK)
    assert client.breaker_states()["FunctionChatCompletionClient#0"] == "closed"


async def test_a_model_that_stops_answering_is_abandoned_after_the_attempt_timeout() -> None:
    started = asyncio.Event()
    left = asyncio.Event()

    async def hangs(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            left.set()
        return "never"

    client = FallbackChatCompletionClient(
        [FunctionChatCompletionClient(hangs), answering("backup")], attempt_timeout=0.05
    )
    result = await client.create(ASK)
    assert result.content == "backup"
    assert started.is_set() and left.is_set()  # the hung call was cancelled, not left running
    assert "attempt_timeout" in client.last_route.skipped[0].reason


async def test_cancelling_in_the_middle_of_a_fallback_leaves_no_call_running() -> None:
    token = CancellationToken()
    in_backup = asyncio.Event()
    backup_left = asyncio.Event()

    async def backup(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        in_backup.set()
        try:
            await asyncio.Event().wait()
        finally:
            backup_left.set()
        return "never"

    client = FallbackChatCompletionClient([failing(down()), FunctionChatCompletionClient(backup)])
    call = asyncio.ensure_future(client.create(ASK, cancellation_token=token))
    await in_backup.wait()
    token.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert backup_left.is_set()


async def test_a_cancelled_token_tries_no_further_model() -> None:
    token = CancellationToken()
    backup_calls: list[int] = []

    def primary(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        token.cancel()
        raise down()

    client = FallbackChatCompletionClient(
        [FunctionChatCompletionClient(primary), answering("x", backup_calls)]
    )
    with pytest.raises(asyncio.CancelledError):
        await client.create(ASK, cancellation_token=token)
    assert backup_calls == []


async def test_streaming_falls_back_before_the_first_chunk() -> None:
    client = FallbackChatCompletionClient([failing(down()), answering("streamed from the backup")])
    items = [item async for item in client.create_stream(ASK)]
    assert isinstance(items[-1], CreateResult)
    assert "".join(i for i in items if isinstance(i, str)) == "streamed from the backup"
    assert client.last_route.answered_by == "FunctionChatCompletionClient#1"


async def test_a_failure_after_the_first_chunk_is_raised_not_spliced() -> None:
    class BreaksMidStream(ReplayChatCompletionClient):
        async def create_stream(self, *args: object, **kwargs: object):  # type: ignore[override]
            yield "half an "
            raise down()

    backup_calls: list[int] = []
    client = FallbackChatCompletionClient([BreaksMidStream(["x"]), answering("never", backup_calls)])
    seen: list[object] = []
    with pytest.raises(ModelClientError):
        async for item in client.create_stream(ASK):
            seen.append(item)
    assert seen == ["half an "]
    assert backup_calls == []


async def test_model_info_is_what_every_client_can_do() -> None:
    vision_only = ModelInfo(
        vision=True, function_calling=False, json_output=True, family="a", structured_output=False
    )
    tools_only = ModelInfo(
        vision=False, function_calling=True, json_output=True, family="b", structured_output=True
    )
    client = FallbackChatCompletionClient(
        [
            ReplayChatCompletionClient([], model_info=vision_only),
            ReplayChatCompletionClient([], model_info=tools_only),
        ]
    )
    info = client.model_info
    assert (info["vision"], info["function_calling"], info["json_output"], info["structured_output"]) == (
        False,
        False,
        True,
        False,
    )
    assert info["family"] == "unknown"


async def test_usage_is_kept_per_model_and_in_total() -> None:
    client = FallbackChatCompletionClient([failing(down()), answering("two words")])
    await client.create(ASK)
    per_model = client.usage_by_model()
    assert per_model["FunctionChatCompletionClient#0"].completion_tokens == 0
    assert per_model["FunctionChatCompletionClient#1"].completion_tokens > 0
    assert (
        client.total_usage().completion_tokens
        == per_model["FunctionChatCompletionClient#1"].completion_tokens
    )


def test_an_empty_chain_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="at least one client"):
        FallbackChatCompletionClient([])
