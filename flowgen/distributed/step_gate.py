"""StepGate: a streamed pool run's items held back until the step they belong to is stored.

A worker streaming a run must never show what a lost attempt could take back: when the worker dies
mid-step, the run continues elsewhere from its last checkpoint and that step runs again, perhaps
saying something else. So the gate lets an item go only once the checkpoint holding it is in the
store — the durable layer's step notice (:data:`flowgen.engine.durable.step_listener`) says so.
The items of a step (its inner events and the speakers' events) wait for their step's notice; the
chat messages the run hands over right after a stored notice go at once, followed by the step's
:class:`~flowgen.distributed.run_order.StepNotice`. A notice of a checkpoint not stored yet (``async``
or ``exit`` durability, or a run's last step, written with its stop) keeps everything waiting until
a later stored notice or the run's end (its TaskResult comes once every write is done).

Streamed model chunks (``ModelClientStreamingChunkEvent``) are never stored, so they cannot wait
for a commit: they go at once, best effort — ahead of the held events of their step, and again
when a step lost with its worker runs again.

Example:
    >>> from flowgen.engine.durable import StepCommitted
    >>> from flowgen.messages import TextMessage
    >>> gate, hello = StepGate(), TextMessage(content="hi", source="user")
    >>> gate.heard(StepCommitted(0, (), ("a",), "cp-0", None, (id(hello),), False))
    >>> [f.step.checkpoint_id if f.step else f.item["content"] for f in gate.take(hello)]
    ['hi', 'cp-0']
"""

from __future__ import annotations

from flowgen.distributed.run_order import RunFrame, StepNotice
from flowgen.engine.durable import StepCommitted
from flowgen.messages import BaseAgentEvent, BaseChatMessage, ModelClientStreamingChunkEvent


class StepGate:
    """Orders one run's items for the wire: each goes once its step is stored (see the module doc)."""

    __slots__ = ("_held", "_notices", "_step")

    def __init__(self) -> None:
        self._held: list[RunFrame] = []
        self._notices: list[StepCommitted] = []
        # The last notice's frame, waiting for the chat messages handed over after it, and whether
        # its checkpoint is stored (they go at once) or not (they wait with the rest).
        self._step: tuple[RunFrame, set[int], bool] | None = None

    def heard(self, commit: StepCommitted) -> None:
        """The durable layer's listener: told while the run's stream is advanced, before the item."""
        self._notices.append(commit)

    def take(self, item: BaseAgentEvent | BaseChatMessage) -> list[RunFrame]:
        """The frames that may go now that the run has yielded ``item`` (perhaps none)."""
        out: list[RunFrame] = []
        for commit in self._notices:
            self._end_step(out)
            if commit.stored:  # the store holds everything up to this step: what waited may go
                out.extend(self._held)
                self._held.clear()
            frame = RunFrame(step=_notice(commit))
            if commit.handed:
                self._step = (frame, set(commit.handed), commit.stored)
            else:
                (out if commit.stored else self._held).append(frame)
        self._notices.clear()
        frame = RunFrame(item=item.dump())
        step = self._step
        if step is not None and id(item) in step[1]:
            target = out if step[2] else self._held
            target.append(frame)
            step[1].discard(id(item))
            if not step[1]:
                target.append(step[0])
                self._step = None
            return out
        self._end_step(out)
        if isinstance(item, ModelClientStreamingChunkEvent):
            out.append(frame)  # never stored: best effort, at once
        else:
            self._held.append(frame)
        return out

    def flush(self) -> list[RunFrame]:
        """Everything still waiting: the run has ended and its last writes are done."""
        out: list[RunFrame] = []
        self._end_step(out)
        for commit in self._notices:
            self._held.append(RunFrame(step=_notice(commit)))
        self._notices.clear()
        out.extend(self._held)
        self._held.clear()
        return out

    def _end_step(self, out: list[RunFrame]) -> None:
        """The waiting step frame goes (its messages have passed, or something else came first)."""
        if self._step is not None:
            frame, _, stored = self._step
            (out if stored else self._held).append(frame)
            self._step = None


def _notice(commit: StepCommitted) -> StepNotice:
    return StepNotice(
        step=commit.step,
        ran=list(commit.ran),
        frontier=list(commit.frontier),
        checkpoint_id=commit.checkpoint_id,
        stop_reason=commit.stop_reason,
        blocked=commit.blocked,
    )
