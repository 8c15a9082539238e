"""ScriptedModels: deterministic models whose reply is a pure function of the prompt they are sent.

Each reply is chosen from a script by a digest of the prompt, so two agents holding the same history
(an original and one restored from saved state, say) give the same reply, however many calls came
before. That makes them the models for checks that compare runs, and for Hypothesis, which draws the
script.

Example:
    >>> import asyncio
    >>> from flowgen.models import UserMessage
    >>> models = ScriptedModels(["yes", "no", "maybe"])
    >>> ask = [UserMessage(content="shall we?", source="user")]
    >>> first = asyncio.run(models.client().create(ask)).content
    >>> first == asyncio.run(models.client().create(ask)).content
    True
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from flowgen.errors import ConfigurationError
from flowgen.models.function import CallInfo, FunctionChatCompletionClient
from flowgen.models.types import LLMMessage, ModelInfo


class ScriptedModels:
    """A source of model clients that answer from ``replies``, picked by the prompt's digest.

    Args:
        replies: the possible replies (at least one).
        salt: changes which reply each prompt gets, without changing the script.
    """

    def __init__(self, replies: Sequence[str], *, salt: str = "") -> None:
        if not replies:
            raise ConfigurationError("ScriptedModels needs at least one reply to choose from")
        self.replies = list(replies)
        self.salt = salt
        self.clients: list[FunctionChatCompletionClient] = []

    def reply_for(self, messages: Sequence[LLMMessage]) -> str:
        """The reply any client of this source gives to ``messages``."""
        digest = hashlib.sha256(self.salt.encode())
        for message in messages:
            digest.update(message.model_dump_json().encode())
        return self.replies[int.from_bytes(digest.digest()[:8], "big") % len(self.replies)]

    def client(self, model_info: ModelInfo | None = None) -> FunctionChatCompletionClient:
        """A fresh client answering from the script (recorded in ``clients``)."""

        def reply(messages: Sequence[LLMMessage], info: CallInfo) -> str:
            return self.reply_for(messages)

        client = FunctionChatCompletionClient(reply, model_info)
        self.clients.append(client)
        return client

    def __repr__(self) -> str:
        return f"ScriptedModels({self.replies!r})"


__all__ = ["ScriptedModels"]
