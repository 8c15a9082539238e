"""``GET /threads/{id}/state``: a thread's state at its newest checkpoint, or at ``?checkpoint_id=``.

``next`` is the frontier (the nodes the next step runs), ``interrupt`` what the thread waits for
(see :mod:`flowgen.server.thread_status`).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from flowgen.checkpoint.records import ThreadSnapshot
from flowgen.errors import CheckpointCorruptError, CheckpointNotFoundError, RequestError
from flowgen.server.context import context
from flowgen.server.thread_status import interrupt_json


async def thread_state(request: Request) -> Response:
    ctx = context(request)
    record = await ctx.own_thread(request)
    checkpoint_id = request.query_params.get("checkpoint_id") or None
    try:
        snapshot = await ctx.store.get(record.thread_id, checkpoint_id)
    except CheckpointNotFoundError:
        snapshot = None
    except CheckpointCorruptError as exc:
        raise RequestError(409, "checkpoint_corrupt", f"{exc}") from None
    if snapshot is None and checkpoint_id is not None:
        raise RequestError(
            404,
            "unknown_checkpoint",
            f"thread {record.thread_id!r} has no checkpoint {checkpoint_id!r}; "
            f"GET /threads/{record.thread_id}/history lists its checkpoints",
        )
    return JSONResponse(state_json(record.thread_id, snapshot))


def state_json(thread_id: str, snapshot: ThreadSnapshot | None) -> dict[str, Any]:
    cp = snapshot.checkpoint if snapshot is not None else None
    return {
        "thread_id": thread_id,
        "checkpoint_id": cp.checkpoint_id if cp else None,
        "step": cp.step if cp else 0,
        "messages": snapshot.messages if snapshot else [],
        "next": list(cp.frontier) if cp else [],
        "interrupt": interrupt_json(cp),
        "stop_reason": cp.stop_reason if cp else None,
    }


ROUTES = [Route("/threads/{thread_id}/state", thread_state, methods=["GET"])]
