"""Dockerfile, compose file and Kubernetes manifests: they parse, and their paths, ports and variable
names are the server's own (ServerSettings' FLOWGEN_* fields, the app's probe routes, the default port)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from deploy_files import (
    ROOT,
    compose,
    default_port,
    dockerfile_env,
    dockerfile_instructions,
    exec_form,
    final_stage,
    k8s_documents,
    settings_env_names,
)

from flowgen.checkpoint import MemoryCheckpointer
from flowgen.cli.serve_command import served_teams
from flowgen.server import ServerSettings, create_app

PROVIDER_KEYS = {"OPENAI_API_KEY", "ANTHROPIC_API_KEY"}


def served_paths() -> dict[str, set[str]]:
    """The app's routes: path -> methods."""
    settings = ServerSettings(_env_file=None, api_keys=["k"], store=":memory:")
    app = create_app({"write_review": _write_review}, settings, MemoryCheckpointer())
    app.state.flowgen.directory.close()
    return {route.path: set(route.methods or ()) for route in app.routes}  # type: ignore[attr-defined]


def _write_review() -> Any:
    from graphs import write_review

    return write_review.build()


def flowgen_names(env: dict[str, Any] | list[Any]) -> set[str]:
    names = env if isinstance(env, dict) else {e["name"]: e for e in env}
    return {n for n in names if n.startswith("FLOWGEN_")}


# --- Dockerfile


def test_dockerfile_base_user_packages_and_command() -> None:
    stage = final_stage()
    keywords = dict(stage)
    assert keywords["FROM"].startswith("python:3.11-slim")
    installs = " ".join(rest for k, rest in stage if k == "RUN" and "apt-get install" in rest)
    assert "graphviz" in installs.split() and "bubblewrap" in installs.split()
    user = keywords["USER"].split(":")[0]
    assert user.isdigit() and int(user) != 0, "a numeric non-root user (Kubernetes' runAsNonRoot checks it)"
    assert exec_form(keywords["ENTRYPOINT"]) == ["flowgen", "serve"]
    for served in exec_form(keywords["CMD"]):
        assert (ROOT / served).is_file(), f"the image serves {served}, which is not in the repository"
    assert all(k in {"ENV", "RUN", "COPY", "WORKDIR", "USER", "VOLUME", "EXPOSE", "HEALTHCHECK",
                     "ENTRYPOINT", "CMD", "FROM"} for k, _ in dockerfile_instructions())  # fmt: skip


def test_dockerfile_settings_port_and_store_are_the_servers() -> None:
    env = dockerfile_env()
    assert flowgen_names(env) <= settings_env_names(), "every FLOWGEN_* variable is a ServerSettings field"
    assert env["FLOWGEN_HOST"] == "0.0.0.0"  # so the server refuses to start without API keys
    assert int(env["FLOWGEN_PORT"]) == default_port()
    assert dict(final_stage())["EXPOSE"] == str(default_port())
    assert env["FLOWGEN_STORE"].startswith(dict(final_stage())["VOLUME"].strip('[]"'))


def test_dockerfile_settings_are_read_by_server_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in dockerfile_env().items():
        monkeypatch.setenv(name, value)
    settings = ServerSettings(_env_file=None, api_keys=["k"])
    assert (settings.host, settings.port, settings.store) == ("0.0.0.0", 8123, "/data/runs.db")


def test_the_images_teams_are_servable() -> None:
    files = exec_form(dict(final_stage())["CMD"])
    teams = served_teams([str(ROOT / f) for f in files], None, {})
    assert sorted(teams) == sorted(Path(f).stem for f in files)


def healthcheck_command() -> list[str]:
    rest = dict(final_stage())["HEALTHCHECK"]
    assert "CMD [" in rest
    return exec_form(rest.split("CMD", 1)[1])


def test_healthcheck_asks_health_and_fails_when_nothing_answers(tmp_path: Path) -> None:
    command = healthcheck_command()
    assert command[0] == "python" and "/health" in command[-1]
    assert "/health" in served_paths() and "GET" in served_paths()["/health"]
    probe = [sys.executable, *command[1:]]
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    failed = subprocess.run(probe, env={**os.environ, "FLOWGEN_PORT": str(port)}, capture_output=True)
    assert failed.returncode != 0


def test_healthcheck_passes_against_a_running_server(tmp_path: Path) -> None:
    command = healthcheck_command()
    server = subprocess.Popen(
        [sys.executable, "-m", "flowgen.cli", "serve", str(ROOT / "graphs/write_review.py"),
         "--insecure-no-auth", "--port", "0", "--store", str(tmp_path / "runs.db")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env={**os.environ, "FLOWGEN_LOG_LEVEL": "info"},
    )  # fmt: skip
    try:
        port = _announced_port(server)
        passed = subprocess.run(
            [sys.executable, *command[1:]], env={**os.environ, "FLOWGEN_PORT": str(port)}, capture_output=True
        )
        assert passed.returncode == 0, passed.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)


def _announced_port(server: subprocess.Popen[str]) -> int:
    assert server.stderr is not None
    for line in server.stderr:  # uvicorn says where it listens once it does
        if "Uvicorn running on http://127.0.0.1:" in line:
            return int(line.rsplit(":", 1)[1].split()[0])
    raise AssertionError(f"the server exited ({server.wait()}) without listening")


def test_dockerignore_keeps_the_context_small_and_secret_free() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".env", "*.db", "out", "tests"} <= ignored
    assert not {"flowgen", "visualize", "graphs", "pyproject.toml", "README.md"} & ignored


# --- docker-compose.yml


def test_compose_serves_with_postgres() -> None:
    services = compose()["services"]
    server, postgres = services["server"], services["postgres"]
    assert postgres["image"].startswith("postgres:")
    assert server["depends_on"]["postgres"]["condition"] == "service_healthy"
    env = server["environment"]
    assert flowgen_names(env) <= settings_env_names()
    assert set(env) - flowgen_names(env) <= PROVIDER_KEYS
    store = env["FLOWGEN_STORE"]
    assert store.startswith("postgresql://flowgen:") and store.endswith("@postgres:5432/flowgen")
    assert postgres["environment"]["POSTGRES_USER"] == "flowgen" == postgres["environment"]["POSTGRES_DB"]
    assert "--store" not in server["command"], "the store URL carries a password: a variable, not a flag"
    assert all((ROOT / f).is_file() for f in server["command"] if not f.startswith("-"))
    assert server["build"] == "."


def test_compose_ports_and_secrets_come_from_outside() -> None:
    server = compose()["services"]["server"]
    host, container = server["ports"][0].rsplit(":", 1)
    assert int(container) == default_port() == int(server["environment"]["FLOWGEN_PORT"])
    assert host.startswith("127.0.0.1:"), "published on the host's loopback only"
    assert server["environment"]["FLOWGEN_API_KEYS"].startswith("${FLOWGEN_API_KEYS:?")
    assert "${POSTGRES_PASSWORD" in compose()["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"]


# --- deploy/k8s


def container() -> dict[str, Any]:
    spec = k8s_documents()["Deployment"]["spec"]["template"]["spec"]
    found: dict[str, Any] = spec["containers"][0]
    return found


def test_k8s_manifests_parse_and_fit_together() -> None:
    docs = k8s_documents()
    assert set(docs) == {"Deployment", "Service", "Secret", "Kustomization"}
    deployment, service, secret = docs["Deployment"], docs["Service"], docs["Secret"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert service["spec"]["selector"].items() <= labels.items()
    assert container()["envFrom"][0]["secretRef"]["name"] == secret["metadata"]["name"]
    listed = {(ROOT / "deploy/k8s" / r).name for r in docs["Kustomization"]["resources"]}
    assert listed == {"secret.yaml", "deployment.yaml", "service.yaml"}


def test_k8s_probes_are_the_apps_routes_on_its_port() -> None:
    paths = served_paths()
    c = container()
    named = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert named == {"http": default_port()}
    for probe, path in (("livenessProbe", "/health"), ("readinessProbe", "/ready")):
        get = c[probe]["httpGet"]
        assert get["path"] == path and "GET" in paths[path]
        assert get["port"] == "http"
    service_port = k8s_documents()["Service"]["spec"]["ports"][0]
    assert service_port["targetPort"] in ("http", default_port())


def test_k8s_env_and_secret_names_are_the_servers() -> None:
    c = container()
    secret = k8s_documents()["Secret"]["stringData"]
    names = flowgen_names(c["env"]) | flowgen_names(secret)
    assert names <= settings_env_names()
    assert {"FLOWGEN_API_KEYS", "FLOWGEN_STORE"} <= set(secret)
    assert set(secret) - flowgen_names(secret) <= PROVIDER_KEYS
    assert int({e["name"]: e["value"] for e in c["env"]}["FLOWGEN_PORT"]) == default_port()
    assert not flowgen_names(c["env"]) & set(secret), "each variable comes from one place"
    for served in c["args"]:
        assert (ROOT / served).is_file()


def test_k8s_runs_non_root_with_resources() -> None:
    pod = k8s_documents()["Deployment"]["spec"]["template"]["spec"]
    c = container()
    user = next(value for k, value in final_stage() if k == "USER").split(":")[0]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == int(user)
    assert c["securityContext"]["allowPrivilegeEscalation"] is False
    assert c["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert {"cpu", "memory"} <= set(c["resources"]["requests"]) & set(c["resources"]["limits"])
    writable = {m["mountPath"] for m in c["volumeMounts"]}
    assert c["securityContext"]["readOnlyRootFilesystem"] is True and {"/tmp", "/data"} <= writable
