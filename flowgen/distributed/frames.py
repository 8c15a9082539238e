"""Frames on the direct link between a driver and a host actor: a JSON header and raw payload bytes.

A frame is ``[4 bytes: length of the rest][4 bytes: header length][header JSON][payloads]``, both
lengths big-endian. The header names each payload's size, in order; the payloads are the messages'
and replies' bytes exactly as the runtime's serializers made them (wire.Body), never pickled. Both
ends treat what they read as untrusted: every header is validated (pydantic) and the payload sizes
must add up to the frame, or the frame is refused with :class:`~flowgen.errors.FrameError`.

Frames the driver sends: ``batch`` (envelopes, numbered by a batch id) and ``cancel`` (a message
id). Frames the host sends: ``outcomes`` (progress, replies and failures, each naming its batch and
its index in it) and ``cancelled`` (a cancel has been carried out).

Example:
    >>> frame = encode_cancel("m1")
    >>> head, payloads = decode_frame(frame[4:])
    >>> head, payloads
    ({'kind': 'cancel', 'message_id': 'm1'}, [])
"""

from __future__ import annotations

import json
import struct
from typing import Annotated, Any, Literal, NotRequired

from pydantic import Field, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from flowgen.distributed.wire import Body, Envelope, Failure, Outcome
from flowgen.errors import FrameError

#: A frame longer than this is refused (and its connection closed): 64 MiB. A batch that would
#: exceed it goes by Ray calls instead; a reply that would becomes a failure naming its size.
MAX_FRAME_BYTES = 64 * 2**20
TOKEN_BYTES = 32
LENGTH = struct.Struct(">I")
_Size = Annotated[int, Field(ge=0, le=MAX_FRAME_BYTES)]


class BodyHead(TypedDict):
    type_name: str
    content_type: str
    size: _Size


class EnvelopeHead(TypedDict):
    rpc: bool
    recipient: str
    sender: str | None
    topic: str | None
    message_id: str
    body: BodyHead
    recipients: NotRequired[list[str]]
    progress: NotRequired[bool]


class FailureHead(TypedDict):
    type: str
    message: str
    node: str


class OutcomeHead(TypedDict):
    batch: int
    index: Annotated[int, Field(ge=0)]
    body: NotRequired[BodyHead]
    failure: NotRequired[FailureHead]
    failed: NotRequired[dict[str, FailureHead]]
    progress: NotRequired[_Size]


class BatchFrame(TypedDict):
    kind: Literal["batch"]
    batch: int
    envelopes: list[EnvelopeHead]


class CancelFrame(TypedDict):
    kind: Literal["cancel"]
    message_id: str


class OutcomesFrame(TypedDict):
    kind: Literal["outcomes"]
    outcomes: list[OutcomeHead]


class CancelledFrame(TypedDict):
    kind: Literal["cancelled"]
    message_id: str
    stopped: bool


Head = Annotated[BatchFrame | CancelFrame | OutcomesFrame | CancelledFrame, Field(discriminator="kind")]
_HEAD: TypeAdapter[Head] = TypeAdapter(Head)


def encode_frame(head: dict[str, Any], payloads: list[bytes]) -> bytes:
    """The frame carrying ``head`` and ``payloads``, its length prefix included."""
    header = json.dumps(head, separators=(",", ":")).encode("utf-8")
    rest = LENGTH.size + len(header) + sum(len(payload) for payload in payloads)
    if rest > MAX_FRAME_BYTES:
        raise FrameError(f"a frame of {rest} bytes exceeds the link's limit of {MAX_FRAME_BYTES} bytes")
    return b"".join((LENGTH.pack(rest), LENGTH.pack(len(header)), header, *payloads))


def decode_frame(frame: bytes) -> tuple[Head, list[bytes]]:
    """The validated header of ``frame`` (without its length prefix) and its payloads, in order."""
    if len(frame) < LENGTH.size:
        raise FrameError("a frame too short to hold its header length")
    (header_size,) = LENGTH.unpack_from(frame)
    start = LENGTH.size + header_size
    if start > len(frame):
        raise FrameError(f"a header of {header_size} bytes in a frame of {len(frame)}")
    try:
        head = _HEAD.validate_json(frame[LENGTH.size : start])
    except ValidationError as exc:
        raise FrameError(f"a frame header that fails validation: {exc.error_count()} errors") from None
    sizes = _sizes(head)
    if start + sum(sizes) != len(frame):
        raise FrameError("the payload sizes a frame's header names do not add up to the frame")
    payloads = []
    for size in sizes:
        payloads.append(frame[start : start + size])
        start += size
    return head, payloads


def _sizes(head: Head) -> list[int]:
    if head["kind"] == "batch":
        return [envelope["body"]["size"] for envelope in head["envelopes"]]
    if head["kind"] == "outcomes":
        sizes = []
        for outcome in head["outcomes"]:
            if "body" in outcome:
                sizes.append(outcome["body"]["size"])
            elif "progress" in outcome:
                sizes.append(outcome["progress"])
        return sizes
    return []


# ---------------------------------------------------------------- driver → host


def encode_batch(batch: int, envelopes: list[Envelope]) -> bytes:
    heads = []
    for envelope in envelopes:
        head = dict(envelope)
        body = envelope["body"]
        head["body"] = {
            "type_name": body["type_name"],
            "content_type": body["content_type"],
            "size": len(body["payload"]),
        }
        heads.append(head)
    payloads = [envelope["body"]["payload"] for envelope in envelopes]
    return encode_frame({"kind": "batch", "batch": batch, "envelopes": heads}, payloads)


def batch_envelopes(head: BatchFrame, payloads: list[bytes]) -> list[Envelope]:
    """The envelopes of a decoded batch frame, their payloads put back in their bodies."""
    envelopes = []
    for envelope_head, payload in zip(head["envelopes"], payloads, strict=True):
        envelope: Any = dict(envelope_head)
        body = envelope_head["body"]
        envelope["body"] = Body(
            type_name=body["type_name"], content_type=body["content_type"], payload=payload
        )
        envelopes.append(envelope)
    return envelopes


def encode_cancel(message_id: str) -> bytes:
    return encode_frame({"kind": "cancel", "message_id": message_id}, [])


# ---------------------------------------------------------------- host → driver


def outcome_head(batch: int, index: int, outcome: Outcome) -> tuple[dict[str, Any], bytes | None]:
    """The header entry of one outcome and its payload (a reply's or a progress chunk's bytes)."""
    head: dict[str, Any] = {"batch": batch, "index": index}
    if "body" in outcome:
        body = outcome["body"]
        head["body"] = {
            "type_name": body["type_name"],
            "content_type": body["content_type"],
            "size": len(body["payload"]),
        }
        return head, body["payload"]
    if "progress" in outcome:
        head["progress"] = len(outcome["progress"])
        return head, outcome["progress"]
    if "failure" in outcome:
        head["failure"] = outcome["failure"]
    if "failed" in outcome:
        head["failed"] = outcome["failed"]
    return head, None


def encode_outcomes(entries: list[tuple[dict[str, Any], bytes | None]]) -> bytes:
    heads = [head for head, _ in entries]
    payloads = [payload for _, payload in entries if payload is not None]
    return encode_frame({"kind": "outcomes", "outcomes": heads}, payloads)


def frame_outcomes(head: OutcomesFrame, payloads: list[bytes]) -> list[tuple[int, int, Outcome]]:
    """(batch, index, outcome) for each outcome of a decoded outcomes frame."""
    found: list[tuple[int, int, Outcome]] = []
    payload_iter = iter(payloads)
    for entry in head["outcomes"]:
        outcome = Outcome()
        if "body" in entry:
            body = entry["body"]
            outcome["body"] = Body(
                type_name=body["type_name"],
                content_type=body["content_type"],
                payload=next(payload_iter),
            )
        elif "progress" in entry:
            outcome["progress"] = next(payload_iter)
        elif "failure" in entry:
            outcome["failure"] = Failure(**entry["failure"])
        elif "failed" in entry:
            outcome["failed"] = {name: Failure(**failure) for name, failure in entry["failed"].items()}
        else:
            raise FrameError("an outcome with neither a reply, a failure nor progress")
        found.append((entry["batch"], entry["index"], outcome))
    return found


def encode_cancelled(message_id: str, stopped: bool) -> bytes:
    return encode_frame({"kind": "cancelled", "message_id": message_id, "stopped": stopped}, [])
