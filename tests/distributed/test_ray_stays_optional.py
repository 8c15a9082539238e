"""flowgen never loads Ray unless flowgen.distributed is imported."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _loaded_ray(code: str) -> bool:
    probe = code + "\nimport sys\nprint('ray' in sys.modules)\n"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return out.stdout.strip().endswith("True")


def test_no_other_flowgen_package_loads_ray() -> None:
    # The import contract ignores flowgen.distributed's own imports of ray, so it cannot see a chain
    # through flowgen.distributed: importing every other module of flowgen checks that here.
    assert not _loaded_ray(
        "import importlib, pkgutil, flowgen\n"
        "skip = {'flowgen.distributed'}\n"
        "for top in pkgutil.iter_modules(flowgen.__path__, 'flowgen.'):\n"
        "    if top.name in skip:\n"
        "        continue\n"
        "    package = importlib.import_module(top.name)\n"
        "    for m in pkgutil.walk_packages(getattr(package, '__path__', []), top.name + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "from flowgen.core import SingleThreadedAgentRuntime\n"
    )


def test_the_distributed_package_loads_ray() -> None:
    pytest.importorskip("ray", reason="the `ray` extra is not installed")
    assert _loaded_ray("import flowgen.distributed")
