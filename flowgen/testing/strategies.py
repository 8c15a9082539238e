"""Hypothesis strategies for flowgen: messages, histories, participants, termination conditions, graphs.

Every strategy produces valid values by construction (unique identifier names, valid graphs, etc.)
and leans on the inputs that break multi-agent code: empty and huge text, any unicode, and names or
stop words hidden inside other words ("DISAPPROVE" around "APPROVE", "rewriter" around "writer").

- text and names: :func:`nasty_text`, :func:`embedded`, :func:`identifiers`, :func:`participant_names`;
- messages: :func:`chat_messages`, :func:`agent_events`, :func:`any_messages`, :func:`llm_messages`
  (and the per-type ``*_strategies`` dicts), :func:`histories`, :func:`message_steps`;
- termination: :func:`termination_leaves`, :func:`termination_expressions` (with a reference model);
- graphs: :func:`dags`, :func:`looped_graphs` (valid :class:`~flowgen.graph.GraphSpec` values);
- models: :func:`reply_scripts`, :func:`create_results` (untrusted tool calls), :func:`from_schema`.

Example:
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=10)
    ... @given(chat_messages())
    ... def test_round_trip(message):
    ...     assert type(message).load(message.dump()) == message
    >>> test_round_trip()
"""

from __future__ import annotations

import itertools
import json
import keyword
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from hypothesis import strategies as st

from flowgen.code_executors.types import CodeBlock, CodeResult
from flowgen.core import FunctionCall, Image, MemoryContent
from flowgen.graph import END, AgentNode, EndNode, GraphSpec, Mention, NextEdge, WhenEdge
from flowgen.graph.spec import Edge
from flowgen.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    CodeExecutionEvent,
    CodeGenerationEvent,
    HandoffMessage,
    MemoryQueryEvent,
    ModelClientStreamingChunkEvent,
    MultiModalMessage,
    SelectorEvent,
    SelectSpeakerEvent,
    StopMessage,
    TextMessage,
    ThoughtEvent,
    ToolCallExecutionEvent,
    ToolCallRequestEvent,
    ToolCallSummaryMessage,
    UserInputRequestedEvent,
)
from flowgen.models.types import (
    AssistantMessage,
    CreateResult,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    RequestUsage,
    SystemMessage,
    ToolSchema,
    UserMessage,
)
from flowgen.testing.schema_values import NASTY_STRINGS, JsonValue, generate
from flowgen.testing.termination import Leaf, TerminationExpr

STOP_WORDS = ("TERMINATE", "APPROVE", "DONE")
# Names that contain one another: the classic way a substring test picks the wrong speaker.
TRICKY_NAMES = ("writer", "rewriter", "writer_2", "critic", "critical", "a", "A", "user_proxy", "_hidden")
HUGE_SIZE = 20_000

# Lone surrogates cannot travel through JSON text, so no real model output contains them.
_ALPHABET = st.characters(exclude_categories=["Cs"])
T = TypeVar("T")


def embedded(word: str) -> st.SearchStrategy[str]:
    """``word`` glued inside another word ("xAPPROVEd"): must not count as a mention of it."""
    affix = st.text(st.sampled_from("abcXYZ_09"), min_size=1, max_size=3)
    return st.one_of(
        st.builds(lambda a: a + word, affix),
        st.builds(lambda b: word + b, affix),
        st.builds(lambda a, b: a + word + b, affix, affix),
    )


def nasty_text(words: Sequence[str] = (), *, huge: bool = True) -> st.SearchStrategy[str]:
    """Text that breaks naive code: empty, whitespace, any unicode, huge, and ``words`` alone or embedded.

    Args:
        words: words (names, stop words) to mention, both as whole words and inside other words.
        huge: include a very long text (``HUGE_SIZE`` characters).
    """
    options: list[st.SearchStrategy[str]] = [
        st.just(""),
        st.sampled_from([" ", "\n", "\t \n"]),
        st.text(_ALPHABET, max_size=40),
        st.text(st.sampled_from("ab \n"), max_size=20),
    ]
    if huge:
        options.append(st.builds(lambda c: c * HUGE_SIZE, st.sampled_from(["x", "é ", "数"])))
    if words:
        word = st.sampled_from(list(words))
        options.append(word)
        options.append(
            st.builds(
                lambda w, pre, post: f"{pre} {w} {post}",
                word,
                st.text(_ALPHABET, max_size=10),
                st.text(_ALPHABET, max_size=10),
            )
        )
        options.append(word.flatmap(embedded))
        options.append(word.map(str.lower))
    return st.one_of(*options)


def identifiers() -> st.SearchStrategy[str]:
    """Valid, non-keyword Python identifiers (what agent names must be), tricky ones included.

    Never "user" (the task's source) nor a dunder name (reserved for graph nodes such as ``__end__``).
    """
    generated = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,11}", fullmatch=True)
    return st.one_of(st.sampled_from(TRICKY_NAMES), generated).filter(
        lambda s: s.isidentifier() and not keyword.iskeyword(s) and s != "user" and not _reserved(s)
    )


def _reserved(name: str) -> bool:
    # Dunder names ("__end__", "__start__") belong to the graph's own nodes.
    return name.startswith("__") and name.endswith("__")


def participant_names(min_size: int = 1, max_size: int = 5) -> st.SearchStrategy[list[str]]:
    """Lists of unique agent names (never "user", which is the task's source)."""
    return st.lists(identifiers(), min_size=min_size, max_size=max_size, unique=True)


def _usage() -> st.SearchStrategy[RequestUsage | None]:
    return st.none() | st.builds(RequestUsage, st.integers(0, 10_000), st.integers(0, 10_000))


def _metadata() -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(st.text(_ALPHABET, max_size=8), st.text(_ALPHABET, max_size=8), max_size=2)


def function_calls() -> st.SearchStrategy[FunctionCall]:
    return st.builds(
        FunctionCall,
        id=st.text(st.sampled_from("abc123_"), min_size=1, max_size=8),
        arguments=st.sampled_from(['{"a": 1}', "{}", "not json", '{"text": "é"}']),
        name=identifiers(),
    )


def _results() -> st.SearchStrategy[FunctionExecutionResult]:
    return st.builds(
        FunctionExecutionResult,
        content=nasty_text(huge=False),
        name=identifiers(),
        call_id=st.text(st.sampled_from("abc123"), min_size=1, max_size=6),
        is_error=st.none() | st.booleans(),
    )


def images() -> st.SearchStrategy[Image]:
    return st.builds(
        Image.from_bytes, st.binary(min_size=1, max_size=16), st.sampled_from(["image/png", "image/jpeg"])
    )


def llm_messages() -> st.SearchStrategy[LLMMessage]:
    """Model-side messages: system, user (text or multimodal), assistant (text or calls), results."""
    text = nasty_text(huge=False)
    return st.one_of(
        st.builds(SystemMessage, content=text),
        st.builds(UserMessage, content=text | st.lists(text | images(), max_size=3), source=identifiers()),
        st.builds(
            AssistantMessage,
            content=text | st.lists(function_calls(), min_size=1, max_size=2),
            thought=st.none() | text,
            source=identifiers(),
        ),
        st.builds(FunctionExecutionResultMessage, content=st.lists(_results(), max_size=2)),
    )


def chat_message_strategies(
    sources: Sequence[str] | None = None, words: Sequence[str] = STOP_WORDS
) -> dict[type[BaseChatMessage], st.SearchStrategy[BaseChatMessage]]:
    """One strategy per built-in chat message type (so a test can cover each type by name)."""
    source = st.sampled_from(list(sources)) if sources else identifiers()
    text = nasty_text(words)
    common: dict[str, Any] = {"source": source, "models_usage": _usage(), "metadata": _metadata()}
    return {
        TextMessage: st.builds(TextMessage, content=text, **common),
        StopMessage: st.builds(StopMessage, content=text, **common),
        MultiModalMessage: st.builds(
            MultiModalMessage, content=st.lists(text | images(), max_size=3), **common
        ),
        HandoffMessage: st.builds(
            HandoffMessage,
            content=text,
            target=identifiers(),
            context=st.lists(llm_messages(), max_size=2),
            **common,
        ),
        ToolCallSummaryMessage: st.builds(
            ToolCallSummaryMessage,
            content=text,
            tool_calls=st.lists(function_calls(), max_size=2),
            results=st.lists(_results(), max_size=2),
            **common,
        ),
    }


def chat_messages(
    sources: Sequence[str] | None = None, words: Sequence[str] = STOP_WORDS
) -> st.SearchStrategy[BaseChatMessage]:
    """Every built-in chat message type, from ``sources`` (any identifier by default), with nasty text."""
    return st.one_of(*chat_message_strategies(sources, words).values())


def _memory() -> st.SearchStrategy[MemoryContent]:
    # No bytes content: it does not survive a JSON round trip yet (see tests/properties).
    content = st.text(_ALPHABET, max_size=20) | st.dictionaries(
        st.text(max_size=5), st.integers(), max_size=2
    )
    return st.builds(
        MemoryContent, content=content, mime_type=st.sampled_from(["text/plain", "application/json"])
    )


def agent_event_strategies(
    sources: Sequence[str] | None = None,
) -> dict[type[BaseAgentEvent], st.SearchStrategy[BaseAgentEvent]]:
    """One strategy per built-in agent event type."""
    source = st.sampled_from(list(sources)) if sources else identifiers()
    text = nasty_text(STOP_WORDS, huge=False)
    common: dict[str, Any] = {"source": source, "models_usage": _usage(), "metadata": _metadata()}
    uuid = st.uuids().map(str)
    return {
        ToolCallRequestEvent: st.builds(
            ToolCallRequestEvent, content=st.lists(function_calls(), max_size=2), **common
        ),
        ToolCallExecutionEvent: st.builds(
            ToolCallExecutionEvent, content=st.lists(_results(), max_size=2), **common
        ),
        CodeGenerationEvent: st.builds(
            CodeGenerationEvent,
            content=text,
            retry_attempt=st.integers(0, 3),
            code_blocks=st.lists(
                st.builds(CodeBlock, code=text, language=st.sampled_from(["python", "sh"])), max_size=2
            ),
            **common,
        ),
        CodeExecutionEvent: st.builds(
            CodeExecutionEvent,
            retry_attempt=st.integers(0, 3),
            result=st.builds(CodeResult, exit_code=st.integers(0, 255), output=text),
            **common,
        ),
        UserInputRequestedEvent: st.builds(UserInputRequestedEvent, request_id=uuid, **common),
        MemoryQueryEvent: st.builds(MemoryQueryEvent, content=st.lists(_memory(), max_size=2), **common),
        ModelClientStreamingChunkEvent: st.builds(
            ModelClientStreamingChunkEvent, content=text, full_message_id=st.none() | uuid, **common
        ),
        ThoughtEvent: st.builds(ThoughtEvent, content=text, **common),
        SelectSpeakerEvent: st.builds(
            SelectSpeakerEvent, content=st.lists(identifiers(), max_size=3), **common
        ),
        SelectorEvent: st.builds(SelectorEvent, content=text, **common),
    }


def agent_events(sources: Sequence[str] | None = None) -> st.SearchStrategy[BaseAgentEvent]:
    """Every built-in agent event type."""
    return st.one_of(*agent_event_strategies(sources).values())


def any_messages(sources: Sequence[str] | None = None) -> st.SearchStrategy[BaseChatMessage | BaseAgentEvent]:
    """Chat messages and agent events, mixed."""
    return chat_messages(sources) | agent_events(sources)


def histories(
    participants: Sequence[str],
    *,
    min_size: int = 0,
    max_size: int = 12,
    events: bool = False,
    task: bool = True,
) -> st.SearchStrategy[list[BaseChatMessage | BaseAgentEvent]]:
    """Conversations among ``participants``, optionally opened by a task from "user"."""
    body = (
        any_messages(participants)
        if events
        else chat_messages(participants, words=[*STOP_WORDS, *participants])
    )
    conversation = st.lists(body, min_size=min_size, max_size=max_size)
    if not task:
        return conversation
    opener = st.builds(TextMessage, content=nasty_text(participants, huge=False), source=st.just("user"))
    return st.builds(lambda first, rest: [first, *rest], opener, conversation)


def message_steps(
    sources: Sequence[str], *, max_steps: int = 8, max_per_step: int = 3
) -> st.SearchStrategy[list[list[BaseChatMessage | BaseAgentEvent]]]:
    """What a termination condition sees: a list of steps, each the messages one step produced."""
    return st.lists(st.lists(any_messages(sources), max_size=max_per_step), max_size=max_steps)


def termination_leaf_strategies(
    sources: Sequence[str], words: Sequence[str] = STOP_WORDS
) -> dict[str, st.SearchStrategy[TerminationExpr]]:
    """One strategy per built-in condition (all but the clock- and caller-driven ones), by class name."""
    source = st.sampled_from(list(sources))
    return {
        "MaxMessageTermination": st.builds(Leaf.max_messages, st.integers(1, 12), st.booleans()),
        "TextMentionTermination": st.builds(
            Leaf.mention, st.sampled_from(list(words)), st.none() | st.lists(source, min_size=1, max_size=2)
        ),
        "StopMessageTermination": st.just(Leaf.stop_message()),
        "TextMessageTermination": st.builds(Leaf.text_message, st.none() | source),
        "SourceMatchTermination": st.builds(Leaf.source_match, st.lists(source, min_size=1, max_size=2)),
        "HandoffTermination": st.builds(Leaf.handoff, identifiers()),
        "FunctionCallTermination": st.builds(Leaf.function_call, identifiers()),
        "TokenUsageTermination": st.builds(Leaf.token_usage, st.integers(1, 30_000)),
    }


def termination_leaves(
    sources: Sequence[str], words: Sequence[str] = STOP_WORDS
) -> st.SearchStrategy[TerminationExpr]:
    """Single built-in conditions, each with its reference model."""
    return st.one_of(*termination_leaf_strategies(sources, words).values())


def termination_expressions(
    sources: Sequence[str], words: Sequence[str] = STOP_WORDS, *, max_leaves: int = 6
) -> st.SearchStrategy[TerminationExpr]:
    """Conditions combined with ``|`` and ``&`` to any depth; ``.build()`` makes the real condition.

    Example:
        >>> from hypothesis import given, settings
        >>> @settings(max_examples=5)
        ... @given(termination_expressions(["a", "b"]))
        ... def test(expr):
        ...     assert not expr.build().terminated
        >>> test()
    """
    return st.recursive(
        termination_leaves(sources, words),
        lambda inner: (
            st.builds(lambda a, b: a | b, inner, inner) | st.builds(lambda a, b: a & b, inner, inner)
        ),
        max_leaves=max_leaves,
    )


@st.composite
def dags(draw: st.DrawFn, min_nodes: int = 1, max_nodes: int = 6, any_joins: bool = False) -> GraphSpec:
    """Random connected-to-end DAGs of agent nodes: nodes with no inputs are entries, sinks lead to the end.

    Fan-ins are ``all``-joins, or sometimes ``any``-joins when ``any_joins`` is set.
    """
    names = draw(participant_names(min_nodes, max_nodes))
    edges: list[Edge] = []
    for j, target in enumerate(names):
        if j == 0:
            continue
        preds = draw(st.lists(st.sampled_from(names[:j]), unique=True, max_size=min(j, 3)))
        activation = draw(st.sampled_from(["all", "any"])) if any_joins and len(preds) > 1 else "all"
        edges.extend(NextEdge(source=p, target=target, activation_condition=activation) for p in preds)
    return _close(names, edges, name="dag")


@st.composite
def looped_graphs(
    draw: st.DrawFn, min_nodes: int = 2, max_nodes: int = 5, loop_word: str = "REVISE"
) -> GraphSpec:
    """A chain whose last node loops back to an earlier one while it mentions ``loop_word`` and exits otherwise."""
    names = draw(participant_names(min_nodes, max_nodes))
    edges: list[Edge] = [NextEdge(source=a, target=b) for a, b in itertools.pairwise(names)]
    back_to = draw(st.sampled_from(names))
    last = names[-1]
    edges.append(
        WhenEdge(
            source=last,
            target=back_to,
            condition=Mention(text=loop_word),
            activation_group=f"{back_to}__loop",
        )
    )
    edges.append(NextEdge(source=last, target=END, otherwise=True))
    return GraphSpec(
        name="loop",
        nodes=(*(AgentNode(name=n) for n in names), EndNode()),
        edges=tuple(edges),
        entry=(names[0],),
        metadata={"loop_word": loop_word},
    )


def _close(names: list[str], edges: list[Edge], name: str) -> GraphSpec:
    has_in = {e.target for e in edges}
    has_out = {e.source for e in edges}
    edges = edges + [NextEdge(source=n, target=END) for n in names if n not in has_out]
    return GraphSpec(
        name=name,
        nodes=(*(AgentNode(name=n) for n in names), EndNode()),
        edges=tuple(edges),
        entry=tuple(n for n in names if n not in has_in),
    )


class DrawChooser:
    """Choices drawn through Hypothesis, so failing examples shrink."""

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any]) -> None:
        self._draw = draw

    def integer(self, low: int, high: int) -> int:
        return int(self._draw(st.integers(low, high)))

    def number(self, low: float, high: float) -> float:
        return float(self._draw(st.floats(low, high, allow_nan=False, allow_infinity=False)))

    def choice(self, options: Sequence[T]) -> T:
        index: int = self._draw(st.integers(0, len(options) - 1))
        return options[index]

    def text(self, min_size: int, max_size: int | None) -> str:
        alphabet = st.characters(exclude_categories=["Cs"])
        nasty = st.sampled_from(NASTY_STRINGS).filter(
            lambda s: len(s) >= min_size and (max_size is None or len(s) <= max_size)
        )
        plain = st.text(alphabet, min_size=min_size, max_size=max_size if max_size is not None else 40)
        return str(self._draw(nasty | plain if min_size == 0 or max_size is None else plain))


def from_schema(schema: Mapping[str, Any]) -> st.SearchStrategy[JsonValue]:
    """A Hypothesis strategy of JSON values valid for ``schema`` (tool arguments, structured outputs).

    Example:
        >>> from hypothesis import given
        >>> @given(from_schema({"type": "array", "items": {"type": "boolean"}, "maxItems": 2}))
        ... def test(value):
        ...     assert len(value) <= 2 and all(isinstance(v, bool) for v in value)
        >>> test()
    """

    @st.composite
    def values(draw: st.DrawFn) -> JsonValue:
        return generate(schema, DrawChooser(draw))

    return values()


@st.composite
def _tool_calls(draw: st.DrawFn, tools: Sequence[ToolSchema]) -> list[FunctionCall]:
    """Calls a model might make: valid arguments, malformed JSON, wrong fields, unknown tools."""
    calls: list[FunctionCall] = []
    for index in range(draw(st.integers(1, 3))):
        tool = draw(st.sampled_from(list(tools))) if tools else None
        name = tool["name"] if tool is not None and draw(st.booleans()) else draw(identifiers())
        parameters: Mapping[str, Any] = tool.get("parameters", {"type": "object"}) if tool is not None else {}
        arguments = draw(
            st.one_of(
                from_schema(parameters).map(json.dumps),
                st.sampled_from(["", "{", "null", "[]", '{"unexpected": 1}', "not json"]),
            )
        )
        calls.append(FunctionCall(id=f"call_{index}", arguments=arguments, name=name))
    return calls


def create_results(tools: Sequence[ToolSchema] = ()) -> st.SearchStrategy[CreateResult]:
    """Model replies as CreateResults: text, or tool calls (to ``tools`` and to unknown ones) with
    schema-valid, malformed or wrong arguments — untrusted model output an agent must survive."""
    usage = st.builds(RequestUsage, st.integers(0, 500), st.integers(0, 500))
    text = st.builds(
        lambda content, u: CreateResult(finish_reason="stop", content=content, usage=u),
        nasty_text(huge=False),
        usage,
    )
    calls = st.builds(
        lambda content, u: CreateResult(finish_reason="function_calls", content=content, usage=u),
        _tool_calls(tools),
        usage,
    )
    return text | calls


def reply_scripts(
    min_size: int = 1, max_size: int = 10, words: Sequence[str] = STOP_WORDS
) -> st.SearchStrategy[list[str]]:
    """Replies for a deterministic model, with stop words sometimes said and sometimes merely embedded."""
    return st.lists(nasty_text(words, huge=False), min_size=min_size, max_size=max_size)


__all__ = [
    "DrawChooser",
    "HUGE_SIZE",
    "STOP_WORDS",
    "TRICKY_NAMES",
    "agent_event_strategies",
    "agent_events",
    "any_messages",
    "chat_message_strategies",
    "chat_messages",
    "create_results",
    "dags",
    "embedded",
    "from_schema",
    "function_calls",
    "histories",
    "identifiers",
    "images",
    "llm_messages",
    "looped_graphs",
    "message_steps",
    "nasty_text",
    "participant_names",
    "reply_scripts",
    "termination_expressions",
    "termination_leaf_strategies",
    "termination_leaves",
]
