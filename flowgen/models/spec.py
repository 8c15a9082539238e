"""Model spec strings ("openai:gpt-4o-mini") and the environment lookup the CLI and examples share.

Spec forms::

    openai:<model>                        OpenAI; key from OPENAI_API_KEY
    anthropic:<model>                     Anthropic; key from ANTHROPIC_API_KEY
    azure:<deployment>                    Azure OpenAI; AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY,
                                          AZURE_OPENAI_API_VERSION (or OPENAI_API_VERSION),
                                          AZURE_OPENAI_MODEL (the model behind the deployment)
    openai-compatible:<model>@<base_url>  any Chat Completions server (vLLM, llama.cpp, LM Studio ...)
    ollama:<model>                        a local Ollama (OLLAMA_BASE_URL, default localhost:11434)
    replay:<file>                         scripted replies from a JSON list or JSONL file
    cassette:<file>                       replay a recorded cassette, offline
    cassette:<file>@<spec>                replay what is recorded, record the rest through <spec>

The SDK-backed clients are imported only when a spec asks for them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowgen.errors import ConfigurationError
from flowgen.models.cassette import CassetteChatCompletionClient
from flowgen.models.client import ChatCompletionClient
from flowgen.models.function import CallInfo, FunctionChatCompletionClient
from flowgen.models.replay import ReplayChatCompletionClient
from flowgen.models.types import CreateResult, LLMMessage, ModelFamily, ModelInfo

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
DEFAULT_ANTHROPIC_MODEL = "claude-sonnet-4-6"
DEFAULT_OLLAMA_URL = "http://localhost:11434/v1"
DEFAULT_AZURE_API_VERSION = "2024-10-21"
#: The environment variable that names a spec, so one variable switches every example to a real model.
SPEC_VARIABLE = "FLOWGEN_MODEL"

#: What flowgen assumes of a model on an OpenAI-compatible server (override with model_info=).
COMPATIBLE_INFO = ModelInfo(
    vision=False,
    function_calling=True,
    json_output=True,
    family=ModelFamily.UNKNOWN,
    structured_output=True,
)

SPEC_FORMS = (
    "openai:<model>, anthropic:<model>, azure:<deployment>, openai-compatible:<model>@<base_url>, "
    "ollama:<model>, replay:<file>, cassette:<file>[@<spec>]"
)


def _require(env: Mapping[str, str], name: str, purpose: str) -> str:
    value = env.get(name)
    if not value:
        raise ConfigurationError(
            f"{purpose} needs the {name} environment variable; set it (or pick another model)"
        )
    return value


def _split(spec: str) -> tuple[str, str]:
    provider, sep, rest = spec.partition(":")
    if not sep or not rest:
        raise ConfigurationError(f"model spec {spec!r} is not <provider>:<model>; use one of: {SPEC_FORMS}")
    return provider.strip().lower(), rest.strip()


def client_from_spec(spec: str, *, env: Mapping[str, str] | None = None) -> ChatCompletionClient:
    """The client a spec string names, configured from ``env`` (default: ``os.environ``).

    Example:
        >>> client = client_from_spec("openai:gpt-4o-mini", env={"OPENAI_API_KEY": "sk-test"})
        >>> type(client).__name__, client.model_info["family"]
        ('OpenAIChatCompletionClient', 'gpt-4o')
        >>> client_from_spec("anthropic:claude-sonnet-4-6", env={})
        Traceback (most recent call last):
        ...
        flowgen.errors.ConfigurationError: anthropic:claude-sonnet-4-6 needs the ANTHROPIC_API_KEY environment variable; set it (or pick another model)
    """
    env = os.environ if env is None else env
    provider, rest = _split(spec)
    builder = _BUILDERS.get(provider)
    if builder is None:
        raise ConfigurationError(f"unknown model provider {provider!r} in {spec!r}; use one of: {SPEC_FORMS}")
    return builder(spec, rest, env)


def _openai(spec: str, model: str, env: Mapping[str, str]) -> ChatCompletionClient:
    from flowgen.models.openai import OpenAIChatCompletionClient

    key = _require(env, "OPENAI_API_KEY", spec)
    return OpenAIChatCompletionClient(model, api_key=key, base_url=env.get("OPENAI_BASE_URL") or None)


def _anthropic(spec: str, model: str, env: Mapping[str, str]) -> ChatCompletionClient:
    from flowgen.models.anthropic import AnthropicChatCompletionClient

    key = _require(env, "ANTHROPIC_API_KEY", spec)
    return AnthropicChatCompletionClient(model, api_key=key, base_url=env.get("ANTHROPIC_BASE_URL") or None)


def _azure(spec: str, deployment: str, env: Mapping[str, str]) -> ChatCompletionClient:
    from flowgen.models.openai import AzureOpenAIChatCompletionClient

    return AzureOpenAIChatCompletionClient(
        model=env.get("AZURE_OPENAI_MODEL") or deployment,
        azure_deployment=deployment,
        azure_endpoint=_require(env, "AZURE_OPENAI_ENDPOINT", spec),
        api_key=_require(env, "AZURE_OPENAI_API_KEY", spec),
        api_version=env.get("AZURE_OPENAI_API_VERSION")
        or env.get("OPENAI_API_VERSION")
        or DEFAULT_AZURE_API_VERSION,
    )


def _compatible(spec: str, rest: str, env: Mapping[str, str]) -> ChatCompletionClient:
    model, sep, base_url = rest.partition("@")
    if not sep or not model or not base_url:
        raise ConfigurationError(
            f"model spec {spec!r} needs both a model and a server: openai-compatible:<model>@<base_url>, "
            "e.g. openai-compatible:llama3.2@http://localhost:8000/v1"
        )
    return _local_openai(model, base_url, env)


def _ollama(spec: str, model: str, env: Mapping[str, str]) -> ChatCompletionClient:
    return _local_openai(model, env.get("OLLAMA_BASE_URL") or DEFAULT_OLLAMA_URL, env)


def _local_openai(model: str, base_url: str, env: Mapping[str, str]) -> ChatCompletionClient:
    from flowgen.models.openai import OpenAIChatCompletionClient
    from flowgen.models.openai.model_info import find_known

    return OpenAIChatCompletionClient(
        model,
        base_url=base_url,
        api_key=env.get("OPENAI_COMPATIBLE_API_KEY") or "not-needed",
        model_info=None if find_known(model) else COMPATIBLE_INFO,
    )


def _replay(spec: str, file: str, env: Mapping[str, str]) -> ChatCompletionClient:
    path = Path(file)
    if not path.is_file():
        raise ConfigurationError(f"{spec}: no such file {path}; give a JSON list (or JSONL) of replies")
    text = path.read_text(encoding="utf-8")
    try:
        data: Any = (
            json.loads(text)
            if path.suffix != ".jsonl"
            else [json.loads(x) for x in text.splitlines() if x.strip()]
        )
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"{spec}: {path} is not valid JSON ({exc})") from exc
    info = None
    if isinstance(data, dict):
        info, data = data.get("model_info"), data.get("replies")
    if not isinstance(data, list):
        raise ConfigurationError(f"{spec}: {path} must hold a list of replies (or {{'replies': [...]}})")
    replies = [r if isinstance(r, str) else CreateResult.model_validate(r) for r in data]
    return ReplayChatCompletionClient(replies, model_info=info)


def _cassette(spec: str, rest: str, env: Mapping[str, str]) -> ChatCompletionClient:
    file, sep, inner_spec = rest.partition("@")
    if not sep:
        return CassetteChatCompletionClient(None, file, mode="replay")
    return CassetteChatCompletionClient(client_from_spec(inner_spec, env=env), file, mode="auto")


_BUILDERS: dict[str, Callable[[str, str, Mapping[str, str]], ChatCompletionClient]] = {
    "openai": _openai,
    "anthropic": _anthropic,
    "azure": _azure,
    "openai-compatible": _compatible,
    "ollama": _ollama,
    "replay": _replay,
    "cassette": _cassette,
}


@dataclass(frozen=True)
class ModelChoice:
    """The client to run on, the spec it came from (``None`` when offline), and a line saying why."""

    client: ChatCompletionClient
    spec: str | None
    notice: str

    @property
    def offline(self) -> bool:
        return self.spec is None


def echo_model() -> ChatCompletionClient:
    """The generic offline model: it repeats back the last thing it was told, deterministically."""

    def reply(messages: Sequence[LLMMessage], info: CallInfo) -> str:
        last = messages[-1].content if messages else ""
        text = last if isinstance(last, str) else "(non-text message)"
        return f"(offline model) I received: {text}"

    return FunctionChatCompletionClient(reply)


def default_client(
    spec: str | None = None,
    offline_fallback: ChatCompletionClient | Callable[[], ChatCompletionClient] | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> ModelChoice:
    """Pick the model: ``spec``, else ``$FLOWGEN_MODEL``, else a key in the environment, else offline.

    With an OpenAI key (checked first) or an Anthropic key and no spec, the provider's default model
    runs. With neither, ``offline_fallback`` (a client or a factory; default: an echo model) runs,
    and the notice says so and how to switch to a real model.

    Example:
        >>> choice = default_client(env={})
        >>> choice.offline, choice.notice.startswith("no model given")
        (True, True)
        >>> default_client(env={"FLOWGEN_MODEL": "openai:gpt-4o", "OPENAI_API_KEY": "sk-test"}).spec
        'openai:gpt-4o'
    """
    env = os.environ if env is None else env
    chosen, why = spec, "as asked"
    if not chosen and env.get(SPEC_VARIABLE):
        chosen, why = env[SPEC_VARIABLE], f"from {SPEC_VARIABLE}"
    if not chosen and env.get("OPENAI_API_KEY"):
        chosen, why = f"openai:{DEFAULT_OPENAI_MODEL}", "OPENAI_API_KEY is set"
    if not chosen and env.get("ANTHROPIC_API_KEY"):
        chosen, why = f"anthropic:{DEFAULT_ANTHROPIC_MODEL}", "ANTHROPIC_API_KEY is set"
    if chosen:
        return ModelChoice(client_from_spec(chosen, env=env), chosen, f"model: {chosen} ({why})")
    if offline_fallback is None:
        client = echo_model()
    elif isinstance(offline_fallback, ChatCompletionClient):
        client = offline_fallback
    else:
        client = offline_fallback()
    notice = (
        "no model given and no OPENAI_API_KEY or ANTHROPIC_API_KEY set: running on the offline "
        f"deterministic model. For a real model pass --model (e.g. openai:{DEFAULT_OPENAI_MODEL}, "
        f"anthropic:{DEFAULT_ANTHROPIC_MODEL}, ollama:llama3.2) or set {SPEC_VARIABLE}."
    )
    return ModelChoice(client, None, notice)
