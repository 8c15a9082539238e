"""``/health`` (the process answers), ``/ready`` (the store answers, every agent builds), ``/metrics``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from flowgen.errors import ConfigurationError, FlowgenError, RequestError
from flowgen.server.context import context


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def ready(request: Request) -> Response:
    ctx = context(request)
    checks: dict[str, str] = {}
    try:
        await ctx.store.head("flowgen-ready-probe")
        checks["store"] = "ok"
    except Exception as exc:  # the probe reports any failure of the store; it must not crash
        checks["store"] = f"unavailable: {type(exc).__name__}"
    for name in ctx.agents.names():
        try:
            ctx.agents.describe(name)
            checks[f"agent:{name}"] = "ok"
        except FlowgenError as exc:
            checks[f"agent:{name}"] = f"cannot build: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503
    )


async def metrics(request: Request) -> Response:
    ctx = context(request)
    ctx.access.owner(request)
    if not ctx.settings.metrics_enabled:
        raise RequestError(
            404,
            "metrics_off",
            "metrics are turned off on this server (metrics_enabled=false); ask its operator",
        )
    from flowgen.telemetry.metrics import render_metrics

    try:
        body, content_type = render_metrics(request.headers.get("accept"))
    except ConfigurationError:
        raise RequestError(
            404,
            "metrics_off",
            "metrics are off: start the server with telemetry on (Prometheus metrics) to serve them",
        ) from None
    return Response(body, media_type=content_type)


ROUTES = [
    Route("/health", health, methods=["GET"]),
    Route("/ready", ready, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
]
