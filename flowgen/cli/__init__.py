"""The ``flowgen`` command: ``run``, ``render``, ``check``, ``show``, ``report``, ``diff``, ``replay``.

Run ``flowgen --help`` (or ``flowgen COMMAND --help``) for the options. Call :func:`main` with a list
of arguments to drive it from Python; it returns the exit status instead of exiting.

Example:
    >>> main(["check", "does/not/exist.py"])
    1
"""

from flowgen.cli.app import main, parser

__all__ = ["main", "parser"]
