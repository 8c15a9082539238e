"""A real two-node Ray cluster on one machine, confined to a network namespace with only loopback.

Ray binds the machine's external interface even when told 127.0.0.1, so the cluster and every
process that talks to it run inside one ``unshare --net --pid`` namespace whose only interface is
``lo``. :func:`run_on_local_cluster` starts that namespace running this module, which starts a head
node and a worker node (``ray start --block``, token auth, usage stats off, small object stores,
HOME and the temp dir under ``workdir``), runs ``command`` against them with ``FLOWGEN_RAY_ADDRESS``
set, stops both nodes by pid and exits with the command's status. The PID namespace ends whatever
is left when its first process exits (``--kill-child``), so nothing outlives the run.

This module starts Ray through its command line only; it never imports Ray.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

HEAD_PORT = 6379
WORKER_RESOURCE = "worker_node"
HEAD_RESOURCE = "head_node"
_STOP_GRACE_S = 10.0
_START_DEADLINE_S = 90.0


@dataclass
class ClusterSpec:
    """What the namespace runs: the command and where everything it writes goes."""

    command: list[str]
    workdir: str
    pythonpath: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    object_store_bytes: int = 100_000_000


def namespace_unavailable() -> str | None:
    """Why a loopback-only network namespace cannot be made here, or None when it can."""
    try:
        done = subprocess.run(
            [
                "unshare",
                "--net",
                "--pid",
                "--fork",
                "--mount-proc",
                "--kill-child",
                "ip",
                "link",
                "set",
                "lo",
                "up",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (FileNotFoundError, subprocess.TimeoutExpired) as exc:
        return f"cannot run unshare/ip ({exc}): install util-linux and iproute2"
    if done.returncode != 0:
        return f"unshare --net --pid is refused on this machine: {done.stderr.strip()}"
    return None


def run_on_local_cluster(
    command: Sequence[str],
    *,
    workdir: Path,
    pythonpath: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    timeout: float = 600.0,
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` against a fresh two-node cluster in its own namespace; its output is returned."""
    spec = ClusterSpec(list(command), str(workdir), list(pythonpath), dict(env or {}))
    return subprocess.run(
        [
            "unshare",
            "--net",
            "--pid",
            "--fork",
            "--mount-proc",
            "--kill-child",
            sys.executable,
            "-m",
            "flowgen.testing.ray_cluster",
            json.dumps(asdict(spec)),
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([*pythonpath, os.environ.get("PYTHONPATH", "")])},
    )


def _cluster_env(spec: ClusterSpec) -> dict[str, str]:
    home = Path(spec.workdir) / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env.update(
        HOME=str(home),
        RAY_AUTH_MODE="token",
        # A fresh random token per cluster: the nodes and the command share it through the environment.
        RAY_AUTH_TOKEN=secrets.token_hex(32),
        RAY_USAGE_STATS_ENABLED="0",
        PYTHONPATH=os.pathsep.join([*spec.pythonpath, env.get("PYTHONPATH", "")]),
    )
    env.update(spec.env)
    return env


def _ray_start(spec: ClusterSpec, env: dict[str, str], *extra: str) -> subprocess.Popen[bytes]:
    ray = str(Path(sys.executable).parent / "ray")
    args = [ray, "start", "--block", "--disable-usage-stats", "--node-ip-address=127.0.0.1", "--num-cpus=2"]
    args += [f"--object-store-memory={spec.object_store_bytes}", *extra]
    log = open(Path(spec.workdir) / f"node-{len(list(Path(spec.workdir).glob('node-*')))}.log", "wb")  # noqa: SIM115
    return subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)


def _wait_for_port(port: int, head: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + _START_DEADLINE_S
    while time.monotonic() < deadline:
        if head.poll() is not None:
            raise RuntimeError(f"the head node exited with status {head.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)  # polling a port being opened by another process: nothing to wait on
    raise TimeoutError(f"the head node did not listen on port {port} within {_START_DEADLINE_S:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(_STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _main(spec: ClusterSpec) -> int:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    env = _cluster_env(spec)
    temp = Path(spec.workdir) / "ray"
    began = time.monotonic()
    head = _ray_start(
        spec, env, "--head", f"--port={HEAD_PORT}", f"--temp-dir={temp}", "--include-dashboard=false",
        f"--resources={json.dumps({HEAD_RESOURCE: 1})}",
    )  # fmt: skip
    nodes = [head]
    try:
        _wait_for_port(HEAD_PORT, head)
        address = f"127.0.0.1:{HEAD_PORT}"
        nodes.append(
            _ray_start(spec, env, f"--address={address}", f"--resources={json.dumps({WORKER_RESOURCE: 1})}")
        )
        env["FLOWGEN_RAY_ADDRESS"] = address
        # Tests that kill the worker node find its processes from here (the node's process tree).
        env["FLOWGEN_RAY_WORKER_NODE_PID"] = str(nodes[-1].pid)
        env["FLOWGEN_RAY_LAUNCHED_AT"] = repr(began)
        return subprocess.run(spec.command, env=env).returncode
    finally:
        for node in reversed(nodes):
            _stop(node)


if __name__ == "__main__":
    sys.exit(_main(ClusterSpec(**json.loads(sys.argv[1]))))
