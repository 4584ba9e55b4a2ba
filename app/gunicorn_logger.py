"""gunicorn logger that writes its error log and access log as JSON lines on stdout.

Used through ``logger_class`` in `app.gunicorn_conf`. An access line looks like::

    {"time": "...", "level": "INFO", "logger": "gunicorn.access", "message": "GET / 200",
     "service": "flask-app", "request_id": "4f0c...", "method": "GET", "path": "/",
     "status": 200, "bytes": 64, "duration_ms": 1.2, "remote_addr": "10.0.1.7",
     "forwarded_for": "203.0.113.9", "user_agent": "ELB-HealthChecker/2.0"}

The query string, request headers other than the user agent and X-Forwarded-For,
and the body are never logged, so tokens in them do not reach the logs.
"""

from __future__ import annotations

import datetime
import traceback
from typing import Any

from gunicorn import glogging  # type: ignore[import-untyped]

from app.jsonlog import JsonFormatter
from app.settings import load_settings


class JsonGunicornLogger(glogging.Logger):  # type: ignore[misc]
    """gunicorn's Logger with JSON formatters and a structured access line."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        service = load_settings().app_name
        for handler in [*self.error_log.handlers, *self.access_log.handlers]:
            handler.setFormatter(JsonFormatter(service=service))

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: datetime.timedelta) -> None:
        if not self.access_log_enabled:
            return
        try:
            status = resp.status
            if isinstance(status, str):
                status = status.split(None, 1)[0]
            status_code = int(status)
            headers = {str(k).lower(): str(v) for k, v in (resp.headers or [])}
            method = environ.get("REQUEST_METHOD", "-")
            path = environ.get("PATH_INFO", "-")
            fields = {
                "method": method,
                "path": path,
                "status": status_code,
                "bytes": getattr(resp, "sent", None),
                "duration_ms": round(request_time.total_seconds() * 1000, 3),
                "remote_addr": environ.get("REMOTE_ADDR"),
                "forwarded_for": environ.get("HTTP_X_FORWARDED_FOR"),
                "user_agent": environ.get("HTTP_USER_AGENT"),
                "protocol": environ.get("SERVER_PROTOCOL"),
            }
            self.access_log.info(
                "%s %s %s",
                method,
                path,
                status_code,
                extra={"fields": fields, "request_id": headers.get("x-request-id")},
            )
        except Exception:  # like gunicorn: a bad log line must not fail the request
            self.error(traceback.format_exc())
