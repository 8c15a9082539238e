"""Per-node run policies, part of the graph spec (plain data, JSON round-trip): retries and timeouts.

A node with a :class:`RetryPolicy` is run again when it fails with one of the named exceptions, after
a backoff that grows by ``multiplier`` each attempt; its agent's state is put back as it was before
the step first, so a retried node never sees its failed attempt. A node with a ``timeout`` that
runs longer fails with :class:`~flowgen.errors.NodeTimeoutError` (retried if the policy names it),
and when it finally fails the run stops with its state as before that step: resumable.

Example:
    >>> policy = NodePolicy(retry=RetryPolicy(attempts=3, backoff=0.5, on=("ModelClientError",)), timeout=30)
    >>> NodePolicy.model_validate_json(policy.model_dump_json()) == policy
    True
    >>> policy.retry.delay(2)
    1.0
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RetryPolicy(BaseModel):
    """How often a failing node is run again, after what pause, and for which exceptions.

    Attributes:
        attempts: the most times the node runs in one step (1: no retry).
        backoff: seconds before the second attempt.
        multiplier: each further pause is this many times the last.
        on: exception class names (the raised class or any of its bases) that are retried.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)  # built when first used

    attempts: int = Field(default=3, ge=1, le=100)
    backoff: float = Field(default=0.0, ge=0, le=3600)
    multiplier: float = Field(default=2.0, ge=1, le=100)
    on: tuple[str, ...] = ("Exception",)

    def retries(self, error: BaseException, attempt: int) -> bool:
        """Whether the node runs again after ``error`` ended attempt number ``attempt`` (from 1)."""
        if attempt >= self.attempts or not isinstance(error, Exception):
            return False
        names = {cls.__name__ for cls in type(error).__mro__}
        return any(name in names for name in self.on)

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt number ``attempt`` (from 2)."""
        return self.backoff * self.multiplier ** max(attempt - 2, 0)


class NodePolicy(BaseModel):
    """A node's retry policy and timeout (seconds per attempt); both optional."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)  # built when first used

    retry: RetryPolicy | None = None
    timeout: float | None = Field(default=None, gt=0)
