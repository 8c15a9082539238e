"""``/threads/{id}/runs``: start a run (in the background, waited for, or streamed), list, get, cancel,
join, and rejoin a run's stream after the last event seen (``Last-Event-ID``)."""

from __future__ import annotations

import asyncio
import contextlib

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from flowgen.errors import RequestError
from flowgen.server.context import context
from flowgen.server.event_stream import EventStream
from flowgen.server.request_body import check_text_size, read_model
from flowgen.server.run_exec import check_run
from flowgen.server.run_registry import Run
from flowgen.server.run_request import RunRequest
from flowgen.server.runs import busy

CANCEL_WAIT_SECONDS = 10.0
"""How long ``/cancel`` waits for the run to unwind before answering (its status may still say running)."""


async def start_run(request: Request) -> Response:
    run = await _start(request)
    return JSONResponse(run.json(), status_code=202)


async def run_wait(request: Request) -> Response:
    run = await _start(request)
    try:
        await run.ended.wait()
    except asyncio.CancelledError:  # the caller went away: its run goes with it
        context(request).runs.cancel(run)
        raise
    return _result(run)


async def run_stream(request: Request) -> Response:
    body = await _request(request)
    ctx = context(request)
    run = ctx.runs.start(request.path_params["thread_id"], body)
    leave = (lambda: ctx.runs.cancel(run)) if body.on_disconnect == "cancel" else None
    return _AsgiResponse(EventStream(run.log, 0, ctx.settings.heartbeat_seconds, on_disconnect=leave))


async def list_runs(request: Request) -> Response:
    ctx = context(request)
    record = await ctx.own_thread(request)
    return JSONResponse({"runs": [r.json() for r in ctx.runs.of_thread(record.thread_id)]})


async def get_run(request: Request) -> Response:
    return JSONResponse((await _own_run(request)).json())


async def cancel_run(request: Request) -> Response:
    run = await _own_run(request)
    context(request).runs.cancel(run)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(CANCEL_WAIT_SECONDS):
            await run.ended.wait()
    return JSONResponse(run.json(), status_code=202)


async def join_run(request: Request) -> Response:
    run = await _own_run(request)
    await run.ended.wait()
    return _result(run)


async def rejoin_stream(request: Request) -> Response:
    run = await _own_run(request)
    after = _last_event_id(request)
    return _AsgiResponse(EventStream(run.log, after, context(request).settings.heartbeat_seconds))


class _AsgiResponse(Response):
    """Hands the connection to an ASGI callable (the event stream) instead of a body."""

    def __init__(self, app: EventStream) -> None:
        super().__init__()
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)


async def _request(request: Request) -> RunRequest:
    """Check everything a run needs before it starts, so that refusals are plain 4xx."""
    ctx = context(request)
    record = await ctx.own_thread(request)
    body = await read_model(request, RunRequest, ctx.settings.max_body_bytes)
    for field in ("input", "resume"):
        check_text_size(field, getattr(body, field, None), ctx.settings.max_input_chars)
    ctx.agents.require(body.agent)
    if not ctx.runs.is_busy(record.thread_id):
        # A busy thread's state is the running run's to change: an enqueued run is checked when it starts.
        await check_run(ctx.store, ctx.agents, record.thread_id, body)
    elif body.multitask_strategy == "reject":
        raise busy(record.thread_id)
    return body


async def _start(request: Request) -> Run:
    body = await _request(request)
    return context(request).runs.start(request.path_params["thread_id"], body)


async def _own_run(request: Request) -> Run:
    ctx = context(request)
    record = await ctx.own_thread(request)
    return ctx.runs.get(record.thread_id, request.path_params["run_id"])


def _result(run: Run) -> Response:
    if run.status == "error" and run.error is not None:
        return JSONResponse({"error": run.error, "run": run.json()}, status_code=run.error_status)
    return JSONResponse(run.result_json())


def _last_event_id(request: Request) -> int:
    raw = request.headers.get("last-event-id", request.query_params.get("last_event_id", "0")).strip()
    if not raw.isdigit():
        raise RequestError(
            400,
            "bad_last_event_id",
            f"Last-Event-ID must be the id of an event of this run (a whole number >= 0), not {raw!r}",
        )
    return int(raw)


ROUTES = [
    Route("/threads/{thread_id}/runs", start_run, methods=["POST"]),
    Route("/threads/{thread_id}/runs", list_runs, methods=["GET"]),
    Route("/threads/{thread_id}/runs/wait", run_wait, methods=["POST"]),
    Route("/threads/{thread_id}/runs/stream", run_stream, methods=["POST"]),
    Route("/threads/{thread_id}/runs/{run_id}", get_run, methods=["GET"]),
    Route("/threads/{thread_id}/runs/{run_id}/cancel", cancel_run, methods=["POST"]),
    Route("/threads/{thread_id}/runs/{run_id}/join", join_run, methods=["GET"]),
    Route("/threads/{thread_id}/runs/{run_id}/stream", rejoin_stream, methods=["GET"]),
]
