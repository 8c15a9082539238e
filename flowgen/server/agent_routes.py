"""``/agents``: the served teams, one of them, and its graph as JSON."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from flowgen.server.context import context


async def list_agents(request: Request) -> Response:
    ctx = context(request)
    ctx.access.owner(request)
    return JSONResponse({"agents": [ctx.agents.describe(name) for name in ctx.agents.names()]})


async def get_agent(request: Request) -> Response:
    ctx = context(request)
    ctx.access.owner(request)
    return JSONResponse(ctx.agents.describe(_known(request)))


async def agent_graph(request: Request) -> Response:
    ctx = context(request)
    ctx.access.owner(request)
    return JSONResponse(ctx.agents.graph(_known(request)))


def _known(request: Request) -> str:
    return context(request).agents.require(request.path_params["name"])


ROUTES = [
    Route("/agents", list_agents, methods=["GET"]),
    Route("/agents/{name}", get_agent, methods=["GET"]),
    Route("/agents/{name}/graph", agent_graph, methods=["GET"]),
]
