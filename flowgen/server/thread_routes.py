"""``/threads``: create one, list them, read one and its history (its runs: :mod:`flowgen.server.run_routes`)."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from flowgen.checkpoint.records import Checkpoint
from flowgen.errors import RequestError
from flowgen.server.context import Context, context
from flowgen.server.request_body import read_model


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
        "status": "busy" if ctx.runs.is_busy(thread_id) else "idle",
        "checkpoint_id": snapshot.checkpoint.checkpoint_id if snapshot else None,
        "step": snapshot.checkpoint.step if snapshot else 0,
        "stop_reason": snapshot.checkpoint.stop_reason if snapshot else None,
        "messages": snapshot.messages if snapshot else [],
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
]
