"""Refuse, before any network call, a request for something the model cannot do."""

from __future__ import annotations

from flowgen.errors import UnsupportedModelFeatureError
from flowgen.models.client import JsonOutput, ToolChoice, Tools
from flowgen.models.types import ModelInfo, tool_schema


def check_features(
    model: str, info: ModelInfo, tools: Tools, tool_choice: ToolChoice, json_output: JsonOutput
) -> None:
    """Raise UnsupportedModelFeatureError naming the feature and the ``model_info`` field to change.

    Example:
        >>> from flowgen.models import ModelInfo
        >>> info = ModelInfo(vision=False, function_calling=True, json_output=True, family="x",
        ...                  structured_output=False)
        >>> check_features("m", info, (), "auto", True)  # JSON mode is fine
    """
    if tools and not info["function_calling"]:
        raise UnsupportedModelFeatureError(
            f"model {model!r} does not support function calling (model_info function_calling=False); "
            "remove the tools or set function_calling=True in model_info if the model supports it"
        )
    if json_output is True and not info["json_output"]:
        raise UnsupportedModelFeatureError(
            f"model {model!r} does not support JSON output (model_info json_output=False); "
            "drop json_output or set json_output=True in model_info"
        )
    if isinstance(json_output, type) and not info["structured_output"]:
        raise UnsupportedModelFeatureError(
            f"model {model!r} does not support structured output (model_info structured_output=False); "
            "drop the output type or set structured_output=True in model_info"
        )
    if not isinstance(tool_choice, str):
        name = tool_choice.schema["name"]
        offered = [tool_schema(t)["name"] for t in tools]
        if name not in offered:
            raise UnsupportedModelFeatureError(
                f"tool_choice names tool {name!r}, which is not among the tools offered ({offered}); "
                "pass that tool in tools as well"
            )
