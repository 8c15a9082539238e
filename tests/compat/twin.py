"""AutoGen twins of the compat modules that hold one AutoGen documentation program as plain code.

Such a module imports from flowgen, marks the end of its imports with ``# --- end of imports`` and the
end of its program with ``# --- end of program``; everything between runs again, unchanged, under
AutoGen's imports, and the two runs must say the same things.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Sequence

#: The message types whose (source, text) both frameworks must agree on, in order.
SPOKEN = frozenset({"TextMessage", "ToolCallSummaryMessage", "HandoffMessage", "StopMessage"})


def said(streamed: Sequence[object]) -> list[tuple[str, str, str]]:
    """(type, source, text) of every chat message, the part both frameworks must agree on."""
    return [
        (type(m).__name__, str(getattr(m, "source", "")), m.to_text())  # type: ignore[attr-defined]
        for m in streamed
        if type(m).__name__ in SPOKEN
    ]


def autogen_twin(module_name: str, autogen_imports: str) -> dict[str, object]:
    """The namespace of module ``module_name``'s program, compiled against ``autogen_imports``."""
    source = inspect.getsource(sys.modules[module_name])
    body = source.split("# --- end of imports")[1].split("# --- end of program")[0].split("\n", 1)[1]
    namespace: dict[str, object] = {"__name__": "autogen_twin"}
    code = compile("from __future__ import annotations\n" + autogen_imports + body, "autogen_twin", "exec")
    exec(code, namespace)
    return namespace
