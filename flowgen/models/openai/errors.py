"""OpenAI SDK exceptions classified as flowgen ModelClientErrors (the SDK error stays the __cause__)."""

from __future__ import annotations

import openai

from flowgen.errors import ModelClientError
from flowgen.models.retry import Failure, is_retryable_status, parse_retry_after

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
    if isinstance(exc, openai.APITimeoutError):
        error = ModelClientError(
            "the OpenAI request timed out; raise timeout= or check that the server is responsive",
            retryable=True,
        )
        return Failure(error)
    if isinstance(exc, openai.APIConnectionError):
        error = ModelClientError(
            f"could not reach the OpenAI server ({exc}); check base_url and the network", retryable=True
        )
        return Failure(error)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        should_retry = exc.response.headers.get("x-should-retry")
        retryable = should_retry == "true" or (should_retry != "false" and is_retryable_status(status))
        error = ModelClientError(
            f"OpenAI returned HTTP {status}: {_server_message(exc)}; {_hint(status)}",
            retryable=retryable,
            status_code=status,
        )
        return Failure(error, parse_retry_after(exc.response.headers.get))
    if isinstance(exc, openai.APIError):
        # An error object inside a stream that started fine (the HTTP status was 200).
        kind = exc.type or "error"
        error = ModelClientError(
            f"OpenAI reported an error mid-stream ({kind}): {exc.message}",
            retryable=kind in ("server_error", "rate_limit_error", "timeout"),
        )
        return Failure(error)
    if isinstance(exc, openai.OpenAIError):
        return Failure(ModelClientError(f"the OpenAI SDK failed: {exc}", retryable=False))
    return None


def empty_reply(model: str) -> ModelClientError:
    return ModelClientError(
        f"the server answered for model {model!r} with no choices; check that it speaks the Chat "
        "Completions API (base_url usually ends in /v1)",
        retryable=False,
    )
