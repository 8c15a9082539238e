"""The executor flowgen recommends on this machine: the sandbox, wherever bubblewrap is installed."""

from __future__ import annotations

from typing import Any

from flowgen.code_executors.sandboxed import INSTALL_HINT, SandboxedCodeExecutor, find_bwrap
from flowgen.errors import SandboxUnavailableError


def default_code_executor(**kwargs: Any) -> SandboxedCodeExecutor:
    """A :class:`SandboxedCodeExecutor` built with ``kwargs``.

    Raises:
        SandboxUnavailableError: bubblewrap is not installed. flowgen never falls back to running
            untrusted code unsandboxed; pass a LocalCommandLineCodeExecutor explicitly to do that.
    """
    if find_bwrap() is None:
        raise SandboxUnavailableError(
            f"no sandbox for running code: {INSTALL_HINT}. To run trusted code without one, pass "
            "LocalCommandLineCodeExecutor() explicitly"
        )
    return SandboxedCodeExecutor(**kwargs)
