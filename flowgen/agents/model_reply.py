"""Checks on a model's reply before an agent acts on it: content present, structured output valid.

A reply is untrusted input. A client that returns no content gets an error naming it; a reply that
fails the agent's ``output_content_type`` is shown its validation error and asked again, a bounded
number of times, and neither the invalid reply nor the feedback stays in the agent's context.
"""

from __future__ import annotations

from pydantic import BaseModel, ValidationError

from flowgen.core import FunctionCall
from flowgen.errors import ModelClientError, StructuredOutputError
from flowgen.models import AssistantMessage, CreateResult, LLMMessage, UserMessage
from flowgen.valid_text import valid_text

#: Model calls for one structured answer: the first, and two retries told what was wrong.
STRUCTURED_OUTPUT_ATTEMPTS = 3


def valid_result(result: CreateResult) -> CreateResult:
    """``result`` itself when all its text encodes (nearly always), else a copy with the text repaired.

    A model's reply enters the conversation here; a lone surrogate in it would break every later
    request, the terminal and saved state (see :mod:`flowgen.valid_text`). Runs on every model call:
    plain ASCII is recognised without encoding anything, in plain loops.
    """
    content = result.content
    thought = result.thought
    if thought is not None and valid_text(thought) is not thought:
        return _repaired(result)
    if type(content) is str:
        return result if valid_text(content) is content else _repaired(result)
    if type(content) is list:
        for call in content:
            if not (
                call.arguments.isascii() and call.name.isascii() and call.id.isascii()
            ) and not _valid_call(call):
                return _repaired(result)
    return result  # no content at all is reported where the reply is recorded


def _valid_call(call: FunctionCall) -> bool:
    return all(valid_text(t) is t for t in (call.id, call.name, call.arguments))


def _repaired(result: CreateResult) -> CreateResult:
    content = result.content
    fixed: object = content
    if isinstance(content, str):
        fixed = valid_text(content)
    elif isinstance(content, list):
        fixed = [
            FunctionCall(id=valid_text(c.id), name=valid_text(c.name), arguments=valid_text(c.arguments))
            for c in content
        ]
    thought = valid_text(result.thought) if result.thought is not None else None
    return result.model_copy(update={"content": fixed, "thought": thought})


def no_content(agent: str, client: object) -> ModelClientError:
    return ModelClientError(
        f"the model returned no content: {type(client).__name__}.create gave agent {agent!r} a reply "
        "whose content is None; a reply must hold text or a list of FunctionCalls"
    )


def is_missing_content(exc: ValidationError) -> bool:
    """Whether a client's CreateResult failed only for want of content (``content=None``)."""
    return exc.title == "CreateResult" and all(e["loc"][:1] == ("content",) for e in exc.errors())


def parse_structured(schema: type[BaseModel], text: str) -> BaseModel | ValidationError:
    """The reply as ``schema``, or the validation error that says what was wrong with it."""
    try:
        return schema.model_validate_json(text)
    except ValidationError as exc:
        return exc


def retry_messages(
    text: str, error: ValidationError, schema: type[BaseModel], agent: str
) -> list[LLMMessage]:
    """What the next request adds: the invalid reply and what was wrong with it (never kept)."""
    feedback = (
        f"Your reply did not match the required {schema.__name__} JSON schema:\n{error}\n"
        "Reply again with only a JSON object that matches the schema."
    )
    return [AssistantMessage(content=text, source=agent), UserMessage(content=feedback, source="user")]


def structured_output_failed(
    agent: str, schema: type[BaseModel], error: ValidationError
) -> StructuredOutputError:
    return StructuredOutputError(
        f"agent {agent!r}: the model's reply did not match output_content_type {schema.__name__} after "
        f"{STRUCTURED_OUTPUT_ATTEMPTS} attempts (each retry was told the validation error); last "
        f"error:\n{error}"
    )
