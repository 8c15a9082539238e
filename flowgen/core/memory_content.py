"""One item of an agent's memory: pure data, so messages can carry it."""

from __future__ import annotations

import base64
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, field_serializer, field_validator

from flowgen.core.function_call import Image


class MemoryMimeType(Enum):
    TEXT = "text/plain"
    JSON = "application/json"
    MARKDOWN = "text/markdown"
    IMAGE = "image/*"
    BINARY = "application/octet-stream"


class MemoryContent(BaseModel):
    """A memory item: text, JSON, an image or bytes, with its MIME type and free metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True, defer_build=True)  # built on first use

    content: str | bytes | dict[str, Any] | Image
    mime_type: MemoryMimeType | str
    metadata: dict[str, Any] | None = None

    @field_validator("mime_type", mode="before")
    @classmethod
    def _known_mime(cls, value: object) -> object:
        # A known MIME string loads back as the enum member, so dump/load round trips are equal.
        if isinstance(value, str):
            try:
                return MemoryMimeType(value)
            except ValueError:
                return value
        return value

    @field_validator("content", mode="before")
    @classmethod
    def _tagged_bytes(cls, value: object) -> object:
        # Bytes travel through JSON as {"bytes_base64": ...}; see _content below.
        if isinstance(value, dict) and set(value) == {"bytes_base64"}:
            return base64.b64decode(value["bytes_base64"])
        return value

    @field_serializer("content", mode="wrap")
    def _content(self, value: Any, handler: Any, info: Any) -> Any:
        # Raw bytes are not JSON; tag them so loading gives bytes back rather than text.
        if isinstance(value, bytes) and info.mode_is_json():
            return {"bytes_base64": base64.b64encode(value).decode("ascii")}
        return handler(value)

    @field_serializer("mime_type")
    def _mime(self, value: MemoryMimeType | str) -> str:
        return value.value if isinstance(value, MemoryMimeType) else value
