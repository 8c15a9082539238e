"""The OpenAI and Anthropic clients as components, their keys as environment references.

Imported only when such a client is dumped or loaded: the SDKs take a while to import.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from flowgen.core.component_config import ComponentSpec, config_path, register_component
from flowgen.core.component_secrets import looks_secret, resolve_secret, secret_reference
from flowgen.models.anthropic import AnthropicChatCompletionClient
from flowgen.models.openai import OpenAIChatCompletionClient


class OpenAIClientConfig(BaseModel):
    """AutoGen's OpenAI client config; ``api_key`` is an environment reference (or omitted)."""

    model_config = ConfigDict(extra="forbid")

    model: str
    api_key: Any = None
    organization: str | None = None
    base_url: str | None = None
    timeout: float | None = None
    max_retries: int | None = None
    model_info: dict[str, Any] | None = None
    add_name_prefixes: bool = False
    include_name_in_message: bool = True
    default_headers: dict[str, Any] | None = None
    frequency_penalty: float | None = None
    logit_bias: dict[str, int] | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    n: int | None = None
    presence_penalty: float | None = None
    response_format: dict[str, Any] | None = None
    seed: int | None = None
    stop: str | list[str] | None = None
    temperature: float | None = None
    top_p: float | None = None
    user: str | None = None
    stream_options: dict[str, bool] | None = None
    parallel_tool_calls: bool | None = None
    reasoning_effort: str | None = None


class AnthropicClientConfig(BaseModel):
    """AutoGen's Anthropic client config; ``api_key`` is an environment reference."""

    model_config = ConfigDict(extra="forbid")

    model: str
    api_key: Any = None
    base_url: str | None = None
    timeout: float | None = None
    max_retries: int | None = None
    model_info: dict[str, Any] | None = None
    default_headers: dict[str, Any] | None = None
    add_name_prefixes: bool = False
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop_sequences: list[str] | None = None
    metadata: dict[str, str] | None = None
    thinking: dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None


def dump_headers(headers: dict[str, Any] | None, segment: str) -> dict[str, Any] | None:
    """Headers with the secret ones (Authorization, API keys ...) as environment references."""
    if not headers:
        return None
    return {
        name: secret_reference(str(value), config_path(f"{segment}.{name}")) if looks_secret(name) else value
        for name, value in headers.items()
    }


def load_headers(headers: dict[str, Any] | None, segment: str) -> dict[str, str] | None:
    if headers is None:
        return None
    loaded = {
        name: resolve_secret(value, config_path(f"{segment}.{name}")) for name, value in headers.items()
    }
    return {name: value for name, value in loaded.items() if value is not None}


def _openai_config(client: Any) -> OpenAIClientConfig:
    sdk = client._sdk
    key = sdk.api_key
    api_key = None
    if key and key != "not-needed":
        api_key = secret_reference(key, "config.api_key", names=["OPENAI_API_KEY"])
    extra_headers = dict(sdk._custom_headers)
    return OpenAIClientConfig(
        model=client._model,
        api_key=api_key,
        organization=sdk.organization,
        base_url=None if str(sdk.base_url).rstrip("/") == "https://api.openai.com/v1" else str(sdk.base_url),
        timeout=sdk.timeout if isinstance(sdk.timeout, int | float) else None,
        model_info=client._model_info,
        add_name_prefixes=client._add_name_prefixes,
        include_name_in_message=client._include_name,
        default_headers=dump_headers(extra_headers, "default_headers"),
        **client._create_args,
    )


def _openai_client(config: OpenAIClientConfig) -> Any:
    args = config.model_dump(exclude={"api_key", "default_headers"}, exclude_none=True)
    return OpenAIChatCompletionClient(
        api_key=resolve_secret(config.api_key, config_path("api_key")),
        default_headers=load_headers(config.default_headers, "default_headers"),
        **args,
    )


def _anthropic_config(client: Any) -> AnthropicClientConfig:
    sdk = client._sdk
    return AnthropicClientConfig(
        model=client._model,
        api_key=secret_reference(sdk.api_key, "config.api_key", names=["ANTHROPIC_API_KEY"]),
        base_url=None if str(sdk.base_url).rstrip("/") == "https://api.anthropic.com" else str(sdk.base_url),
        timeout=sdk.timeout if isinstance(sdk.timeout, int | float) else None,
        model_info=dict(client._model_info),
        default_headers=dump_headers(dict(sdk._custom_headers), "default_headers"),
        add_name_prefixes=client._add_name_prefixes,
        **client._create_args,
    )


def _anthropic_client(config: AnthropicClientConfig) -> Any:
    args = config.model_dump(exclude={"api_key", "default_headers"}, exclude_none=True)
    return AnthropicChatCompletionClient(
        api_key=resolve_secret(config.api_key, config_path("api_key")),
        default_headers=load_headers(config.default_headers, "default_headers"),
        **args,
    )


def _register() -> None:
    register_component(
        ComponentSpec(
            "flowgen.models.anthropic.AnthropicChatCompletionClient",
            AnthropicChatCompletionClient,
            "model",
            AnthropicClientConfig,
            _anthropic_config,
            _anthropic_client,
        )
    )
    register_component(
        ComponentSpec(
            "flowgen.models.openai.OpenAIChatCompletionClient",
            OpenAIChatCompletionClient,
            "model",
            OpenAIClientConfig,
            _openai_config,
            _openai_client,
        )
    )


_register()
