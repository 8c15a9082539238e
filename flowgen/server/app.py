"""The ASGI app: the routes, JSON errors for every refusal, CORS, and who owns the thread directory and the runs."""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from flowgen.base import Team
from flowgen.checkpoint.protocol import Checkpointer
from flowgen.errors import RateLimitedError, RequestError
from flowgen.server import (
    agent_routes,
    openapi,
    probe_routes,
    run_routes,
    state_routes,
    thread_routes,
    web_routes,
)
from flowgen.server.access import Access
from flowgen.server.agents import Agents
from flowgen.server.context import Context
from flowgen.server.run_registry import RunRegistry
from flowgen.server.runs import execute_checked, execute_on_pool
from flowgen.server.settings import ServerSettings
from flowgen.server.thread_directory import open_directory

log = logging.getLogger("flowgen.server")


def create_app(
    teams: Mapping[str, Callable[[], Team]],
    settings: ServerSettings,
    store: Checkpointer,
    *,
    clock: Callable[[], float] | None = None,
    pool: Any = None,
) -> Starlette:
    """An ASGI app serving ``teams`` (name -> factory); threads are saved in ``store``.

    The caller owns ``store`` (closing it after the app stops); the thread directory (owners and
    metadata) is kept in ``settings.store`` too: the same SQLite file or PostgreSQL database. The app
    refuses to build without API keys unless ``settings.insecure_no_auth`` is set and the host is
    127.0.0.1. ``clock`` (monotonic seconds) drives the rate limits; tests pass their own.

    With ``pool`` (a started ``flowgen.distributed.RunPool`` serving the same teams by name, saving in
    the same store) runs go to its workers on a Ray cluster.
    """
    access = Access(settings, clock)
    directory = open_directory(settings.store)
    agents = Agents(teams, store)
    execute = (
        functools.partial(execute_checked, agents, store)
        if pool is None
        else functools.partial(execute_on_pool, pool, agents, store)
    )
    runs = RunRegistry(execute, settings, store)
    ctx = Context(settings, access, store, directory, agents, runs)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        log.info("serving agents %s", agents.names())
        try:
            async with runs.open():  # every run is a task of the app's lifetime; stopping stops them
                yield
        finally:
            await directory.aclose()

    app = Starlette(
        routes=[
            *probe_routes.ROUTES,
            *agent_routes.ROUTES,
            *thread_routes.ROUTES,
            *state_routes.ROUTES,
            *run_routes.ROUTES,
            *openapi.ROUTES,
            *web_routes.ROUTES,
        ],
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=settings.allowed_origins,
                allow_methods=["GET", "POST", "DELETE"],
                allow_headers=[settings.api_key_header, "Content-Type", "Last-Event-ID"],
            )
        ],
        exception_handlers={RequestError: _refused, HTTPException: _http_error},
        lifespan=lifespan,
    )
    app.state.flowgen = ctx
    return app


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestError)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimitedError) else None
    return JSONResponse(
        {"error": {"code": exc.code, "message": str(exc)}}, status_code=exc.status, headers=headers
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    message = f"{request.method} {request.url.path}: {exc.detail}; see GET /agents and POST /threads"
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=exc.status_code)
