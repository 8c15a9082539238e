"""The conformance suite for checkpoint stores: does a Checkpointer keep flowgen's contracts?

Every backend flowgen ships passes it (memory, SQLite, PostgreSQL); run it against a store of
your own the same way. It uses fresh random thread ids, so the store may hold other data.

Example:
    >>> import asyncio
    >>> from flowgen.checkpoint import MemoryCheckpointer
    >>> asyncio.run(check_checkpointer(MemoryCheckpointer))
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from flowgen.checkpoint import state_delta
from flowgen.checkpoint.protocol import Checkpointer
from flowgen.checkpoint.records import Checkpoint, new_checkpoint_id
from flowgen.errors import CheckpointCorruptError, ThreadBusyError

StoreFactory = Callable[[], Checkpointer | Awaitable[Checkpointer]]
#: Overwrites one stored checkpoint's payload with bytes that are not a valid checkpoint.
Corrupter = Callable[[Checkpointer, str, str], Awaitable[None]]

GRAPH = {"nodes": ["a:agent", "b:agent"], "edges": ["a->b:next"], "entry": ["a"], "participants": ["a", "b"]}


def _message(text: str, source: str) -> dict[str, Any]:
    return {"type": "TextMessage", "source": source, "content": text, "id": uuid.uuid4().hex}


def _checkpoint(thread: str, parent: Checkpoint | None, step: int, texts: list[str], **kw: Any) -> Checkpoint:
    return Checkpoint(
        thread_id=thread,
        checkpoint_id=new_checkpoint_id(parent.checkpoint_id if parent else None),
        parent_id=parent.checkpoint_id if parent else None,
        step=step,
        ran=["a"] if step else [],
        frontier=["b"],
        fingerprint="f" * 16,
        messages=[_message(t, "a") for t in texts],
        **kw,
    )


async def check_checkpointer(factory: StoreFactory, corrupt: Corrupter | None = None) -> None:
    """Exercise a store the way durable runs use it; raise AssertionError listing every broken rule."""
    made = factory()
    store: Checkpointer = await made if inspect.isawaitable(made) else made
    problems: list[str] = []
    try:
        for check in (_chain, _history, _lease, _forks, _threads, _atomic_batch):
            try:
                await check(store, problems)
            except Exception as error:  # a check that crashes is one broken rule, not the end of the suite
                problems.append(f"{check.__name__[1:]}: raised {type(error).__name__}: {error}")
        if corrupt is not None:
            await _corrupt_rows(store, corrupt, problems)
    finally:
        await store.aclose()
    if problems:
        raise AssertionError(
            "the checkpointer breaks these rules:\n" + "\n".join(f"  - {p}" for p in problems)
        )


async def _new_thread(store: Checkpointer, steps: int) -> tuple[str, list[Checkpoint]]:
    thread = f"conformance-{uuid.uuid4().hex[:12]}"
    lease = await store.acquire(thread)
    made: list[Checkpoint] = []
    state: dict[str, Any] = {}
    for step in range(steps):
        new = {"llm_context": {"messages": [f"m{i}" for i in range(step + 1)]}, "step": step}
        cp = _checkpoint(thread, made[-1] if made else None, step, [f"text {step}"],
                         state_changes={"a": state_delta.diff(state or None, new)})  # fmt: skip
        state = new
        await store.put(lease, [cp], GRAPH if step == 0 else None)
        made.append(cp)
    await lease.release()
    return thread, made


async def _chain(store: Checkpointer, problems: list[str]) -> None:
    thread, made = await _new_thread(store, 4)
    snap = await store.get(thread)
    if snap is None:
        problems.append("get() returned None for a thread just written")
        return
    if snap.checkpoint.checkpoint_id != made[-1].checkpoint_id:
        problems.append("get() without an id did not return the newest checkpoint")
    if [m["content"] for m in snap.messages] != [f"text {i}" for i in range(4)]:
        problems.append(f"get() folded the wrong messages: {[m['content'] for m in snap.messages]}")
    if snap.agent_states.get("a") != {"llm_context": {"messages": ["m0", "m1", "m2", "m3"]}, "step": 3}:
        problems.append(f"get() folded the wrong agent state: {snap.agent_states}")
    older = await store.get(thread, made[1].checkpoint_id)
    if older is None or [m["content"] for m in older.messages] != ["text 0", "text 1"]:
        problems.append("get() of an older checkpoint did not return the state at that checkpoint")
    if await store.head(thread) != made[-1].checkpoint_id:
        problems.append("head() is not the newest checkpoint's id")
    if await store.get(f"missing-{uuid.uuid4().hex}") is not None:
        problems.append("get() of an unknown thread must return None")
    if await store.graph("f" * 16) != GRAPH:
        problems.append("graph() did not return the summary stored with the thread's first checkpoint")


async def _history(store: Checkpointer, problems: list[str]) -> None:
    thread, made = await _new_thread(store, 5)
    ids = [c.checkpoint_id async for c in store.history(thread)]
    if ids != [c.checkpoint_id for c in reversed(made)]:
        problems.append("history() must list every checkpoint, newest first")
    if [c.checkpoint_id async for c in store.history(thread, limit=2)] != ids[:2]:
        problems.append("history(limit=2) must give the two newest")
    before = [c.checkpoint_id async for c in store.history(thread, before=made[2].checkpoint_id)]
    if before != [made[1].checkpoint_id, made[0].checkpoint_id]:
        problems.append("history(before=id) must give only older checkpoints, newest first")
    first = [c async for c in store.history(thread, limit=1)]
    if first and first[0].messages != made[-1].messages:
        problems.append("history() items must carry the messages added at that step")


async def _lease(store: Checkpointer, problems: list[str]) -> None:
    thread = f"conformance-{uuid.uuid4().hex[:12]}"
    lease = await store.acquire(thread)
    try:
        await store.acquire(thread)
        problems.append("a second acquire() of a held thread must raise ThreadBusyError")
    except ThreadBusyError as error:
        if thread not in str(error):
            problems.append("ThreadBusyError must name the thread")
    await lease.release()
    again = await store.acquire(thread)
    await again.release()
    try:
        await store.put(lease, [_checkpoint(thread, None, 0, ["late"])])
        problems.append("put() with a released lease must raise ThreadBusyError")
    except ThreadBusyError:
        pass


async def _forks(store: Checkpointer, problems: list[str]) -> None:
    thread, made = await _new_thread(store, 3)
    lease = await store.acquire(thread)
    fork = _checkpoint(thread, made[0], 1, ["forked"])
    await store.put(lease, [fork])
    await lease.release()
    snap = await store.get(thread, fork.checkpoint_id)
    if snap is None or [m["content"] for m in snap.messages] != ["text 0", "forked"]:
        problems.append("a fork must fold its own branch only")
    main = await store.get(thread, made[-1].checkpoint_id)
    if main is None or len(main.messages) != 3:
        problems.append("a fork must leave the old branch as it was")
    newest = [c async for c in store.history(thread, limit=1)]
    if not newest or newest[0].parent_id != made[0].checkpoint_id:
        problems.append("history() must show the fork (newest) with its parent id")


async def _threads(store: Checkpointer, problems: list[str]) -> None:
    thread, made = await _new_thread(store, 2)
    infos = {i.thread_id: i for i in await store.threads()}
    info = infos.get(thread)
    if info is None or info.checkpoints != 2 or info.head != made[-1].checkpoint_id:
        problems.append(f"threads() must list the thread with its count and head, got {info}")
    other, kept = await _new_thread(store, 1)
    await store.delete_thread(thread)
    if await store.get(thread) is not None or [c async for c in store.history(thread)]:
        problems.append("delete_thread() must remove every checkpoint of the thread")
    if thread in {i.thread_id for i in await store.threads()} or await store.head(thread) is not None:
        problems.append("a deleted thread must leave threads() and have no head")
    if await store.head(other) != kept[-1].checkpoint_id:
        problems.append("delete_thread() must leave every other thread as it was")
    await store.delete_thread(other)


async def _atomic_batch(store: Checkpointer, problems: list[str]) -> None:
    thread = f"conformance-{uuid.uuid4().hex[:12]}"
    lease = await store.acquire(thread)
    first = _checkpoint(thread, None, 0, ["one"])
    second = _checkpoint(thread, first, 1, ["two"])
    await store.put(lease, [first])
    try:
        # The batch's second row repeats a stored id: the whole batch must fail, the first row too.
        await store.put(lease, [second, first])
        problems.append("put() of a batch holding an existing checkpoint id must fail")
    except ThreadBusyError:
        raise
    except Exception:  # any integrity error will do: what matters is what was written
        pass
    await lease.release()
    ids = [c.checkpoint_id async for c in store.history(thread)]
    if second.checkpoint_id in ids:
        problems.append("a failed put() of a batch must write none of it")


async def _corrupt_rows(store: Checkpointer, corrupt: Corrupter, problems: list[str]) -> None:
    thread, made = await _new_thread(store, 3)
    bad = made[-1].checkpoint_id
    await corrupt(store, thread, bad)
    try:
        await store.get(thread)
        problems.append("get() of a corrupt checkpoint must raise CheckpointCorruptError")
    except CheckpointCorruptError as error:
        if thread not in str(error) or bad not in str(error):
            problems.append(f"CheckpointCorruptError must name the thread and the checkpoint id: {error}")
    earlier = await store.get(thread, made[1].checkpoint_id)
    if earlier is None or len(earlier.messages) != 2:
        problems.append("checkpoints older than a corrupt one must stay usable")
