"""The replay client as a component (the SDK clients are in ``sdk_models``, loaded only for them)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from flowgen.core.component_config import ComponentSpec, register_component
from flowgen.models import ReplayChatCompletionClient
from flowgen.models.types import CreateResult


class ReplayChatCompletionClientConfig(BaseModel):
    chat_completions: list[str | CreateResult]
    model_info: dict[str, Any] | None = None


def _register() -> None:
    register_component(
        ComponentSpec(
            "flowgen.models.ReplayChatCompletionClient",
            ReplayChatCompletionClient,
            "replay_chat_completion_client",
            ReplayChatCompletionClientConfig,
            lambda c: ReplayChatCompletionClientConfig(
                chat_completions=c.chat_completions, model_info=c._model_info
            ),
            lambda f: ReplayChatCompletionClient(f.chat_completions, f.model_info),
        )
    )


_register()
