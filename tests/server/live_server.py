"""A real uvicorn server on 127.0.0.1 in a thread of the test process, owned by a context manager.

The socket is bound and listening before the server thread starts, so a client can connect at once
(the kernel queues the connection until uvicorn accepts it): nothing waits on a timer. Leaving the
context asks uvicorn to exit and joins its thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import uvicorn
from server_support import Gate, settings, teams

from flowgen.checkpoint import SqliteCheckpointer
from flowgen.server import create_app


def listening_socket() -> socket.socket:
    # IPPROTO_TCP named so asyncio turns Nagle off on accepted connections, as when uvicorn binds itself.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(256)
    return sock


@contextlib.contextmanager
def live_server(tmp_path: Path, gate: Gate | None = None) -> Iterator[str]:
    """The base URL of the test teams served by uvicorn, with the keys of ``server_support``."""
    config = settings(tmp_path)
    store = SqliteCheckpointer(config.store)
    app = create_app(teams(gate or Gate()), config, store)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    sock = listening_socket()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except BaseException as exc:  # reported by the owner below, not lost in the thread
            failure.append(exc)
        finally:
            asyncio.run(store.aclose())

    thread = threading.Thread(target=run, name="live-uvicorn")
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join()
        sock.close()
    if failure:
        raise failure[0]
