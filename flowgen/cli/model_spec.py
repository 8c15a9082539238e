"""Which model a command runs on: ``--model SPEC``, else ``$FLOWGEN_MODEL``, else an API key, else offline.

Specs are those of :mod:`flowgen.models.spec` (``openai:gpt-4o-mini``, ``anthropic:<model>``,
``openai-compatible:<model>@<url>``, ``ollama:<model>``, ``replay:<file>``, ``cassette:<file>`` ...).
Offline, the example's own scripted models run: the builder gets ``model_client=None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flowgen.errors import CLIError, FlowgenError
from flowgen.models import ChatCompletionClient
from flowgen.models.spec import SPEC_VARIABLE, client_from_spec, default_client, echo_model

ENV_VAR = SPEC_VARIABLE


@dataclass(frozen=True, slots=True)
class ModelPick:
    """The client to build the team with (None: the example's offline scripts) and the spec it came from.

    Example:
        >>> pick = pick_model(None, env={})
        >>> pick.client is None, pick.spec, pick.notice.startswith("Running offline")
        (True, None, True)
    """

    client: ChatCompletionClient | None
    spec: str | None
    notice: str


def pick_model(option: str | None, env: Mapping[str, str] | None = None) -> ModelPick:
    """The model for a run, as ``flowgen run`` chooses it; a CLIError saying how to fix a bad choice."""
    try:
        choice = default_client(option, offline_fallback=echo_model, env=env)
    except (FlowgenError, ValueError) as exc:
        raise CLIError(f"cannot use model {option or '(from the environment)'}: {_first_line(exc)}") from exc
    if choice.offline:
        notice = (
            "Running offline on the example's scripted model (no --model, no $FLOWGEN_MODEL, no "
            "OPENAI_API_KEY / ANTHROPIC_API_KEY). For a real one: --model openai:gpt-4o-mini."
        )
        return ModelPick(None, None, notice)
    return ModelPick(choice.client, choice.spec, f"Running on {choice.notice.removeprefix('model: ')}.")


def client_for(spec: str) -> ChatCompletionClient:
    """The model client ``spec`` describes; a CLIError saying how to fix it when it cannot be made."""
    try:
        return client_from_spec(spec)
    except (FlowgenError, ValueError) as exc:
        raise CLIError(f"cannot use model {spec!r}: {_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
