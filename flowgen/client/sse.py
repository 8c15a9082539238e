"""Server-Sent Events as a run's stream sends them: each event's id, kind and JSON data.

A decoder fed one line at a time (without its line ending) returns an event at each blank line.
Comment lines (``: ping``, the server's heartbeats) are not events; data that is not JSON is kept
as text.

Example:
    >>> decoder = SseDecoder()
    >>> lines = ["id: 1", "event: message", 'data: {"content": "hi"}', ": ping", ""]
    >>> [e for e in map(decoder.feed, lines) if e]
    [StreamEvent(id=1, event='message', data={'content': 'hi'})]
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One event of a run's stream: ``id`` (1, 2, 3 ... per run; give the last one seen to rejoin),
    ``event`` (``metadata``, ``message``, ``event``, ``step``, ``node``, ``interrupt``, ``end``, ``error``)
    and ``data`` (the parsed JSON)."""

    id: int | None
    event: str
    data: Any


class SseDecoder:
    """Turns the lines of an ``text/event-stream`` body into :class:`StreamEvent` s."""

    __slots__ = ("_data", "_event", "_id")

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._id: str | None = None
        self._event = "message"  # the SSE default kind when a block names none
        self._data: list[str] = []

    def feed(self, line: str) -> StreamEvent | None:
        """Take one line; return the event a blank line completes, else None."""
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            self._id = value
        return None

    def _dispatch(self) -> StreamEvent | None:
        if not self._data and self._id is None:
            self._reset()
            return None
        text = "\n".join(self._data)
        try:
            data: Any = json.loads(text)
        except json.JSONDecodeError:
            data = text
        event = StreamEvent(
            id=int(self._id) if self._id and self._id.isdigit() else None, event=self._event, data=data
        )
        self._reset()
        return event
