"""What crosses the wire, without a cluster: JSON bodies, the exception allow-list, placement."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from pydantic import BaseModel

from flowgen.core.serialization import (
    SerializationRegistry,
    UnknownPayload,
    try_get_known_serializers_for_type,
)
from flowgen.distributed.placement import Placement
from flowgen.distributed.wire import ExceptionTypes, Failure, decode_value, encode_failure, encode_value
from flowgen.errors import ConfigurationError, RemoteAgentError, UndeliverableException


@dataclass
class Ping:
    n: int


class Order(BaseModel):
    item: str
    quantity: int


class AppError(Exception):
    pass


class NeedsTwoArguments(Exception):
    def __init__(self, a: str, b: str) -> None:
        super().__init__(a, b)


@pytest.mark.parametrize(
    "value", [None, "text", 3, 2.5, True, [1, "a"], {"k": [1, 2]}, Ping(4), Order(item="x", quantity=2)]
)
def test_values_round_trip_as_json(value: object) -> None:
    sender, receiver = SerializationRegistry(), SerializationRegistry()
    body = encode_value(sender, value)
    assert isinstance(body["payload"], bytes)
    receiver.add_serializer(try_get_known_serializers_for_type(type(value)))  # the same types as the sender
    assert decode_value(receiver, body) == value


def test_an_unregistered_type_arrives_as_unknown_payload_never_guessed() -> None:
    body = encode_value(SerializationRegistry(), Ping(1))
    decoded = decode_value(SerializationRegistry(), body)
    assert isinstance(decoded, UnknownPayload)
    assert (decoded.type_name, decoded.payload) == ("Ping", b'{"n": 1}')


def test_a_value_without_a_json_form_is_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match="add_message_serializer"):
        encode_value(SerializationRegistry(), object())


def _failure(exc: BaseException) -> Failure:
    return encode_failure(exc, node="n" * 56)


def test_builtin_and_flowgen_exceptions_come_back_as_themselves() -> None:
    types = ExceptionTypes()
    rebuilt = types.rebuild(_failure(KeyError("missing")), "worker/a")
    assert type(rebuilt) is KeyError
    assert "raised by agent worker/a" in rebuilt.__notes__[0]
    assert type(types.rebuild(_failure(UndeliverableException("x")), "w/a")) is UndeliverableException


def test_only_registered_application_exceptions_are_rebuilt() -> None:
    types = ExceptionTypes()
    unknown = types.rebuild(_failure(AppError("over quota")), "worker/a")
    assert isinstance(unknown, RemoteAgentError)
    assert unknown.remote_type.endswith("test_wire.AppError")
    assert "add_exception_type" in str(unknown)
    types.add(AppError)
    assert type(types.rebuild(_failure(AppError("over quota")), "worker/a")) is AppError
    with pytest.raises(TypeError, match="Exception subclasses"):
        types.add(int)  # type: ignore[arg-type]


def test_a_forged_type_name_is_never_imported() -> None:
    forged = Failure(type="os.system", message="rm -rf /", node="n")
    assert isinstance(ExceptionTypes().rebuild(forged, "worker/a"), RemoteAgentError)


def test_a_registered_type_that_cannot_be_rebuilt_from_its_message_falls_back() -> None:
    types = ExceptionTypes()
    types.add(NeedsTwoArguments)
    failure = Failure(type=f"{__name__}.NeedsTwoArguments", message="a b", node="n")
    assert isinstance(types.rebuild(failure, "worker/a"), RemoteAgentError)


def test_placement_shards_are_stable_and_validated() -> None:
    placement = Placement(shards=4)
    assert placement.shard_of("alice") == Placement(shards=4).shard_of("alice")  # same in every process
    assert {placement.shard_of(f"k{i}") for i in range(100)} == {0, 1, 2, 3}
    with pytest.raises(ConfigurationError, match="shards"):
        Placement(shards=0)
