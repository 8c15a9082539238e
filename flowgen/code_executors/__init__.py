"""Code executors (AutoGen's ``autogen_core.code_executor`` and ``autogen_ext.code_executors``).

Which one to use:

- :class:`SandboxedCodeExecutor` for code a model wrote: bubblewrap with no network, a read-only
  system, a private work dir, a cleared environment, an unprivileged user and resource limits.
  :func:`default_code_executor` returns it wherever bubblewrap is installed.
- :class:`LocalCommandLineCodeExecutor` for code you trust: it runs as you, on your files.
- :class:`JupyterCodeExecutor` when state must persist between blocks (trusted code only).
- :class:`DockerCommandLineCodeExecutor` where a Docker daemon runs.

Every module loads on first use: importing the package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowgen.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from flowgen.code_executors.command_line import CommandLineExecutor
    from flowgen.code_executors.default import default_code_executor
    from flowgen.code_executors.docker import DockerCommandLineCodeExecutor
    from flowgen.code_executors.environment import DEFAULT_ENV_ALLOWLIST
    from flowgen.code_executors.executor import CodeExecutor
    from flowgen.code_executors.functions import (
        Alias,
        FunctionWithRequirements,
        FunctionWithRequirementsStr,
        Import,
        ImportFromModule,
        build_python_functions_file,
        to_stub,
        with_requirements,
    )
    from flowgen.code_executors.jupyter import JupyterCodeExecutor, JupyterCodeResult
    from flowgen.code_executors.limits import ResourceLimits
    from flowgen.code_executors.local import LocalCommandLineCodeExecutor
    from flowgen.code_executors.sandboxed import SandboxedCodeExecutor
    from flowgen.code_executors.types import CodeBlock, CodeResult, CommandLineCodeResult

_LAZY = {
    "Alias": "flowgen.code_executors.functions",
    "CodeBlock": "flowgen.code_executors.types",
    "CodeExecutor": "flowgen.code_executors.executor",
    "CodeResult": "flowgen.code_executors.types",
    "CommandLineCodeResult": "flowgen.code_executors.types",
    "CommandLineExecutor": "flowgen.code_executors.command_line",
    "DEFAULT_ENV_ALLOWLIST": "flowgen.code_executors.environment",
    "DockerCommandLineCodeExecutor": "flowgen.code_executors.docker",
    "FunctionWithRequirements": "flowgen.code_executors.functions",
    "FunctionWithRequirementsStr": "flowgen.code_executors.functions",
    "Import": "flowgen.code_executors.functions",
    "ImportFromModule": "flowgen.code_executors.functions",
    "JupyterCodeExecutor": "flowgen.code_executors.jupyter",
    "JupyterCodeResult": "flowgen.code_executors.jupyter",
    "LocalCommandLineCodeExecutor": "flowgen.code_executors.local",
    "ResourceLimits": "flowgen.code_executors.limits",
    "SandboxedCodeExecutor": "flowgen.code_executors.sandboxed",
    "build_python_functions_file": "flowgen.code_executors.functions",
    "default_code_executor": "flowgen.code_executors.default",
    "to_stub": "flowgen.code_executors.functions",
    "with_requirements": "flowgen.code_executors.functions",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "Alias",
    "CodeBlock",
    "CodeExecutor",
    "CodeResult",
    "CommandLineCodeResult",
    "CommandLineExecutor",
    "DEFAULT_ENV_ALLOWLIST",
    "DockerCommandLineCodeExecutor",
    "FunctionWithRequirements",
    "FunctionWithRequirementsStr",
    "Import",
    "ImportFromModule",
    "JupyterCodeExecutor",
    "JupyterCodeResult",
    "LocalCommandLineCodeExecutor",
    "ResourceLimits",
    "SandboxedCodeExecutor",
    "build_python_functions_file",
    "default_code_executor",
    "to_stub",
    "with_requirements",
]
