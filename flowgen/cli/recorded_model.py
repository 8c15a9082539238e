"""A replay model made from a saved run: what each agent's model answered, in the order it answered.

Text an agent said becomes a text reply; a tool call request becomes a function-call reply (with the
thought the model gave alongside it). Messages the model did not write (the task, tool results,
tool summaries, handoff messages) are skipped. Agents inside nested teams or tools never appear in
the outer thread, so such runs replay faithfully only from a cassette.
"""

from __future__ import annotations

from flowgen.base import TaskResult
from flowgen.messages import StructuredMessage, TextMessage, ThoughtEvent, ToolCallRequestEvent
from flowgen.models import CreateResult, ModelFamily, ModelInfo, ReplayChatCompletionClient, RequestUsage

#: The recording came from a model that did whatever the run shows, so claim every capability.
RECORDED_INFO = ModelInfo(
    vision=True, function_calling=True, json_output=True, family=ModelFamily.UNKNOWN, structured_output=True
)


def recorded_replies(result: TaskResult) -> list[str | CreateResult]:
    """The model replies behind ``result``'s messages, in order."""
    replies: list[str | CreateResult] = []
    thoughts: dict[str, str] = {}
    for message in result.messages:
        usage = message.models_usage or RequestUsage(0, 0)
        if isinstance(message, ThoughtEvent):
            thoughts[message.source] = message.content
        elif isinstance(message, ToolCallRequestEvent):
            replies.append(
                CreateResult(
                    finish_reason="function_calls",
                    content=list(message.content),
                    usage=usage,
                    thought=thoughts.pop(message.source, None),
                )
            )
        elif isinstance(message, TextMessage | StructuredMessage) and message.source != "user":
            text = message.to_model_text()
            replies.append(
                CreateResult(
                    finish_reason="stop",
                    content=text,
                    usage=usage,
                    thought=thoughts.pop(message.source, None),
                )
            )
    return replies


def recorded_client(result: TaskResult) -> ReplayChatCompletionClient:
    return ReplayChatCompletionClient(recorded_replies(result), model_info=RECORDED_INFO)
