"""The cluster tests run only inside the namespace the launcher makes (see README.md here)."""

from __future__ import annotations

import os

collect_ignore = [] if os.environ.get("FLOWGEN_IN_RAY_CLUSTER") else ["cluster_tests"]
