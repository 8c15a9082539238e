"""``flowgen serve``: served teams over HTTP — agents, threads saved in a checkpoint store, runs (wait or SSE).

Needs the ``server`` extra (starlette, uvicorn, sse-starlette, pydantic-settings), imported only
when a server is built. Build an app with :func:`create_app`; every endpoint but ``/health`` and
``/ready`` asks for an API key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowgen.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from flowgen.server.app import create_app
    from flowgen.server.settings import ServerSettings

_LAZY = {"create_app": "flowgen.server.app", "ServerSettings": "flowgen.server.settings"}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

__all__ = ["ServerSettings", "create_app"]
