"""One JSON object per log line, on stdout, for CloudWatch Logs (and Logs Insights).

Smallest example::

    import logging, sys
    from app.jsonlog import JsonFormatter
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service="flask-app"))
    logging.getLogger("app").addHandler(handler)
    logging.getLogger("app").warning("bad input", extra={"fields": {"field": "numbers"}})
    # {"time": "...", "level": "WARNING", "logger": "app", "message": "bad input",
    #  "service": "flask-app", "field": "numbers"}

`configure_json_logging` sets a logger up this way (the web app, the worker and the job all
use it). Structured fields travel in ``extra={"fields": {...}}``; the request id in
``extra={"request_id": ...}`` or from a filter (see `app.factory`). Any field
whose name looks like a credential is replaced by ``"[REDACTED]"``, as a last
guard: the app itself logs no headers, query strings or bodies.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Iterable
from typing import Any

REDACTED = "[REDACTED]"
_SECRET_KEY_RE = re.compile(
    r"(pass(word|wd)?|secret|token|authorization|cookie|api[-_]?key|credential|private[-_]?key)",
    re.IGNORECASE,
)


def redact(fields: dict[str, Any]) -> dict[str, Any]:
    """Copy of ``fields`` with credential-like keys (at any depth) replaced by REDACTED."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if _SECRET_KEY_RE.search(str(key)):
            out[key] = REDACTED
        elif isinstance(value, dict):
            out[key] = redact(value)
        else:
            out[key] = value
    return out


class JsonFormatter(logging.Formatter):
    """Formats a record as a single-line JSON object with a UTC ISO-8601 time."""

    def __init__(self, service: str | None = None) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        doc: dict[str, Any] = {
            "time": f"{ts}.{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if self.service:
            doc["service"] = self.service
        request_id = getattr(record, "request_id", None)
        if request_id:
            doc["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            for key, value in redact(fields).items():
                doc.setdefault(key, value)
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            doc["stack"] = self.formatStack(record.stack_info)
        return json.dumps(doc, default=str, separators=(",", ":"))


class StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A StreamHandler that always writes to the current ``sys.stdout``.

    Looking the stream up on each record (instead of binding it once) keeps the
    logs going to stdout when something swaps ``sys.stdout`` after start-up.
    """

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, value: Any) -> None:  # the base class assigns it; ignored
        pass


def configure_json_logging(
    logger: logging.Logger, *, service: str, level: str, filters: Iterable[logging.Filter] = ()
) -> None:
    """Send ``logger`` (and its children) to stdout as JSON lines; safe to call more than once.

    The handler an earlier call added is replaced, so the logger never writes a line twice.
    """
    for handler in list(logger.handlers):
        if getattr(handler, "_app_json", False):
            logger.removeHandler(handler)
    handler = StdoutHandler()
    handler.setFormatter(JsonFormatter(service=service))
    for log_filter in filters:
        handler.addFilter(log_filter)
    handler._app_json = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
