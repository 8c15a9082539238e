"""``/openapi.json``: an OpenAPI 3.1 document of every route the app serves.

Each route is described once in :data:`OPERATIONS` (summary, request body model, success response,
query parameters); request bodies are the JSON schemas of the pydantic models the routes validate
with. The document lists the routes the app really serves (read from the app's routes), so a route
with no entry here is missing from it, and the tests say so. Served with the API key like every
route but ``/health`` and ``/ready`` (without one in ``--insecure-no-auth`` mode): it holds no
secret, but nothing else about the server is shown to an anonymous caller either.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from flowgen.server.context import context
from flowgen.server.run_request import RunRequest
from flowgen.server.thread_routes import CopyThread, NewThread, ThreadList, ThreadSearch, ThreadView


@dataclass(frozen=True, slots=True)
class Operation:
    summary: str
    status: int = 200
    returns: str = "application/json"
    body: type[BaseModel] | None = None
    body_required: bool = False
    response: type[BaseModel] | None = None
    query: tuple[tuple[str, str], ...] = ()
    public: bool = False


_LIMIT = ("limit", "the most items to return (a positive whole number)")
_OFFSET = ("offset", "how many items to skip (default 0)")
_SSE = "text/event-stream"

OPERATIONS: dict[tuple[str, str], Operation] = {
    ("GET", "/health"): Operation("Liveness: the process answers", public=True),
    ("GET", "/ready"): Operation(
        "Readiness: the store answers and every agent builds (503 otherwise)", public=True
    ),
    ("GET", "/metrics"): Operation("Prometheus metrics (404 when metrics are off)", returns="text/plain"),
    ("GET", "/openapi.json"): Operation("This document"),
    ("GET", "/agents"): Operation("The served agents"),
    ("GET", "/agents/{name}"): Operation("One served agent"),
    ("GET", "/agents/{name}/graph"): Operation("The agent's graph as JSON"),
    ("GET", "/agents/{name}/graph.svg"): Operation("The agent's graph drawn as SVG", returns="image/svg+xml"),
    ("POST", "/threads"): Operation(
        "Create a thread owned by the caller", status=201, body=NewThread, response=ThreadView
    ),
    ("GET", "/threads"): Operation(
        "The caller's threads, newest first", query=(_LIMIT, _OFFSET), response=ThreadList
    ),
    ("POST", "/threads/search"): Operation(
        "Search the caller's threads by metadata and status", body=ThreadSearch, response=ThreadList
    ),
    ("GET", "/threads/{thread_id}"): Operation(
        "The thread: metadata, status, head checkpoint, messages", response=ThreadView
    ),
    ("DELETE", "/threads/{thread_id}"): Operation("Delete the thread and its checkpoints", status=204),
    ("POST", "/threads/{thread_id}/copy"): Operation(
        "Copy the thread's checkpoints into a new thread owned by the caller",
        status=201,
        body=CopyThread,
        response=ThreadView,
    ),
    ("GET", "/threads/{thread_id}/history"): Operation(
        "The thread's checkpoints, newest first", query=(_LIMIT,)
    ),
    ("GET", "/threads/{thread_id}/state"): Operation(
        "The thread's state at a checkpoint",
        query=(("checkpoint_id", "the checkpoint (default: the newest)"),),
    ),
    ("POST", "/threads/{thread_id}/runs"): Operation(
        "Start a background run", status=202, body=RunRequest, body_required=True
    ),
    ("GET", "/threads/{thread_id}/runs"): Operation("The thread's runs"),
    ("POST", "/threads/{thread_id}/runs/wait"): Operation(
        "Run an agent to the end", body=RunRequest, body_required=True
    ),
    ("POST", "/threads/{thread_id}/runs/stream"): Operation(
        "Run an agent, streaming its messages and events (SSE)",
        returns=_SSE,
        body=RunRequest,
        body_required=True,
    ),
    ("GET", "/threads/{thread_id}/runs/{run_id}"): Operation("One run"),
    ("POST", "/threads/{thread_id}/runs/{run_id}/cancel"): Operation("Cancel a run", status=202),
    ("GET", "/threads/{thread_id}/runs/{run_id}/join"): Operation("Wait for a run to end"),
    ("GET", "/threads/{thread_id}/runs/{run_id}/stream"): Operation(
        "Follow a run's events (SSE), after Last-Event-ID when given",
        returns=_SSE,
        query=(("last_event_id", "replay the events after this id"),),
    ),
}

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}
_REFUSALS = {
    "400": "malformed request",
    "401": "missing or wrong API key",
    "404": "unknown agent, thread or route",
    "409": "conflict (a busy thread, a taken id)",
    "413": "body or input too large",
    "422": "body does not fit the schema",
    "429": "rate limited (see Retry-After)",
}


def served(routes: Sequence[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    """Every (method, path) the routes answer, mounts included; routes kept out of the schema skipped."""
    for route in routes:
        if isinstance(route, Route) and route.include_in_schema:
            for method in sorted((route.methods or set()) - {"HEAD"}):
                yield method, prefix + route.path
        elif isinstance(route, Mount):
            yield from served(route.routes, prefix + route.path)


def document(routes: Sequence[BaseRoute], header: str, keyed: bool) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``routes``; ``keyed`` when requests need the key in ``header``."""
    schemas: dict[str, Any] = {"Error": _ERROR}
    paths: dict[str, dict[str, Any]] = {}
    for method, path in served(routes):
        operation = OPERATIONS.get((method, path))
        if operation is not None:
            paths.setdefault(path, {})[method.lower()] = _operation(method, path, operation, schemas, keyed)
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "flowgen serve", "version": "1", "description": "Served teams over HTTP."},
        "paths": paths,
        "components": {"schemas": schemas},
    }
    if keyed:
        doc["components"]["securitySchemes"] = {"ApiKey": {"type": "apiKey", "in": "header", "name": header}}
        doc["security"] = [{"ApiKey": []}]
    return doc


def _operation(method: str, path: str, op: Operation, schemas: dict[str, Any], keyed: bool) -> dict[str, Any]:
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", path)
    ]
    params += [{"name": n, "in": "query", "required": False, "description": d, "schema": {"type": "string"}}
               for n, d in op.query]  # fmt: skip
    ok: dict[str, Any] = {"description": op.summary}
    if op.response is not None:
        ok["content"] = {op.returns: {"schema": _schema(op.response, schemas)}}
    elif op.status != 204:
        ok["content"] = {
            op.returns: {"schema": {"type": "string"} if op.returns != "application/json" else {}}
        }
    responses: dict[str, Any] = {str(op.status): ok}
    if not op.public:
        error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        responses |= {status: {"description": why, **error} for status, why in _REFUSALS.items()}
    shown: dict[str, Any] = {
        "operationId": f"{method.lower()}_{re.sub(r'[^A-Za-z0-9]+', '_', path).strip('_')}",
        "summary": op.summary,
        "responses": responses,
    }
    if params:
        shown["parameters"] = params
    if op.body is not None:
        shown["requestBody"] = {
            "required": op.body_required,
            "content": {"application/json": {"schema": _schema(op.body, schemas)}},
        }
    if op.public or not keyed:
        shown["security"] = []
    return shown


def _schema(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, str]:
    found = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(found.pop("$defs", {}))
    schemas[model.__name__] = found
    return {"$ref": f"#/components/schemas/{model.__name__}"}


async def openapi_json(request: Request) -> Response:
    ctx = context(request)
    ctx.access.caller(request)
    return JSONResponse(document(request.app.routes, ctx.access.header, keyed=not ctx.access.open))


ROUTES = [Route("/openapi.json", openapi_json, methods=["GET"])]
