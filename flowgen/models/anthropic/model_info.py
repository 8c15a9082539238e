"""What flowgen knows about Anthropic's Claude models, read from the model name.

Claude names carry a tier and a version, in either order: ``claude-3-5-sonnet-20241022`` and
``claude-sonnet-4-5-20250929``. The family follows flowgen's ``ModelFamily`` spelling
(``claude-4-5-sonnet``); capabilities follow the version.
"""

from __future__ import annotations

import re

from flowgen.errors import ConfigurationError
from flowgen.models.client import validate_model_info
from flowgen.models.types import ModelInfo

CONTEXT_WINDOW = 200_000

_TIER_FIRST = re.compile(r"^claude-(?P<tier>[a-z]+)-(?P<major>\d)(?:-(?P<minor>\d{1,2}))?(?:-|$)")
_VERSION_FIRST = re.compile(r"^claude-(?P<major>\d)(?:-(?P<minor>\d{1,2}))?-(?P<tier>[a-z]+)")


def parse_claude(model: str) -> tuple[str, int, int] | None:
    """``(tier, major, minor)`` from a Claude model name, or ``None`` when the name has no version.

    Example:
        >>> parse_claude("claude-sonnet-4-5-20250929"), parse_claude("claude-3-5-haiku-latest")
        (('sonnet', 4, 5), ('haiku', 3, 5))
        >>> parse_claude("claude-opus-4-20250514")
        ('opus', 4, 0)
    """
    match = _TIER_FIRST.match(model) or _VERSION_FIRST.match(model)
    if match is None:
        return None
    return match["tier"], int(match["major"]), int(match["minor"] or 0)


def resolve_model_info(model: str, model_info: ModelInfo | None) -> ModelInfo:
    """The given ``model_info``, else what the Claude name implies; a non-Claude name needs ``model_info``.

    Native JSON-schema output arrived with Claude Opus 4.1 and the 4.5 generation; a Claude name
    flowgen cannot read is assumed to be a newer model with every capability.
    """
    if model_info is not None:
        validate_model_info(model_info)
        return model_info
    if not model.startswith("claude-"):
        raise ConfigurationError(
            f"model_info is required when the model name is not a known Claude model: {model!r}. "
            "Pass model_info=ModelInfo(vision=..., function_calling=..., json_output=..., family=..., "
            "structured_output=...) describing what the model can do."
        )
    parsed = parse_claude(model)
    if parsed is None:
        family, structured, vision = model, True, True
    else:
        tier, major, minor = parsed
        family = f"claude-{major}-{minor}-{tier}" if minor else f"claude-{major}-{tier}"
        structured = (major, minor) >= (4, 5) or (tier == "opus" and (major, minor) >= (4, 1))
        vision = (tier, major, minor) != ("haiku", 3, 5)
    return ModelInfo(
        vision=vision,
        function_calling=True,
        json_output=True,
        family=family,
        structured_output=structured,
        multiple_system_messages=False,
    )
