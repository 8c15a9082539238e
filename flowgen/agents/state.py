"""The saved forms of agents' state (AutoGen's ``autogen_agentchat.state`` shapes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class BaseState(BaseModel):
    """What every saved state carries: its type and format version."""

    model_config = ConfigDict(defer_build=True)  # built when a state is first saved or loaded

    type: str = "BaseState"
    version: str = "1.0.0"


class AssistantAgentState(BaseState):
    """An AssistantAgent's state: its model context.

    Example:
        >>> AssistantAgentState().model_dump()["llm_context"]
        {'messages': []}
    """

    type: str = "AssistantAgentState"
    llm_context: Mapping[str, Any] = Field(default_factory=lambda: {"messages": []})
