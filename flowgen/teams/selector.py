"""SelectorGroupChat: after each turn a model (or your function) picks who speaks next.

Compiled into a star: a router node with a select edge to every participant and an edge back from
each (``any`` activation, so one finished speaker is enough to return to the router). The router's
policy, :class:`SelectorPolicy`, asks ``selector_func`` first, then narrows the candidates
(``candidate_func``, or everyone but the previous speaker) and asks the model, retrying with
feedback when the reply names no candidate or several, and finally falls back visibly. The pure
steps live in :mod:`flowgen.teams.speaker_choice`.
"""

from __future__ import annotations

import inspect
import logging
import string
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from flowgen.base import TerminationCondition
from flowgen.core import CancellationToken
from flowgen.engine.policy import Selection, SelectionContext, SpeakerPolicy
from flowgen.errors import ConfigurationError
from flowgen.graph.spec import AgentNode, GraphSpec, NextEdge, RouterNode, SelectEdge
from flowgen.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    HandoffMessage,
    ModelClientStreamingChunkEvent,
    SelectorEvent,
)
from flowgen.model_context import ChatCompletionContext, UnboundedChatCompletionContext
from flowgen.models.client import ChatCompletionClient
from flowgen.models.types import (
    AssistantMessage,
    CreateResult,
    LLMMessage,
    ModelFamily,
    SystemMessage,
    UserMessage,
)
from flowgen.teams.shell import BaseGroupChat, Participant, participant_node, participant_shape
from flowgen.teams.speaker_choice import (
    Choice,
    History,
    default_candidates,
    fallback,
    judge,
    selector_prompt_text,
)

if TYPE_CHECKING:
    from flowgen.checkpoint.protocol import Checkpointer
    from flowgen.engine.durable import Durability
    from flowgen.graph.node_policy import NodePolicy

logger = logging.getLogger("flowgen.teams.selector")

SelectorFuncType = Callable[[History], "str | Awaitable[str | None] | None"]
CandidateFuncType = Callable[[History], "list[str] | Awaitable[list[str]]"]

DEFAULT_SELECTOR_PROMPT = """You are directing a conversation between several participants, listed here with their roles:
{roles}.
Read the conversation that follows, then decide which one of {participants} should speak next. Answer with that name and nothing else.
{history}
Having read the conversation above, decide which one of {participants} should speak next. Answer with that name and nothing else.
"""

_PROMPT_FIELDS = frozenset({"roles", "participants", "history"})


def check_selector_prompt(prompt: str) -> str:
    """Refuse a template with fields other than {roles}, {participants} and {history}."""
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(prompt) if name is not None}
    except ValueError as exc:
        raise ConfigurationError(f"selector_prompt is not a valid format string: {exc}") from exc
    unknown = sorted(f for f in fields if f.split(".")[0].split("[")[0] not in _PROMPT_FIELDS)
    if unknown:
        raise ConfigurationError(
            f"selector_prompt uses unknown fields {unknown}; only {{roles}}, {{participants}} and "
            "{history} are filled in (double a brace, {{ }}, to write it literally)"
        )
    return prompt


class SelectorPolicy:
    """Chooses the next speaker as SelectorGroupChat does; keeps the previous speaker as its state.

    The model context is filled lazily from the thread (only when the model is asked), so a team
    driven by ``selector_func`` pays nothing for it.
    """

    def __init__(
        self,
        participants: Mapping[str, str],
        model_client: ChatCompletionClient,
        *,
        team_name: str,
        selector_prompt: str = DEFAULT_SELECTOR_PROMPT,
        allow_repeated_speaker: bool = False,
        max_selector_attempts: int = 3,
        selector_func: SelectorFuncType | None = None,
        candidate_func: CandidateFuncType | None = None,
        model_client_streaming: bool = False,
        model_context: ChatCompletionContext | None = None,
    ) -> None:
        if max_selector_attempts < 1:
            raise ConfigurationError(f"max_selector_attempts must be at least 1, got {max_selector_attempts}")
        self._descriptions = dict(participants)
        self._names = tuple(participants)
        self._known = frozenset(self._names)
        self._client = model_client
        self._team = team_name
        self._prompt = check_selector_prompt(selector_prompt)
        self._allow_repeated = allow_repeated_speaker
        self._max_attempts = max_selector_attempts
        self._selector_func = selector_func
        self._candidate_func = candidate_func
        self._streaming = model_client_streaming
        self._context = model_context if model_context is not None else UnboundedChatCompletionContext()
        self.previous_speaker: str | None = None
        self._synced = 0  # how much of the thread the model context holds
        self._stale = False  # the context holds messages of a thread that is gone; clear before use

    # ----------------------------------------------------------------- the policy

    def select(self, context: SelectionContext) -> Selection | Awaitable[Selection]:
        func = self._selector_func
        if func is not None:
            answer = func(context.thread)
            if inspect.isawaitable(answer):
                return self._after_func(answer, context)
            if answer is not None:
                return self._chosen_by_func(answer)
        return self._by_model(context)

    async def _after_func(self, answer: Awaitable[str | None], context: SelectionContext) -> Selection:
        name = await answer
        if name is not None:
            return self._chosen_by_func(name)
        return await self._by_model(context)

    def _chosen_by_func(self, name: str) -> Selection:
        if name not in self._known:
            raise ConfigurationError(
                f"selector_func returned {name!r}, which is not a participant; return one of "
                f"{list(self._names)}, or None to let the model choose"
            )
        self.previous_speaker = name
        return Selection((name,), reason=f"selector_func chose {name!r}")

    async def _by_model(self, context: SelectionContext) -> Selection:
        candidates = await self._candidates(context.thread)
        events: list[BaseAgentEvent | BaseChatMessage] = []
        if len(candidates) == 1:
            choice = Choice(candidates[0], 0, f"{candidates[0]!r} is the only candidate")
        else:
            choice = await self._ask(context, candidates, events)
        if choice.fell_back:
            logger.warning("team %r: %s", self._team, choice.reason)
            events.append(SelectorEvent(content=choice.reason, source=self._team))
        self.previous_speaker = choice.speaker
        return Selection(
            (choice.speaker,),
            reason=choice.reason,
            attempts=choice.attempts,
            events=tuple(events),
            candidates=candidates,
        )

    async def _candidates(self, thread: History) -> tuple[str, ...]:
        if self._candidate_func is None:
            return default_candidates(self._names, self.previous_speaker, self._allow_repeated)
        answer = self._candidate_func(thread)
        names = await answer if inspect.isawaitable(answer) else answer
        if isinstance(names, str):
            raise ConfigurationError(
                f"candidate_func returned the string {names!r}, not a list; return a list of participant "
                f"names, e.g. [{names!r}]"
            )
        if not names:
            raise ConfigurationError(
                "candidate_func returned no candidates; it must return a non-empty list of participant names"
            )
        unknown = [n for n in names if n not in self._known]
        if unknown:
            raise ConfigurationError(
                f"candidate_func returned {unknown}, which are not participants; choose among {list(self._names)}"
            )
        return tuple(dict.fromkeys(names))

    # ----------------------------------------------------------------- asking the model

    async def _ask(
        self,
        context: SelectionContext,
        candidates: tuple[str, ...],
        events: list[BaseAgentEvent | BaseChatMessage],
    ) -> Choice:
        await self._sync(context.thread)
        prompt = selector_prompt_text(
            self._prompt, candidates, self._descriptions, await self._context.get_messages()
        )
        messages: list[LLMMessage] = [
            SystemMessage(content=prompt)
            if ModelFamily.is_openai(self._client.model_info["family"])
            else UserMessage(content=prompt, source="user")
        ]
        for attempt in range(1, self._max_attempts + 1):
            reply = await self._complete(messages, context.cancellation_token, events)
            messages.append(AssistantMessage(content=reply, source="selector"))
            verdict = judge(
                reply,
                candidates,
                participants=self._names,
                previous_speaker=self.previous_speaker,
                allow_repeated_speaker=self._allow_repeated,
            )
            if verdict.speaker is not None:
                return Choice(verdict.speaker, attempt, f"the selector model chose {verdict.speaker!r}")
            logger.debug("team %r: selector attempt %d rejected: %s", self._team, attempt, verdict.feedback)
            messages.append(UserMessage(content=verdict.feedback, source="user"))
        return fallback(self.previous_speaker, candidates, self._max_attempts)

    async def _complete(
        self,
        messages: list[LLMMessage],
        token: CancellationToken | None,
        events: list[BaseAgentEvent | BaseChatMessage],
    ) -> str:
        try:
            return await self._call_model(messages, token, events)
        except Exception as exc:
            exc.add_note(
                f"raised by the selector model of team {self._team!r} "
                f"({type(self._client).__name__}, model_client= of SelectorGroupChat) while choosing "
                "the next speaker"
            )
            raise

    async def _call_model(
        self,
        messages: list[LLMMessage],
        token: CancellationToken | None,
        events: list[BaseAgentEvent | BaseChatMessage],
    ) -> str:
        result: CreateResult | None = None
        if self._streaming:
            async for chunk in self._client.create_stream(messages, cancellation_token=token):
                if isinstance(chunk, str):
                    events.append(ModelClientStreamingChunkEvent(content=chunk, source=self._team))
                else:
                    result = chunk
            if result is None:
                raise RuntimeError("the selector model's stream ended without a final CreateResult")
            events.append(SelectorEvent(content=_as_text(result), source=self._team))
        else:
            result = await self._client.create(messages, cancellation_token=token)
        return _as_text(result)

    async def _sync(self, thread: History) -> None:
        """Bring the model context up to date with the thread (handoff context included)."""
        if self._stale or self._synced > len(thread):  # a reset or loaded thread replaced ours
            await self._context.clear()
            self._synced = 0
            self._stale = False
        for message in thread[self._synced :]:
            if not isinstance(message, BaseChatMessage):
                continue
            if isinstance(message, HandoffMessage):
                for carried in message.context:
                    await self._context.add_message(carried)
            await self._context.add_message(message.to_model_message())
        self._synced = len(thread)

    # ----------------------------------------------------------------- state

    def dump_state(self) -> dict[str, Any]:
        return {"previous_speaker": self.previous_speaker}

    def load_state(self, state: Mapping[str, Any]) -> None:
        previous = state.get("previous_speaker")
        self.previous_speaker = previous if isinstance(previous, str) else None
        self._stale = True  # rebuilt from the loaded thread on the next model call

    def reset(self) -> None:
        self.previous_speaker = None
        self._stale = True


def _as_text(result: CreateResult) -> str:
    # A reply that is not text (e.g. tool calls) names nobody; it earns feedback like any other miss.
    return result.content if isinstance(result.content, str) else ""


class SelectorGroupChat(BaseGroupChat):
    """A team where, after each turn, a model picks the next speaker among the participants.

    Args:
        participants: at least two agents (or teams) with unique names.
        model_client: the model that picks speakers.
        name: the team's name.
        description: what the team does.
        termination_condition: stops the run.
        max_turns: the most turns one run may take.
        runtime: a flowgen.core AgentRuntime hosting the participants (see BaseGroupChat); None: direct.
        selector_prompt: the template sent to the model; ``{roles}`` (one ``name: description`` line
            per candidate), ``{participants}`` (the candidates' names as a list) and ``{history}``
            (the conversation) are filled in.
        allow_repeated_speaker: whether the previous speaker may be chosen again.
        max_selector_attempts: how many replies the model gets to name exactly one candidate; then
            the previous speaker (or the first candidate) speaks, and the trace says so.
        selector_func: ``f(thread) -> name | None`` (sync or async), asked first; None lets the model choose.
        candidate_func: ``f(thread) -> [names]`` (sync or async) narrowing the candidates for the model.
        custom_message_types: extra message classes the team must load.
        emit_team_events: also stream SelectSpeakerEvent and the selector's SelectorEvent messages.
        checkpointer, interrupt_before, interrupt_after, durability, node_policies: durable runs
            and per-node retries and timeouts, as on :class:`~flowgen.teams.shell.BaseGroupChat`.
        model_client_streaming: stream the selector model's reply (as chunk events, with team events).
        model_context: what the selector model sees of the conversation (cleared on reset).

    Example:
        >>> import asyncio
        >>> from flowgen.models import ReplayChatCompletionClient
        >>> from flowgen.testing import ScriptedAgent
        >>> team = SelectorGroupChat(
        ...     [ScriptedAgent("planner", ["plan"]), ScriptedAgent("coder", ["code"])],
        ...     model_client=ReplayChatCompletionClient(["coder"]),
        ...     max_turns=2,
        ... )
        >>> [m.source for m in asyncio.run(team.run(task="build it")).messages]
        ['user', 'coder', 'planner']
    """

    def __init__(
        self,
        participants: Sequence[Participant],
        model_client: ChatCompletionClient,
        *,
        name: str | None = None,
        description: str | None = None,
        termination_condition: TerminationCondition | None = None,
        max_turns: int | None = None,
        runtime: object | None = None,
        selector_prompt: str = DEFAULT_SELECTOR_PROMPT,
        allow_repeated_speaker: bool = False,
        max_selector_attempts: int = 3,
        selector_func: SelectorFuncType | None = None,
        candidate_func: CandidateFuncType | None = None,
        custom_message_types: Sequence[type[BaseAgentEvent | BaseChatMessage]] | None = None,
        emit_team_events: bool = False,
        checkpointer: Checkpointer | None = None,
        interrupt_before: Sequence[str] | None = None,
        interrupt_after: Sequence[str] | None = None,
        durability: Durability = "sync",
        node_policies: Mapping[str, NodePolicy] | None = None,
        model_client_streaming: bool = False,
        model_context: ChatCompletionContext | None = None,
    ) -> None:
        if len(participants) < 2:
            raise ConfigurationError(
                "At least two participants are required for SelectorGroupChat; for one agent, run it directly"
            )
        # Read by _build_policies, which the shell calls from its __init__.
        self._model_client = model_client
        self._selector_settings: dict[str, Any] = {
            "selector_prompt": check_selector_prompt(selector_prompt),
            "allow_repeated_speaker": allow_repeated_speaker,
            "max_selector_attempts": max_selector_attempts,
            "selector_func": selector_func,
            "candidate_func": candidate_func,
            "model_client_streaming": model_client_streaming,
            "model_context": model_context,
        }
        self._policy: SelectorPolicy | None = None
        super().__init__(
            participants,
            name=name or "SelectorGroupChat",
            description=description or "A team of agents.",
            termination_condition=termination_condition,
            max_turns=max_turns,
            runtime=runtime,
            custom_message_types=custom_message_types,
            emit_team_events=emit_team_events,
            checkpointer=checkpointer,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            durability=durability,
            node_policies=node_policies,
        )

    @property
    def router_name(self) -> str:
        """The router node's name: ``selector``, unless a participant already has that name."""
        return "selector" if "selector" not in self.participant_names else "__selector__"

    @property
    def policy(self) -> SelectorPolicy:
        """The speaker policy (its ``previous_speaker`` is part of the saved state)."""
        assert self._policy is not None
        return self._policy

    def _graph_shape(self) -> Hashable | None:
        if type(self)._build_graph is not SelectorGroupChat._build_graph:
            return None  # a subclass building its own graph may read more than this key holds
        shape = participant_shape(self._participants)
        return None if shape is None else (type(self), self.name, shape)

    def _build_graph(self) -> GraphSpec:
        router = self.router_name
        names = self.participant_names
        nodes: tuple[AgentNode | RouterNode, ...] = (
            RouterNode.model_construct(
                name=router, policy="selector", description="the selector model picks the next speaker"
            ),
            *(participant_node(p) for p in self.participants),
        )
        edges: tuple[SelectEdge | NextEdge, ...] = (
            *(SelectEdge.model_construct(source=router, target=n) for n in names),
            *(NextEdge.model_construct(source=n, target=router, activation_condition="any") for n in names),
        )
        # Engine-made from typed parts: constructed without validation, so that a team does not build
        # the graph models' schemas (the scheduler's validate() still checks the structure).
        return GraphSpec.model_construct(
            name=self.name,
            nodes=nodes,
            edges=edges,
            entry=(router,),
            metadata={"team_type": "SelectorGroupChat"},
        )

    def _build_policies(self) -> Mapping[str, SpeakerPolicy]:
        self._policy = SelectorPolicy(
            {p.name: p.description for p in self.participants},
            self._model_client,
            team_name=self._manager_name(),
            **self._selector_settings,
        )
        return {self.router_name: self._policy}
