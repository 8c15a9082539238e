"""Which languages the command-line executors run, and the file each block is written to."""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath

#: Fence names for Python and for shell scripts, each mapped to the program that runs it.
PYTHON_NAMES = frozenset({"python", "python3", "py"})
SHELL_PROGRAMS = {"bash": "bash", "sh": "sh", "shell": "sh", "zsh": "zsh"}
SUPPORTED_LANGUAGES = sorted(PYTHON_NAMES | set(SHELL_PROGRAMS))


def canonical_language(language: str) -> str | None:
    """``"python"``, a shell program's name, or None when the executors cannot run ``language``."""
    lang = language.strip().lower()
    if lang in PYTHON_NAMES:
        return "python"
    return SHELL_PROGRAMS.get(lang)


def code_file_name(code: str, language: str, work_dir: Path) -> str:
    """The file name for a block: the one its first line asks for (``# filename: x.py``), else a hash.

    Raises:
        ValueError: the first line names a file outside ``work_dir``.
    """
    first_line = code.split("\n", 1)[0]
    if first_line.startswith("# filename:"):
        requested = PurePosixPath(first_line.split(":", 1)[1].strip())
        resolved = (work_dir / requested).resolve()
        if not resolved.is_relative_to(work_dir.resolve()):
            raise ValueError(f"the block asks for file {str(requested)!r}, which is outside the work dir")
        return str(resolved.relative_to(work_dir.resolve()))
    suffix = "py" if language == "python" else "sh"
    return f"tmp_code_{hashlib.sha256(code.encode()).hexdigest()}.{suffix}"
