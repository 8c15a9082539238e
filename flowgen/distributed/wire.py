"""What crosses the wire between the driver and the actors hosting agents: plain dicts of JSON bytes.

A message travels as its type name, content type and the bytes its registered serializer made; a
reply the same way; an exception as its dotted type name and text. Nothing here is ever unpickled
from a message: the receiver rebuilds messages with its own serializers and exceptions only from an
allow-list of types (builtins, flowgen's own, and the ones the application registered).

Example:
    >>> from flowgen.core.serialization import SerializationRegistry
    >>> registry = SerializationRegistry()
    >>> body = encode_value(registry, {"n": 1})
    >>> body["type_name"], decode_value(registry, body)
    ('__json__', {'n': 1})
"""

from __future__ import annotations

import builtins
import json
from typing import Any, NotRequired, TypedDict

from flowgen import errors
from flowgen.core.serialization import (
    JSON_DATA_CONTENT_TYPE,
    SerializationRegistry,
    try_get_known_serializers_for_type,
)

# Replies that are plain JSON values (str, numbers, lists, dicts) need no registered serializer.
PLAIN_JSON = "__json__"
NONE = "__none__"
_PLAIN_TYPES = (str, int, float, bool, list, dict)


class Body(TypedDict):
    """A message or reply in transit."""

    type_name: str
    content_type: str
    payload: bytes


class Envelope(TypedDict):
    """One delivery asked of an actor: a send (a reply is awaited) or a publish.

    A publish names every recipient this actor hosts in ``recipients`` (``recipient`` is the first):
    the message is encoded, sent and decoded once for all of them, whatever their number.
    """

    rpc: bool
    recipient: str
    sender: str | None
    topic: str | None
    message_id: str
    body: Body
    recipients: NotRequired[list[str]]
    #: The caller takes progress pushed by the handler before its reply (see progress.py).
    progress: NotRequired[bool]


class Failure(TypedDict):
    """An exception raised by a handler, by name and text only."""

    type: str
    message: str
    node: str


class Outcome(TypedDict, total=False):
    """The result of one envelope: a reply body, or a failure (for a publish, the recipients that
    failed); or, before either, progress.

    ``progress`` is what a handler pushed while it ran (JSON bytes, see flowgen.distributed.progress);
    an envelope may get any number of progress outcomes before its one reply or failure.
    """

    body: Body
    failure: Failure
    failed: dict[str, Failure]
    progress: bytes


def encode_value(registry: SerializationRegistry, value: Any) -> Body:
    """The wire form of ``value``, through its registered serializer (registered on first use)."""
    if value is None:
        return Body(type_name=NONE, content_type=JSON_DATA_CONTENT_TYPE, payload=b"")
    if type(value) in _PLAIN_TYPES:
        payload = json.dumps(value).encode("utf-8")
        return Body(type_name=PLAIN_JSON, content_type=JSON_DATA_CONTENT_TYPE, payload=payload)
    type_name = registry.type_name(value)
    if not registry.is_registered(type_name, JSON_DATA_CONTENT_TYPE):
        registry.add_serializer(try_get_known_serializers_for_type(type(value)))
    payload = registry.serialize(value, type_name=type_name, data_content_type=JSON_DATA_CONTENT_TYPE)
    return Body(type_name=type_name, content_type=JSON_DATA_CONTENT_TYPE, payload=payload)


def decode_value(registry: SerializationRegistry, body: Body) -> Any:
    """The value ``body`` carries; an ``UnknownPayload`` when no serializer knows its type."""
    if body["type_name"] == NONE:
        return None
    if body["type_name"] == PLAIN_JSON:
        return json.loads(body["payload"])
    return registry.deserialize(
        body["payload"], type_name=body["type_name"], data_content_type=body["content_type"]
    )


def dotted_name(cls: type[BaseException]) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def encode_failure(exc: BaseException, node: str) -> Failure:
    return Failure(type=dotted_name(type(exc)), message=str(exc), node=node)


class ExceptionTypes:
    """The exception types a process rebuilds by name: builtins, flowgen's errors, registered ones."""

    def __init__(self) -> None:
        self._types: dict[str, type[BaseException]] = {}
        for module in (builtins, errors):
            for value in vars(module).values():
                if isinstance(value, type) and issubclass(value, Exception):
                    self._types[dotted_name(value)] = value

    def add(self, cls: type[BaseException]) -> None:
        if not (isinstance(cls, type) and issubclass(cls, Exception)):
            raise TypeError(f"only Exception subclasses can be registered, not {cls!r}")
        self._types[dotted_name(cls)] = cls

    def rebuild(self, failure: Failure, agent: str) -> BaseException:
        """The exception ``failure`` names, or a RemoteAgentError when its type is not allowed here."""
        where = f"raised by agent {agent} on node {failure['node'][:12]}"
        cls = self._types.get(failure["type"])
        exc: BaseException | None = None
        if cls is not None:
            try:
                exc = cls(failure["message"])
            except Exception:
                exc = None
        if exc is None:
            exc = errors.RemoteAgentError(
                f"{failure['type']}: {failure['message']} (register the type with "
                "runtime.add_exception_type to receive it as itself)",
                remote_type=failure["type"],
                agent=agent,
            )
        exc.add_note(where)
        return exc
