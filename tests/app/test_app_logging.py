"""The app logs one JSON object per line on stdout, with the request id and no secrets."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from flask.testing import FlaskClient

from app import create_app
from app.factory import REQUEST_ID_HEADER
from app.jsonlog import REDACTED, JsonFormatter, redact
from app.settings import Settings


def _lines(out: str) -> list[dict[str, Any]]:
    docs = []
    for line in out.splitlines():
        docs.append(json.loads(line))  # every line must be JSON
    return docs


def test_start_up_logs_the_settings_as_json(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    create_app(settings)
    docs = _lines(capsys.readouterr().out)
    created = [d for d in docs if d["message"] == "app created"]
    assert len(created) == 1
    assert created[0]["service"] == "orders-api"
    assert created[0]["settings"]["app_version"] == "abc1234"
    assert created[0]["level"] == "INFO"
    assert created[0]["time"].endswith("Z")


def test_bad_json_is_logged_with_the_request_id(client: FlaskClient, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    resp = client.post("/api/echo", data="{oops", content_type="application/json")
    docs = _lines(capsys.readouterr().out)
    assert [d["message"] for d in docs] == ["rejected request body"]
    assert docs[0]["level"] == "WARNING"
    assert docs[0]["request_id"] == resp.headers[REQUEST_ID_HEADER]
    assert "line 1 column 2" in docs[0]["reason"]


def test_unhandled_exception_is_logged_with_request_id_and_traceback(
    client: FlaskClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    resp = client.get("/boom", headers={REQUEST_ID_HEADER: "req-boom-000001"})
    docs = _lines(capsys.readouterr().out)
    errors = [d for d in docs if d["level"] == "ERROR"]
    assert len(errors) == 1
    assert errors[0]["request_id"] == "req-boom-000001" == resp.headers[REQUEST_ID_HEADER]
    assert errors[0]["path"] == "/boom"
    assert "RuntimeError" in errors[0]["exception"]


def test_credentials_in_requests_and_environment_never_reach_the_logs(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_PASSWORD", "env-secret-value-1")
    client = create_app(settings).test_client()
    client.get("/?token=query-secret-2", headers={"Authorization": "Bearer header-secret-3",
                                                  "Cookie": "session=cookie-secret-4"})
    client.post("/api/echo?api_key=query-secret-5", data='{"password": "body-secret-6"',
                content_type="application/json")
    client.post("/api/echo", json={"password": "body-secret-7"})
    out = capsys.readouterr().out
    assert out.strip(), "expected some log output"
    _lines(out)
    for secret in ("env-secret-value-1", "query-secret-2", "header-secret-3", "cookie-secret-4",
                   "query-secret-5", "body-secret-6", "body-secret-7"):
        assert secret not in out


def test_log_level_filters_lower_records(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    quiet = Settings(**{**settings.public(), "log_level": "ERROR"})  # type: ignore[arg-type]
    client = create_app(quiet).test_client()
    client.post("/api/echo", data="{", content_type="application/json")
    assert capsys.readouterr().out == ""


def test_formatter_redacts_credential_like_fields() -> None:
    record = logging.LogRecord("app", logging.INFO, __file__, 1, "login", None, None)
    record.fields = {"user": "ann", "password": "p1", "nested": {"api_key": "k1", "ok": 1}, "Authorization": "b"}
    record.request_id = "rid-1"
    doc = json.loads(JsonFormatter(service="svc").format(record))
    assert doc["user"] == "ann"
    assert doc["password"] == REDACTED
    assert doc["nested"] == {"api_key": REDACTED, "ok": 1}
    assert doc["Authorization"] == REDACTED
    assert doc["request_id"] == "rid-1"
    assert doc["service"] == "svc"


def test_fields_cannot_overwrite_the_core_keys() -> None:
    record = logging.LogRecord("app", logging.WARNING, __file__, 1, "real message", None, None)
    record.fields = {"message": "forged", "level": "DEBUG"}
    doc = json.loads(JsonFormatter().format(record))
    assert doc["message"] == "real message"
    assert doc["level"] == "WARNING"


def test_redact_keeps_other_values() -> None:
    assert redact({"path": "/", "secret_name": "x", "count": 2}) == {"path": "/", "secret_name": REDACTED, "count": 2}
