"""What crosses the wire between a RunPool and its workers: JSON text, validated on arrival.

A :class:`RunOrder` asks a worker to run (or continue) one thread; a :class:`RunReport` is what the
worker sends back: the messages the run added to the thread (dumped), why it stopped, or the failure
by type name and text. A streamed run sends :class:`RunFrame` texts as it goes instead (in a
:class:`RunBatch` each): each message or event once its step is stored, the steps themselves
(:class:`StepNotice`), then the report.
Neither side unpickles anything the other sent.

Example:
    >>> order = RunOrder(thread_id="t1", team="default", task="hello", start_head=None, attempt=1)
    >>> RunOrder.model_validate_json(order.model_dump_json()).task
    'hello'
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from flowgen.base import TaskResult
from flowgen.messages import MessageFactory


class RunOrder(BaseModel):
    """One run of one thread, as the pool hands it to a worker."""

    model_config = ConfigDict(extra="forbid")

    thread_id: str = Field(min_length=1)
    team: str = Field(min_length=1)
    # A text task, dumped chat messages, or None to continue the thread where it stopped.
    task: str | list[dict[str, Any]] | None = None
    # The thread's newest checkpoint before this run began (None: the thread was new). A retried
    # order compares it with the store's head to tell "nothing committed yet" from "continue".
    start_head: str | None = None
    attempt: int = Field(default=1, ge=1)


class RunFailure(BaseModel):
    """An exception a run raised, by dotted type name and text only."""

    type: str
    message: str
    node: str


class RunReport(BaseModel):
    """A worker's answer to one order."""

    model_config = ConfigDict(extra="forbid")

    thread_id: str
    messages: list[dict[str, Any]] = []
    stop_reason: str | None = None
    checkpoint_id: str | None = None
    resumed: bool = False
    worker: str = ""
    node: str = ""
    failure: RunFailure | None = None


class StepNotice(BaseModel):
    """A step a streamed run has stored: sent after the step's messages (the durable layer's notice)."""

    model_config = ConfigDict(extra="forbid")

    step: int = Field(ge=0)
    ran: list[str]  # empty for the run's input
    frontier: list[str]
    checkpoint_id: str
    stop_reason: str | None = None
    blocked: bool = False


class RunFrame(BaseModel):
    """One piece of a streamed run: a message or event (dumped), a stored step, or the final report."""

    model_config = ConfigDict(extra="forbid")

    item: dict[str, Any] | None = None
    step: StepNotice | None = None
    report: RunReport | None = None


class RunBatch(BaseModel):
    """The frames a streamed run releases at once (a stored step's messages, say): one item on the wire."""

    model_config = ConfigDict(extra="forbid")

    frames: list[RunFrame]


class RunResult(BaseModel):
    """The outcome of one pool run: every message the run added to its thread, and why it stopped.

    ``messages`` are dumped chat messages and events (``message.dump()``); ``task_result()`` loads
    them. A run resumed after its worker was lost still reports the whole run, the part done before
    the loss included (read back from the checkpoint store). ``attempts`` counts the workers it took;
    ``workers`` and ``nodes`` name them (and their Ray nodes) in order.
    """

    thread_id: str
    messages: list[dict[str, Any]]
    stop_reason: str | None
    checkpoint_id: str | None
    attempts: int
    resumed: bool
    workers: list[str]
    nodes: list[str]

    def task_result(self, factory: MessageFactory | None = None) -> TaskResult:
        """The run as a TaskResult (give the team's ``factory`` when it has custom message types)."""
        load = (factory or MessageFactory()).create
        return TaskResult(messages=[load(m) for m in self.messages], stop_reason=self.stop_reason)
