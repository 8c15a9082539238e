"""A GraphFlow that writes code until it passes its tests: a writer, and a tester that runs the code.

Run it: ``flowgen run graphs/code_writing.py --task "Write slugify(text) with tests"``.
Offline, the writer's first ``slugify`` keeps punctuation, so a test fails; the tester (a
CodeExecutorAgent running the block in the bubblewrap sandbox) reports the failure, the loop goes
back to the writer, whose second version passes; on the tester's ``ALL TESTS PASSED`` the reporter
sums up and the graph ends.
The code runs in SandboxedCodeExecutor: no network, no host files, no secrets, resource limits.
"""

from __future__ import annotations

from flowgen.agents import AssistantAgent, CodeExecutorAgent
from flowgen.code_executors import default_code_executor
from flowgen.conditions import MaxMessageTermination
from flowgen.messages import BaseChatMessage
from flowgen.models import ChatCompletionClient
from flowgen.teams import DiGraphBuilder, GraphFlow
from graphs.offline import scripted

TASK = "Write slugify(text): lower-case words joined by '-', punctuation dropped. Include tests."

_TESTS = """
def check(text, expected):
    got = slugify(text)
    if got != expected:
        print(f"FAILED: slugify({text!r}) == {got!r}, expected {expected!r}")
        return False
    return True

results = [
    check("Hello World", "hello-world"),
    check("  Many   spaces ", "many-spaces"),
    check("Rock & Roll!", "rock-roll"),
]
if all(results):
    print("ALL TESTS PASSED")
else:
    raise SystemExit(1)
"""

FIRST_DRAFT = f"""Here is a first version:

```python
def slugify(text):
    return "-".join(text.lower().split())
{_TESTS}```"""

FIXED = f"""The punctuation stays in; I now keep only letters and digits:

```python
import re

def slugify(text):
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))
{_TESTS}```"""


def build(model_client: ChatCompletionClient | None = None, max_turns: int | None = None) -> GraphFlow:
    """The loop; the writer on ``model_client``, or on its offline script when None."""
    writer = AssistantAgent(
        "writer",
        model_client=model_client or scripted(FIRST_DRAFT, FIXED),
        description="Writes Python code with tests, and fixes it when the tests fail.",
        system_message=(
            "You write Python for the task in one ```python block that defines the code and runs its tests, "
            "printing ALL TESTS PASSED when they pass. When you see failures, send the whole fixed block."
        ),
    )
    tester = CodeExecutorAgent(
        "tester",
        default_code_executor(timeout=30),
        description="Runs the writer's Python in the sandbox and replies with its output.",
        sources=["writer"],
        supported_languages=["python"],
    )
    reporter = AssistantAgent(
        "reporter",
        model_client=model_client or scripted("slugify passes its three tests after one fix. DONE"),
        description="Reports the finished code.",
        system_message="The code passes its tests. Say in one line what was built, then DONE.",
    )
    builder = DiGraphBuilder()
    builder.add_node(writer).add_node(tester).add_node(reporter)
    builder.add_edge(writer, tester)
    # Any other outcome (a failed test, a crash, no code at all) goes back to the writer.
    builder.add_edge(tester, writer, condition=_not_passed)
    builder.add_edge(tester, reporter, condition=PASSED)
    builder.set_entry_point(writer)
    return GraphFlow(
        builder.get_participants(),
        builder.build(),
        termination_condition=MaxMessageTermination(16),
        max_turns=max_turns,
        name="code_writing",
    )


PASSED = "ALL TESTS PASSED"


def _not_passed(message: BaseChatMessage) -> bool:
    return PASSED not in message.to_text()
