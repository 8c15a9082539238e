"""MCP tool results and tool descriptions in flowgen's shapes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowgen.core import Image
from flowgen.models.types import ToolSchema
from flowgen.tools.static_workbench import ToolOverride
from flowgen.tools.workbench import ImageResultContent, ResultContent, TextResultContent, ToolResult

if TYPE_CHECKING:
    from mcp.types import CallToolResult, Tool


def tool_schema(tool: Tool, override: ToolOverride | None) -> ToolSchema:
    """The schema a model sees: the server's input schema whole (``$defs`` and all), renamed if asked."""
    parameters: dict[str, Any] = dict(tool.input_schema)
    parameters.setdefault("type", "object")
    parameters.setdefault("properties", {})
    name, description = tool.name, tool.description or ""
    if override is not None:
        name = override.name if override.name is not None else name
        description = override.description if override.description is not None else description
    return {"name": name, "description": description, "parameters": parameters}  # type: ignore[typeddict-item]


def tool_result(name: str, result: CallToolResult) -> ToolResult:
    """Text and images as parts; other content (audio, resources) as its JSON; structured content kept."""
    from mcp.types import EmbeddedResource, ImageContent, TextContent

    parts: list[ResultContent] = []
    for item in result.content:
        if isinstance(item, TextContent):
            parts.append(TextResultContent(content=item.text))
        elif isinstance(item, ImageContent):
            parts.append(ImageResultContent(content=Image.from_base64(item.data, item.mime_type)))
        elif isinstance(item, EmbeddedResource):
            parts.append(TextResultContent(content=item.resource.model_dump_json(by_alias=True)))
        else:
            parts.append(TextResultContent(content=item.model_dump_json(by_alias=True)))
    return ToolResult(
        name=name, result=parts, is_error=bool(result.is_error), structured_content=result.structured_content
    )
