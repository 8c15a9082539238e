"""Every request of the server's API as data: method, path, body, query, headers and what comes back.

Both clients send these; only how they send differs (sync or async). Path segments are quoted, so
an id can never reach another route.

Example:
    >>> thread_state("t-1", checkpoint_id="c9").path, thread_state("t-1", checkpoint_id="c9").params
    ('/threads/t-1/state', {'checkpoint_id': 'c9'})
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypedDict
from urllib.parse import quote


class RunOptions(TypedDict, total=False):
    """What a run request may carry besides its agent (see ``POST /threads/{id}/runs``)."""

    input: str
    resume: str
    interrupt_before: list[str]
    interrupt_after: list[str]
    checkpoint_id: str
    multitask_strategy: Literal["reject", "enqueue"]
    on_disconnect: Literal["cancel", "continue"]


Reply = Literal["json", "text", "none"]


@dataclass(frozen=True, slots=True)
class ApiCall:
    method: str
    path: str
    body: dict[str, Any] | None = None
    params: dict[str, str | int] | None = None
    headers: dict[str, str] | None = None
    reply: Reply = "json"


def _path(*segments: str) -> str:
    return "/" + "/".join(quote(s, safe="") for s in segments)


def _given(**values: Any) -> dict[str, Any]:
    """The values that are not None (the server's defaults apply to the rest)."""
    return {k: v for k, v in values.items() if v is not None}


def health() -> ApiCall:
    return ApiCall("GET", "/health")


def ready() -> ApiCall:
    return ApiCall("GET", "/ready")


def list_agents() -> ApiCall:
    return ApiCall("GET", "/agents")


def get_agent(name: str) -> ApiCall:
    return ApiCall("GET", _path("agents", name))


def agent_graph(name: str) -> ApiCall:
    return ApiCall("GET", _path("agents", name, "graph"))


def agent_graph_svg(name: str) -> ApiCall:
    return ApiCall("GET", _path("agents", name, "graph.svg"), reply="text")


def create_thread(thread_id: str | None, metadata: dict[str, Any] | None) -> ApiCall:
    return ApiCall("POST", "/threads", body=_given(thread_id=thread_id, metadata=metadata))


def list_threads(limit: int | None, offset: int | None) -> ApiCall:
    return ApiCall("GET", "/threads", params=_given(limit=limit, offset=offset))


def search_threads(
    metadata: dict[str, Any] | None, status: str | None, limit: int | None, offset: int | None
) -> ApiCall:
    body = _given(metadata=metadata, status=status, limit=limit, offset=offset)
    return ApiCall("POST", "/threads/search", body=body)


def get_thread(thread_id: str) -> ApiCall:
    return ApiCall("GET", _path("threads", thread_id))


def delete_thread(thread_id: str) -> ApiCall:
    return ApiCall("DELETE", _path("threads", thread_id), reply="none")


def copy_thread(thread_id: str, new_thread_id: str | None) -> ApiCall:
    return ApiCall("POST", _path("threads", thread_id, "copy"), body=_given(thread_id=new_thread_id))


def thread_state(thread_id: str, checkpoint_id: str | None = None) -> ApiCall:
    params = _given(checkpoint_id=checkpoint_id)
    return ApiCall("GET", _path("threads", thread_id, "state"), params=params or None)


def thread_history(thread_id: str, limit: int | None) -> ApiCall:
    return ApiCall("GET", _path("threads", thread_id, "history"), params=_given(limit=limit) or None)


def start_run(
    thread_id: str, mode: Literal["", "wait", "stream"], agent: str, options: RunOptions
) -> ApiCall:
    """``POST /threads/{id}/runs`` (background), ``/runs/wait`` or ``/runs/stream``."""
    segments = ("threads", thread_id, "runs", *([mode] if mode else []))
    return ApiCall("POST", _path(*segments), body={"agent": agent, **_given(**options)})


def list_runs(thread_id: str) -> ApiCall:
    return ApiCall("GET", _path("threads", thread_id, "runs"))


def get_run(thread_id: str, run_id: str) -> ApiCall:
    return ApiCall("GET", _path("threads", thread_id, "runs", run_id))


def cancel_run(thread_id: str, run_id: str) -> ApiCall:
    return ApiCall("POST", _path("threads", thread_id, "runs", run_id, "cancel"))


def join_run(thread_id: str, run_id: str) -> ApiCall:
    return ApiCall("GET", _path("threads", thread_id, "runs", run_id, "join"))


def join_stream(thread_id: str, run_id: str, last_event_id: int | str | None) -> ApiCall:
    headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else None
    return ApiCall("GET", _path("threads", thread_id, "runs", run_id, "stream"), headers=headers)
