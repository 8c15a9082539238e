"""Spans leave the process over OTLP/HTTP: the real exporter posts protobuf to a receiver on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

import flowgen.telemetry as telemetry
from flowgen.agents import AssistantAgent
from flowgen.models import ReplayChatCompletionClient
from flowgen.teams import RoundRobinGroupChat


class Receiver(ThreadingHTTPServer):
    """A minimal OTLP/HTTP trace receiver: keeps every ExportTraceServiceRequest it is sent."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[ExportTraceServiceRequest] = []
        self.paths: list[str] = []
        self.received = threading.Event()


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        self.server.requests.append(request)
        self.server.paths.append(self.path)
        reply = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)
        self.server.received.set()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def test_a_run_arrives_at_an_otlp_http_receiver(receiver: Receiver) -> None:
    endpoint = f"http://127.0.0.1:{receiver.server_address[1]}/v1/traces"
    provider = TracerProvider(resource=Resource.create({"service.name": "flowgen-test"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    telemetry.instrument(tracer_provider=provider, prometheus=False)
    agent = AssistantAgent("poet", ReplayChatCompletionClient(["a haiku"]))
    await RoundRobinGroupChat([agent], max_turns=1, name="poets").run(task="write")
    assert provider.force_flush(10_000)
    provider.shutdown()
    assert receiver.paths and set(receiver.paths) == {"/v1/traces"}
    spans = [
        span
        for request in receiver.requests
        for resource_spans in request.resource_spans
        for scope_spans in resource_spans.scope_spans
        for span in scope_spans.spans
    ]
    assert sorted(s.name for s in spans) == ["chat", "invoke_agent poet", "invoke_workflow poets"]
    service = {
        a.key: a.value.string_value for a in receiver.requests[0].resource_spans[0].resource.attributes
    }
    assert service["service.name"] == "flowgen-test"
    team = next(s for s in spans if s.name == "invoke_workflow poets")
    attributes = {a.key: a.value.string_value for a in team.attributes}
    assert attributes["gen_ai.operation.name"] == "invoke_workflow"
    turn = next(s for s in spans if s.name == "invoke_agent poet")
    assert turn.parent_span_id == team.span_id and turn.trace_id == team.trace_id


def test_the_readme_example_sends_its_run_to_an_otlp_collector(receiver: Receiver) -> None:
    import re
    import subprocess
    import sys
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Observability") :]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None, "the observability section has no python example"
    url = f"http://127.0.0.1:{receiver.server_address[1]}"
    code = match.group(1).replace("http://localhost:4318", url)
    assert url in code
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    names = sorted(
        span.name
        for request in receiver.requests
        for resource_spans in request.resource_spans
        for scope_spans in resource_spans.scope_spans
        for span in scope_spans.spans
    )
    assert names == ["chat", "invoke_agent poet", "invoke_workflow poets"]
