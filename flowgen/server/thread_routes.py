"""``/threads``: create (with metadata), list, search, read, delete and copy threads, and read their
history (their runs: :mod:`flowgen.server.run_routes`)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from flowgen.checkpoint.records import Checkpoint, ThreadSnapshot
from flowgen.errors import RequestError, ThreadBusyError
from flowgen.server.context import Context, context
from flowgen.server.request_body import read_model
from flowgen.server.thread_directory import ThreadRecord, canonical
from flowgen.server.thread_status import checkpoint_status, interrupt_json

ThreadId = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")]
ThreadStatus = Literal["idle", "busy", "interrupted"]
MAX_PAGE = 1000


class NewThread(BaseModel):
    """The body of ``POST /threads`` (optional)."""

    model_config = ConfigDict(extra="forbid")

    thread_id: ThreadId | None = Field(default=None, description="the new thread's id (default: a UUID)")
    metadata: dict[str, JsonValue] = Field(
        default={}, description="the caller's own JSON object, searchable with POST /threads/search"
    )


class ThreadSearch(BaseModel):
    """The body of ``POST /threads/search``: every metadata pair must match; newest first."""

    model_config = ConfigDict(extra="forbid")

    metadata: dict[str, JsonValue] = Field(default={}, description="pairs the thread's metadata must hold")
    status: ThreadStatus | None = Field(default=None, description="only threads in this status")
    limit: int = Field(default=100, ge=1, le=MAX_PAGE, description="the most threads to return")
    offset: int = Field(default=0, ge=0, description="how many matching threads to skip")


class CopyThread(BaseModel):
    """The body of ``POST /threads/{id}/copy`` (optional)."""

    model_config = ConfigDict(extra="forbid")

    thread_id: ThreadId | None = Field(default=None, description="the copy's id (default: a UUID)")


class ThreadView(BaseModel):
    """A thread as responses show it (``messages`` only where one thread is shown)."""

    thread_id: str
    created_at: str = Field(description="ISO 8601, UTC")
    metadata: dict[str, JsonValue]
    status: ThreadStatus
    checkpoint_id: str | None = Field(description="the newest checkpoint; null for an empty thread")
    step: int
    stop_reason: str | None
    messages: list[dict[str, JsonValue]] | None = Field(default=None, description="the thread's messages")


class ThreadList(BaseModel):
    """The body of ``GET /threads`` and ``POST /threads/search``."""

    threads: list[ThreadView]


async def create_thread(request: Request) -> Response:
    ctx = context(request)
    owner = ctx.access.owner(request)
    body = await read_model(request, NewThread, ctx.settings.max_body_bytes, optional=True)
    _check_metadata(body.metadata, ctx.settings.max_metadata_bytes)
    record = await _claim_id(ctx, body.thread_id, owner, body.metadata)
    return JSONResponse(await _thread_json(ctx, record, empty=True), status_code=201)


async def list_threads(request: Request) -> Response:
    ctx = context(request)
    caller = ctx.access.caller(request)
    limit, offset = _limit(request) or 100, _offset(request)
    records = await ctx.directory.listing(None if caller.admin else caller.owner, limit=limit, offset=offset)
    return JSONResponse({"threads": [await _thread_json(ctx, r, messages=False) for r in records]})


async def search_threads(request: Request) -> Response:
    ctx = context(request)
    caller = ctx.access.caller(request)
    query = await read_model(request, ThreadSearch, ctx.settings.max_body_bytes, optional=True)
    owner = None if caller.admin else caller.owner
    if query.status is None:
        found = await ctx.directory.listing(owner, query.metadata, limit=query.limit, offset=query.offset)
        threads = [await _thread_json(ctx, r, messages=False) for r in found]
    else:  # the status is the runs' and the store's, not the directory's: filter, then page
        every = [
            await _thread_json(ctx, r, messages=False)
            for r in await ctx.directory.listing(owner, query.metadata)
        ]
        threads = [t for t in every if t["status"] == query.status][query.offset : query.offset + query.limit]
    return JSONResponse({"threads": threads})


async def get_thread(request: Request) -> Response:
    ctx = context(request)
    record = await ctx.own_thread(request)
    return JSONResponse(await _thread_json(ctx, record))


async def delete_thread(request: Request) -> Response:
    """Remove a thread and its checkpoints; refused (409) while a run is on it, here or elsewhere."""
    ctx = context(request)
    record = await ctx.own_thread(request)
    thread_id = record.thread_id
    if ctx.runs.is_busy(thread_id):
        raise _busy_delete(thread_id)
    try:
        # The store's lease: a run starting meanwhile (here or in another server) is refused by it.
        lease = await ctx.store.acquire(thread_id)
    except ThreadBusyError:
        raise _busy_delete(thread_id) from None
    try:
        await ctx.store.delete_thread(thread_id)
        await ctx.directory.remove(thread_id)
    finally:
        await lease.release()
    return Response(status_code=204)


async def copy_thread(request: Request) -> Response:
    """A new thread owned by the caller, holding the same checkpoints (and metadata) as the one copied."""
    ctx = context(request)
    source = await ctx.own_thread(request)
    body = await read_model(request, CopyThread, ctx.settings.max_body_bytes, optional=True)
    record = await _claim_id(ctx, body.thread_id, ctx.access.owner(request), source.metadata)
    try:
        checkpoints = [c async for c in ctx.store.history(source.thread_id)]
        if checkpoints:
            copies = [c.model_copy(update={"thread_id": record.thread_id}) for c in reversed(checkpoints)]
            lease = await ctx.store.acquire(record.thread_id)
            try:
                await ctx.store.put(lease, copies)
            finally:
                await lease.release()
    except BaseException:  # a failed (or cancelled) copy leaves no thread behind
        await ctx.store.delete_thread(record.thread_id)
        await ctx.directory.remove(record.thread_id)
        raise
    return JSONResponse(await _thread_json(ctx, record), status_code=201)


async def thread_history(request: Request) -> Response:
    ctx = context(request)
    record = await ctx.own_thread(request)
    limit = _limit(request)
    checkpoints = [_checkpoint_json(c) async for c in ctx.store.history(record.thread_id, limit=limit)]
    return JSONResponse({"thread_id": record.thread_id, "checkpoints": checkpoints})


async def _claim_id(ctx: Context, wanted: str | None, owner: str, metadata: dict[str, Any]) -> ThreadRecord:
    """Record a new thread under ``wanted`` (or a UUID); 409 when a thread or checkpoints use the id."""
    thread_id = wanted or str(uuid.uuid4())
    taken = RequestError(409, "thread_exists", f"thread {thread_id!r} exists; choose another id or omit it")
    if await ctx.directory.get(thread_id) is not None or await ctx.store.head(thread_id) is not None:
        raise taken
    record = await ctx.directory.add(thread_id, owner, metadata)
    if record is None:  # another request took the id in the meantime
        raise taken
    return record


def _check_metadata(metadata: dict[str, Any], limit: int) -> None:
    size = len(canonical(metadata).encode())
    if size > limit:
        raise RequestError(
            422,
            "metadata_too_large",
            f"the thread's metadata is {size} bytes as JSON; the limit is {limit} (max_metadata_bytes): "
            "keep large data elsewhere and store a reference to it",
        )


def _busy_delete(thread_id: str) -> RequestError:
    return RequestError(
        409,
        "thread_busy",
        f"thread {thread_id!r} is running a run; wait for it to finish (GET /threads/{thread_id} shows "
        "status 'idle' when it has) and delete it then",
    )


def _limit(request: Request) -> int | None:
    raw = request.query_params.get("limit")
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise RequestError(400, "bad_limit", f"limit must be a positive whole number, not {raw!r}")
    return int(raw)


def _offset(request: Request) -> int:
    raw = request.query_params.get("offset", "0")
    if not raw.isdigit():
        raise RequestError(400, "bad_offset", f"offset must be a whole number (0 or more), not {raw!r}")
    return int(raw)


async def _thread_json(
    ctx: Context, record: ThreadRecord, *, messages: bool = True, empty: bool = False
) -> dict[str, Any]:
    """The thread as the API shows it (a :class:`ThreadView`); without its messages in listings.

    ``empty`` says the thread was just made, so there is nothing to read from the store.
    """
    snapshot: ThreadSnapshot | None = None
    head: Checkpoint | None = None
    if messages and not empty:
        snapshot = await ctx.store.get(record.thread_id)
        head = snapshot.checkpoint if snapshot else None
    elif not empty:
        head = await anext(aiter(ctx.store.history(record.thread_id, limit=1)), None)
    shown: dict[str, Any] = {
        "thread_id": record.thread_id,
        "created_at": record.created_at.isoformat(),
        "metadata": record.metadata,
        "status": _status(ctx, record.thread_id, head),
        "checkpoint_id": head.checkpoint_id if head else None,
        "step": head.step if head else 0,
        "stop_reason": head.stop_reason if head else None,
        "interrupt": interrupt_json(head),
    }
    if messages:
        shown["messages"] = snapshot.messages if snapshot else []
    return shown


def _status(ctx: Context, thread_id: str, head: Checkpoint | None) -> ThreadStatus:
    return "busy" if ctx.runs.is_busy(thread_id) else checkpoint_status(head)


def _checkpoint_json(checkpoint: Checkpoint) -> dict[str, Any]:
    return checkpoint.model_dump(mode="json", include={
        "checkpoint_id", "parent_id", "step", "source", "ran", "frontier", "created_at",
        "messages", "stop_reason", "interrupt",
    })  # fmt: skip


ROUTES = [
    Route("/threads", create_thread, methods=["POST"]),
    Route("/threads", list_threads, methods=["GET"]),
    Route("/threads/search", search_threads, methods=["POST"]),
    Route("/threads/{thread_id}", get_thread, methods=["GET"]),
    Route("/threads/{thread_id}", delete_thread, methods=["DELETE"]),
    Route("/threads/{thread_id}/copy", copy_thread, methods=["POST"]),
    Route("/threads/{thread_id}/history", thread_history, methods=["GET"]),
]
