"""Resident memory of this process: now and at its peak."""

from __future__ import annotations

import resource
import sys
from pathlib import Path


def current_rss_kb() -> float:
    """Resident set size now, in KiB (Linux /proc; elsewhere the peak is the best available)."""
    # Read as bytes: a text-mode read leaves a small object alive after it returns; one made by
    # the reading at a memory peak would pin some of the very memory being measured.
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_bytes().splitlines():
            if line.startswith(b"VmRSS:"):
                return float(line.split()[1])
    return peak_rss_kb()


def peak_rss_kb() -> float:
    """Peak resident set size of this process, in KiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform == "darwin" else float(peak)  # macOS reports bytes
