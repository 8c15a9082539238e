"""``@idempotent``: marks a message handler safe to run twice, so a runtime may retry it after a loss.

A distributed runtime cannot know whether a handler whose process died mid-call had run: by default
such a send fails (at most once). A handler marked idempotent (one whose second run changes nothing
the first did not: a lookup, a keyed upsert) is run once more instead, in the process that replaces
the lost one (at least once: exactly one retry). Local runtimes never lose a handler and ignore it.

Example:
    >>> from dataclasses import dataclass
    >>> from flowgen.core import MessageContext, RoutedAgent, message_handler
    >>> @dataclass
    ... class Lookup:
    ...     key: str
    >>> class Directory(RoutedAgent):
    ...     @idempotent
    ...     @message_handler
    ...     async def on_lookup(self, message: Lookup, ctx: MessageContext) -> str:
    ...         return message.key.upper()
    >>> idempotent_types(Directory) == frozenset({Lookup})
    True
"""

from __future__ import annotations

from typing import Any, TypeVar

F = TypeVar("F")


def idempotent(handler: F) -> F:
    """Mark ``handler`` (a ``@message_handler`` / ``@rpc`` method, above or below that decorator)."""
    if not callable(handler):
        raise TypeError(f"@idempotent marks a message handler method, not {handler!r}")
    handler.idempotent = True  # type: ignore[attr-defined]
    return handler


def idempotent_types(agent_class: type[Any]) -> frozenset[type[Any]]:
    """The message types ``agent_class`` (its inherited handlers too) handles with idempotent handlers."""
    found: set[type[Any]] = set()
    for klass in agent_class.__mro__:
        for attribute in vars(klass).values():
            if getattr(attribute, "idempotent", False):
                found.update(getattr(attribute, "target_types", ()))
    return frozenset(found)
