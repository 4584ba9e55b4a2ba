"""Traces through OpenTelemetry, when the task has a collector to send them to.

Smallest example::

    from app.telemetry import instrument_flask, setup_tracing
    tracing = setup_tracing(service_name="flask-app", service_version="0a1b2c3", environment="prod")
    instrument_flask(app, tracing)          # one SERVER span per request
    with tracing.message_span("9f1c...", receive_count=1) as span:   # one CONSUMER span per message
        span.outcome(ok=True)
    tracing.shutdown()                      # exports what is still buffered

Tracing is on when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (the task definition sets it, with
``OTEL_SERVICE_NAME``, when the task has a collector sidecar that receives OTLP/HTTP) AND the
OpenTelemetry SDK and its OTLP/HTTP exporter import (``opentelemetry-sdk``,
``opentelemetry-exporter-otlp-proto-http``). Spans then go in batches to
``<endpoint>/v1/traces``, with the resource ``service.name`` (``OTEL_SERVICE_NAME``, else the app
name), ``service.version`` and ``deployment.environment``. Otherwise every call here is a no-op,
and one log line says why tracing is off; a collector that is down never fails a request (the
exporter drops what it cannot send).

Spans:

* a request: ``<METHOD> <route>``, kind SERVER, with ``http.method``, ``http.route`` (when a route
  matched), ``http.status_code`` and ``app.request_id``; status ERROR on a 5xx or an exception. A
  W3C ``traceparent`` header of the caller makes it a child of the caller's span;
* a queue message: ``sqs process``, kind CONSUMER, with ``messaging.system=aws_sqs``,
  ``messaging.operation=process``, ``messaging.message.id``, ``app.receive_count`` and
  ``app.outcome`` (``done`` or ``failed``; status ERROR when failed).

The hooks are plain Flask ``before_request``/``after_request``/``teardown_request`` functions (no
contrib instrumentation package); with tracing off none is registered, so requests pay nothing.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask, Response

ENDPOINT_VARIABLE = "OTEL_EXPORTER_OTLP_ENDPOINT"
SERVICE_NAME_VARIABLE = "OTEL_SERVICE_NAME"
#: Path of the traces endpoint of an OTLP/HTTP receiver, below ``OTEL_EXPORTER_OTLP_ENDPOINT``.
TRACES_PATH = "/v1/traces"
#: The packages tracing needs in the image (requirements-app.in).
PACKAGES = ("opentelemetry-sdk", "opentelemetry-exporter-otlp-proto-http")

_ENDPOINT_RE = re.compile(r"^https?://[A-Za-z0-9.\[\]:-]+(/[^\s]*)?$")

log = logging.getLogger("app.telemetry")


class _NoSpan:
    """What a span context manager yields when tracing is off."""

    def set_attribute(self, key: str, value: Any) -> None:
        pass

    def outcome(self, *, ok: bool, reason: str = "") -> None:
        pass


@dataclass
class MessageSpan:
    """The span of one queue message (see module docstring)."""

    span: Any

    def set_attribute(self, key: str, value: Any) -> None:
        self.span.set_attribute(key, value)

    def outcome(self, *, ok: bool, reason: str = "") -> None:
        """Record whether the message was done (deleted) or failed (left in the queue)."""
        from opentelemetry.trace import Status, StatusCode

        self.span.set_attribute("app.outcome", "done" if ok else "failed")
        if not ok:
            self.span.set_status(Status(StatusCode.ERROR, reason or "task failed"))


@dataclass
class Tracing:
    """Tracing of one process: on with a tracer provider, or off with the reason (``setup_tracing``)."""

    enabled: bool
    reason: str
    """Why tracing is off, or where spans go when it is on."""
    provider: Any = None
    tracer: Any = field(default=None, repr=False)

    @contextmanager
    def message_span(self, message_id: str, *, receive_count: int) -> Iterator[MessageSpan | _NoSpan]:
        """A CONSUMER span around the handling of one queue message."""
        if not self.enabled:
            yield _NoSpan()
            return
        from opentelemetry.trace import SpanKind

        attributes = {
            "messaging.system": "aws_sqs",
            "messaging.operation": "process",
            "messaging.message.id": message_id,
            "app.receive_count": receive_count,
        }
        with self.tracer.start_as_current_span("sqs process", kind=SpanKind.CONSUMER, attributes=attributes) as span:
            yield MessageSpan(span)

    def flush(self, timeout_millis: int = 5000) -> bool:
        """Export the spans still buffered; True when done in time (or when tracing is off)."""
        return bool(self.provider.force_flush(timeout_millis)) if self.enabled else True

    def shutdown(self) -> None:
        """Export what is buffered and stop the exporter (at process exit)."""
        if self.enabled:
            self.provider.shutdown()


#: Tracing off, for code built without `setup_tracing` (tests, tools).
TRACING_OFF = Tracing(enabled=False, reason="not set up")


def _off(reason: str) -> Tracing:
    log.info("tracing off", extra={"fields": {"reason": reason}})
    return Tracing(enabled=False, reason=reason)


def setup_tracing(
    *,
    service_name: str,
    service_version: str,
    environment: str,
    environ: Mapping[str, str] | None = None,
    exporter: Any = None,
) -> Tracing:
    """Tracing for this process (see module docstring); logs one line saying whether it is on, and why not.

    ``environ`` defaults to ``os.environ``. ``exporter`` replaces the OTLP/HTTP exporter (tests use the
    SDK's in-memory exporter); with it, ``OTEL_EXPORTER_OTLP_ENDPOINT`` is not needed.
    """
    env = os.environ if environ is None else environ
    endpoint = env.get(ENDPOINT_VARIABLE, "").strip()
    if exporter is None and not endpoint:
        return _off("%s is not set (the task has no collector sidecar)" % ENDPOINT_VARIABLE)
    if endpoint and not _ENDPOINT_RE.match(endpoint):
        return _off("%s=%r is not valid; allowed: an http(s) URL such as http://localhost:4318" % (ENDPOINT_VARIABLE, endpoint))
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        if exporter is None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + TRACES_PATH)
    except ImportError as exc:
        return _off("the OpenTelemetry packages are not installed (%s): %s" % (", ".join(PACKAGES), exc))
    name = env.get(SERVICE_NAME_VARIABLE, "").strip() or service_name
    resource = Resource.create(
        {"service.name": name, "service.version": service_version, "deployment.environment": environment}
    )
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    where = endpoint.rstrip("/") + TRACES_PATH if endpoint else type(exporter).__name__
    log.info("tracing on", extra={"fields": {"service_name": name, "exporter": where}})
    return Tracing(enabled=True, reason="spans go to %s" % where, provider=provider, tracer=provider.get_tracer("app"))


def instrument_flask(app: Flask, tracing: Tracing) -> None:
    """One SERVER span per request of ``app`` (see module docstring); nothing when tracing is off."""
    if not tracing.enabled:
        return
    from flask import g, request
    from opentelemetry import context, propagate, trace
    from opentelemetry.trace import SpanKind, Status, StatusCode

    from app.factory import REQUEST_ID_ENVIRON_KEY

    tracer = tracing.tracer

    @app.before_request
    def _start_span() -> None:
        route = request.url_rule.rule if request.url_rule is not None else None
        attributes: dict[str, Any] = {"http.method": request.method}
        if route is not None:
            attributes["http.route"] = route
        request_id = request.environ.get(REQUEST_ID_ENVIRON_KEY)
        if request_id:
            attributes["app.request_id"] = str(request_id)
        name = "%s %s" % (request.method, route) if route is not None else request.method
        span = tracer.start_span(
            name, context=propagate.extract(request.headers), kind=SpanKind.SERVER, attributes=attributes
        )
        g.otel_span = span
        g.otel_token = context.attach(trace.set_span_in_context(span))

    @app.after_request
    def _record_status(response: Response) -> Response:
        span = g.get("otel_span")
        if span is not None:
            span.set_attribute("http.status_code", response.status_code)
            if response.status_code >= 500:
                span.set_status(Status(StatusCode.ERROR))
        return response

    @app.teardown_request
    def _end_span(exc: BaseException | None) -> None:
        span = g.pop("otel_span", None)
        token = g.pop("otel_token", None)
        if span is None:
            return
        if exc is not None:
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
        span.end()
        if token is not None:
            context.detach(token)
