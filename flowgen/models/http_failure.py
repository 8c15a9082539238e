"""The failures every HTTP model SDK reports alike: timeouts, unreachable servers, error statuses.

Each provider's ``errors.classify`` maps its SDK's exception classes onto these; only the provider
name, the server's message and the per-status hint differ.
"""

from __future__ import annotations

from collections.abc import Callable

from flowgen.errors import ModelClientError
from flowgen.models.retry import Failure, is_retryable_status, parse_retry_after


def timed_out(provider: str) -> Failure:
    """The request took longer than the client's ``timeout``."""
    return Failure(
        ModelClientError(
            f"the {provider} request timed out; raise timeout= or check that the server is responsive",
            retryable=True,
        )
    )


def unreachable(provider: str, exc: Exception) -> Failure:
    """No connection to the server could be made."""
    return Failure(
        ModelClientError(
            f"could not reach the {provider} server ({exc}); check base_url and the network", retryable=True
        )
    )


def http_status(
    provider: str, status: int, header: Callable[[str], str | None], message: str, hint: str
) -> Failure:
    """The server answered with an error status; its ``x-should-retry`` header overrides the status."""
    should_retry = header("x-should-retry")
    retryable = should_retry == "true" or (should_retry != "false" and is_retryable_status(status))
    error = ModelClientError(
        f"{provider} returned HTTP {status}: {message}; {hint}",
        retryable=retryable,
        status_code=status,
    )
    return Failure(error, parse_retry_after(header))


def mid_stream(provider: str, kind: str, message: str, *, retryable: bool) -> Failure:
    """An error event inside a stream that had started fine (its HTTP status says nothing)."""
    return Failure(
        ModelClientError(f"{provider} reported an error mid-stream ({kind}): {message}", retryable=retryable)
    )


def sdk_failed(provider: str, exc: Exception) -> Failure:
    """Any other failure of the SDK itself; not worth retrying."""
    return Failure(ModelClientError(f"the {provider} SDK failed: {exc}", retryable=False))


def malformed_body(provider: str, exc: Exception) -> Failure:
    """A 200 reply whose body could not be read (cut off, or not JSON at all); often transient."""
    return Failure(
        ModelClientError(
            f"the {provider} server answered with a malformed body ({type(exc).__name__}: {exc}); "
            "check base_url, or any proxy in between",
            retryable=True,
        )
    )


def not_a_reply(provider: str, expected: str, body: object) -> ModelClientError:
    """A 200 reply that parsed but is not what the API returns (an HTML page from a proxy...)."""
    shown = repr(body)[:200]
    retryable = isinstance(body, str)  # a gateway's error page is usually transient
    return ModelClientError(
        f"the {provider} server answered HTTP 200 with something that is not {expected}: {shown}; "
        "check base_url, or any proxy in between",
        retryable=retryable,
    )
