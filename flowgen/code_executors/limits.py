"""The resource limits the sandbox puts on executed code."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

_MIB = 1024 * 1024


class ResourceLimits(BaseModel):
    """Limits for one code block, enforced by the kernel (``prlimit``) inside the sandbox.

    ``max_processes`` counts every process and thread of the sandbox's user, in all sandboxes running
    at once on this machine; ``memory_bytes`` bounds each process's address space.

    Example:
        >>> ResourceLimits(memory_bytes=256 * 1024 * 1024).max_processes
        64
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    cpu_seconds: int | None = Field(default=None, ge=1, description="CPU time; None: the timeout, rounded up")
    memory_bytes: int = Field(default=1024 * _MIB, ge=64 * _MIB)
    max_processes: int = Field(default=64, ge=1)
    max_file_bytes: int = Field(default=64 * _MIB, ge=1)
    max_open_files: int = Field(default=256, ge=16)
    max_output_bytes: int = Field(default=1 * _MIB, ge=1)
    tmp_bytes: int = Field(default=64 * _MIB, ge=_MIB, description="size of the private /tmp")
