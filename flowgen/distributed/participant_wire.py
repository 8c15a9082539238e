"""What a hosted team participant's turns and controls look like on the wire (plain JSON data).

Messages and events travel dumped (``message.dump()``) and are rebuilt with a MessageFactory that
knows the team's message types; nothing here carries code.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from flowgen.core.serialization import MessageSerializer, try_get_known_serializers_for_type


class Carried(BaseModel):
    """Savepoints ``first_savepoint`` to ``last_savepoint`` (0: none) taken since the previous turn:
    they all name the participant as it is before the turn that carries them."""

    first_savepoint: int = 0
    last_savepoint: int = 0


class RemoteTurn(Carried):
    """One turn of a hosted chat agent: the new messages, dumped."""

    messages: list[dict[str, Any]]


class RemoteTurnReply(BaseModel):
    """A turn's response, dumped; and the inner events not already pushed as progress, in order."""

    events: list[dict[str, Any]] = []
    chat_message: dict[str, Any] | None = None
    inner_messages: list[dict[str, Any]] | None = None


class RemoteTeamTurn(Carried):
    """One turn of a hosted nested team: its task (dumped messages, a text, or none)."""

    task: list[dict[str, Any]] | str | None = None
    output_task_messages: bool = True


class RemoteTeamReply(BaseModel):
    """A nested team's run: the items not pushed as progress, its result's messages, stop reason, trace."""

    events: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    stop_reason: str | None = None
    trace: dict[str, Any] | None = None


class RemoteControl(BaseModel):
    """Anything but a turn: reset, pause, resume, save_state, load_state, close, restore."""

    op: Literal["reset", "pause", "resume", "save_state", "load_state", "close", "restore"]
    state: dict[str, Any] | None = None
    savepoint: int = 0


class RemoteControlReply(BaseModel):
    """A control's result: the saved state for ``save_state``, else nothing."""

    state: dict[str, Any] | None = None


def wire_serializers() -> list[MessageSerializer[Any]]:
    """The serializers of every message above, for the runtime's directory."""
    types = (RemoteTurn, RemoteTurnReply, RemoteTeamTurn, RemoteTeamReply, RemoteControl, RemoteControlReply)
    return [s for t in types for s in try_get_known_serializers_for_type(t)]
