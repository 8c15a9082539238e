"""flowgen never loads Ray unless flowgen.distributed is imported."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _loaded_ray(code: str) -> bool:
    probe = code + "\nimport sys\nprint('ray' in sys.modules)\n"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return out.stdout.strip().endswith("True")


def test_flowgen_core_and_test_kit_do_not_load_ray() -> None:
    assert not _loaded_ray(
        "import flowgen, flowgen.core, flowgen.testing, flowgen.testing.ray_cluster, flowgen.errors\n"
        "from flowgen.core import SingleThreadedAgentRuntime\n"
    )


def test_the_distributed_package_loads_ray() -> None:
    pytest.importorskip("ray", reason="the `ray` extra is not installed")
    assert _loaded_ray("import flowgen.distributed")
