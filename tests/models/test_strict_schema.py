"""Strict JSON schemas for structured output: closed objects, every property required, nested too."""

from __future__ import annotations

from pydantic import BaseModel

from flowgen.models.structured import strict_json_schema


class Address(BaseModel):
    city: str
    zip_code: str | None = None


class Person(BaseModel):
    name: str
    addresses: list[Address] = []


def test_nested_models_are_closed_and_fully_required() -> None:
    schema = strict_json_schema(Person)
    address = schema["$defs"]["Address"]
    assert (schema["additionalProperties"], schema["required"]) == (False, ["name", "addresses"])
    assert (address["additionalProperties"], address["required"]) == (False, ["city", "zip_code"])


def test_the_models_own_schema_is_left_untouched() -> None:
    strict_json_schema(Person)
    assert "additionalProperties" not in Person.model_json_schema()
