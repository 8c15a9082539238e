"""Reading rows back: validating each one (rows are untrusted) and folding a chain into a snapshot."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from pydantic import ValidationError

from flowgen.checkpoint import state_delta
from flowgen.checkpoint.records import Checkpoint, ThreadSnapshot
from flowgen.errors import CheckpointCorruptError, CheckpointNotFoundError, StateError


class Row(NamedTuple):
    """A stored checkpoint: the columns a store indexes, and the JSON payload."""

    checkpoint_id: str
    parent_id: str | None
    payload: str | bytes


def parse(thread_id: str, row: Row) -> Checkpoint:
    """The checkpoint in ``row``, validated; CheckpointCorruptError names the thread and the id."""
    try:
        cp = Checkpoint.model_validate_json(row.payload)
    except (ValidationError, ValueError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CheckpointCorruptError(
            f"checkpoint {row.checkpoint_id!r} of thread {thread_id!r} is corrupt ({first}); resume from "
            "an earlier checkpoint (team.history() lists them) or delete the thread"
        ) from None
    if cp.thread_id != thread_id or cp.checkpoint_id != row.checkpoint_id or cp.parent_id != row.parent_id:
        raise CheckpointCorruptError(
            f"checkpoint {row.checkpoint_id!r} of thread {thread_id!r} is corrupt (its payload names "
            f"thread {cp.thread_id!r}, checkpoint {cp.checkpoint_id!r}, parent {cp.parent_id!r}); resume "
            "from an earlier checkpoint or delete the thread"
        )
    return cp


def fold(thread_id: str, rows: Mapping[str, Row], checkpoint_id: str) -> ThreadSnapshot:
    """The snapshot at ``checkpoint_id``: its chain of ancestors applied oldest first."""
    if checkpoint_id not in rows:
        raise CheckpointNotFoundError(
            f"thread {thread_id!r} has no checkpoint {checkpoint_id!r}; team.history() lists its checkpoints"
        )
    chain: list[Row] = []
    seen: set[str] = set()
    cursor: str | None = checkpoint_id
    while cursor is not None:
        row = rows.get(cursor)
        if row is None or cursor in seen:
            raise CheckpointCorruptError(
                f"checkpoint {checkpoint_id!r} of thread {thread_id!r} has a broken parent chain at "
                f"{cursor!r}; resume from an earlier checkpoint or delete the thread"
            )
        seen.add(cursor)
        chain.append(row)
        cursor = row.parent_id
    messages: list[dict[str, Any]] = []
    states: dict[str, Any] = {}
    trace: list[Any] = []
    cp: Checkpoint | None = None
    for row in reversed(chain):
        cp = parse(thread_id, row)
        messages.extend(cp.messages)
        trace.extend(cp.trace)
        for name, change in cp.state_changes.items():
            try:
                states[name] = state_delta.apply(states.get(name), change)
            except StateError as error:
                raise CheckpointCorruptError(
                    f"checkpoint {cp.checkpoint_id!r} of thread {thread_id!r} is corrupt (state of "
                    f"{name!r}: {error}); resume from an earlier checkpoint or delete the thread"
                ) from None
    assert cp is not None  # the chain holds at least the checkpoint asked for
    return ThreadSnapshot(checkpoint=cp, messages=messages, agent_states=states, trace=trace)


def describe_change(thread_id: str, saved: Mapping[str, Any] | None, current: Mapping[str, Any]) -> str:
    """A sentence naming what differs between the graph a thread was saved with and the current one."""
    if saved is None:
        return f"thread {thread_id!r} was saved by a different graph (its summary is not in the store)"
    parts: list[str] = []
    for key in sorted(set(saved) | set(current)):
        old, new = saved.get(key), current.get(key)
        if old == new:
            continue
        if isinstance(old, list) and isinstance(new, list):
            added = [x for x in new if x not in old]
            removed = [x for x in old if x not in new]
            bits = ([f"added {added}"] if added else []) + ([f"removed {removed}"] if removed else [])
            parts.append(f"{key}: " + ("; ".join(bits) if bits else f"reordered {old} -> {new}"))
        else:
            parts.append(f"{key}: {old!r} -> {new!r}")
    return f"thread {thread_id!r} was saved by a different graph ({', '.join(parts)})"
