"""Every exception flowgen raises.

Where Python already has a fitting builtin, the flowgen error subclasses both, so code that catches
the builtin (as AutoGen users do) keeps working while ``except FlowgenError`` catches everything::

    FlowgenError
    ├── ConfigurationError (ValueError)        wrong construction: duplicate names, bad options
    │   └── UnsupportedModelFeatureError       tools / structured output on a model that lacks them
    ├── GraphValidationError (ValueError)      a graph that cannot run; carries ``.findings``
    ├── TeamRunningError (RuntimeError)        run() while the same team is already running
    ├── ReplayExhaustedError (ValueError)      a scripted model was called after its script ended
    ├── UnusedRepliesError (AssertionError)    a scripted model finished with replies left over
    ├── CassetteDriftError (AssertionError)    a cassette request differs from the recording
    ├── ModelClientError                       a real model call failed; ``.retryable``; SDK error as __cause__
    │   └── AllModelsFailedError               every client of a fallback chain failed; ``.skipped``
    ├── StructuredOutputError (ValueError)     replies kept failing output_content_type's schema
    ├── ToolError                              a tool failed; becomes an ``is_error`` result, never a crash
    │   ├── UnknownToolError
    │   ├── ToolArgumentsError (ValueError)    malformed JSON or arguments failing validation
    │   └── ToolExitError                      a tool raised SystemExit / KeyboardInterrupt
    ├── HandoffError (ValueError)              resuming after a handoff out of the team with plain text, ...
    ├── StateError (ValueError)                a saved state that does not fit the team it is loaded into
    ├── RendererNotFoundError (RuntimeError)   no Graphviz renderer; the message carries the install command
    ├── CLIError                               one clear line for the ``flowgen`` command
    ├── CantHandleException                    an agent has no handler for a message (Core runtime)
    ├── UndeliverableException (LookupError)   no agent type is registered for the recipient
    ├── MessageDroppedException                an intervention handler dropped a send or its response
    └── NotAccessibleError                     an agent lives where this process cannot reach it
    └── CodeExecutionError (RuntimeError)      an executor could not run code at all (not: the code failed)
        ├── CodeFunctionsError (ValueError)    the functions given to an executor failed to load
        └── SandboxUnavailableError            no bubblewrap (or Docker daemon); the message says what to install
    ├── ToolError
    │   └── McpServerError (ConnectionError)   an MCP server could not be reached, or was lost
    └── ConfigurationError
        └── ComponentConfigError               a component config that cannot load; ``.path`` is its JSON path
            └── UntrustedSourceCodeError       a config carrying source code, without trust_source_code=True
    ├── NotAccessibleError                     an agent lives where this process cannot reach it
    ├── RemoteAgentError                       a remote agent raised a type this process will not rebuild
    └── AgentUnavailableError (ConnectionError) the actor hosting an agent died or cannot be reached
    ├── NotAccessibleError                     an agent lives where this process cannot reach it
    ├── InjectedModelError (RuntimeError)      the model failure flowgen.testing.interrupts injects on purpose
    ├── NodeTimeoutError (TimeoutError)        a node ran past its graph's timeout; the run stops, resumable
    ├── ToolApprovalPending                    a tool call waits for approval; a team stops, interrupted
    ├── CheckpointError                        a checkpoint store could not save or load a thread
    │   ├── ThreadBusyError (RuntimeError)     another run holds the thread's lease
    │   ├── CheckpointCorruptError (ValueError) a stored row failed validation; names thread and id
    │   ├── CheckpointNotFoundError (LookupError) no such thread or checkpoint
    │   └── GraphChangedError (ValueError)     the thread was saved by a different graph; says what changed
    ├── RequestError                           an HTTP request `flowgen serve` refuses; ``.status``, ``.code``
    │   └── RateLimitedError                   a key sent more requests than its rate limit; ``.retry_after``
    ├── ServerReplyError                       flowgen.client: the server refused a request; ``.status``, ``.code``
    ├── ServerUnreachableError (ConnectionError) flowgen.client: no server answered at the base URL
    └── RunLostError (RuntimeError)            a RunPool run lost its workers too often; the thread is resumable
    ├── FrameError (ValueError)                a frame on a direct link to a host actor failed validation
    └── LinkLostError (ConnectionError)        a direct link to a host actor broke (seen as AgentUnavailableError)
    └── AgentStateError (ValueError)          an agent's kept state failed validation, is too big, or its store cannot open
    ConfigurationError
    └── LinkTlsError                           TLS on the direct link is on (RAY_USE_TLS) but cannot be set up

A failing agent inside a team re-raises its *original* exception with a note (``add_note``) naming
the node and the turn; flowgen never flattens errors into ``RuntimeError(str(e))``.
"""

from __future__ import annotations

from collections.abc import Sequence


class FlowgenError(Exception):
    """Base of every flowgen exception."""


class ConfigurationError(FlowgenError, ValueError):
    """Something was constructed wrongly; the message says what and how to fix it."""


class UnsupportedModelFeatureError(ConfigurationError):
    """An agent asked a model for a feature its ``model_info`` says it lacks."""


class GraphValidationError(FlowgenError, ValueError):
    """A graph failed validation. ``findings`` lists every problem found, each naming nodes and a fix."""

    def __init__(self, findings: Sequence[object]) -> None:
        self.findings = list(findings)
        lines = [str(f) for f in self.findings]
        super().__init__("the graph cannot run:\n" + "\n".join(f"  - {line}" for line in lines))


class TeamRunningError(FlowgenError, RuntimeError):
    """The team is already running; wait for the current run to finish (or cancel it) first."""


class ReplayExhaustedError(FlowgenError, ValueError):
    """A scripted model was asked for more replies than its script holds."""


class UnusedRepliesError(FlowgenError, AssertionError):
    """A scripted model still holds replies nobody asked for."""


class CassetteDriftError(FlowgenError, AssertionError):
    """A request sent to a cassette in replay mode differs from the one that was recorded."""


class ModelClientError(FlowgenError):
    """A real model call failed. ``retryable`` says whether trying again could help."""

    def __init__(self, message: str, *, retryable: bool = False, status_code: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status_code = status_code


class ToolError(FlowgenError):
    """A tool call could not be carried out. Agents turn it into an ``is_error`` result."""


class UnknownToolError(ToolError):
    """The model called a tool that the agent does not have."""


class ToolArgumentsError(ToolError, ValueError):
    """The model's tool arguments were not valid JSON or failed the tool's schema."""


class HandoffError(FlowgenError, ValueError):
    """A handoff could not be honoured."""


class StateError(FlowgenError, ValueError):
    """A saved state does not fit what it is being loaded into."""


class RendererNotFoundError(FlowgenError, RuntimeError):
    """No Graphviz renderer could be found."""


class CLIError(FlowgenError):
    """An error the ``flowgen`` command prints as one line before exiting non-zero."""


def add_node_note(exc: BaseException, node: str, turn: int) -> BaseException:
    """Attach a note naming where a failure happened, keeping the original exception type."""
    note = f"raised by node {node!r} at turn {turn}"
    if note not in getattr(exc, "__notes__", ()):
        exc.add_note(note)
    return exc


# Model clients for production: fallback chains.


class AllModelsFailedError(ModelClientError):
    """Every client of a fallback chain failed or was skipped; ``skipped`` says why, model by model."""

    def __init__(self, message: str, *, skipped: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message, retryable=True)
        self.skipped = list(skipped)


# --- the Core actor runtime (flowgen.core) ---------------------------------------------------------


class CantHandleException(FlowgenError):
    """The recipient has no handler for the message's type (or its handlers' ``match=`` all refused)."""


class UndeliverableException(FlowgenError, LookupError):
    """The message names a recipient whose agent type nobody registered; register it first."""


class MessageDroppedException(FlowgenError):
    """An intervention handler returned ``DropMessage`` for a send or for its response."""


class NotAccessibleError(FlowgenError):
    """The agent exists but cannot be reached from here (e.g. it is hosted by another process)."""


# Replies and input that are not what they seem.


class StructuredOutputError(FlowgenError, ValueError):
    """The model's replies kept failing the agent's ``output_content_type`` schema, retries included."""


class ToolExitError(ToolError):
    """A tool raised SystemExit or KeyboardInterrupt; it is the tool's failure, not a request to stop."""


# Code execution. A failing block is a result (a non-zero exit code), never one of these.
class CodeExecutionError(FlowgenError, RuntimeError):
    """An executor could not run code at all."""


class CodeFunctionsError(CodeExecutionError, ValueError):
    """The functions given to an executor failed to install or to load."""


class SandboxUnavailableError(CodeExecutionError):
    """The isolation an executor needs (bubblewrap, a Docker daemon) is not there; the message says how to get it."""


# Workbenches, MCP and declarative components.


class McpServerError(ToolError, ConnectionError):
    """An MCP server could not be started or reached, or its connection was lost."""


class ComponentConfigError(ConfigurationError):
    """A component config that cannot be loaded; the message starts with the JSON path of the problem."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path
        self.problem = problem


class UntrustedSourceCodeError(ComponentConfigError):
    """A component config carries source code, and the caller did not pass ``trust_source_code=True``."""


# --- the distributed runtime (flowgen.distributed) -------------------------------------------------


class RemoteAgentError(FlowgenError):
    """An agent on another process raised an exception whose type this process may not rebuild.

    Only builtin exceptions, flowgen's own and types registered with
    ``RayAgentRuntime.add_exception_type`` come back as themselves; anything else arrives as this
    error, carrying the remote type's dotted name in ``remote_type`` and its message.
    """

    def __init__(self, message: str, *, remote_type: str = "", agent: str = "") -> None:
        super().__init__(message)
        self.remote_type = remote_type
        self.agent = agent


class AgentUnavailableError(FlowgenError, ConnectionError):
    """The actor hosting an agent died or could not be reached; the call may or may not have run."""

    def __init__(self, message: str, *, agent: str = "") -> None:
        super().__init__(message)
        self.agent = agent


# Atomic steps (flowgen.testing.interrupts)


class InjectedModelError(FlowgenError, RuntimeError):
    """The failure the interruption test kit injects at the model call it was told to fail."""


# ----------------------------------------------------------------- durable runs (checkpoints)


class CheckpointError(FlowgenError):
    """A checkpoint store could not save or give back a thread's checkpoints."""


class ThreadBusyError(CheckpointError, RuntimeError):
    """Another run (in this process or another) holds the thread's lease; wait for it to finish."""


class CheckpointCorruptError(CheckpointError, ValueError):
    """A stored checkpoint failed validation; the message names the thread and the checkpoint id."""


class CheckpointNotFoundError(CheckpointError, LookupError):
    """The thread or checkpoint asked for is not in the store."""


class GraphChangedError(CheckpointError, ValueError):
    """A thread was saved by a different graph; the message names the thread and what changed."""


class NodeTimeoutError(FlowgenError, TimeoutError):
    """A node ran longer than the timeout its graph gives it; the run stops, resumable from before the step."""


class ToolApprovalPending(FlowgenError):
    """A tool call waits for a person's approval: a team stops, interrupted, and resumes with the answer."""

    def __init__(self, agent: str, call: str, reason: str = "") -> None:
        self.agent, self.call, self.reason = agent, call, reason
        why = f" ({reason})" if reason else ""
        super().__init__(f"Interrupted: {agent!r} waits for approval to call {call}{why}.")


class RequestError(FlowgenError):
    """An HTTP request the server refuses: ``status`` (a 4xx), a stable ``code`` and a message saying the fix."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status, self.code = status, code
        super().__init__(message)


# --- flowgen serve: rate limits -----------------------------------------------------------------


class RateLimitedError(RequestError):
    """A key sent more requests than its rate limit allows: a 429 whose ``Retry-After`` is ``.retry_after``."""

    def __init__(self, retry_after: int, message: str) -> None:
        self.retry_after = retry_after
        super().__init__(429, "rate_limited", message)


# --- flowgen.client ----------------------------------------------------------------------------


class ServerReplyError(FlowgenError):
    """A ``flowgen serve`` server refused a client's request (:mod:`flowgen.client`).

    Keeps what the server said: ``status`` (the HTTP status), ``code`` (its stable error code, e.g.
    ``thread_busy``), ``message`` (what is wrong and what to do) and ``retry_after`` (seconds, from a
    429's ``Retry-After``; None otherwise).
    """

    def __init__(self, status: int, code: str, message: str, retry_after: float | None = None) -> None:
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after
        super().__init__(f"{status} {code}: {message}")


class ServerUnreachableError(FlowgenError, ConnectionError):
    """No ``flowgen serve`` server answered at the client's base URL; the transport error is the cause."""


# The run pool on a cluster (flowgen.distributed.RunPool)


class RunLostError(FlowgenError, RuntimeError):
    """A pool run lost its worker more often than allowed, or no worker is left; its thread stays resumable."""

    def __init__(self, message: str, *, thread_id: str = "", attempts: int = 0) -> None:
        super().__init__(message)
        self.thread_id, self.attempts = thread_id, attempts


# The direct link between a RayAgentRuntime and its host actors (flowgen.distributed.link)


class FrameError(FlowgenError, ValueError):
    """A frame read from a direct link failed validation; the connection it came on is closed."""


class LinkLostError(FlowgenError, ConnectionError):
    """A direct link to a host actor broke; calls in flight on it fail as AgentUnavailableError."""


# Agents' kept state in a store (flowgen.distributed.agent_state_store)


class AgentStateError(FlowgenError, ValueError):
    """An agent's kept state could not be saved or loaded; the message names the agent and the store.

    A stored row failing validation (not a JSON object, saved by another agent, too big), a state too
    big to keep, or a store that cannot be opened. Never quotes a password.
    """


# TLS on the direct link (flowgen.distributed.link_tls)


class LinkTlsError(ConfigurationError):
    """TLS is on for the direct link (``RAY_USE_TLS``) but cannot be set up: a variable unset, a file
    unreadable or not a usable certificate or key. Names the variable and the path, never content."""
