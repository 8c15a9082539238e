"""The client's SSE decoder: ids, kinds, JSON data, heartbeats skipped, multi-line and non-JSON data kept."""

from __future__ import annotations

import doctest

import flowgen.client.calls
import flowgen.client.sse
from flowgen.client.sse import SseDecoder, StreamEvent


def decode(text: str) -> list[StreamEvent]:
    decoder = SseDecoder()
    return [e for e in map(decoder.feed, text.split("\n")) if e is not None]


def test_events_with_ids_kinds_and_json() -> None:
    text = 'id: 1\nevent: metadata\ndata: {"run_id": "r"}\n\n: ping\n\nid: 2\nevent: end\ndata: {"status": "success"}\n\n'
    assert decode(text) == [
        StreamEvent(1, "metadata", {"run_id": "r"}),
        StreamEvent(2, "end", {"status": "success"}),
    ]


def test_heartbeats_alone_are_no_events() -> None:
    assert decode(": ping\n\n: ping\n\n") == []


def test_multi_line_and_non_json_data_and_the_default_kind() -> None:
    assert decode("data: first\ndata: second\n\nid: x\ndata:[1]\n\n") == [
        StreamEvent(None, "message", "first\nsecond"),
        StreamEvent(None, "message", [1]),
    ]


def test_the_modules_examples_run() -> None:
    for module in (flowgen.client.sse, flowgen.client.calls):
        assert doctest.testmod(module).failed == 0


def test_importing_the_client_package_loads_no_httpx() -> None:
    import subprocess
    import sys

    probe = "import sys, flowgen.client; print('httpx' in sys.modules); flowgen.client.Client; print('httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
