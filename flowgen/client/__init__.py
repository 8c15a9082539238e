"""``flowgen.client``: a Python client of ``flowgen serve`` — :class:`Client` (blocking) and :class:`AsyncClient`.

Both cover the whole API: agents, threads (create, list, search, get, delete, copy, state, history)
and runs (background, wait, stream; get, list, cancel, join, and rejoining a stream after its last
event id). Needs the ``client`` extra (httpx), imported only when a client is made. A refusal raises
:class:`flowgen.errors.ServerReplyError` carrying the server's status, error code and message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowgen.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from flowgen.client.async_client import AsyncClient
    from flowgen.client.calls import RunOptions
    from flowgen.client.sse import StreamEvent
    from flowgen.client.sync_client import Client

_LAZY = {
    "AsyncClient": "flowgen.client.async_client",
    "Client": "flowgen.client.sync_client",
    "RunOptions": "flowgen.client.calls",
    "StreamEvent": "flowgen.client.sse",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

__all__ = ["AsyncClient", "Client", "RunOptions", "StreamEvent"]
