"""The web view's routes: the pages (no key: they hold no data), their static files, and graph SVGs (keyed).

- ``GET /ui``: agents and threads; start a thread with a task.
- ``GET /ui/threads/{id}``: the thread's graph with its run drawn live, messages, steps, token usage,
  and an input box when it waits for a person.
- ``GET /ui/static/{file}``: the pages' scripts and styles.
- ``GET /agents/{name}/graph.svg``: the agent's graph drawn by visualize, nodes named by ``data-node``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from flowgen.server.context import context
from flowgen.server.web.assets import SECURITY_HEADERS, Assets
from flowgen.server.web.graph_svg import GraphDrawings


def _assets(request: Request) -> Assets:
    state = request.app.state
    if getattr(state, "web_assets", None) is None:
        settings = context(request).settings
        state.web_assets = Assets(
            settings.api_key_header, not (settings.insecure_no_auth and not settings.api_keys)
        )
    found: Assets = state.web_assets
    return found


def _drawings(request: Request) -> GraphDrawings:
    state = request.app.state
    if getattr(state, "graph_drawings", None) is None:
        state.graph_drawings = GraphDrawings(context(request).agents)
    found: GraphDrawings = state.graph_drawings
    return found


async def home(request: Request) -> Response:
    return RedirectResponse("/ui", status_code=307)


async def index_page(request: Request) -> Response:
    return HTMLResponse(_assets(request).page("index.html"), headers=SECURITY_HEADERS)


async def thread_page(request: Request) -> Response:
    return HTMLResponse(_assets(request).page("thread.html"), headers=SECURITY_HEADERS)


async def static_file(request: Request) -> Response:
    asset = _assets(request).file(request.path_params["file"])
    headers = {**SECURITY_HEADERS, "Cache-Control": "no-cache"}
    return Response(asset.body, media_type=asset.media_type, headers=headers)


async def graph_svg(request: Request) -> Response:
    ctx = context(request)
    ctx.access.owner(request)
    svg = await _drawings(request).svg(request.path_params["name"])
    return Response(svg, media_type="image/svg+xml", headers=SECURITY_HEADERS)


ROUTES = [
    # The pages and their files are not API: the OpenAPI document leaves them out.
    Route("/", home, methods=["GET"], include_in_schema=False),
    Route("/ui", index_page, methods=["GET"], include_in_schema=False),
    Route("/ui/threads/{thread_id}", thread_page, methods=["GET"], include_in_schema=False),
    Route("/ui/static/{file}", static_file, methods=["GET"], include_in_schema=False),
    Route("/agents/{name}/graph.svg", graph_svg, methods=["GET"]),
]
