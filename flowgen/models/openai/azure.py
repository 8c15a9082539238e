"""AzureOpenAIChatCompletionClient: an Azure OpenAI deployment over the official SDK."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import openai

from flowgen.errors import ConfigurationError
from flowgen.models.http_client import HttpClient
from flowgen.models.openai.client import BaseOpenAIChatCompletionClient, openai_options
from flowgen.models.request_limits import RequestLimiter, RequestLimits
from flowgen.models.retry import RetryPolicy
from flowgen.models.sdk_call import resolve_policy
from flowgen.models.types import ModelInfo

AzureTokenProvider = Callable[[], "str | Awaitable[str]"]


class AzureOpenAIChatCompletionClient(BaseOpenAIChatCompletionClient):
    """A model deployed on Azure OpenAI: an endpoint, a deployment and an API version.

    Authenticate with ``api_key`` (or ``AZURE_OPENAI_API_KEY``), a fixed ``azure_ad_token``, or an
    ``azure_ad_token_provider`` (for Entra ID). ``model`` names the underlying model so flowgen knows
    what it can do; it defaults to the deployment name. ``azure_endpoint`` and ``api_version`` fall
    back to ``AZURE_OPENAI_ENDPOINT`` and ``OPENAI_API_VERSION``, as in the SDK.

    Example:
        >>> client = AzureOpenAIChatCompletionClient(
        ...     azure_endpoint="https://example.openai.azure.com",
        ...     azure_deployment="prod-chat",
        ...     model="gpt-4o",
        ...     api_version="2024-06-01",
        ...     api_key="test",
        ... )
        >>> client.model_info["family"]
        'gpt-4o'
    """

    _provider = "azure.ai.openai"

    def __init__(
        self,
        model: str | None = None,
        *,
        azure_endpoint: str | None = None,
        azure_deployment: str | None = None,
        api_version: str | None = None,
        api_key: str | None = None,
        azure_ad_token: str | None = None,
        azure_ad_token_provider: AzureTokenProvider | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        model_info: ModelInfo | None = None,
        add_name_prefixes: bool = False,
        include_name_in_message: bool = True,
        default_headers: Mapping[str, str] | None = None,
        retry_policy: RetryPolicy | None = None,
        http_client: HttpClient | None = None,
        limits: RequestLimits | RequestLimiter | None = None,
        **options: Any,
    ) -> None:
        extra = openai_options("AzureOpenAIChatCompletionClient", openai.AsyncAzureOpenAI, options)
        resolved_model = model or azure_deployment
        if resolved_model is None:
            raise ConfigurationError(
                "AzureOpenAIChatCompletionClient needs model= (the underlying model, e.g. 'gpt-4o') "
                "or azure_deployment="
            )
        # One keyword dict: the SDK's overloads cannot tell endpoint-from-env apart statically.
        sdk_args: dict[str, Any] = {
            "azure_endpoint": azure_endpoint,
            "azure_deployment": azure_deployment,
            "api_version": api_version,
            "api_key": api_key,
            "azure_ad_token": azure_ad_token,
            "azure_ad_token_provider": azure_ad_token_provider,
            "timeout": timeout if timeout is not None else openai.NOT_GIVEN,
            "max_retries": 0,
            "default_headers": default_headers,
            "http_client": http_client,
            **extra.sdk,
        }
        try:
            sdk = openai.AsyncAzureOpenAI(**sdk_args)
        except (openai.OpenAIError, ValueError) as exc:
            raise ConfigurationError(
                f"cannot configure Azure OpenAI: {exc} (set AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY "
                "and OPENAI_API_VERSION, or pass azure_endpoint=, api_key= / azure_ad_token_provider= "
                "and api_version=)"
            ) from exc
        super().__init__(
            sdk,
            model=resolved_model,
            model_info=model_info,
            create_args=extra.create,
            add_name_prefixes=add_name_prefixes,
            include_name_in_message=include_name_in_message,
            retry_policy=resolve_policy(retry_policy, max_retries),
            limits=limits,
        )
        self._owns_transport = http_client is None
