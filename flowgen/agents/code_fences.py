"""Markdown code fences in a message, read as code blocks for a code-running agent.

A fence's language is matched through its aliases, so an agent that runs ``sh`` also runs ```` ```bash
```` and ```` ```shell ```` blocks, and one that runs ``python`` also runs ```` ```py ```` and
```` ```python3 ```` (AutoGen's agent silently skips those).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flowgen.code_executors.types import CodeBlock

#: Each fence name and the language it is a name for.
LANGUAGE_ALIASES = {
    "py": "python",
    "python3": "python",
    "bash": "sh",
    "shell": "sh",
}

# ```lang, optional spaces, end of line, the code (lazily), the closing ```.
_FENCE = re.compile(r"```[ \t]*([\w+.-]+)[ \t]*\r?\n([\s\S]*?)```")


def canonical(language: str) -> str:
    lang = language.strip().lower()
    return LANGUAGE_ALIASES.get(lang, lang)


def fenced_blocks(text: str) -> list[CodeBlock]:
    """Every fenced code block in ``text`` that names a language, whichever it is."""
    return [CodeBlock(code=code, language=language) for language, code in _FENCE.findall(text)]


class FenceReader:
    """Finds the fenced code blocks in text whose language (or an alias of it) is supported.

    Example:
        >>> reader = FenceReader(["python", "sh"])
        >>> [(b.language, b.code) for b in reader.blocks("```bash\\nls\\n```\\n```ruby\\nputs 1\\n```")]
        [('bash', 'ls\\n')]
    """

    __slots__ = ("_accepted",)

    def __init__(self, supported_languages: Iterable[str]) -> None:
        self._accepted = frozenset(canonical(lang) for lang in supported_languages)

    def blocks(self, text: str) -> list[CodeBlock]:
        return [
            CodeBlock(code=code, language=language)
            for language, code in _FENCE.findall(text)
            if canonical(language) in self._accepted
        ]
