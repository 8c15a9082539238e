"""What a thread's stored state says about it: waiting for a person or not, and why.

Derived from the checkpoint only, so it survives a restart: a thread whose newest checkpoint records
an interrupt (``before:<node>``, ``after:<node>`` or ``approval:<agent>``, see
:class:`~flowgen.checkpoint.records.Checkpoint`) is ``interrupted`` until a run answers it.
Whether a run is going on is the run registry's to say (``busy``), not the store's.

Example:
    >>> from flowgen.checkpoint.records import Checkpoint
    >>> cp = Checkpoint(thread_id="t", checkpoint_id="c", step=2, fingerprint="f", interrupt="before:billing")
    >>> checkpoint_status(cp), interrupt_json(cp)
    ('interrupted', {'kind': 'before', 'nodes': ['billing'], 'request': None})
"""

from __future__ import annotations

from typing import Any, Literal

from flowgen.checkpoint.records import Checkpoint, ThreadSnapshot
from flowgen.telemetry.redaction import Redactor

StoredStatus = Literal["idle", "interrupted"]


def thread_status(snapshot: ThreadSnapshot | None) -> StoredStatus:
    """``interrupted`` when the thread waits for a person (answer it with ``resume``), else ``idle``."""
    return checkpoint_status(snapshot.checkpoint if snapshot is not None else None)


def checkpoint_status(checkpoint: Checkpoint | None) -> StoredStatus:
    return "interrupted" if checkpoint is not None and checkpoint.interrupt else "idle"


def interrupt_json(checkpoint: Checkpoint | None) -> dict[str, Any] | None:
    """The interrupt a checkpoint records, as the API shows it: ``{"kind", "nodes", "request"}``.

    For a paused tool approval, ``request`` names the agent and carries the stop reason (which names
    the call and why it waits), with secrets redacted.
    """
    if checkpoint is None or not checkpoint.interrupt:
        return None
    kind, _, node = checkpoint.interrupt.partition(":")
    request = None
    if kind == "approval":
        request = approval_request(node, checkpoint.stop_reason or "")
    return {"kind": kind, "nodes": [node] if node else [], "request": request}


def approval_request(agent: str, reason: str, calls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A tool-approval request as JSON: who asks, why the run waits, and (live) the calls asked for."""
    redactor = Redactor()
    request: dict[str, Any] = {"agent": agent, "message": redactor.redact(reason)}
    if calls is not None:
        request["calls"] = [
            {**call, "arguments": redactor.redact(str(call.get("arguments", "")))} for call in calls
        ]
    return request
