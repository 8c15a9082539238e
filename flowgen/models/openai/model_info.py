"""What flowgen knows about OpenAI's models: capabilities and context windows, by name prefix."""

from __future__ import annotations

from dataclasses import dataclass

from flowgen.errors import ConfigurationError
from flowgen.models.client import validate_model_info
from flowgen.models.types import ModelFamily, ModelInfo


@dataclass(frozen=True, slots=True)
class KnownModel:
    prefix: str
    family: str
    vision: bool
    context: int
    structured_output: bool = True


# Longest prefix wins, so dated and mini variants fall under their base model.
KNOWN_MODELS: tuple[KnownModel, ...] = (
    KnownModel("gpt-5", ModelFamily.GPT_5, True, 400_000),
    KnownModel("gpt-4.1", ModelFamily.GPT_41, True, 1_047_576),
    KnownModel("gpt-4o", ModelFamily.GPT_4O, True, 128_000),
    KnownModel("gpt-4-turbo", ModelFamily.GPT_4, True, 128_000, structured_output=False),
    KnownModel("gpt-4", ModelFamily.GPT_4, False, 8_192, structured_output=False),
    KnownModel("gpt-3.5-turbo", ModelFamily.GPT_35, False, 16_385, structured_output=False),
    KnownModel("o1", ModelFamily.O1, True, 200_000),
    KnownModel("o3", ModelFamily.O3, True, 200_000),
    KnownModel("o4", ModelFamily.O4, True, 200_000),
)

DEFAULT_CONTEXT = 128_000


def find_known(model: str) -> KnownModel | None:
    matches = [k for k in KNOWN_MODELS if model.startswith(k.prefix)]
    return max(matches, key=lambda k: len(k.prefix), default=None)


def resolve_model_info(model: str, model_info: ModelInfo | None) -> ModelInfo:
    """The given ``model_info``, or the known one for ``model``; unknown models need ``model_info``."""
    if model_info is not None:
        validate_model_info(model_info)
        return model_info
    known = find_known(model)
    if known is None:
        raise ConfigurationError(
            f"model_info is required when the model name is not a known OpenAI model: {model!r}. "
            "Pass model_info=ModelInfo(vision=..., function_calling=..., json_output=..., family=..., "
            "structured_output=...) describing what the model can do."
        )
    return ModelInfo(
        vision=known.vision,
        function_calling=True,
        json_output=True,
        family=known.family,
        structured_output=known.structured_output,
        multiple_system_messages=True,
    )


def context_window(model: str) -> int:
    known = find_known(model)
    return known.context if known is not None else DEFAULT_CONTEXT
