"""What a checkpoint holds: one step of one thread, and the full state resolved from a chain of them.

A :class:`Checkpoint` is written once per engine step and holds only what that step *added*: the
messages it appended, the states of the agents that ran (as a delta against their previous state,
see :mod:`flowgen.checkpoint.state_delta`), the trace rows it recorded, and the small run fields
(frontier, counters, cursors, termination and policy state). Its cost therefore does not grow with
the conversation. :class:`ThreadSnapshot` is a checkpoint with its ancestors folded in: the whole
thread, every agent's full state and the trace so far — what a resuming run loads.

Rows read back from a store are untrusted: every one is validated by these models before use.

Example:
    >>> cp = Checkpoint(thread_id="t", checkpoint_id=new_checkpoint_id(), step=1, fingerprint="f")
    >>> Checkpoint.model_validate_json(cp.model_dump_json()).step
    1
"""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: Why a checkpoint was written: a run's task ("input"), an engine step, an edit
#: (``update_state``), or a stop that changed the run state without a step ("stop").
Source = Literal["input", "step", "update", "stop"]

_ID_LOCK = threading.Lock()
_last_id = 0


def new_checkpoint_id(after: str | None = None) -> str:
    """A new checkpoint id: sortable by creation time (nanoseconds, hex), unique across processes.

    Ids from one process increase strictly; ``after`` (the parent's id) makes a child sort after
    its parent even if clocks of two machines disagree.
    """
    global _last_id
    with _ID_LOCK:
        now = time.time_ns()
        floor = int(after[:16], 16) + 1 if after and len(after) >= 16 else 0
        _last_id = max(now, _last_id + 1, floor)
        stamp = _last_id
    return f"{stamp:016x}-{os.urandom(4).hex()}"


class Checkpoint(BaseModel):
    """One saved step of a thread (also the item ``team.history()`` yields, newest first).

    Attributes:
        thread_id: the thread the checkpoint belongs to.
        checkpoint_id: sortable id; a later checkpoint has a greater id.
        parent_id: the checkpoint this one continues (None for a thread's first); two children of
            one parent are two branches (a fork).
        step: the engine's step counter after this step.
        source: ``input`` (a run's task), ``step``, ``update`` (an edit) or ``stop``.
        ran: the nodes that ran in this step.
        frontier: the nodes that run next.
        created_at: when the checkpoint was made (UTC).
        fingerprint: the fingerprint of the graph that made it.
        messages: the messages this step added (dumped; load them with the team's MessageFactory).
        state_changes: the changed agents' states, each as a delta against the agent's previous state.
        trace: the trace rows this step recorded (the engine's flat encoding).
        run: the run fields that are not the thread: counters, cursors, joins, termination, policies.
        stop_reason: why the run stopped at this checkpoint, if it did.
        interrupt: why the thread waits for a person here, if it does: ``before:<node>`` (the run
            stopped before that node; it runs on resume), ``after:<node>`` (stopped after it), or
            ``approval:<agent>`` (a tool call of that agent waits for approval; its turn runs again).
    """

    model_config = ConfigDict(extra="forbid")

    thread_id: str = Field(min_length=1)
    checkpoint_id: str = Field(min_length=1)
    parent_id: str | None = None
    step: int = Field(ge=0)
    source: Source = "step"
    ran: list[str] = []
    frontier: list[str] = []
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    fingerprint: str
    messages: list[dict[str, Any]] = []
    state_changes: dict[str, dict[str, Any]] = {}
    trace: list[Any] = []
    run: dict[str, Any] = {}
    stop_reason: str | None = None
    interrupt: str | None = None


class ThreadSnapshot(BaseModel):
    """A checkpoint with its ancestors folded in: everything a run needs to continue from it."""

    checkpoint: Checkpoint
    messages: list[dict[str, Any]]
    agent_states: dict[str, dict[str, Any]]
    trace: list[Any]


class ThreadInfo(BaseModel):
    """One thread in a store: its id, how many checkpoints it has, and its newest one."""

    thread_id: str
    checkpoints: int
    head: str
    step: int
    updated_at: datetime
