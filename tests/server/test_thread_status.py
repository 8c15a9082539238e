"""A thread's status from its stored checkpoint, and the approval request shown with secrets redacted."""

from __future__ import annotations

from flowgen.checkpoint.records import Checkpoint, ThreadSnapshot
from flowgen.server.thread_status import approval_request, interrupt_json, thread_status

KEY = "sk-proj-abcdefghijklmnopqrstuvwx9876"


def snapshot(interrupt: str | None, stop_reason: str | None = None) -> ThreadSnapshot:
    cp = Checkpoint(
        thread_id="t",
        checkpoint_id="c",
        step=1,
        fingerprint="f",
        interrupt=interrupt,
        stop_reason=stop_reason,
    )
    return ThreadSnapshot(checkpoint=cp, messages=[], agent_states={}, trace=[])


def test_only_a_recorded_interrupt_makes_a_thread_interrupted() -> None:
    assert thread_status(None) == "idle"
    assert thread_status(snapshot(None, "Maximum number of messages 7 reached")) == "idle"
    for kind in ("before:b", "after:b", "approval:b"):
        assert thread_status(snapshot(kind)) == "interrupted"


def test_an_approval_request_is_redacted() -> None:
    reason = f'Interrupted: \'billing\' waits for approval to call pay({{"key": "{KEY}"}}).'
    shown = interrupt_json(snapshot("approval:billing", reason).checkpoint)
    assert shown is not None and shown["kind"] == "approval" and shown["nodes"] == ["billing"]
    assert KEY not in str(shown) and "[REDACTED]" in shown["request"]["message"]
    live = approval_request(
        "billing", reason, [{"id": "1", "name": "pay", "arguments": f'{{"api_key": "{KEY}"}}'}]
    )
    assert KEY not in str(live) and live["calls"][0]["name"] == "pay"
