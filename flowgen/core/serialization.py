"""Message serializers: how a message type crosses a process boundary as JSON.

The runtime keeps a registry keyed by (type name, content type). Agents register serializers for
the types they handle; a distributed runtime uses them to carry messages, and never unpickles.

Example:
    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Ping:
    ...     n: int
    >>> s = DataclassJsonMessageSerializer(Ping)
    >>> s.type_name, s.serialize(Ping(1)), s.deserialize(b'{"n": 2}')
    ('Ping', b'{"n": 1}', Ping(n=2))
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, get_args, get_origin

from pydantic import BaseModel

JSON_DATA_CONTENT_TYPE = "application/json"

T = TypeVar("T")
T_co = TypeVar("T_co")
M = TypeVar("M", bound=BaseModel)


class MessageSerializer(Protocol[T]):
    """Turns one message type into bytes and back."""

    @property
    def data_content_type(self) -> str: ...

    @property
    def type_name(self) -> str: ...

    def deserialize(self, payload: bytes) -> T: ...

    def serialize(self, message: T) -> bytes: ...


def _is_union(t: object) -> bool:
    return get_origin(t) in (typing.Union, types.UnionType)


def _mentions_structure(t: object) -> bool:
    """Whether a field type is, or contains, a dataclass or pydantic model."""
    if isinstance(t, type) and (dataclasses.is_dataclass(t) or issubclass(t, BaseModel)):
        return True
    return any(_mentions_structure(arg) for arg in get_args(t))


class DataclassJsonMessageSerializer(Generic[T]):
    """JSON for a flat dataclass (no unions, no nested dataclasses or models: use pydantic for those)."""

    def __init__(self, cls: type[T]) -> None:
        if not dataclasses.is_dataclass(cls):
            raise ValueError(
                f"{cls.__name__} is not a dataclass; use PydanticJsonMessageSerializer for models"
            )
        hints = typing.get_type_hints(cls)
        for field in dataclasses.fields(cls):
            hint = hints.get(field.name, field.type)
            if _is_union(hint):
                raise ValueError(
                    f"dataclass {cls.__name__} has a union field {field.name!r}; use a pydantic model "
                    "for messages with unions"
                )
            if _mentions_structure(hint):
                raise ValueError(
                    f"dataclass {cls.__name__} nests a dataclass or model in {field.name!r}; use a "
                    "pydantic model for nested messages"
                )
        self.cls = cls

    @property
    def data_content_type(self) -> str:
        return JSON_DATA_CONTENT_TYPE

    @property
    def type_name(self) -> str:
        return self.cls.__name__

    def deserialize(self, payload: bytes) -> T:
        return self.cls(**json.loads(payload.decode("utf-8")))

    def serialize(self, message: T) -> bytes:
        return json.dumps(dataclasses.asdict(message)).encode("utf-8")  # type: ignore[call-overload]


class PydanticJsonMessageSerializer(Generic[M]):
    """JSON for a pydantic model, validated on the way in."""

    def __init__(self, cls: type[M]) -> None:
        self.cls = cls

    @property
    def data_content_type(self) -> str:
        return JSON_DATA_CONTENT_TYPE

    @property
    def type_name(self) -> str:
        return self.cls.__name__

    def deserialize(self, payload: bytes) -> M:
        return self.cls.model_validate_json(payload)

    def serialize(self, message: M) -> bytes:
        return message.model_dump_json().encode("utf-8")


@dataclass
class UnknownPayload:
    """A payload whose type has no registered serializer: kept as bytes, never guessed at."""

    type_name: str
    data_content_type: str
    payload: bytes


def try_get_known_serializers_for_type(cls: type[Any]) -> list[MessageSerializer[Any]]:
    """The JSON serializer for a pydantic model or dataclass; an empty list for anything else."""
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        return [PydanticJsonMessageSerializer(cls)]
    if isinstance(cls, type) and dataclasses.is_dataclass(cls):
        return [DataclassJsonMessageSerializer(cls)]
    return []


class SerializationRegistry:
    """Serializers by (type name, content type)."""

    def __init__(self) -> None:
        self._serializers: dict[tuple[str, str], MessageSerializer[Any]] = {}

    def add_serializer(self, serializer: MessageSerializer[Any] | Sequence[MessageSerializer[Any]]) -> None:
        if isinstance(serializer, Sequence):
            for one in serializer:
                self.add_serializer(one)
            return
        self._serializers[(serializer.type_name, serializer.data_content_type)] = serializer

    def deserialize(self, payload: bytes, *, type_name: str, data_content_type: str) -> Any:
        serializer = self._serializers.get((type_name, data_content_type))
        if serializer is None:
            return UnknownPayload(type_name, data_content_type, payload)
        return serializer.deserialize(payload)

    def serialize(self, message: Any, *, type_name: str, data_content_type: str) -> bytes:
        serializer = self._serializers.get((type_name, data_content_type))
        if serializer is None:
            raise ValueError(
                f"no serializer for type {type_name!r} as {data_content_type}: register one with "
                "runtime.add_message_serializer(try_get_known_serializers_for_type(YourType))"
            )
        return serializer.serialize(message)

    def is_registered(self, type_name: str, data_content_type: str) -> bool:
        return (type_name, data_content_type) in self._serializers

    def type_name(self, message: Any) -> str:
        return type(message).__name__
