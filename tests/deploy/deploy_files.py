"""The repository's deployment files read as data: the Dockerfile's instructions, compose, Kubernetes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from flowgen.server import ServerSettings

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "docker-compose.yml"
K8S = ROOT / "deploy" / "k8s"


def dockerfile_instructions(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """Each instruction as (KEYWORD, arguments), continuation lines joined, comments dropped."""
    text = re.sub(
        r"\\\n",
        " ",
        "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")),
    )
    found = []
    for line in text.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), " ".join(rest.split())))
    return found


def final_stage(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    instructions = dockerfile_instructions(path)
    starts = [n for n, (keyword, _) in enumerate(instructions) if keyword == "FROM"]
    return instructions[starts[-1] :]


def dockerfile_env(path: Path = DOCKERFILE) -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, rest in final_stage(path):
        if keyword == "ENV":
            env.update(dict(pair.split("=", 1) for pair in rest.split()))
    return env


def exec_form(rest: str) -> list[str]:
    """The JSON array of an exec-form instruction (CMD, ENTRYPOINT, HEALTHCHECK ... CMD)."""
    form: list[str] = json.loads(rest[rest.index("[") :])
    return form


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def k8s_documents() -> dict[str, dict[str, Any]]:
    """Every manifest in deploy/k8s by its kind (one object of each kind)."""
    documents: dict[str, dict[str, Any]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            assert document["kind"] not in documents, f"two {document['kind']} objects"
            documents[document["kind"]] = document
    return documents


def settings_env_names() -> set[str]:
    """The variables ServerSettings reads: its fields with the FLOWGEN_ prefix."""
    prefix = ServerSettings.model_config.get("env_prefix", "")
    return {f"{prefix}{name}".upper() for name in ServerSettings.model_fields}


def default_port() -> int:
    port: int = ServerSettings.model_fields["port"].default
    return port
