"""Console prints what agents and users said exactly as they said it."""

from __future__ import annotations

import io
from collections.abc import AsyncGenerator

from rich.console import Console as RichConsole

from flowgen.base import TaskResult
from flowgen.messages import BaseAgentEvent, BaseChatMessage, TextMessage
from flowgen.ui import Console


async def _said(text: str) -> AsyncGenerator[BaseAgentEvent | BaseChatMessage | TaskResult, None]:
    message = TextMessage(content=text, source="writer")
    yield message
    yield TaskResult(messages=[message], stop_reason=text)


async def test_emoji_codes_and_markup_in_model_text_are_printed_verbatim() -> None:
    buffer = io.StringIO()
    said = "key :abc: [bold]x[/bold] :smile:"
    await Console(_said(said), output=RichConsole(file=buffer, width=200), output_stats=True)
    printed = buffer.getvalue()
    assert said in printed
    assert f"Finish reason: {said}" in printed
    assert "\N{SMILING FACE WITH OPEN MOUTH AND SMILING EYES}" not in printed
