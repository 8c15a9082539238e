"""JSON schemas for structured output, in the strict form providers require."""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel


def strict_json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON schema with every object closed and every property required.

    OpenAI's strict structured outputs and Anthropic's JSON output format both need
    ``additionalProperties: false`` and all properties listed in ``required``.

    Example:
        >>> from pydantic import BaseModel
        >>> class Answer(BaseModel):
        ...     city: str
        ...     confident: bool = True
        >>> schema = strict_json_schema(Answer)
        >>> schema["required"], schema["additionalProperties"]
        (['city', 'confident'], False)
    """
    schema = copy.deepcopy(model.model_json_schema())
    _close(schema)
    return schema


def _close(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _close(item)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") == "object" and "properties" in node:
        node["additionalProperties"] = False
        node["required"] = list(node["properties"])
    for value in node.values():
        _close(value)
