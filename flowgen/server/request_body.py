"""Reading a request's JSON body: bounded in size, and every failure a clear 4xx."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from flowgen.errors import RequestError

M = TypeVar("M", bound=BaseModel)


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refusing (413) one longer than ``limit`` bytes before reading past the limit."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_model(request: Request, model: type[M], limit: int, *, optional: bool = False) -> M:
    """The body validated as ``model``; an empty body is ``model()`` when ``optional``."""
    body = await read_body(request, limit)
    if not body.strip() and optional:
        return model()
    try:
        data: Any = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RequestError(
            400, "malformed_json", f"the request body is not valid JSON ({exc}); send a JSON object"
        ) from None
    except RecursionError:  # a body of nested brackets: refused, never a crash of the handler
        raise RequestError(
            400, "malformed_json", "the request body nests too deeply to read; send flatter JSON"
        ) from None
    if not isinstance(data, dict):
        raise RequestError(
            400, "malformed_json", f"the request body must be a JSON object, not {type(data).__name__}"
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
        raise RequestError(422, "invalid_body", f"the request body does not fit: {problems}") from None


def _too_large(limit: int) -> RequestError:
    return RequestError(
        413,
        "body_too_large",
        f"the request body is larger than {limit} bytes; send less, or raise --max-body-bytes",
    )


def check_text_size(field: str, text: str | None, limit: int) -> None:
    """Refuse (413) a message longer than ``limit`` characters, naming the field and the limit."""
    if text is not None and len(text) > limit:
        raise RequestError(
            413,
            "input_too_large",
            f"{field} is {len(text)} characters; the limit is {limit} (max_input_chars): send a shorter "
            "message, or start the server with a larger --max-input-chars",
        )
