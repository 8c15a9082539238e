"""Anthropic SDK exceptions classified as flowgen ModelClientErrors (the SDK error stays the __cause__)."""

from __future__ import annotations

import json

import anthropic

from flowgen.models.http_failure import (
    http_status,
    malformed_body,
    mid_stream,
    sdk_failed,
    timed_out,
    unreachable,
)
from flowgen.models.retry import Failure

_PROVIDER = "Anthropic"

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
    if isinstance(exc, json.JSONDecodeError):
        return malformed_body(_PROVIDER, exc)
    if isinstance(exc, anthropic.APITimeoutError):
        return timed_out(_PROVIDER)
    if isinstance(exc, anthropic.APIConnectionError):
        return unreachable(_PROVIDER, exc)
    if isinstance(exc, anthropic.APIStatusError) and exc.status_code < 400:
        # An error event inside a stream that started fine: the status says nothing; the type does.
        kind = exc.type or "error"
        message = exc.api_message or exc.message
        return mid_stream(_PROVIDER, kind, message, retryable=kind in _RETRYABLE_TYPES)
    if isinstance(exc, anthropic.APIStatusError):
        status = exc.status_code
        message = exc.api_message or exc.message
        return http_status(_PROVIDER, status, exc.response.headers.get, message, _hint(status))
    if isinstance(exc, anthropic.AnthropicError):
        return sdk_failed(_PROVIDER, exc)
    return None
