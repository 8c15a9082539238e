from __future__ import annotations

import enum
from typing import Literal

import pytest
from hypothesis import given
from pydantic import BaseModel, Field

from flowgen.errors import ConfigurationError
from flowgen.testing.schema_values import value_from_schema
from flowgen.testing.strategies import from_schema


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Address(BaseModel):
    street: str
    number: int = Field(ge=1, le=9999)


class Everything(BaseModel):
    name: str = Field(min_length=2, max_length=5)
    count: int = Field(gt=0, lt=10)
    ratio: float = Field(ge=0.0, le=1.0)
    flag: bool
    color: Color
    mode: Literal["fast", "slow"]
    tags: list[str] = Field(max_length=4)
    maybe: int | None = None
    address: Address
    addresses: list[Address] = []
    scores: dict[str, int] = {}
    pair: tuple[int, str]


SCHEMA = Everything.model_json_schema()


@given(from_schema(SCHEMA))
def test_drawn_values_validate_against_the_model(value: object) -> None:
    Everything.model_validate(value)


@pytest.mark.parametrize("seed", range(25))
def test_seeded_values_validate_against_the_model(seed: int) -> None:
    Everything.model_validate(value_from_schema(SCHEMA, seed=seed))


def test_same_seed_gives_the_same_value() -> None:
    assert value_from_schema(SCHEMA, seed=7) == value_from_schema(SCHEMA, seed=7)


def test_different_seeds_vary_the_value() -> None:
    values = {repr(value_from_schema(SCHEMA, seed=s)) for s in range(10)}
    assert len(values) > 1


def test_unsupported_type_is_named() -> None:
    with pytest.raises(ConfigurationError, match="'widget'"):
        value_from_schema({"type": "widget"})


def test_pattern_is_refused_with_a_fix() -> None:
    with pytest.raises(ConfigurationError, match="pattern"):
        value_from_schema({"type": "string", "pattern": "^[a-z]+$"})
