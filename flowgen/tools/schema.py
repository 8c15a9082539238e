"""The JSON schema a model is offered for a tool, built from a pydantic arguments model."""

from __future__ import annotations

import copy
from typing import Any, cast

from pydantic import BaseModel

from flowgen.errors import ConfigurationError
from flowgen.models.types import ParametersSchema, ToolSchema


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    # Models read schemas better (and strict providers insist) without "$ref" indirection.
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = defs[ref.removeprefix("#/$defs/")]
            merged = {**_inline_refs(target, defs), **{k: v for k, v in node.items() if k != "$ref"}}
            return merged
        return {k: _inline_refs(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline_refs(item, defs) for item in node]
    return node


def parameters_schema(args_type: type[BaseModel]) -> ParametersSchema:
    """The ``parameters`` object of a tool schema: properties, required names, no extra properties."""
    schema = args_type.model_json_schema()
    defs = schema.pop("$defs", None)
    if defs:
        schema = _inline_refs(schema, copy.deepcopy(defs))
    return ParametersSchema(
        type="object",
        properties=cast(dict[str, Any], schema.get("properties", {})),
        required=list(schema.get("required", [])),
        additionalProperties=bool(schema.get("additionalProperties", False)),
    )


def build_tool_schema(name: str, description: str, args_type: type[BaseModel], strict: bool) -> ToolSchema:
    """The full tool schema; in strict mode every argument must be required (no defaults)."""
    parameters = parameters_schema(args_type)
    if strict:
        optional = sorted(set(parameters["properties"]) - set(parameters.get("required", [])))
        if optional:
            raise ConfigurationError(
                f"tool {name!r} is strict, but its arguments {', '.join(optional)} have defaults; "
                "strict mode needs every argument required: remove the defaults or pass strict=False"
            )
        parameters["additionalProperties"] = False
    return ToolSchema(name=name, description=description, parameters=parameters, strict=strict)
