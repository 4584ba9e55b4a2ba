"""Tracing (app/telemetry.py): a no-op without a collector endpoint or without the SDK, and with both,
spans with the right names and attributes for requests and queue messages.

The tests that need the OpenTelemetry SDK skip, naming the package, where it is not installed.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from flask import Flask

from app import create_app, factory
from app.factory import REQUEST_ID_HEADER
from app.queue import Received
from app.settings import Settings
from app.telemetry import TRACING_OFF, Tracing, instrument_flask, setup_tracing
from app.worker import Worker

ENDPOINT = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318"}
MISSING = "%s is not installed in this venv (requirements-dev.txt has it: `make venv` installs it)"
OTEL_MODULES = ("opentelemetry", "opentelemetry.sdk", "opentelemetry.sdk.trace", "opentelemetry.sdk.resources",
                "opentelemetry.sdk.trace.export", "opentelemetry.exporter",
                "opentelemetry.exporter.otlp.proto.http.trace_exporter")  # fmt: skip


def _lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def _setup(**kwargs: Any) -> Tracing:
    return setup_tracing(service_name="orders-api", service_version="abc1234", environment="staging", **kwargs)


@pytest.fixture
def sdk_absent(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK as if not installed: importing any of its modules raises ImportError."""
    for name in OTEL_MODULES:
        monkeypatch.setitem(sys.modules, name, None)


# ---- off ------------------------------------------------------------------------------------------


def test_without_an_endpoint_tracing_is_off_and_says_why(json_logs: None, capsys: pytest.CaptureFixture[str]) -> None:
    tracing = _setup(environ={})
    assert not tracing.enabled
    assert "OTEL_EXPORTER_OTLP_ENDPOINT is not set" in tracing.reason
    (line,) = _lines(capsys.readouterr().out)
    assert line["message"] == "tracing off" and "OTEL_EXPORTER_OTLP_ENDPOINT is not set" in line["reason"]


def test_a_bad_endpoint_turns_tracing_off_naming_the_variable_value_and_allowed(json_logs: None) -> None:
    tracing = _setup(environ={"OTEL_EXPORTER_OTLP_ENDPOINT": "localhost:4318"})
    assert not tracing.enabled
    assert tracing.reason == (
        "OTEL_EXPORTER_OTLP_ENDPOINT='localhost:4318' is not valid; allowed: an http(s) URL such as http://localhost:4318"
    )


def test_without_the_sdk_tracing_is_off_and_says_why(
    sdk_absent: None, json_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    tracing = _setup(environ=ENDPOINT)
    assert not tracing.enabled
    assert tracing.reason.startswith(
        "the OpenTelemetry packages are not installed (opentelemetry-sdk, opentelemetry-exporter-otlp-proto-http)"
    )
    (line,) = _lines(capsys.readouterr().out)
    assert line["message"] == "tracing off" and "opentelemetry-sdk" in line["reason"]
    assert tracing.flush() is True
    tracing.shutdown()  # nothing to shut down
    with tracing.message_span("m-1", receive_count=1) as span:
        span.set_attribute("ignored", 1)
        span.outcome(ok=False, reason="ignored")


def test_without_the_sdk_the_app_serves_with_no_hooks(
    sdk_absent: None, monkeypatch: pytest.MonkeyPatch, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:4318")
    app = create_app(settings)
    assert app.extensions["tracing"].enabled is False
    assert not app.before_request_funcs and not app.after_request_funcs and not app.teardown_request_funcs
    assert app.test_client().get("/").status_code == 200
    messages = [d["message"] for d in _lines(capsys.readouterr().out)]
    assert messages.count("tracing off") == 1


def test_the_worker_handles_messages_with_tracing_off() -> None:
    queue = FakeQueue([_message("m-1", {"kind": "sum", "request_id": "r-1", "payload": {"numbers": [1, 2]}})])
    worker = Worker(queue, tracing=TRACING_OFF)  # type: ignore[arg-type]
    result = worker.poll_once()
    assert (result.done, result.failed, queue.deleted) == (1, 0, ["h-m-1"])


# ---- on: spans, with the SDK's in-memory exporter ----------------------------------------------


@pytest.fixture
def memory() -> Any:
    pytest.importorskip("opentelemetry.sdk", reason=MISSING % "opentelemetry-sdk")
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    return InMemorySpanExporter()


@pytest.fixture
def traced(memory: Any, json_logs: None) -> Iterator[Tracing]:
    tracing = _setup(environ={}, exporter=memory)
    assert tracing.enabled
    yield tracing
    tracing.shutdown()


@pytest.fixture
def traced_app(traced: Tracing, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The app as create_app builds it, with the in-memory tracing in place of the OTLP one."""
    monkeypatch.setattr(factory, "setup_tracing", lambda **_: traced)
    app = create_app(settings)

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("task failed")

    return app


def _spans(tracing: Tracing, memory: Any) -> list[Any]:
    assert tracing.flush()
    spans = list(memory.get_finished_spans())
    memory.clear()
    return spans


def test_a_request_is_a_server_span_with_method_route_status_and_request_id(
    traced: Tracing, traced_app: Flask, memory: Any
) -> None:
    from opentelemetry.trace import SpanKind, StatusCode

    response = traced_app.test_client().post("/api/sum", json={"numbers": [1, 2]})
    assert response.status_code == 200
    (span,) = _spans(traced, memory)
    assert span.name == "POST /api/sum"
    assert span.kind == SpanKind.SERVER
    assert dict(span.attributes) == {
        "http.method": "POST", "http.route": "/api/sum", "http.status_code": 200,
        "app.request_id": response.headers[REQUEST_ID_HEADER],
    }  # fmt: skip
    assert span.status.status_code == StatusCode.UNSET
    resource = dict(span.resource.attributes)
    assert (resource["service.name"], resource["service.version"], resource["deployment.environment"]) == (
        "orders-api", "abc1234", "staging")  # fmt: skip


def test_routes_are_templates_and_errors_set_the_status(traced: Tracing, traced_app: Flask, memory: Any) -> None:
    from opentelemetry.trace import StatusCode

    client = traced_app.test_client()
    assert client.post("/api/sum", data="{", content_type="application/json").status_code == 400
    assert client.get("/no-such-page").status_code == 404
    assert client.get("/boom").status_code == 500
    bad, missing, boom = _spans(traced, memory)
    assert (bad.attributes["http.status_code"], bad.status.status_code) == (400, StatusCode.UNSET)
    assert missing.name == "GET" and "http.route" not in missing.attributes
    assert missing.attributes["http.status_code"] == 404
    assert boom.name == "GET /boom" and boom.attributes["http.status_code"] == 500
    assert boom.status.status_code == StatusCode.ERROR


def test_a_callers_traceparent_makes_the_request_its_child(traced: Tracing, traced_app: Flask, memory: Any) -> None:
    trace_id, parent_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    traced_app.test_client().get("/health", headers={"traceparent": "00-%s-%s-01" % (trace_id, parent_id)})
    (span,) = _spans(traced, memory)
    assert format(span.context.trace_id, "032x") == trace_id
    assert format(span.parent.span_id, "016x") == parent_id


def test_each_queue_message_is_a_consumer_span_with_its_outcome(traced: Tracing, memory: Any) -> None:
    from opentelemetry.trace import SpanKind, StatusCode

    queue = FakeQueue([
        _message("m-1", {"kind": "sum", "request_id": "r-1", "payload": {"numbers": [1, 2]}}),
        _message("m-2", {"kind": "nope", "request_id": "r-2", "payload": {}}),
    ])  # fmt: skip
    result = Worker(queue, tracing=traced).poll_once()  # type: ignore[arg-type]
    assert (result.done, result.failed) == (1, 1)
    done, failed = _spans(traced, memory)
    assert done.name == failed.name == "sqs process"
    assert done.kind == SpanKind.CONSUMER
    assert dict(done.attributes) == {
        "messaging.system": "aws_sqs", "messaging.operation": "process", "messaging.message.id": "m-1",
        "app.receive_count": 1, "app.outcome": "done",
    }  # fmt: skip
    assert failed.attributes["app.outcome"] == "failed"
    assert failed.status.status_code == StatusCode.ERROR
    assert done.status.status_code == StatusCode.UNSET


def test_instrumenting_with_tracing_off_registers_nothing() -> None:
    app = Flask("plain")
    instrument_flask(app, TRACING_OFF)
    assert not app.before_request_funcs and not app.after_request_funcs and not app.teardown_request_funcs


# ---- on: the real OTLP/HTTP exporter, against a receiver on 127.0.0.1 ---------------------------


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, str, bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.received.append((self.path, self.headers.get("Content-Type", ""), body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[str, str, bytes]]]]:
    received: list[tuple[str, str, bytes]] = []
    handler = type("Handler", (_Receiver,), {"received": received})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield "http://127.0.0.1:%d" % server.server_address[1], received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_spans_reach_an_otlp_http_receiver_at_v1_traces(
    receiver: tuple[str, list[tuple[str, str, bytes]]], json_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("opentelemetry.exporter.otlp.proto.http", reason=MISSING % "opentelemetry-exporter-otlp-proto-http")
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    url, received = receiver
    tracing = _setup(environ={"OTEL_EXPORTER_OTLP_ENDPOINT": url + "/", "OTEL_SERVICE_NAME": "flask-app-prod-web"})
    assert tracing.enabled and tracing.reason == "spans go to %s/v1/traces" % url
    (line,) = _lines(capsys.readouterr().out)
    assert (line["message"], line["service_name"]) == ("tracing on", "flask-app-prod-web")
    with tracing.message_span("m-9", receive_count=2) as span:
        span.outcome(ok=True)
    tracing.shutdown()
    ((path, content_type, body),) = received
    assert (path, content_type) == ("/v1/traces", "application/x-protobuf")
    request = ExportTraceServiceRequest.FromString(body)
    (resource_spans,) = request.resource_spans
    resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert resource["service.name"] == "flask-app-prod-web"
    (exported,) = [s for scope in resource_spans.scope_spans for s in scope.spans]
    attributes = {a.key: a.value for a in exported.attributes}
    assert exported.name == "sqs process"
    assert attributes["messaging.message.id"].string_value == "m-9"
    assert attributes["app.outcome"].string_value == "done"


# ---- helpers ----------------------------------------------------------------------------------------


def _message(message_id: str, body: dict[str, Any]) -> Received:
    return Received(message_id=message_id, receipt_handle="h-" + message_id, body=json.dumps(body), receive_count=1)


class FakeQueue:
    """The three calls `Worker.poll_once` makes of a `WorkQueue`, in memory."""

    def __init__(self, messages: list[Received]) -> None:
        self.messages = messages
        self.deleted: list[str] = []

    def receive(self, *, wait_seconds: int, max_messages: int) -> list[Received]:
        batch, self.messages = self.messages[:max_messages], self.messages[max_messages:]
        return batch

    def delete(self, receipt_handle: str) -> None:
        self.deleted.append(receipt_handle)

    def release(self, receipt_handles: list[str]) -> None:
        pass
