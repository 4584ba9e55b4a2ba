"""The Flask application factory: endpoints, JSON errors, request ids and JSON logs.

Smallest example::

    from app import create_app
    client = create_app().test_client()
    client.get("/health").get_json()  # {"status": "ok"}

Endpoints:

- ``GET /``: service name, version and environment (from APP_NAME, APP_VERSION, APP_ENV);
- ``GET /health``: liveness, no I/O;
- ``GET /ready``: readiness, checks the temporary directory is writable;
- ``POST /api/echo``: returns the JSON object it was sent;
- ``POST /api/sum``: ``{"numbers": [1, 2.5]}`` -> ``{"sum": 3.5, "count": 2}``;
- ``POST /api/jobs``: the same body, summed later by the worker (`app.worker`): queues it on
  QUEUE_URL and answers 202 ``{"status": "queued", "kind": "sum", "message_id": ...,
  "request_id": ...}``; 503 when QUEUE_URL is unset or the queue does not take the job.

Every error is JSON: ``{"error": {"status": 404, "name": "Not Found", "message": ...},
"request_id": ...}``. A body that is not valid JSON is a 400, never a 500 (NaN and Infinity
are not JSON).

Traces: with a collector in the task (``OTEL_EXPORTER_OTLP_ENDPOINT``) and the OpenTelemetry SDK
installed, each request is a span (`app.telemetry`); otherwise tracing is off.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from typing import Any

from flask import Flask, Response, has_request_context, jsonify, request
from werkzeug.exceptions import BadRequest, HTTPException, ServiceUnavailable

from app.jsonlog import configure_json_logging
from app.queue import QueueError, WorkQueue
from app.settings import (
    HEALTH_PATH,
    MAX_CONTENT_LENGTH_BYTES,
    QUEUE_URL_VARIABLE,
    READY_PATH,
    Settings,
    load_settings,
)
from app.tasks import InvalidInput, InvalidJson, check_sum, json_type, parse_json, run_sum
from app.telemetry import instrument_flask, setup_tracing

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_ENVIRON_KEY = "app.request_id"
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,128}$")
#: Seconds a client is asked to wait (Retry-After) when the queue does not take a job.
QUEUE_RETRY_AFTER_SECONDS = 5

log = logging.getLogger("app")


class _RequestIdFilter(logging.Filter):
    """Adds the current request's id to every record logged inside a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id()
        return True


def configure_logging(settings: Settings) -> None:
    """Send the ``app`` logger to stdout as JSON, with request ids; safe to call more than once."""
    configure_json_logging(log, service=settings.app_name, level=settings.log_level, filters=[_RequestIdFilter()])


class RequestIdMiddleware:
    """WSGI middleware: a request id for every request, echoed in X-Request-ID.

    Keeps a well-formed incoming ``X-Request-ID`` (8-128 of ``[A-Za-z0-9._-]``, so
    a caller's or the load balancer's trace id carries through), else makes a
    random 32-hex-digit one. Stores it in ``environ["app.request_id"]`` and adds
    it, plus ``Cache-Control: no-store`` and ``X-Content-Type-Options: nosniff``
    unless the response set them, to every response, errors included. Done in
    WSGI rather than Flask hooks because it runs on every request: this is the
    cheaper path (see bench/app_bench.py).
    """

    STATIC_HEADERS = (("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff"))

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        rid = environ.get("HTTP_X_REQUEST_ID", "")
        if not _REQUEST_ID_RE.fullmatch(rid):
            rid = os.urandom(16).hex()
        environ[REQUEST_ID_ENVIRON_KEY] = rid

        def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            present = {name.lower() for name, _ in headers}
            headers.append((REQUEST_ID_HEADER, rid))
            for name, value in self.STATIC_HEADERS:
                if name.lower() not in present:
                    headers.append((name, value))
            if exc_info is None:
                return start_response(status, headers)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, _start_response)


def current_request_id() -> str | None:
    """The id of the request being handled (None outside a request)."""
    if not has_request_context():
        return None
    rid = request.environ.get(REQUEST_ID_ENVIRON_KEY)
    return str(rid) if rid else None


def _error(status: int, name: str, message: str) -> tuple[Response, int]:
    body = {
        "error": {"status": status, "name": name, "message": message},
        "request_id": current_request_id(),
    }
    return jsonify(body), status


def _json_body() -> Any:
    """The request body parsed as JSON; a 400 BadRequest naming the problem when it is not."""
    # The body is parsed whatever its Content-Type (clients such as `curl -d`
    # send form-urlencoded by default): what matters is whether it is JSON.
    raw = request.get_data(cache=False)
    if not raw:
        raise BadRequest("request body is empty; expected a JSON object")
    try:
        return parse_json(raw)
    except InvalidJson as exc:
        log.warning("rejected request body", extra={"fields": {"reason": str(exc)}})
        raise BadRequest(f"request body is not valid JSON: {exc}") from None


def _json_object() -> dict[str, Any]:
    body = _json_body()
    if not isinstance(body, dict):
        raise BadRequest(f"request body is a JSON {json_type(body)}; expected a JSON object")
    return body


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app. ``settings`` defaults to `load_settings()` (validates the environment)."""
    cfg = settings if settings is not None else load_settings()
    configure_logging(cfg)

    app = Flask("app")
    app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH_BYTES
    app.config["SETTINGS"] = cfg
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.compact = True  # type: ignore[attr-defined]
    tracing = setup_tracing(service_name=cfg.app_name, service_version=cfg.app_version, environment=cfg.app_env)
    app.extensions["tracing"] = tracing
    instrument_flask(app, tracing)

    # The bodies of / and /health never change while the process runs: encode them once.
    index_body = json.dumps({"service": cfg.app_name, "version": cfg.app_version, "environment": cfg.app_env},
                            separators=(",", ":")).encode()
    health_body = b'{"status":"ok"}'

    @app.get("/")
    def index() -> Response:
        return Response(index_body, mimetype="application/json")

    @app.get(HEALTH_PATH)
    def health() -> Response:
        return Response(health_body, mimetype="application/json")

    @app.get(READY_PATH)
    def ready() -> tuple[Response, int]:
        checks = {"tmp_writable": _tmp_writable(cfg.tmp_dir)}
        ok = all(checks.values())
        if not ok:
            log.warning("not ready", extra={"fields": {"checks": checks}})
        return jsonify(status="ready" if ok else "not_ready", checks=checks), 200 if ok else 503

    @app.post("/api/echo")
    def echo() -> Response:
        return jsonify(echo=_json_object())

    @app.post("/api/sum")
    def sum_numbers() -> Response:
        try:
            return jsonify(run_sum(_json_object()))
        except InvalidInput as exc:
            raise BadRequest(str(exc)) from None

    # One WorkQueue per app: its boto3 client is created on the first job and shared by every
    # request (and thread) of this process. Kept in app.extensions for tests and tools.
    work_queue = WorkQueue(cfg.queue_url, region=cfg.aws_region) if cfg.queue_url else None
    app.extensions["work_queue"] = work_queue

    @app.post("/api/jobs")
    def enqueue_job() -> tuple[Response, int]:
        if work_queue is None:
            raise ServiceUnavailable(f"the work queue is not configured: {QUEUE_URL_VARIABLE} is not set")
        try:
            numbers = check_sum(_json_object())
            rid = current_request_id()
            message_id = work_queue.send("sum", {"numbers": numbers}, request_id=rid)
        except InvalidInput as exc:
            raise BadRequest(str(exc)) from None
        except QueueError as exc:
            log.error("job not queued", extra={"fields": {"error": str(exc), "code": exc.code}})
            raise ServiceUnavailable(
                f"the work queue did not take the job ({exc.code}); try again later",
                retry_after=QUEUE_RETRY_AFTER_SECONDS,
            ) from None
        log.info("job queued", extra={"fields": {"kind": "sum", "message_id": message_id, "count": len(numbers)}})
        return jsonify(status="queued", kind="sum", message_id=message_id, request_id=rid), 202

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        message = exc.description or exc.name
        response, _ = _error(status, exc.name, message)
        for key, value in exc.get_headers():
            if key.lower() != "content-type":
                response.headers[key] = value
        response.status_code = status
        return response

    @app.errorhandler(Exception)
    def _unhandled(exc: Exception) -> tuple[Response, int]:
        log.error(
            "unhandled exception",
            exc_info=exc,
            extra={"fields": {"method": request.method, "path": request.path}},
        )
        return _error(500, "Internal Server Error", "the server failed to handle the request")

    app.wsgi_app = RequestIdMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    log.info("app created", extra={"fields": {"settings": cfg.public()}})
    return app


def _tmp_writable(directory: str) -> bool:
    try:
        with tempfile.TemporaryFile(dir=directory):
            return True
    except OSError:
        return False
