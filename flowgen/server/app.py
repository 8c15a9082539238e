"""The ASGI app: the routes, JSON errors for every refusal, CORS, and who owns the thread directory."""

from __future__ import annotations

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
from flowgen.errors import ConfigurationError, RequestError
from flowgen.server import agent_routes, probe_routes, thread_routes
from flowgen.server.access import Access
from flowgen.server.agents import Agents
from flowgen.server.context import Context
from flowgen.server.runs import Runs
from flowgen.server.settings import ServerSettings
from flowgen.server.thread_directory import ThreadDirectory

log = logging.getLogger("flowgen.server")


def create_app(
    teams: Mapping[str, Callable[[], Team]],
    settings: ServerSettings,
    store: Checkpointer,
    *,
    pool: Any = None,
) -> Starlette:
    """An ASGI app serving ``teams`` (name -> factory); threads are saved in ``store``.

    With ``pool`` (a started ``flowgen.distributed.RunPool`` serving the same teams by name, saving in
    the same store) runs go to its workers on a Ray cluster.

    The caller owns ``store`` (closing it after the app stops). The app refuses to build without API
    keys unless ``settings.insecure_no_auth`` is set and the host is 127.0.0.1.
    """
    access = Access(settings)
    directory = ThreadDirectory(_directory_path(settings.store))
    agents = Agents(teams, store)
    ctx = Context(settings, access, store, directory, agents, Runs(agents, pool))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        log.info("serving agents %s", agents.names())
        yield
        directory.close()

    app = Starlette(
        routes=[*probe_routes.ROUTES, *agent_routes.ROUTES, *thread_routes.ROUTES],
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=settings.allowed_origins,
                allow_methods=["GET", "POST"],
                allow_headers=[settings.api_key_header, "Content-Type", "Last-Event-ID"],
            )
        ],
        exception_handlers={RequestError: _refused, HTTPException: _http_error},
        lifespan=lifespan,
    )
    app.state.flowgen = ctx
    return app


def _directory_path(store: str) -> str:
    if store.startswith(("postgresql://", "postgres://")):
        raise ConfigurationError(
            "the server keeps thread owners in SQLite for now; give --store a SQLite file (e.g. runs.db)"
        )
    return store.removeprefix("sqlite:///")


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestError)
    return JSONResponse({"error": {"code": exc.code, "message": str(exc)}}, status_code=exc.status)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    message = f"{request.method} {request.url.path}: {exc.detail}; see GET /agents and POST /threads"
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=exc.status_code)
