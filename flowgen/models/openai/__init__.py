"""OpenAI, Azure OpenAI and OpenAI-compatible servers (Ollama, vLLM, llama.cpp) through the official SDK.

The ``openai`` package is imported only under this package; nothing from it escapes into flowgen types.
"""

from flowgen.models.openai.azure import AzureOpenAIChatCompletionClient
from flowgen.models.openai.client import BaseOpenAIChatCompletionClient, OpenAIChatCompletionClient
from flowgen.models.retry import RetryPolicy

__all__ = [
    "AzureOpenAIChatCompletionClient",
    "BaseOpenAIChatCompletionClient",
    "OpenAIChatCompletionClient",
    "RetryPolicy",
]
