"""The sandbox as an unprivileged user builds it: bubblewrap in a user namespace, the user mapped to SANDBOX_UID.

The other sandbox tests run as whoever runs the suite (root in CI: the sandbox drops to the host's
uid, SANDBOX_UID). Here, as root, the command built for an ordinary user (uid 1000) is run as that user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from unittest import mock

import pytest

from flowgen.code_executors import SandboxedCodeExecutor
from flowgen.code_executors.sandboxed import SANDBOX_UID

USER = 1000
SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin")

pytestmark = [
    pytest.mark.skipif(
        os.geteuid() != 0, reason="the suite already runs unprivileged: every sandbox test covers this"
    ),
    pytest.mark.skipif(SYSTEM_PYTHON is None, reason="no system python3 an ordinary user can run"),
]


def test_an_unprivileged_user_gets_the_same_isolation() -> None:
    # pytest's own temporary directories are private to root; the user's work dir must be reachable.
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp).chmod(0o755)
        work = Path(tmp) / "work"
        work.mkdir()
        os.chown(work, USER, USER)
        run_probe(work)


def run_probe(work: Path) -> None:
    (work / "probe.py").write_text(
        "import os, socket\n"
        "print(os.getuid(), open('/proc/self/status').read().split('CapEff:')[1].split()[0])\n"
        "print(sorted(os.environ))\n"
        "try:\n    socket.create_connection(('127.0.0.1', 22), timeout=2)\nexcept OSError as e:\n    print(type(e).__name__)\n"
    )
    assert SYSTEM_PYTHON is not None
    with mock.patch("os.geteuid", return_value=USER), mock.patch("os.getuid", return_value=USER):
        command = SandboxedCodeExecutor(work_dir=work, python=SYSTEM_PYTHON).sandbox_command()
    assert "--unshare-user" in command and "--cap-drop" in command
    as_user = ["setpriv", f"--reuid={USER}", f"--regid={USER}", "--clear-groups"]
    done = subprocess.run(
        [*as_user, *command, SYSTEM_PYTHON, "/workspace/probe.py"],
        capture_output=True,
        text=True,
        cwd="/",
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    uid_caps, env, network = done.stdout.splitlines()
    assert uid_caps == f"{SANDBOX_UID} 0000000000000000"
    assert env == "['HOME', 'LANG', 'PATH', 'PWD', 'TMPDIR']"
    assert network == "ConnectionRefusedError"
