"""Anthropic's Claude models through the official SDK.

The ``anthropic`` package is imported only under this package; nothing from it escapes into flowgen types.
"""

from flowgen.models.anthropic.client import AnthropicChatCompletionClient
from flowgen.models.retry import RetryPolicy

__all__ = ["AnthropicChatCompletionClient", "RetryPolicy"]
