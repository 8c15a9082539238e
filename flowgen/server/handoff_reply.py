"""A person's text reply to a thread whose last run handed the conversation to them.

A Swarm that hands off to someone outside the team (``user``) stops there; in-process, the caller
resumes it with a ``HandoffMessage`` back to the agent that asked. Over HTTP a reply is text, so the
server addresses it the same way: to the agent whose handoff is the thread's last message. Any other
input is passed on unchanged.
"""

from __future__ import annotations

from typing import Any

from flowgen.messages import HandoffMessage
from flowgen.teams.shell import BaseGroupChat


async def addressed_input(
    team: BaseGroupChat, thread_id: str, text: str | None, checkpoint_id: str | None = None
) -> str | HandoffMessage | None:
    """``text`` as the run's task: a HandoffMessage to the agent that handed off to the person, if one did.

    ``checkpoint_id`` is where the run starts (a fork); by default the thread's newest checkpoint.
    """
    store = team.checkpointer
    if text is None or store is None:
        return text
    if checkpoint_id is None:
        # The newest checkpoint holds the step that stopped the run: no need to fold the whole thread.
        head = [c async for c in store.history(thread_id, limit=1)]
        messages: list[Any] = head[0].messages if head else []
    else:
        snapshot = await store.get(thread_id, checkpoint_id)
        messages = snapshot.messages if snapshot else []
    last: Any = messages[-1] if messages else None
    if not isinstance(last, dict) or last.get("type") != "HandoffMessage":
        return text
    if last.get("target") in team.participant_names or last.get("source") not in team.participant_names:
        return text
    return HandoffMessage(source=str(last["target"]), target=str(last["source"]), content=text)
