"""SdkCalls: how a network-backed client calls its provider's SDK.

The OpenAI and Anthropic clients differ in what they send and how they read replies, but not in how
a call is made: the request is retried under a :class:`~flowgen.models.retry.RetryPolicy`, every
await is cancellable through a :class:`~flowgen.models.token_scope.TokenScope`, and an SDK exception
surfaces as the :class:`~flowgen.errors.ModelClientError` its classifier names.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Awaitable, Callable
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from flowgen.errors import ModelClientError
from flowgen.models.request_limits import RequestLimiter, Ticket
from flowgen.models.retry import (
    Classifier,
    RetryPolicy,
    back_off,
    call_with_retries,
    can_retry,
    failure_of,
    give_up,
)
from flowgen.models.token_scope import TokenScope

T = TypeVar("T")
Item = TypeVar("Item")
Item_co = TypeVar("Item_co", covariant=True)
Item_contra = TypeVar("Item_contra", contravariant=True)


class ClosableStream(AsyncIterable[Item_co], Protocol):
    """An SDK's server-sent-event stream: iterated for items, closed to drop the connection."""

    async def close(self) -> None: ...


class _Unlimited:
    """The ticket of a client without limits: usage is not tracked."""

    __slots__ = ()

    def used(self, tokens: int) -> None:
        pass


_UNLIMITED = _Unlimited()


class StreamReader(Protocol[Item_contra]):
    """Reads one streamed reply: :meth:`add` returns the text to pass on; ``complete`` once the
    provider's final event (a finish reason, ``message_stop``) has arrived."""

    def add(self, item: Item_contra) -> str | None: ...

    @property
    def complete(self) -> bool: ...


Reader = TypeVar("Reader", bound="StreamReader[Any]")


def resolve_policy(retry_policy: RetryPolicy | None, max_retries: int | None) -> RetryPolicy:
    """The policy to use: ``retry_policy`` (or the default) with ``max_retries`` overriding its count."""
    policy = retry_policy or RetryPolicy()
    if max_retries is None:
        return policy
    return dataclasses.replace(policy, max_retries=max_retries)


@dataclass(frozen=True, slots=True)
class SdkCalls:
    """Retried, cancellable SDK calls whose failures are classified into flowgen errors.

    Example:
        >>> import asyncio
        >>> calls = SdkCalls(provider="Example", classify=lambda exc: None, policy=RetryPolicy())
        >>> async def answer() -> int:
        ...     return 42
        >>> asyncio.run(calls.request(answer, TokenScope(None)))
        42
    """

    provider: str
    classify: Classifier
    policy: RetryPolicy
    limiter: RequestLimiter | None = None

    @property
    def limited(self) -> bool:
        return self.limiter is not None

    @asynccontextmanager
    async def admit(self, planned_tokens: int, scope: TokenScope) -> AsyncIterator[Ticket | _Unlimited]:
        """Hold a request slot (and budget) for the body; free when the client has no limits."""
        if self.limiter is None:
            yield _UNLIMITED
            return
        async with self.limiter.admit(planned_tokens, scope) as ticket:
            yield ticket

    async def request(self, attempt: Callable[[], Awaitable[T]], scope: TokenScope) -> T:
        """Await ``attempt()``, retrying as the policy allows."""
        return await call_with_retries(
            attempt, classify=self.classify, policy=self.policy, scope=scope, provider=self.provider
        )

    async def stream(
        self,
        open_stream: Callable[[], Awaitable[ClosableStream[Item]]],
        scope: TokenScope,
        new_reader: Callable[[], Reader],
    ) -> AsyncGenerator[str | Reader, None]:
        """Yield the text of a streamed reply as it arrives, and last the reader that read it all.

        A stream that fails or ends before its final event (a dropped connection, a malformed
        event, a reply cut off mid-way) is a retryable error. It is retried as the policy allows
        while nothing has been yielded yet; once text has been passed on, a retry could repeat
        it, so the error is raised for the caller to decide.
        """
        retry_index = 0
        while True:
            reader = new_reader()
            yielded = False
            try:
                stream = await scope.run(open_stream())
                try:
                    async with aclosing(scope.iterate(stream)) as items:
                        async for item in items:
                            text = self._read(reader, item)
                            if text:
                                yielded = True
                                yield text
                finally:
                    await stream.close()  # a cancelled or abandoned stream must drop its connection
                if not reader.complete:
                    raise ModelClientError(
                        f"the {self.provider} stream ended before its final event (the reply was cut "
                        "off); this is retried like a dropped connection",
                        retryable=True,
                    )
            except Exception as exc:
                failure = failure_of(exc, self.classify)
                if failure is None:
                    raise
                if yielded or not can_retry(failure, retry_index, self.policy):
                    raise give_up(failure, exc, retry_index, self.policy) from failure.error.__cause__
                await back_off(failure, retry_index, policy=self.policy, scope=scope, provider=self.provider)
                retry_index += 1
                continue
            yield reader
            return

    def _read(self, reader: StreamReader[Item], item: Item) -> str | None:
        try:
            return reader.add(item)
        except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
            shown = repr(item)[:200]
            raise ModelClientError(
                f"the {self.provider} server sent a malformed stream event ({type(exc).__name__}: "
                f"{exc}): {shown}",
                retryable=True,
            ) from exc
