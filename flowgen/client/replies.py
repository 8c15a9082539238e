"""What a response means to a client: its JSON (or text), or the server's refusal as an exception."""

from __future__ import annotations

from typing import Any

import httpx

from flowgen.client.calls import ApiCall
from flowgen.errors import ServerReplyError, ServerUnreachableError


def decoded(call: ApiCall, response: httpx.Response) -> Any:
    """The reply ``call`` expects from a successful ``response`` (read already); raise a refusal."""
    if not response.is_success:
        raise refusal(response)
    if call.reply == "none" or not response.content:
        return None
    return response.text if call.reply == "text" else response.json()


def refusal(response: httpx.Response) -> ServerReplyError:
    """The server's ``{"error": {"code", "message"}}`` as an exception (a body in another shape kept as text)."""
    try:
        error = response.json()["error"]
        code, message = str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        code = "http_error"
        said = response.text.strip()[:300] or response.reason_phrase
        message = f"{response.request.method} {response.request.url.path} answered {said!r}"
    return ServerReplyError(response.status_code, code, message, _retry_after(response))


def unreachable(base_url: str, exc: httpx.TransportError) -> ServerUnreachableError:
    return ServerUnreachableError(
        f"no server answered at {base_url} ({type(exc).__name__}: {exc}); is `flowgen serve` running there?"
    )


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after")
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None
