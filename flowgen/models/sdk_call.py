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
from typing import Protocol, TypeVar

from flowgen.models.request_limits import RequestLimiter, Ticket
from flowgen.models.retry import Classifier, RetryPolicy, call_with_retries
from flowgen.models.token_scope import TokenScope

T = TypeVar("T")
Item = TypeVar("Item")
Item_co = TypeVar("Item_co", covariant=True)


class ClosableStream(AsyncIterable[Item_co], Protocol):
    """An SDK's server-sent-event stream: iterated for items, closed to drop the connection."""

    async def close(self) -> None: ...


class _Unlimited:
    """The ticket of a client without limits: usage is not tracked."""

    __slots__ = ()

    def used(self, tokens: int) -> None:
        pass


_UNLIMITED = _Unlimited()


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

    async def relay(
        self,
        stream: ClosableStream[Item],
        scope: TokenScope,
        read: Callable[[Item], str | None],
    ) -> AsyncGenerator[str, None]:
        """Feed each stream item to ``read`` and yield the text it returns.

        Nothing here is retried: once text has been yielded, a retry could repeat it.
        """
        try:
            async with aclosing(scope.iterate(stream)) as items:
                async for item in items:
                    text = read(item)
                    if text:
                        yield text
        except Exception as exc:
            failure = self.classify(exc)
            if failure is None:
                raise
            raise failure.error from exc
        finally:
            await stream.close()  # a cancelled or abandoned stream must drop its connection
