"""Tool approval: a person (or a policy) approves, refuses or pauses an agent's tool calls.

An :class:`~flowgen.agents.AssistantAgent` given ``approval_func`` asks it about every tool call
(handoffs excepted) before running any call of the model's reply:

- ``ApprovalResponse(approved=True)`` runs the call;
- ``ApprovalResponse(approved=False, reason=...)`` refuses it: the model reads an error result
  saying so, and answers accordingly;
- ``ApprovalResponse(approved=False, pause=True)`` pauses: the agent undoes its turn and raises
  :class:`~flowgen.errors.ToolApprovalPending`, which a team turns into an interrupt — the run stops
  with a stop reason naming the agent and the call, and with a checkpointer the pause survives a
  restart. Run the team again (``task="approved"``, say); the agent's turn runs again with that
  message in its context, which the approval function reads to decide.

Example:
    >>> def approve(request: ToolApprovalRequest) -> ApprovalResponse:
    ...     said = [m.content for m in request.context if getattr(m, "source", "") == "user"]
    ...     if said and said[-1] == "approved":
    ...         return ApprovalResponse(approved=True)
    ...     return ApprovalResponse(approved=False, reason="needs a person's approval", pause=True)
    >>> from flowgen.core import FunctionCall
    >>> approve(ToolApprovalRequest(agent="billing", call=FunctionCall(id="1", name="refund", arguments="{}"),
    ...                             context=[])).pause
    True
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pydantic import BaseModel

from flowgen.core import FunctionCall
from flowgen.errors import ConfigurationError
from flowgen.models.types import LLMMessage


@dataclass(frozen=True, slots=True)
class ToolApprovalRequest:
    """One tool call to approve: who asks, the call, and the model context it was made in."""

    agent: str
    call: FunctionCall
    context: list[LLMMessage]


class ApprovalResponse(BaseModel):
    """The answer: run the call, refuse it (``reason`` is shown to the model), or ``pause`` the run."""

    approved: bool
    reason: str = ""
    pause: bool = False


ToolApprovalFunc = Callable[[ToolApprovalRequest], "ApprovalResponse | Awaitable[ApprovalResponse]"]


async def ask(func: ToolApprovalFunc, request: ToolApprovalRequest) -> ApprovalResponse:
    """``func``'s answer to ``request`` (sync or async), checked."""
    answer = func(request)
    if inspect.isawaitable(answer):
        answer = await answer
    if not isinstance(answer, ApprovalResponse):
        raise ConfigurationError(
            f"approval_func must return an ApprovalResponse, got {type(answer).__name__} for {request.call.name!r}"
        )
    return answer
