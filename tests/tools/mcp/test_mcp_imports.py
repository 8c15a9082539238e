"""flowgen.tools.mcp loads without the mcp package: it is imported when a workbench first connects."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_mcp_tools_does_not_import_mcp() -> None:
    code = "import sys, flowgen.tools.mcp, flowgen.tools\nflowgen.tools.StaticWorkbench\nprint('mcp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
