"""The body of a run request (``POST /threads/{id}/runs``, ``/runs/wait``, ``/runs/stream``).

``input`` starts or continues a thread with a new task; ``resume`` answers a thread that waits for
a person (an interrupt, or a tool call paused for approval); ``checkpoint_id`` runs from an older
checkpoint of the thread (a fork). ``interrupt_before`` / ``interrupt_after`` replace the served
team's own interrupts for this run (node names, or ``"*"`` for every agent node).

Example:
    >>> RunRequest(agent="support", resume="approved").task
    'approved'
    >>> try:
    ...     RunRequest(agent="support", input="hi", resume="yes")
    ... except ValueError as error:
    ...     print("not both" in str(error))
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from flowgen.errors import RequestError


class RunRequest(BaseModel):
    """One run of a served agent on a thread."""

    model_config = ConfigDict(extra="forbid")

    agent: str = Field(min_length=1, description="the served agent to run")
    input: str | None = Field(default=None, description="the task; none continues the thread")
    resume: str | None = Field(
        default=None, min_length=1, description="the answer to a thread that waits for a person"
    )
    interrupt_before: list[str] | None = Field(
        default=None, max_length=256, description="stop before these nodes (this run only)"
    )
    interrupt_after: list[str] | None = Field(
        default=None, max_length=256, description="stop after these nodes (this run only)"
    )
    checkpoint_id: str | None = Field(
        default=None, min_length=1, max_length=128, description="run from this checkpoint (a fork)"
    )
    multitask_strategy: Literal["reject", "enqueue"] = Field(
        default="reject", description="a run for a busy thread: refuse it (409), or queue it"
    )
    on_disconnect: Literal["cancel", "continue"] = Field(
        default="cancel", description="a streaming client that goes away: cancel the run, or let it finish"
    )

    @model_validator(mode="after")
    def _input_or_resume(self) -> RunRequest:
        if self.input is not None and self.resume is not None:
            raise ValueError(
                "send either input (a new task) or resume (the answer to a thread that waits), not both"
            )
        return self

    @property
    def task(self) -> str | None:
        """What the team's run is given: the answer, or the new task (None continues the thread)."""
        return self.resume if self.resume is not None else self.input


def check_nodes(run: RunRequest, graph: dict[str, Any]) -> None:
    """Refuse (422 ``unknown_node``) interrupt names that are not agent nodes of the served graph."""
    known = [n["name"] for n in graph["nodes"] if n["kind"] == "agent"]
    for field, names in (
        ("interrupt_before", run.interrupt_before),
        ("interrupt_after", run.interrupt_after),
    ):
        unknown = _unknown(names or (), known)
        if unknown:
            raise RequestError(
                422,
                "unknown_node",
                f"{field} names {unknown}, which are not nodes of agent {run.agent!r}; "
                f"use some of {known} or '*' (GET /agents/{run.agent}/graph lists them)",
            )


def _unknown(names: Sequence[str], known: Sequence[str]) -> list[str]:
    return [n for n in names if n != "*" and n not in known]
