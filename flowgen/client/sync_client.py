"""``Client``: the server's whole API from plain (blocking) code, over httpx; the twin of ``AsyncClient``.

Example (against a running ``flowgen serve``)::

    with Client("http://127.0.0.1:8123", api_key=KEY) as client:
        thread = client.create_thread()
        for event in client.stream_run(thread["thread_id"], "write_review", input="A haiku"):
            print(event.id, event.event, event.data)
"""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import Any, Unpack

import httpx

from flowgen.client import calls
from flowgen.client.calls import ApiCall, RunOptions
from flowgen.client.replies import decoded, refusal, unreachable
from flowgen.client.sse import SseDecoder, StreamEvent

JSON = dict[str, Any]
KEEPALIVE_SECONDS = 4.0


class Client:
    """A client of one ``flowgen serve`` server; close it (``with``, or :meth:`close`).

    Args:
        base_url: where the server listens, e.g. ``http://127.0.0.1:8123``.
        api_key: sent in ``api_key_header`` with every request (none for a server run with
            ``--insecure-no-auth``).
        timeout: seconds to wait for a reply (a stream waits for each event this long; the server
            sends a heartbeat more often).
        max_connections: how many requests may be open at once (streams each hold one).
        transport: an httpx transport, e.g. ``httpx.MockTransport``.

    Every refusal raises :class:`flowgen.errors.ServerReplyError` with the server's status, code and
    message; no server at ``base_url`` raises :class:`flowgen.errors.ServerUnreachableError`.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        api_key_header: str = "X-API-Key",
        timeout: float = 60.0,
        max_connections: int = 100,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url
        headers = {api_key_header: api_key} if api_key else {}
        self._http = httpx.Client(
            base_url=base_url,
            headers=headers,
            timeout=timeout,
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_connections,
                # Below the server's 5 s keep-alive, so an idle connection is dropped here first and
                # never reused just as the server closes it (a POST cannot be retried safely).
                keepalive_expiry=KEEPALIVE_SECONDS,
            ),
            transport=transport,
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # Probes
    def health(self) -> JSON:
        return self._json(calls.health())

    def ready(self) -> JSON:
        """The readiness report; a server that is not ready raises (503) with its checks in the message."""
        return self._json(calls.ready())

    # Agents
    def list_agents(self) -> list[JSON]:
        found: list[JSON] = (self._send(calls.list_agents()))["agents"]
        return found

    def get_agent(self, name: str) -> JSON:
        return self._json(calls.get_agent(name))

    def agent_graph(self, name: str) -> JSON:
        return self._json(calls.agent_graph(name))

    def agent_graph_svg(self, name: str) -> str:
        svg: str = self._send(calls.agent_graph_svg(name))
        return svg

    # Threads
    def create_thread(self, thread_id: str | None = None, metadata: JSON | None = None) -> JSON:
        return self._json(calls.create_thread(thread_id, metadata))

    def list_threads(self, limit: int | None = None, offset: int | None = None) -> list[JSON]:
        found: list[JSON] = (self._send(calls.list_threads(limit, offset)))["threads"]
        return found

    def search_threads(
        self,
        metadata: JSON | None = None,
        status: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> list[JSON]:
        found: list[JSON] = (self._send(calls.search_threads(metadata, status, limit, offset)))["threads"]
        return found

    def get_thread(self, thread_id: str) -> JSON:
        return self._json(calls.get_thread(thread_id))

    def delete_thread(self, thread_id: str) -> None:
        self._send(calls.delete_thread(thread_id))

    def copy_thread(self, thread_id: str, new_thread_id: str | None = None) -> JSON:
        return self._json(calls.copy_thread(thread_id, new_thread_id))

    def thread_state(self, thread_id: str, checkpoint_id: str | None = None) -> JSON:
        return self._json(calls.thread_state(thread_id, checkpoint_id))

    def thread_history(self, thread_id: str, limit: int | None = None) -> list[JSON]:
        found: list[JSON] = (self._send(calls.thread_history(thread_id, limit)))["checkpoints"]
        return found

    # Runs
    def create_run(self, thread_id: str, agent: str, **options: Unpack[RunOptions]) -> JSON:
        """Start a run in the background (202); follow it with get_run, join_run or join_stream."""
        return self._json(calls.start_run(thread_id, "", agent, options))

    def wait_run(self, thread_id: str, agent: str, **options: Unpack[RunOptions]) -> JSON:
        """Run to its end: the run with its ``messages``, ``stop_reason`` and ``checkpoint_id``."""
        return self._json(calls.start_run(thread_id, "wait", agent, options))

    def stream_run(self, thread_id: str, agent: str, **options: Unpack[RunOptions]) -> Iterator[StreamEvent]:
        """The run's events as they happen (close early with ``contextlib.closing``)."""
        return self._stream(calls.start_run(thread_id, "stream", agent, options))

    def list_runs(self, thread_id: str) -> list[JSON]:
        found: list[JSON] = (self._send(calls.list_runs(thread_id)))["runs"]
        return found

    def get_run(self, thread_id: str, run_id: str) -> JSON:
        return self._json(calls.get_run(thread_id, run_id))

    def cancel_run(self, thread_id: str, run_id: str) -> JSON:
        return self._json(calls.cancel_run(thread_id, run_id))

    def join_run(self, thread_id: str, run_id: str) -> JSON:
        """Wait for a run to end: the same body as :meth:`wait_run`."""
        return self._json(calls.join_run(thread_id, run_id))

    def join_stream(
        self, thread_id: str, run_id: str, last_event_id: int | str | None = None
    ) -> Iterator[StreamEvent]:
        """A run's events from the start, or only those after ``last_event_id`` (none lost or repeated)."""
        return self._stream(calls.join_stream(thread_id, run_id, last_event_id))

    def _json(self, call: ApiCall) -> JSON:
        found: JSON = self._send(call)
        return found

    def _send(self, call: ApiCall) -> Any:
        try:
            response = self._http.request(
                call.method, call.path, json=call.body, params=call.params, headers=call.headers
            )
        except httpx.ConnectError as exc:
            raise unreachable(self.base_url, exc) from exc
        return decoded(call, response)

    def _stream(self, call: ApiCall) -> Iterator[StreamEvent]:
        headers = {"Accept": "text/event-stream", **(call.headers or {})}
        try:
            opened = self._http.stream(
                call.method, call.path, json=call.body, params=call.params, headers=headers
            )
            with opened as response:
                if not response.is_success:
                    response.read()
                    raise refusal(response)
                decoder = SseDecoder()
                for line in response.iter_lines():
                    event = decoder.feed(line)
                    if event is not None:
                        yield event
        except httpx.ConnectError as exc:
            raise unreachable(self.base_url, exc) from exc
