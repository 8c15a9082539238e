"""A fixed pure-Python workload timed in every measuring process, to spot noisy runs.

The same machine should time it the same in every process; a process whose calibration is well above
the run's median shared the CPU with something else, and its figures are flagged.
"""

from __future__ import annotations

import time

ROUNDS = 200_000
NOISY_FACTOR = 1.25  # flag a process whose calibration exceeds the run's median by this much


def calibrate() -> float:
    """Seconds this process takes for the fixed workload (~30 ms on a quiet core)."""
    start = time.perf_counter()
    table: dict[int, int] = {}
    total = 0
    for i in range(ROUNDS):
        table[i & 1023] = i
        total += (i * 7) % 13
    return time.perf_counter() - start
