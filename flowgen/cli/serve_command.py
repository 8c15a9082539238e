"""``flowgen serve FILE...``: the teams the files build, served over HTTP (see :mod:`flowgen.server`).

The served teams come only from the files named here; a request names one of them and never brings
code. Each file must expose a builder (``build(model_client=None)``, or a component file), because
every run gets a fresh team. Settings not given as flags come from ``FLOWGEN_*`` variables or ``.env``.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.console import Console as RichConsole

from flowgen.base import Team
from flowgen.cli.loading import (
    Target,
    add_component_options,
    component_options,
    is_component_file,
    load_target,
    split_target,
)
from flowgen.cli.model_spec import pick_model
from flowgen.cli.run_command import build_team
from flowgen.errors import CLIError
from flowgen.models import ChatCompletionClient

if TYPE_CHECKING:
    from flowgen.server.settings import ServerSettings

CLOSE_SECONDS = 5
"""How long past the runs' grace period (``shutdown_grace_seconds``) a stopping server waits for its
connections before closing them."""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "serve",
        help="serve teams over HTTP: agents, threads, runs (wait or SSE); needs the server extra",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("files", nargs="+", metavar="FILE[:NAME]", help="files building the teams to serve")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1; FLOWGEN_HOST)")
    parser.add_argument("--port", type=int, help="port (default 8123; FLOWGEN_PORT; 0 picks a free one)")
    parser.add_argument(
        "--store",
        help="where threads are saved: a SQLite file, or a postgresql:// URL (default runs.db; FLOWGEN_STORE)",
    )
    parser.add_argument(
        "--api-key", action="append", dest="api_keys", metavar="KEY",
        help="an accepted API key (repeat for more; or FLOWGEN_API_KEYS=k1,k2)",
    )  # fmt: skip
    parser.add_argument(
        "--insecure-no-auth", action="store_true", default=None,
        help="serve without keys (allowed only on 127.0.0.1)",
    )  # fmt: skip
    parser.add_argument(
        "--admin-api-key", action="append", dest="admin_api_keys", metavar="KEY",
        help="a key that sees every thread (repeat for more; or FLOWGEN_ADMIN_API_KEYS=k1,k2)",
    )  # fmt: skip
    parser.add_argument(
        "--rate-limit-per-minute", type=int, metavar="N",
        help="requests per minute per key (default 0: no limit; FLOWGEN_RATE_LIMIT_PER_MINUTE)",
    )  # fmt: skip
    parser.add_argument(
        "--rate-limit-burst", type=int, metavar="N",
        help="requests a key may send at once (default: a minute's worth; FLOWGEN_RATE_LIMIT_BURST)",
    )  # fmt: skip
    parser.add_argument(
        "--max-input-chars", type=int, metavar="N",
        help="the longest run input (default 100000; FLOWGEN_MAX_INPUT_CHARS)",
    )  # fmt: skip
    parser.add_argument(
        "--no-metrics", action="store_false", dest="metrics_enabled", default=None,
        help="do not serve /metrics (FLOWGEN_METRICS_ENABLED=false)",
    )  # fmt: skip
    parser.add_argument(
        "--model", metavar="SPEC", help="model spec for the teams, as for `flowgen run` (FLOWGEN_MODEL)"
    )
    parser.add_argument(
        "--workers", choices=["local", "ray"], default="local",
        help="run in this process (local), or spread the runs over a Ray cluster's workers through a "
        "RunPool (ray; needs the ray extra, and the files and store readable on every node)",
    )  # fmt: skip
    parser.add_argument(
        "--ray-address",
        default="auto",
        metavar="ADDRESS",
        help="the Ray cluster for --workers ray (default auto)",
    )
    add_component_options(parser)
    parser.set_defaults(handler=serve)


_FLAGS = (
    "host", "port", "store", "api_keys", "insecure_no_auth", "admin_api_keys", "rate_limit_per_minute",
    "rate_limit_burst", "max_input_chars", "metrics_enabled",
)  # fmt: skip
"""The flags that are settings (each also a ``FLOWGEN_*`` variable)."""


def settings_from(args: argparse.Namespace) -> ServerSettings:
    """The server's settings: the flags given, the rest from ``FLOWGEN_*`` variables and ``.env``."""
    from flowgen.server.settings import ServerSettings

    given = {k: getattr(args, k) for k in _FLAGS}
    return ServerSettings(**{k: v for k, v in given.items() if v is not None})


def serve(args: argparse.Namespace, console: RichConsole) -> int:
    settings = settings_from(args)
    model = args.model or settings.model
    teams = served_teams(args.files, model, component_options(args))
    pool_teams: dict[str, Callable[[], Team]] | None = None
    if args.workers == "ray":
        # The workers build each team themselves, from the file, as this process did.
        pool_teams = {
            name: functools.partial(served_team, _absolute(text), model, component_options(args))
            for name, text in zip(teams, args.files, strict=True)
        }
    asyncio.run(_serve(teams, settings, console, pool_teams, args.ray_address))
    return 0


def _absolute(text: str) -> str:
    """``FILE[:NAME]`` with FILE made absolute: the workers do not share this process's directory."""
    path, name = split_target(text)
    return str(path.resolve()) + (f":{name}" if name else "")


def served_team(text: str, model: str | None, options: dict[str, Any]) -> Team:
    """The team file ``text`` builds (a RunPool worker's factory for ``--workers ray``)."""
    target = load_target(text, **options)
    client = pick_model(model).client if model is not None and not is_component_file(target.path) else None
    return build_team(target, client)


def served_teams(
    files: list[str], model: str | None, options: dict[str, Any]
) -> dict[str, Callable[[], Team]]:
    """Each file's team builder, by name (the file's stem, or NAME), each built once now to check it."""
    teams: dict[str, Callable[[], Team]] = {}
    client = pick_model(model).client if model is not None else None
    for text in files:
        target = load_target(text, **options)
        name = target.name if split_target(text)[1] is not None else target.path.stem
        if name in teams:
            raise CLIError(
                f"two teams are named {name!r}; serve one of them, or name them apart with FILE:NAME"
            )
        if not target.is_factory:
            raise CLIError(
                f"{target.label} is a ready-made team; a server builds a fresh team for every run, so expose "
                "`def build(model_client=None)` instead"
            )
        factory = _factory(target, None if is_component_file(target.path) else client)
        factory()  # fail now, with the file's own error, rather than on the first request
        teams[name] = factory
    return teams


def _factory(target: Target, client: ChatCompletionClient | None) -> Callable[[], Team]:
    return lambda: build_team(target, client)


def shown_store(store: str) -> str:
    """The store as a log may show it: a database URL's password replaced (it comes from FLOWGEN_STORE)."""
    from flowgen.telemetry.redaction import Redactor

    return Redactor(set()).redact(store)


async def _serve(
    teams: dict[str, Callable[[], Team]],
    settings: Any,
    console: RichConsole,
    pool_teams: dict[str, Callable[[], Team]] | None = None,
    ray_address: str = "auto",
) -> None:
    if pool_teams is None:
        await _serve_app(teams, settings, console, None)
        return
    from flowgen.distributed import RunPool

    store = settings.store.removeprefix("sqlite:///")
    async with RunPool(pool_teams, store=store, address=ray_address) as pool:
        console.print(f"Runs go to {len(pool.workers)} workers on the Ray cluster at {ray_address}.")
        await _serve_app(teams, settings, console, pool)


async def _serve_app(
    teams: dict[str, Callable[[], Team]], settings: Any, console: RichConsole, pool: Any
) -> None:
    import uvicorn

    from flowgen.server.app import create_app
    from flowgen.server.stopping_server import StoppingServer
    from flowgen.server.store_url import open_store

    store = open_store(settings.store)
    try:
        app = create_app(teams, settings, store, pool=pool)
        config = uvicorn.Config(
            app, host=settings.host, port=settings.port, log_level=settings.log_level,
            timeout_graceful_shutdown=settings.shutdown_grace_seconds + CLOSE_SECONDS,
        )  # fmt: skip
        console.print(
            f"Serving {sorted(teams)} from {shown_store(settings.store)}; stop with Ctrl-C (or SIGTERM)."
        )
        console.print("The web view is at /ui on the address uvicorn reports below.")
        await StoppingServer(config, app.state.flowgen.runs.stop).serve()
    finally:
        await store.aclose()
