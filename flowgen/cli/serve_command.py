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
from typing import Any

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

GRACE_SECONDS = 30
"""How long a stopping server lets open requests (runs) finish before closing them."""


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
        "--store", help="SQLite file the threads are saved in (default runs.db; FLOWGEN_STORE)"
    )
    parser.add_argument(
        "--api-key", action="append", dest="api_keys", metavar="KEY",
        help="an accepted API key (repeat for more; or FLOWGEN_API_KEYS=k1,k2)",
    )  # fmt: skip
    parser.add_argument(
        "--insecure-no-auth", action="store_true", default=None,
        help="serve without keys (allowed only on 127.0.0.1)",
    )  # fmt: skip
    parser.add_argument("--model", metavar="SPEC", help="model spec for the teams, as for `flowgen run`")
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


def serve(args: argparse.Namespace, console: RichConsole) -> int:
    from flowgen.server.settings import ServerSettings

    given = {k: getattr(args, k) for k in ("host", "port", "store", "api_keys", "insecure_no_auth")}
    settings = ServerSettings(**{k: v for k, v in given.items() if v is not None})
    teams = served_teams(args.files, args.model, component_options(args))
    pool_teams: dict[str, Callable[[], Team]] | None = None
    if args.workers == "ray":
        # The workers build each team themselves, from the file, as this process did.
        pool_teams = {
            name: functools.partial(served_team, _absolute(text), args.model, component_options(args))
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


async def _serve(
    teams: dict[str, Callable[[], Team]],
    settings: Any,
    console: RichConsole,
    pool_teams: dict[str, Callable[[], Team]] | None = None,
    ray_address: str = "auto",
) -> None:
    from flowgen.checkpoint.sqlite import SqliteCheckpointer

    path = settings.store.removeprefix("sqlite:///")
    if pool_teams is None:
        await _serve_app(teams, settings, console, SqliteCheckpointer(path), None)
        return
    from flowgen.distributed import RunPool

    async with RunPool(pool_teams, store=path, address=ray_address) as pool:
        console.print(f"Runs go to {len(pool.workers)} workers on the Ray cluster at {ray_address}.")
        await _serve_app(teams, settings, console, SqliteCheckpointer(path), pool)


async def _serve_app(
    teams: dict[str, Callable[[], Team]], settings: Any, console: RichConsole, store: Any, pool: Any
) -> None:
    import uvicorn

    from flowgen.server.app import create_app

    try:
        app = create_app(teams, settings, store, pool=pool)
        config = uvicorn.Config(
            app, host=settings.host, port=settings.port, log_level=settings.log_level,
            timeout_graceful_shutdown=GRACE_SECONDS,
        )  # fmt: skip
        console.print(f"Serving {sorted(teams)} from {settings.store}; stop with Ctrl-C (or SIGTERM).")
        await uvicorn.Server(config).serve()
    finally:
        await store.aclose()
