"""FallbackChatCompletionClient: a primary model with backups, each behind a circuit breaker.

A call goes to the first client whose breaker lets it through. When that client fails with an error
worth switching for — the provider is down, overloaded, rate limiting after its own retries, or does
not answer within ``attempt_timeout`` — the next client is tried. An error that another model would
hit as well (a rejected request, a bad key, a cancelled call) is raised at once.

Streaming falls back only before the first chunk: once text has reached the caller, switching models
would splice two answers together, so a later failure is raised.

Every call leaves a :class:`FallbackRoute` in :attr:`FallbackChatCompletionClient.last_route`
(and in the ``flowgen.models.fallback`` log): which model answered and why each earlier one was
skipped. Usage is kept per model as well as in total.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

from flowgen.core import CancellationToken
from flowgen.errors import AllModelsFailedError, ConfigurationError, ModelClientError
from flowgen.models.circuit_breaker import BreakerPolicy, CircuitBreaker
from flowgen.models.client import ChatCompletionClient, JsonOutput, ToolChoice, Tools
from flowgen.models.token_scope import TokenScope
from flowgen.models.types import CreateResult, LLMMessage, ModelFamily, ModelInfo, RequestUsage
from flowgen.telemetry import hooks

logger = logging.getLogger("flowgen.models.fallback")


def worth_switching(error: BaseException) -> bool:
    """The default rule: switch on failures of the provider, not of the request.

    Retryable :class:`~flowgen.errors.ModelClientError`\\ s (connection errors, timeouts, 5xx, 429 — the
    client's own retries already spent), an attempt that ran past ``attempt_timeout``, and a custom
    client's connection or OS errors.
    """
    if isinstance(error, ModelClientError):
        return error.retryable
    return isinstance(error, TimeoutError | ConnectionError | OSError)


@dataclass(frozen=True, slots=True)
class Skipped:
    """A model the call did not get its answer from, and why."""

    model: str
    reason: str


@dataclass(frozen=True, slots=True)
class FallbackRoute:
    """How one call went through the chain."""

    answered_by: str | None
    skipped: tuple[Skipped, ...] = ()


@dataclass(slots=True)
class _Member:
    label: str
    client: ChatCompletionClient
    breaker: CircuitBreaker
    usage: RequestUsage = field(default_factory=lambda: RequestUsage(prompt_tokens=0, completion_tokens=0))


class FallbackChatCompletionClient(ChatCompletionClient):
    """Try ``clients`` in order, skipping those whose circuit breaker is open.

    Args:
        clients: the primary first, then the backups.
        breaker: when a model's breaker opens and for how long; ``None`` disables the breakers.
        switch_on: which exceptions move the call to the next client (default :func:`worth_switching`).
        attempt_timeout: seconds one client may take before the next is tried (None: no limit
            beyond the client's own timeout).
        clock: monotonic seconds, for the breakers (tests pass a manual clock).

    Example:
        >>> from flowgen.models import ReplayChatCompletionClient
        >>> from flowgen.models import UserMessage
        >>> primary = ReplayChatCompletionClient(["from the primary"])
        >>> client = FallbackChatCompletionClient([primary, ReplayChatCompletionClient(["backup"])])
        >>> result = asyncio.run(client.create([UserMessage(content="hi", source="user")]))
        >>> result.content, client.last_route.answered_by
        ('from the primary', 'ReplayChatCompletionClient#0')
    """

    def __init__(
        self,
        clients: Sequence[ChatCompletionClient],
        *,
        breaker: BreakerPolicy | None = BreakerPolicy(),
        switch_on: Callable[[BaseException], bool] = worth_switching,
        attempt_timeout: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not clients:
            raise ConfigurationError(
                "FallbackChatCompletionClient needs at least one client: [primary, backup, ...]"
            )
        if attempt_timeout is not None and attempt_timeout <= 0:
            raise ConfigurationError(f"attempt_timeout must be positive seconds, not {attempt_timeout!r}")
        # A breaker that never opens stands in for "no breakers", so the call path has one shape.
        policy = breaker or BreakerPolicy(failure_threshold=2**31)
        self._members = [_member(client, index, policy, clock) for index, client in enumerate(clients)]
        self._switch_on = switch_on
        self._attempt_timeout = attempt_timeout
        self._model_info = _intersection([client.model_info for client in clients])
        self._last: _Member = self._members[0]
        self.last_route = FallbackRoute(answered_by=None)

    @property
    def clients(self) -> list[ChatCompletionClient]:
        return [member.client for member in self._members]

    def breaker_states(self) -> dict[str, str]:
        """Each model's breaker state: closed, open or half_open."""
        return {member.label: member.breaker.state for member in self._members}

    def usage_by_model(self) -> dict[str, RequestUsage]:
        """Tokens each model spent answering through this client."""
        return {member.label: member.usage for member in self._members}

    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Tools = (),
        tool_choice: ToolChoice = "auto",
        json_output: JsonOutput = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        skipped: list[Skipped] = []
        errors: list[BaseException] = []
        # The token cancels whichever attempt is in flight, even with a client that ignores tokens.
        scope = TokenScope(cancellation_token)
        for member in self._members:
            if not self._admitted(member, skipped, cancellation_token):
                continue
            try:
                async with _bounded(self._attempt_timeout):
                    result = await scope.run(
                        member.client.create(
                            messages,
                            tools=tools,
                            tool_choice=tool_choice,
                            json_output=json_output,
                            extra_create_args=extra_create_args,
                            cancellation_token=cancellation_token,
                        )
                    )
            except BaseException as error:
                self._failed(member, error, skipped, errors)
                continue
            self._answered(member, result, skipped)
            return result
        raise self._exhausted(skipped, errors)

    async def create_stream(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Tools = (),
        tool_choice: ToolChoice = "auto",
        json_output: JsonOutput = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> AsyncGenerator[str | CreateResult, None]:
        skipped: list[Skipped] = []
        errors: list[BaseException] = []
        scope = TokenScope(cancellation_token)
        for member in self._members:
            if not self._admitted(member, skipped, cancellation_token):
                continue
            stream = member.client.create_stream(
                messages,
                tools=tools,
                tool_choice=tool_choice,
                json_output=json_output,
                extra_create_args=extra_create_args,
                cancellation_token=cancellation_token,
            )
            async with aclosing(stream):
                try:
                    async with _bounded(self._attempt_timeout):
                        first = await scope.run(anext(stream))
                except BaseException as error:
                    self._failed(member, error, skipped, errors)
                    continue
                # Committed to this model from here on: its later failures are the caller's.
                item: str | CreateResult = first
                while True:
                    if isinstance(item, CreateResult):
                        self._answered(member, item, skipped)
                    yield item
                    try:
                        item = await scope.run(anext(stream))
                    except StopAsyncIteration:
                        return
        raise self._exhausted(skipped, errors)

    def _admitted(self, member: _Member, skipped: list[Skipped], token: CancellationToken | None) -> bool:
        if token is not None and token.is_cancelled():
            raise asyncio.CancelledError("the cancellation token was cancelled")
        if member.breaker.allow():
            return True
        skipped.append(Skipped(member.label, "circuit open"))
        if hooks.observer is not None:
            hooks.observer.model_fallback(member.label, "circuit_open")
        return False

    def _failed(
        self, member: _Member, error: BaseException, skipped: list[Skipped], errors: list[BaseException]
    ) -> None:
        """Record a failed attempt, or re-raise it when switching would not help."""
        if isinstance(error, asyncio.CancelledError | GeneratorExit) or not isinstance(error, Exception):
            member.breaker.release_probe()  # the caller gave up; the model gave no verdict
            raise error
        if not self._switch_on(error):
            member.breaker.release_probe()
            raise error
        member.breaker.record_failure()
        timed_out = isinstance(error, TimeoutError)
        if hooks.observer is not None:
            hooks.observer.model_fallback(member.label, "timeout" if timed_out else "error")
        reason = "no answer within attempt_timeout" if timed_out else str(error)
        skipped.append(Skipped(member.label, f"{type(error).__name__}: {reason}"))
        errors.append(error)
        logger.warning("model %s failed (%s); trying the next one", member.label, reason)

    def _answered(self, member: _Member, result: CreateResult, skipped: list[Skipped]) -> None:
        member.breaker.record_success()
        member.usage = _plus(member.usage, result.usage)
        self._last = member
        self.last_route = FallbackRoute(answered_by=member.label, skipped=tuple(skipped))
        if skipped:
            logger.info(
                "model %s answered after skipping %s",
                member.label,
                "; ".join(f"{s.model} ({s.reason})" for s in skipped),
            )

    def _exhausted(self, skipped: list[Skipped], errors: list[BaseException]) -> AllModelsFailedError:
        self.last_route = FallbackRoute(answered_by=None, skipped=tuple(skipped))
        lines = "; ".join(f"{s.model}: {s.reason}" for s in skipped)
        error = AllModelsFailedError(
            f"every model in the fallback chain failed or was skipped ({lines}); check the providers' "
            "status, or add a backup client",
            skipped=[(s.model, s.reason) for s in skipped],
        )
        error.__cause__ = errors[-1] if errors else None
        return error

    async def close(self) -> None:
        for member in self._members:
            await member.client.close()

    def actual_usage(self) -> RequestUsage:
        return self._last.client.actual_usage()

    def total_usage(self) -> RequestUsage:
        total = RequestUsage(prompt_tokens=0, completion_tokens=0)
        for member in self._members:
            total = _plus(total, member.client.total_usage())
        return total

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Tools = ()) -> int:
        return self._members[0].client.count_tokens(messages, tools=tools)

    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Tools = ()) -> int:
        """The smallest remainder: a reply must fit whichever model ends up answering."""
        return min(m.client.remaining_tokens(messages, tools=tools) for m in self._members)

    @property
    def model_info(self) -> ModelInfo:
        return self._model_info


def _plus(a: RequestUsage, b: RequestUsage) -> RequestUsage:
    return RequestUsage(
        prompt_tokens=a.prompt_tokens + b.prompt_tokens,
        completion_tokens=a.completion_tokens + b.completion_tokens,
    )


def _bounded(seconds: float | None) -> asyncio.Timeout:
    return asyncio.timeout(seconds)


def _member(
    client: ChatCompletionClient, index: int, policy: BreakerPolicy, clock: Callable[[], float]
) -> _Member:
    label = _label(client, index)

    def changed(state: str, previous: str) -> None:
        if hooks.observer is not None:
            hooks.observer.breaker_changed(label, state, previous)

    return _Member(label, client, CircuitBreaker(policy, clock, on_change=changed))


def _label(client: ChatCompletionClient, index: int) -> str:
    model = getattr(client, "_model", None)
    return f"{model}#{index}" if isinstance(model, str) else f"{type(client).__name__}#{index}"


def _intersection(infos: Sequence[ModelInfo]) -> ModelInfo:
    """What every client can do: a request valid for the chain must be valid for each member."""
    families = {info["family"] for info in infos}
    merged = ModelInfo(
        vision=all(info["vision"] for info in infos),
        function_calling=all(info["function_calling"] for info in infos),
        json_output=all(info["json_output"] for info in infos),
        structured_output=all(info["structured_output"] for info in infos),
        family=families.pop() if len(families) == 1 else ModelFamily.UNKNOWN,
    )
    system = [info.get("multiple_system_messages") for info in infos]
    if any(value is not None for value in system):
        merged["multiple_system_messages"] = all(bool(value) for value in system)
    return merged
