"""The model's request to call a function, and images carried in messages."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, field_serializer, field_validator


@dataclass(frozen=True, slots=True)
class FunctionCall:
    """One tool call the model asked for: ``arguments`` is the raw JSON text the model produced."""

    id: str
    arguments: str
    name: str


class Image(BaseModel):
    """An image in a multimodal message, kept as base64 so messages stay JSON-serializable."""

    model_config = ConfigDict(frozen=True, defer_build=True)  # built on first use: most runs have no images

    data_base64: str
    mime_type: str = "image/png"

    @classmethod
    def from_bytes(cls, data: bytes, mime_type: str = "image/png") -> Image:
        return cls(data_base64=base64.b64encode(data).decode("ascii"), mime_type=mime_type)

    @classmethod
    def from_base64(cls, data: str, mime_type: str = "image/png") -> Image:
        return cls(data_base64=data, mime_type=mime_type)

    def to_base64(self) -> str:
        return self.data_base64

    @property
    def data_uri(self) -> str:
        return f"data:{self.mime_type};base64,{self.data_base64}"

    @field_validator("data_base64")
    @classmethod
    def _valid_base64(cls, value: str) -> str:
        base64.b64decode(value, validate=True)
        return value

    @field_serializer("data_base64")
    def _keep(self, value: str) -> Any:
        return value

    def __str__(self) -> str:
        return "<image>"
