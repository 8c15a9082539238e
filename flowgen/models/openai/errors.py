"""OpenAI SDK exceptions classified as flowgen ModelClientErrors (the SDK error stays the __cause__)."""

from __future__ import annotations

import json

import openai

from flowgen.errors import ModelClientError
from flowgen.models.http_failure import (
    http_status,
    malformed_body,
    mid_stream,
    sdk_failed,
    timed_out,
    unreachable,
)
from flowgen.models.retry import Failure

_PROVIDER = "OpenAI"

_HINTS = {
    400: "the server rejected the request; check the model name and the create arguments",
    401: "the API key was rejected; check OPENAI_API_KEY (or api_key=)",
    403: "the key may not use this model; check the project's permissions",
    404: "unknown model or endpoint; check the model name and base_url",
    429: "rate limited or out of quota; slow down or raise max_retries",
}


def _hint(status: int) -> str:
    if status >= 500:
        return "the server failed; try again later or raise max_retries"
    return _HINTS.get(status, "see the server's message above")


def _server_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return exc.message


def classify(exc: Exception) -> Failure | None:
    """The Failure for an OpenAI SDK exception; ``None`` for anything else (it propagates unchanged)."""
    if isinstance(exc, json.JSONDecodeError):
        return malformed_body(_PROVIDER, exc)
    if isinstance(exc, openai.APITimeoutError):
        return timed_out(_PROVIDER)
    if isinstance(exc, openai.APIConnectionError):
        return unreachable(_PROVIDER, exc)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        return http_status(_PROVIDER, status, exc.response.headers.get, _server_message(exc), _hint(status))
    if isinstance(exc, openai.APIError):
        # An error object inside a stream that started fine (the HTTP status was 200).
        kind = exc.type or "error"
        retryable = kind in ("server_error", "rate_limit_error", "timeout")
        return mid_stream(_PROVIDER, kind, exc.message, retryable=retryable)
    if isinstance(exc, openai.OpenAIError):
        return sdk_failed(_PROVIDER, exc)
    return None


def empty_reply(model: str) -> ModelClientError:
    return ModelClientError(
        f"the server answered for model {model!r} with no choices; check that it speaks the Chat "
        "Completions API (base_url usually ends in /v1)",
        retryable=False,
    )
