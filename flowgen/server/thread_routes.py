"""``/threads``: create one, read it and its history, and run an agent on it (wait, or stream as SSE)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sse_starlette import EventSourceResponse
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from flowgen.checkpoint.records import Checkpoint
from flowgen.errors import RequestError
from flowgen.server.context import Context, context
from flowgen.server.request_body import read_model
from flowgen.server.run_exec import check_run
from flowgen.server.run_request import RunRequest
from flowgen.server.thread_status import interrupt_json, thread_status
from flowgen.telemetry.redaction import Redactor


class NewThread(BaseModel):
    """The body of ``POST /threads`` (optional)."""

    model_config = ConfigDict(extra="forbid")

    thread_id: str | None = Field(default=None, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")


async def create_thread(request: Request) -> Response:
    ctx = context(request)
    owner = ctx.access.owner(request)
    body = await read_model(request, NewThread, ctx.settings.max_body_bytes, optional=True)
    thread_id = body.thread_id or str(uuid.uuid4())
    if await ctx.directory.get(thread_id) is not None or await ctx.store.head(thread_id) is not None:
        raise RequestError(409, "thread_exists", f"thread {thread_id!r} exists; choose another id or omit it")
    record = await ctx.directory.add(thread_id, owner)
    return JSONResponse(
        _thread_json(ctx, record.thread_id, record.created_at.isoformat(), None), status_code=201
    )


async def list_threads(request: Request) -> Response:
    ctx = context(request)
    records = await ctx.directory.owned_by(ctx.access.owner(request), _limit(request))
    threads = [{"thread_id": r.thread_id, "created_at": r.created_at.isoformat(),
                "status": "busy" if ctx.runs.is_busy(r.thread_id) else "idle"} for r in records]  # fmt: skip
    return JSONResponse({"threads": threads})


async def get_thread(request: Request) -> Response:
    ctx = context(request)
    record = await ctx.own_thread(request)
    snapshot = await ctx.store.get(record.thread_id)
    return JSONResponse(_thread_json(ctx, record.thread_id, record.created_at.isoformat(), snapshot))


async def thread_history(request: Request) -> Response:
    ctx = context(request)
    record = await ctx.own_thread(request)
    limit = _limit(request)
    checkpoints = [_checkpoint_json(c) async for c in ctx.store.history(record.thread_id, limit=limit)]
    return JSONResponse({"thread_id": record.thread_id, "checkpoints": checkpoints})


async def run_wait(request: Request) -> Response:
    ctx, thread_id, run = await _start(request)
    messages: list[dict[str, Any]] = []
    end: dict[str, Any] = {}
    try:
        async for kind, data in ctx.runs.stream(thread_id, run):
            if kind == "message":
                messages.append(data)
            elif kind == "end":
                end = data
    except RequestError:
        raise
    except Exception as exc:  # the run's own failure, reported to its caller (cancellation still propagates)
        return JSONResponse({"error": _failure(thread_id, exc)}, status_code=500)
    finally:
        ctx.runs.release(thread_id)
    return JSONResponse({**end, "messages": messages})


async def run_stream(request: Request) -> Response:
    ctx, thread_id, run = await _start(request)

    async def events() -> AsyncIterator[dict[str, str]]:
        number = 0
        try:
            async for kind, data in ctx.runs.stream(thread_id, run):
                number += 1
                yield {"id": str(number), "event": kind, "data": json.dumps(data)}
        except Exception as exc:  # the run's own failure, sent as the stream's last event
            number += 1
            failure = (
                {"code": exc.code, "message": str(exc)}
                if isinstance(exc, RequestError)
                else _failure(thread_id, exc)
            )
            yield {"id": str(number), "event": "error", "data": json.dumps(failure)}
        finally:
            ctx.runs.release(thread_id)

    return RunStream(events(), release=lambda: ctx.runs.release(thread_id))


class RunStream(EventSourceResponse):
    """An SSE response that frees its thread when it ends, even if its run never started streaming."""

    def __init__(self, content: AsyncIterator[dict[str, str]], release: Callable[[], None]) -> None:
        super().__init__(content, ping=15)
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()


async def _start(request: Request) -> tuple[Context, str, RunRequest]:
    """Check everything a run needs before it starts (so refusals are plain 4xx), then claim the thread."""
    ctx = context(request)
    record = await ctx.own_thread(request)
    run = await read_model(request, RunRequest, ctx.settings.max_body_bytes)
    await check_run(ctx.store, ctx.agents, record.thread_id, run)
    ctx.runs.claim(record.thread_id)
    return ctx, record.thread_id, run


def _failure(thread_id: str, exc: Exception) -> dict[str, str]:
    # An SDK may quote a key in its error text: secrets never reach a response.
    said = Redactor().redact(str(exc))
    return {
        "code": "run_failed",
        "message": f"the run failed: {type(exc).__name__}: {said}; the thread keeps every step before the "
        f"failure, so fix the cause and run it again without input to continue (POST /threads/{thread_id}/runs/wait)",
    }


def _limit(request: Request) -> int | None:
    raw = request.query_params.get("limit")
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise RequestError(400, "bad_limit", f"limit must be a positive whole number, not {raw!r}")
    return int(raw)


def _thread_json(ctx: Context, thread_id: str, created_at: str, snapshot: Any) -> dict[str, Any]:
    return {
        "thread_id": thread_id,
        "created_at": created_at,
        "status": "busy" if ctx.runs.is_busy(thread_id) else thread_status(snapshot),
        "checkpoint_id": snapshot.checkpoint.checkpoint_id if snapshot else None,
        "step": snapshot.checkpoint.step if snapshot else 0,
        "stop_reason": snapshot.checkpoint.stop_reason if snapshot else None,
        "messages": snapshot.messages if snapshot else [],
        "interrupt": interrupt_json(snapshot.checkpoint if snapshot else None),
    }


def _checkpoint_json(checkpoint: Checkpoint) -> dict[str, Any]:
    return checkpoint.model_dump(mode="json", include={
        "checkpoint_id", "parent_id", "step", "source", "ran", "frontier", "created_at",
        "messages", "stop_reason", "interrupt",
    })  # fmt: skip


ROUTES = [
    Route("/threads", create_thread, methods=["POST"]),
    Route("/threads", list_threads, methods=["GET"]),
    Route("/threads/{thread_id}", get_thread, methods=["GET"]),
    Route("/threads/{thread_id}/history", thread_history, methods=["GET"]),
    Route("/threads/{thread_id}/runs/wait", run_wait, methods=["POST"]),
    Route("/threads/{thread_id}/runs/stream", run_stream, methods=["POST"]),
]
