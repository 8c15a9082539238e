"""Anthropic SDK exceptions classified as flowgen ModelClientErrors (the SDK error stays the __cause__)."""

from __future__ import annotations

import anthropic

from flowgen.errors import ModelClientError
from flowgen.models.retry import Failure, is_retryable_status, parse_retry_after

_HINTS = {
    400: "the server rejected the request; check the model name and the create arguments",
    401: "the API key was rejected; check ANTHROPIC_API_KEY (or api_key=)",
    403: "the key may not use this model; check the workspace's permissions",
    404: "unknown model or endpoint; check the model name and base_url",
    413: "the request is too large; shorten the conversation (a smaller model context)",
    429: "rate limited; slow down or raise max_retries",
    529: "Anthropic is overloaded; try again later or raise max_retries",
}

_RETRYABLE_TYPES = frozenset({"overloaded_error", "api_error", "rate_limit_error", "timeout_error"})


def _hint(status: int) -> str:
    if status >= 500 and status != 529:
        return "the server failed; try again later or raise max_retries"
    return _HINTS.get(status, "see the server's message above")


def classify(exc: Exception) -> Failure | None:
    """The Failure for an Anthropic SDK exception; ``None`` for anything else (it propagates unchanged)."""
    if isinstance(exc, anthropic.APITimeoutError):
        error = ModelClientError(
            "the Anthropic request timed out; raise timeout= or check that the server is responsive",
            retryable=True,
        )
        return Failure(error)
    if isinstance(exc, anthropic.APIConnectionError):
        error = ModelClientError(
            f"could not reach the Anthropic server ({exc}); check base_url and the network", retryable=True
        )
        return Failure(error)
    if isinstance(exc, anthropic.APIStatusError) and exc.status_code < 400:
        # An error event inside a stream that started fine: the HTTP status says nothing; the type does.
        kind = exc.type or "error"
        error = ModelClientError(
            f"Anthropic reported an error mid-stream ({kind}): {exc.api_message or exc.message}",
            retryable=kind in _RETRYABLE_TYPES,
        )
        return Failure(error)
    if isinstance(exc, anthropic.APIStatusError):
        status = exc.status_code
        should_retry = exc.response.headers.get("x-should-retry")
        retryable = should_retry == "true" or (should_retry != "false" and is_retryable_status(status))
        error = ModelClientError(
            f"Anthropic returned HTTP {status}: {exc.api_message or exc.message}; {_hint(status)}",
            retryable=retryable,
            status_code=status,
        )
        return Failure(error, parse_retry_after(exc.response.headers.get))
    if isinstance(exc, anthropic.AnthropicError):
        return Failure(ModelClientError(f"the Anthropic SDK failed: {exc}", retryable=False))
    return None
