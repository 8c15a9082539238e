"""Running a benchmark's measuring half on a fresh two-node Ray cluster.

Each Ray benchmark is one module run twice: from the command line it starts the cluster (in a
loopback-only namespace, flowgen.testing.ray_cluster) and runs itself there with ``--inner``, which
measures and prints one JSON line; this returns that line.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path


def measured_on_cluster(module: str, arguments: Sequence[str], *, pass_workdir: bool = False) -> str:
    """The last line ``python -m module *arguments`` printed on the cluster (exits if it failed).

    With ``pass_workdir`` the cluster's temporary folder (removed afterwards) follows the arguments.
    """
    from flowgen.testing.ray_cluster import run_on_local_cluster

    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix=f"flowgen-{module.rsplit('.', 1)[-1]}-") as workdir:
        command = [sys.executable, "-m", module, *arguments, *([workdir] if pass_workdir else [])]
        done = run_on_local_cluster(command, workdir=Path(workdir), pythonpath=[str(root)])
    if done.returncode != 0:
        sys.exit(f"the cluster run failed ({done.returncode}):\n{done.stdout}\n{done.stderr[-4000:]}")
    return done.stdout.strip().splitlines()[-1]
