"""``python -m benchmarks``: run the side-by-side benchmarks (see ``--help``)."""

from __future__ import annotations

from benchmarks.cli import main

raise SystemExit(main())
