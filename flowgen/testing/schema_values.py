"""Values generated from a JSON schema: the subset pydantic emits for tool arguments and outputs.

One generator serves two sources of choices: a seeded ``random.Random`` (for the schema-driven model
client, deterministic given its seed) and Hypothesis draws (``flowgen.testing.strategies.from_schema``,
which shrink). This module itself needs no Hypothesis. Supported keywords:
``type`` (object, string, integer, number, boolean, array, null, or a list of them), ``properties``,
``required``, ``additionalProperties``, ``items``, ``prefixItems``, ``minItems`` / ``maxItems``,
``enum``, ``const``, ``anyOf`` / ``oneOf`` / ``allOf``, ``$ref`` into ``$defs``, string lengths and the
common ``format`` values, and numeric bounds. Anything else is ignored.

Example:
    >>> schema = {"type": "object", "properties": {"n": {"type": "integer", "minimum": 1, "maximum": 3}},
    ...           "required": ["n"]}
    >>> value = value_from_schema(schema, seed=0)
    >>> 1 <= value["n"] <= 3
    True
    >>> value == value_from_schema(schema, seed=0)
    True
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from flowgen.errors import ConfigurationError

T = TypeVar("T")
JsonValue = Any
_INT_SPAN = 1000
_DEFAULT_MAX_ITEMS = 3

# Strings a model might plausibly (or annoyingly) produce: empty, whitespace, quotes, unicode, long.
NASTY_STRINGS: tuple[str, ...] = (
    "",
    "x",
    "hello world",
    " leading and trailing ",
    'quote " and \\ backslash',
    "line\nbreak\ttab",
    "naïve café",
    "数据 データ",
    "emoji 🎉👩‍💻",
    "right-to-left עברית",
    "null",
    "{}",
    "0",
    "x" * 300,
)

_FORMATS: dict[str, tuple[str, ...]] = {
    "date-time": ("2024-01-02T03:04:05Z", "1999-12-31T23:59:59+01:00"),
    "date": ("2024-02-29", "1970-01-01"),
    "time": ("03:04:05", "23:59:59"),
    "uuid": ("12345678-1234-5678-1234-567812345678", "00000000-0000-4000-8000-000000000000"),
    "uri": ("https://example.com/", "http://127.0.0.1:8000/path?q=1"),
    "email": ("someone@example.com", "a.b@example.org"),
}


class Chooser(Protocol):
    """Where the generator's choices come from."""

    def integer(self, low: int, high: int) -> int: ...

    def number(self, low: float, high: float) -> float: ...

    def choice(self, options: Sequence[T]) -> T: ...

    def text(self, min_size: int, max_size: int | None) -> str: ...


class RandomChooser:
    """Choices from a seeded ``random.Random``: the same seed gives the same values."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def integer(self, low: int, high: int) -> int:
        return self._rng.randint(low, high)

    def number(self, low: float, high: float) -> float:
        return self._rng.uniform(low, high)

    def choice(self, options: Sequence[T]) -> T:
        return options[self._rng.randrange(len(options))]

    def text(self, min_size: int, max_size: int | None) -> str:
        base = self.choice(NASTY_STRINGS)
        if max_size is not None:
            base = base[:max_size]
        return base + "y" * max(min_size - len(base), 0)


def generate(schema: Mapping[str, Any], chooser: Chooser, root: Mapping[str, Any] | None = None) -> JsonValue:
    """One JSON value valid for ``schema`` (``root`` resolves ``$ref``; it defaults to ``schema``)."""
    root = schema if root is None else root
    if "$ref" in schema:
        return generate(_resolve(schema["$ref"], root), chooser, root)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return chooser.choice(list(schema["enum"]))
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return generate(chooser.choice(list(schema[key])), chooser, root)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(_resolve(part["$ref"], root) if "$ref" in part else part)
        return generate(merged, chooser, root)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = chooser.choice(kind)
    if kind is None:
        kind = (
            "object" if "properties" in schema else chooser.choice(["string", "integer", "boolean", "null"])
        )
    maker = _MAKERS.get(kind)
    if maker is None:
        raise ConfigurationError(
            f"cannot generate values for JSON schema type {kind!r}; supported types are {sorted(_MAKERS)}"
        )
    return maker(schema, chooser, root)


def value_from_schema(schema: Mapping[str, Any], seed: int = 0) -> JsonValue:
    """One JSON value valid for ``schema``, the same for the same seed."""
    return generate(schema, RandomChooser(random.Random(seed)))


def _resolve(ref: str, root: Mapping[str, Any]) -> Mapping[str, Any]:
    node: Any = root
    if not ref.startswith("#/"):
        raise ConfigurationError(
            f"cannot follow $ref {ref!r}: only references inside the schema (#/...) work"
        )
    for part in ref[2:].split("/"):
        if not isinstance(node, Mapping) or part not in node:
            raise ConfigurationError(f"$ref {ref!r} points to nothing in the schema")
        node = node[part]
    return dict(node)


def _object(schema: Mapping[str, Any], chooser: Chooser, root: Mapping[str, Any]) -> JsonValue:
    properties: Mapping[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", ()))
    value: dict[str, Any] = {}
    for name, sub in properties.items():
        if name in required or chooser.choice((True, False)):
            value[name] = generate(sub, chooser, root)
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping):
        for i in range(chooser.integer(0, 2)):
            value.setdefault(f"key{i}", generate(extra, chooser, root))
    return value


def _array(schema: Mapping[str, Any], chooser: Chooser, root: Mapping[str, Any]) -> JsonValue:
    prefix: Sequence[Mapping[str, Any]] = schema.get("prefixItems", ())
    low = int(schema.get("minItems", len(prefix)))
    high = int(schema.get("maxItems", max(low, len(prefix)) + _DEFAULT_MAX_ITEMS))
    size = chooser.integer(low, high)
    items: Mapping[str, Any] | bool = schema.get("items", {})
    result = [generate(sub, chooser, root) for sub in prefix[:size]]
    while len(result) < size:
        result.append(generate(items if isinstance(items, Mapping) else {}, chooser, root))
    if schema.get("uniqueItems"):
        unique: list[Any] = []
        for item in result:
            if item not in unique:
                unique.append(item)
        result = unique
    return result


def _string(schema: Mapping[str, Any], chooser: Chooser, root: Mapping[str, Any]) -> JsonValue:
    fmt = schema.get("format")
    if fmt in _FORMATS:
        return chooser.choice(_FORMATS[fmt])
    if "pattern" in schema:
        raise ConfigurationError(
            f"cannot generate strings for the pattern {schema['pattern']!r}; give the field an enum "
            "or drop the pattern for the generated calls"
        )
    low = int(schema.get("minLength", 0))
    high = schema.get("maxLength")
    return chooser.text(low, int(high) if high is not None else None)


def _bounds(schema: Mapping[str, Any], step: float) -> tuple[float | None, float | None]:
    low = schema.get("minimum")
    high = schema.get("maximum")
    if "exclusiveMinimum" in schema:
        low = schema["exclusiveMinimum"] + step
    if "exclusiveMaximum" in schema:
        high = schema["exclusiveMaximum"] - step
    return low, high


def _integer(schema: Mapping[str, Any], chooser: Chooser, root: Mapping[str, Any]) -> JsonValue:
    low, high = _bounds(schema, 1)
    lo = int(low) if low is not None else (int(high) - _INT_SPAN if high is not None else -_INT_SPAN)
    hi = int(high) if high is not None else lo + 2 * _INT_SPAN
    return chooser.integer(lo, hi)


def _number(schema: Mapping[str, Any], chooser: Chooser, root: Mapping[str, Any]) -> JsonValue:
    low, high = _bounds(schema, 1e-6)
    lo = float(low) if low is not None else (float(high) - _INT_SPAN if high is not None else -_INT_SPAN)
    hi = float(high) if high is not None else lo + 2 * _INT_SPAN
    return chooser.number(lo, hi)


def _boolean(schema: Mapping[str, Any], chooser: Chooser, root: Mapping[str, Any]) -> JsonValue:
    return chooser.choice((True, False))


def _null(schema: Mapping[str, Any], chooser: Chooser, root: Mapping[str, Any]) -> JsonValue:
    return None


_MAKERS: dict[str, Callable[[Mapping[str, Any], Chooser, Mapping[str, Any]], JsonValue]] = {
    "object": _object,
    "array": _array,
    "string": _string,
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
    "null": _null,
}

__all__ = ["NASTY_STRINGS", "Chooser", "RandomChooser", "generate", "value_from_schema"]
