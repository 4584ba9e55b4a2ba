"""Endpoints and JSON error bodies of the Flask app, through the Flask test client."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from app import create_app
from app.factory import REQUEST_ID_HEADER
from app.settings import HEALTH_PATH, MAX_CONTENT_LENGTH_BYTES, READY_PATH, Settings
from app.tasks import MAX_SUM_ITEMS


def _assert_error(resp, status: int, message_part: str) -> None:  # type: ignore[no-untyped-def]
    assert resp.status_code == status
    assert resp.mimetype == "application/json"
    body = resp.get_json()
    assert body["error"]["status"] == status
    assert message_part in body["error"]["message"]
    assert body["request_id"] == resp.headers[REQUEST_ID_HEADER]


def test_index_shows_service_version_and_environment(client: FlaskClient) -> None:
    resp = client.get("/")
    assert resp.status_code == 200
    assert resp.get_json() == {"service": "orders-api", "version": "abc1234", "environment": "staging"}


def test_index_reads_the_environment_when_no_settings_are_given(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("APP_NAME", "billing")
    monkeypatch.setenv("APP_VERSION", "9f8e7d6")
    monkeypatch.setenv("APP_ENV", "prod")
    body = create_app().test_client().get("/").get_json()
    assert body == {"service": "billing", "version": "9f8e7d6", "environment": "prod"}


def test_health_is_ok(client: FlaskClient) -> None:
    resp = client.get(HEALTH_PATH)
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok"}
    assert resp.headers["Cache-Control"] == "no-store"


def test_ready_checks_the_temporary_directory(client: FlaskClient) -> None:
    resp = client.get(READY_PATH)
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ready", "checks": {"tmp_writable": True}}


def test_ready_is_503_when_the_temporary_directory_is_not_writable(settings: Settings, tmp_path: Path) -> None:
    broken = Settings(**{**settings.public(), "tmp_dir": str(tmp_path / "missing")})  # type: ignore[arg-type]
    resp = create_app(broken).test_client().get(READY_PATH)
    assert resp.status_code == 503
    assert resp.get_json() == {"status": "not_ready", "checks": {"tmp_writable": False}}


def test_echo_returns_the_object(client: FlaskClient) -> None:
    resp = client.post("/api/echo", json={"a": 1, "b": ["x", None]})
    assert resp.status_code == 200
    assert resp.get_json() == {"echo": {"a": 1, "b": ["x", None]}}


def test_echo_accepts_json_sent_without_a_json_content_type(client: FlaskClient) -> None:
    resp = client.post("/api/echo", data='{"k": "v"}', content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 200
    assert resp.get_json() == {"echo": {"k": "v"}}


def test_sum_adds_numbers(client: FlaskClient) -> None:
    resp = client.post("/api/sum", json={"numbers": [1, 2.5, -3]})
    assert resp.status_code == 200
    assert resp.get_json() == {"sum": 0.5, "count": 3}


def test_sum_of_no_numbers_is_zero(client: FlaskClient) -> None:
    assert client.post("/api/sum", json={"numbers": []}).get_json() == {"sum": 0, "count": 0}


def test_bad_json_is_a_400_with_the_parser_message(client: FlaskClient) -> None:
    resp = client.post("/api/echo", data="{bad", content_type="application/json")
    _assert_error(resp, 400, "request body is not valid JSON: Expecting property name enclosed in double quotes at line 1 column 2")


def test_truncated_json_is_a_400(client: FlaskClient) -> None:
    _assert_error(client.post("/api/sum", data='{"numbers": [1,', content_type="application/json"),
                  400, "not valid JSON")


def test_non_utf8_body_is_a_400(client: FlaskClient) -> None:
    _assert_error(client.post("/api/echo", data=b"\xff\xfe{", content_type="application/json"),
                  400, "not UTF-8")


def test_empty_body_is_a_400(client: FlaskClient) -> None:
    _assert_error(client.post("/api/echo", content_type="application/json"), 400, "request body is empty")


def test_json_that_is_not_an_object_is_a_400(client: FlaskClient) -> None:
    _assert_error(client.post("/api/echo", json=[1, 2]), 400, "is a JSON list; expected a JSON object")


def test_sum_names_the_missing_field(client: FlaskClient) -> None:
    _assert_error(client.post("/api/sum", json={"values": [1]}), 400, "field 'numbers' is missing")


def test_sum_names_a_field_of_the_wrong_type(client: FlaskClient) -> None:
    _assert_error(client.post("/api/sum", json={"numbers": "1,2"}), 400, "field 'numbers' is a JSON str")


def test_sum_names_the_bad_item(client: FlaskClient) -> None:
    _assert_error(client.post("/api/sum", json={"numbers": [1, "2"]}), 400, "field 'numbers[1]'='2' is not a number")


def test_sum_rejects_booleans(client: FlaskClient) -> None:
    _assert_error(client.post("/api/sum", json={"numbers": [True]}), 400, "field 'numbers[0]'=True is not a number")


def test_sum_limits_the_item_count(client: FlaskClient) -> None:
    resp = client.post("/api/sum", json={"numbers": [1] * (MAX_SUM_ITEMS + 1)})
    _assert_error(resp, 400, f"allowed: at most {MAX_SUM_ITEMS}")


def test_unknown_path_is_a_json_404(client: FlaskClient) -> None:
    _assert_error(client.get("/nope"), 404, "not found")


def test_wrong_method_is_a_json_405_with_allow(client: FlaskClient) -> None:
    resp = client.delete("/api/echo")
    _assert_error(resp, 405, "method is not allowed")
    assert set(resp.headers["Allow"].replace(" ", "").split(",")) == {"POST", "OPTIONS"}


def test_too_large_body_is_a_json_413(client: FlaskClient) -> None:
    resp = client.post("/api/echo", data=b"x" * (MAX_CONTENT_LENGTH_BYTES + 1), content_type="application/json")
    assert resp.status_code == 413
    assert resp.get_json()["error"]["status"] == 413


def test_unhandled_exception_is_a_json_500_without_details(client: FlaskClient) -> None:
    resp = client.get("/boom")
    _assert_error(resp, 500, "the server failed to handle the request")
    assert b"hunter2" not in resp.data
    assert b"RuntimeError" not in resp.data


def test_a_valid_incoming_request_id_is_kept(client: FlaskClient) -> None:
    resp = client.get("/", headers={REQUEST_ID_HEADER: "trace-0123456789"})
    assert resp.headers[REQUEST_ID_HEADER] == "trace-0123456789"


def test_an_unsafe_incoming_request_id_is_replaced(client: FlaskClient) -> None:
    resp = client.get("/", headers={REQUEST_ID_HEADER: "bad id\" with quotes and spaces"})
    rid = resp.headers[REQUEST_ID_HEADER]
    assert rid != "bad id\" with quotes and spaces"
    assert len(rid) == 32 and all(c in "0123456789abcdef" for c in rid)


def test_each_request_gets_its_own_id(client: FlaskClient) -> None:
    ids = {client.get(HEALTH_PATH).headers[REQUEST_ID_HEADER] for _ in range(5)}
    assert len(ids) == 5


def test_nan_and_infinity_are_not_json(client: FlaskClient) -> None:
    for token in ("NaN", "Infinity", "-Infinity"):
        resp = client.post("/api/sum", data='{"numbers": [1, %s]}' % token, content_type="application/json")
        _assert_error(resp, 400, f"request body is not valid JSON: {token} is not a JSON value")


def test_an_integer_too_long_to_read_is_a_400_not_a_500(client: FlaskClient) -> None:
    resp = client.post("/api/sum", data='{"numbers": [%s]}' % ("9" * 5000), content_type="application/json")
    _assert_error(resp, 400, "request body is not valid JSON: a number has more than")


def test_a_sum_beyond_the_float_range_is_a_400(client: FlaskClient) -> None:
    _assert_error(client.post("/api/sum", json={"numbers": [1e308, 1e308]}), 400,
                  "the sum of field 'numbers' is out of range")
    big = "1" + "0" * 400
    _assert_error(client.post("/api/sum", data='{"numbers": [%s, 1.5]}' % big, content_type="application/json"),
                  400, "the sum of field 'numbers' is out of range")


def test_jobs_is_503_naming_queue_url_when_no_queue_is_configured(client: FlaskClient) -> None:
    resp = client.post("/api/jobs", json={"numbers": [1, 2]})
    _assert_error(resp, 503, "the work queue is not configured: QUEUE_URL is not set")
