"""``python -m flowgen.cli``: the same as the ``flowgen`` command."""

from __future__ import annotations

import sys

from flowgen.cli.app import main

if __name__ == "__main__":
    sys.exit(main())
