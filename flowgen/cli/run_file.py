"""Saved runs: the ``run.json`` that ``flowgen run`` writes and ``show`` / ``report`` / ``diff`` / ``replay`` read.

The file is a TaskResult (messages, stop_reason, trace) with one more key, ``run``, saying where it
came from: the target (``PATH:NAME``), the task and the model spec (``"offline"`` for the example's
scripted model), so ``flowgen replay`` can run it again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from flowgen.base import TaskResult
from flowgen.engine.trace import RunTrace
from flowgen.errors import CLIError
from flowgen.messages import MessageFactory

OFFLINE = "offline"


class RunOrigin(BaseModel):
    """Where a saved run came from.

    Example:
        >>> RunOrigin(target="graphs/write_review.py:build", task="Write a haiku.").model
        'offline'
    """

    target: str | None = None
    task: str = ""
    model: str = OFFLINE


class SavedRun(BaseModel):
    """A run read back from disk: its result, its origin, and the file it came from.

    Example:
        >>> import tempfile
        >>> from flowgen.messages import TextMessage
        >>> result = TaskResult(messages=[TextMessage(source="user", content="hi")], stop_reason="done")
        >>> path = save_run(result, RunOrigin(task="hi"), Path(tempfile.mkdtemp()) / "run.json")
        >>> saved = load_run(path)
        >>> saved.result.stop_reason, saved.origin.task, saved.trace is None
        ('done', 'hi', True)
    """

    model_config = {"arbitrary_types_allowed": True}

    result: TaskResult
    origin: RunOrigin
    path: Path

    @property
    def trace(self) -> RunTrace | None:
        return self.result.trace


def save_run(result: TaskResult, origin: RunOrigin, path: Path) -> Path:
    """Write ``result`` with its origin to ``path`` as JSON."""
    data: dict[str, Any] = json.loads(result.model_dump_json())
    data["run"] = origin.model_dump()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def load_run(path: Path) -> SavedRun:
    """Read a run written by ``flowgen run`` (a bare TaskResult or RunTrace dump is accepted too)."""
    if not path.is_file():
        raise CLIError(f"no such file: {path} — pass the run.json that `flowgen run` wrote")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CLIError(f"{path} is not JSON ({exc}) — pass the run.json that `flowgen run` wrote") from exc
    if not isinstance(data, dict) or not (
        {"messages", "trace"} & data.keys() or {"graph", "events"} <= data.keys()
    ):
        raise CLIError(f"{path} is not a flowgen run — pass the run.json that `flowgen run` wrote")
    try:
        if {"graph", "events"} <= data.keys():
            trace = RunTrace.model_validate(data)
            result = TaskResult(messages=[], stop_reason=trace.stop_reason, trace=trace)
            return SavedRun(result=result, origin=RunOrigin(), path=path)
        factory = MessageFactory()
        messages = [factory.create(m) for m in data.get("messages", [])]
        trace_data = data.get("trace")
        saved_trace = RunTrace.model_validate(trace_data) if trace_data is not None else None
        result = TaskResult(messages=messages, stop_reason=data.get("stop_reason"), trace=saved_trace)
        origin = RunOrigin.model_validate(data.get("run") or {})
    except (ValidationError, ValueError) as exc:
        first = str(exc).splitlines()[0]
        raise CLIError(
            f"{path} is not a readable flowgen run ({first}) — was it written by another version?"
        ) from exc
    return SavedRun(result=result, origin=origin, path=path)
