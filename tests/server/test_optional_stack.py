"""The ASGI stack is loaded only when a server is built: not by flowgen, its CLI, or flowgen.server itself."""

from __future__ import annotations

import json
import subprocess
import sys

STACK = ("starlette", "uvicorn", "sse_starlette", "pydantic_settings")


def loaded_after(code: str) -> list[str]:
    probe = code + f"\nimport sys; print(sorted(m for m in {STACK!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().replace("'", '"'))


def test_importing_flowgen_and_its_cli_loads_no_asgi_stack() -> None:
    assert loaded_after("import flowgen, flowgen.cli.app, flowgen.server") == []


def test_building_an_app_loads_it() -> None:
    assert "starlette" in loaded_after("from flowgen.server import create_app")
