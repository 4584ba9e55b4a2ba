"""POST /api/jobs -> SQS -> the worker, on a real moto server on 127.0.0.1.

Each test has its own work queue and dead-letter queue (maxReceiveCount 2, visibility timeout 0
unless the test says otherwise), so a failed message is delivered again at once and the redrive
to the dead-letter queue happens within the test.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from apptest_helpers import MOTO_REGION, Queues, create_queues, free_port
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app import queue as queue_mod
from app.factory import REQUEST_ID_HEADER
from app.queue import WorkQueue
from app.settings import JOB_QUEUE_ACTIONS, WEB_QUEUE_ACTIONS, WORKER_QUEUE_ACTIONS, Settings
from app.tasks import MAX_MESSAGE_BYTES, decode_message, run_sum
from app.worker import BatchResult, Worker


def _logs(out: str, message: str) -> list[dict[str, Any]]:
    docs = [json.loads(line) for line in out.splitlines()]  # every line is JSON
    return [d for d in docs if d["message"] == message]


def _app(settings: Settings, queue_url: str) -> Flask:
    return create_app(Settings(**{**settings.public(), "queue_url": queue_url, "aws_region": MOTO_REGION}))  # type: ignore[arg-type]


@pytest.fixture
def jobs_client(settings: Settings, queues: Queues) -> FlaskClient:
    return _app(settings, queues.url).test_client()


@pytest.fixture
def worker_for(boto_session: object) -> Callable[..., Worker]:
    """Worker(WorkQueue(url)) with no long poll, its client from the session's boto3 Session."""
    def make(url: str, **kwargs: Any) -> Worker:
        return Worker(WorkQueue(url, region=MOTO_REGION, session=boto_session), wait_seconds=0, **kwargs)

    return make


# ---- the happy path ----------------------------------------------------------------------------


def test_a_queued_job_is_summed_by_the_worker_and_deleted(
    jobs_client: FlaskClient, queues: Queues, capsys: pytest.CaptureFixture[str], worker_for: Callable[..., Worker]
) -> None:
    resp = jobs_client.post("/api/jobs", json={"numbers": [1, 2.5, -3]}, headers={REQUEST_ID_HEADER: "req-jobs-000001"})
    assert resp.status_code == 202
    body = resp.get_json()
    assert body["status"] == "queued" and body["kind"] == "sum"
    assert body["request_id"] == "req-jobs-000001" == resp.headers[REQUEST_ID_HEADER]
    (raw,) = queues.bodies()
    assert json.loads(raw) == {"kind": "sum", "request_id": "req-jobs-000001", "payload": {"numbers": [1, 2.5, -3]}}

    result = worker_for(queues.url).poll_once()

    assert result == BatchResult(received=1, done=1)
    assert queues.count() == 0 and queues.count(queues.dlq_url) == 0
    out = capsys.readouterr().out
    (queued,) = _logs(out, "job queued")
    assert queued["request_id"] == "req-jobs-000001" and queued["message_id"] == body["message_id"]
    (done,) = _logs(out, "task done")
    assert done["logger"] == "app.worker"
    assert done["request_id"] == "req-jobs-000001"
    assert done["message_id"] == body["message_id"]
    assert done["result"] == {"sum": 0.5, "count": 3}
    assert done["receive_count"] == 2  # the peek above was the first receive


def test_a_batch_holds_up_to_ten_messages(
    jobs_client: FlaskClient, queues: Queues, worker_for: Callable[..., Worker]
) -> None:
    for i in range(12):
        assert jobs_client.post("/api/jobs", json={"numbers": [i]}).status_code == 202
    worker = worker_for(queues.url)
    first = worker.poll_once()
    assert first.received <= 10 and first.done == first.received
    while queues.count():
        worker.poll_once()
    assert queues.count(queues.dlq_url) == 0


# ---- failures: kept, delivered again, then dead-lettered --------------------------------------


@pytest.mark.parametrize(
    ("body", "reason", "error", "request_id"),
    [
        ('{"kind": "sum", "request_id": "req-bad-000001", "payload": {"numbers": [1, "x"]}}',
         "invalid input", "field 'numbers[1]'='x' is not a number", "req-bad-000001"),
        ("numbers: 1, 2", "malformed message", "message body is not valid JSON", None),
        # The envelope is not trusted once it fails: no request id is taken from it.
        ('{"kind": "resize", "request_id": "req-bad-000001", "payload": {}}',
         "malformed message", "message kind='resize' is not known; allowed: sum", None),
    ],
    ids=["invalid-input", "not-json", "unknown-kind"],
)
def test_a_failing_message_is_kept_then_moved_to_the_dead_letter_queue(
    queues: Queues, capsys: pytest.CaptureFixture[str], json_logs: None,
    body: str, reason: str, error: str, request_id: str | None, worker_for: Callable[..., Worker],
) -> None:
    queues.sqs.send_message(QueueUrl=queues.url, MessageBody=body)
    worker = worker_for(queues.url)
    for receive in range(1, queues.max_receive_count + 1):
        assert worker.poll_once() == BatchResult(received=1, failed=1), f"receive {receive}"
        assert queues.count() == 1, "a failed message is not deleted"
    # SQS moves it to the dead-letter queue on the receive after maxReceiveCount.
    assert worker.poll_once() == BatchResult()
    assert queues.count() == 0
    assert queues.bodies(queues.dlq_url) == [body]
    failures = _logs(capsys.readouterr().out, "task failed")
    assert [f["receive_count"] for f in failures] == [1, 2]
    assert all(f["reason"] == reason and error in f["error"] and f["level"] == "ERROR" for f in failures)
    assert all(f.get("request_id") == request_id for f in failures)


def test_an_error_in_a_task_is_logged_with_its_traceback_and_the_message_kept(
    queues: Queues, capsys: pytest.CaptureFixture[str], json_logs: None, worker_for: Callable[..., Worker]
) -> None:
    def broken(payload: Mapping[str, Any]) -> dict[str, Any]:
        raise RuntimeError("disk full")

    queues.sqs.send_message(QueueUrl=queues.url, MessageBody=json.dumps(
        {"kind": "sum", "request_id": "req-err-000001", "payload": {"numbers": [1]}}))
    assert worker_for(queues.url, tasks={"sum": broken}).poll_once() == BatchResult(received=1, failed=1)
    assert queues.count() == 1
    (failed,) = _logs(capsys.readouterr().out, "task failed")
    assert failed["reason"] == "task error" and failed["error"] == "RuntimeError: disk full"
    assert failed["request_id"] == "req-err-000001"
    assert "Traceback" in failed["exception"]


def test_a_message_that_cannot_be_deleted_counts_as_failed(
    moto_url: str, sqs_env: dict[str, str], capsys: pytest.CaptureFixture[str], json_logs: None,
    worker_for: Callable[..., Worker],
) -> None:
    queues = create_queues(moto_url, visibility_timeout_seconds=30)
    queues.sqs.send_message(QueueUrl=queues.url, MessageBody=json.dumps(
        {"kind": "sum", "request_id": None, "payload": {"numbers": [4]}}))
    worker = worker_for(queues.url)
    (message,) = worker.queue.receive(wait_seconds=0)
    queues.sqs.delete_queue(QueueUrl=queues.url)
    assert worker.handle(message) is False
    (line,) = _logs(capsys.readouterr().out, "task done but not deleted")
    assert line["result"] == {"sum": 4, "count": 1}
    assert line["code"] == "AWS.SimpleQueueService.NonExistentQueue"


def test_receive_errors_are_logged_and_retried_with_a_growing_pause(
    moto_url: str, sqs_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], json_logs: None, worker_for: Callable[..., Worker],
) -> None:
    pauses: list[float] = []
    monkeypatch.setattr("app.worker.time.sleep", pauses.append)
    worker_for(f"{moto_url}/123456789012/no-such-queue").run(max_batches=6)
    assert pauses == [1, 2, 4, 8, 16, 20]
    lines = _logs(capsys.readouterr().out, "receive failed")
    assert [line["failures"] for line in lines] == [1, 2, 3, 4, 5, 6]
    assert lines[0]["code"] == "AWS.SimpleQueueService.NonExistentQueue"


# ---- stopping ------------------------------------------------------------------------------------


def test_a_stop_during_a_batch_finishes_the_message_in_hand_and_gives_back_the_rest(
    moto_url: str, sqs_env: dict[str, str], worker_for: Callable[..., Worker]
) -> None:
    queues = create_queues(moto_url, visibility_timeout_seconds=30)
    for n in (1, 2, 3):
        queues.sqs.send_message(QueueUrl=queues.url, MessageBody=json.dumps(
            {"kind": "sum", "request_id": None, "payload": {"numbers": [n]}}))
    ran: list[int] = []

    def sum_then_stop(payload: Mapping[str, Any]) -> dict[str, Any]:
        ran.append(payload["numbers"][0])
        worker.request_stop()  # as SIGTERM does, while this message is in hand
        return run_sum(payload)

    worker = worker_for(queues.url, tasks={"sum": sum_then_stop})
    result = worker.poll_once()
    assert result == BatchResult(received=3, done=1, released=2)
    assert len(ran) == 1
    attrs = queues.sqs.get_queue_attributes(QueueUrl=queues.url, AttributeNames=["All"])["Attributes"]
    # Given back: visible at once, not after the 30 s visibility timeout.
    assert (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"]) == ("2", "0")
    worker.run()  # returns at once: the stop was requested
    assert queues.count() == 2


# ---- the web side: validation, 503s, one client -----------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"json": {"values": [1]}}, "field 'numbers' is missing"),
        ({"json": {"numbers": [1, True]}}, "field 'numbers[1]'=True is not a number"),
        ({"data": "{", "content_type": "application/json"}, "request body is not valid JSON"),
        ({"json": {"numbers": [10**300] * (MAX_MESSAGE_BYTES // 300 + 1)}},
         f"allowed: at most {MAX_MESSAGE_BYTES} bytes"),
    ],
    ids=["missing-field", "bad-item", "bad-json", "too-large"],
)
def test_jobs_validates_the_body_and_queues_nothing_on_a_400(
    jobs_client: FlaskClient, queues: Queues, kwargs: dict[str, Any], message: str
) -> None:
    resp = jobs_client.post("/api/jobs", **kwargs)
    assert resp.status_code == 400
    assert message in resp.get_json()["error"]["message"]
    assert resp.get_json()["request_id"] == resp.headers[REQUEST_ID_HEADER]
    assert queues.count() == 0


def test_jobs_is_503_when_the_queue_does_not_exist(
    settings: Settings, moto_url: str, sqs_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    client = _app(settings, f"{moto_url}/123456789012/no-such-queue").test_client()
    resp = client.post("/api/jobs", json={"numbers": [1]})
    assert resp.status_code == 503
    assert resp.get_json()["error"]["message"] == (
        "the work queue did not take the job (AWS.SimpleQueueService.NonExistentQueue); try again later")
    assert resp.headers["Retry-After"] == "5"
    (line,) = _logs(capsys.readouterr().out, "job not queued")
    assert line["request_id"] == resp.headers[REQUEST_ID_HEADER]


def test_jobs_is_503_when_nothing_answers_at_the_endpoint(
    settings: Settings, sqs_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    client = _app(settings, "http://127.0.0.1:1/123456789012/jobs").test_client()
    started = time.monotonic()
    resp = client.post("/api/jobs", json={"numbers": [1]})
    assert resp.status_code == 503
    assert "(EndpointConnectionError)" in resp.get_json()["error"]["message"]
    assert time.monotonic() - started < 5


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A port that accepts connections and never answers (a hung endpoint)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield "http://127.0.0.1:%d" % sock.getsockname()[1]


def test_a_hung_endpoint_is_a_503_after_the_read_timeout_and_one_retry_not_a_hang(
    settings: Settings, sqs_env: dict[str, str], silent_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", silent_endpoint)
    monkeypatch.setattr(queue_mod, "READ_TIMEOUT_SECONDS", 0.1)  # the real 3 s, shortened for the test
    client = _app(settings, f"{silent_endpoint}/123456789012/jobs").test_client()
    started = time.monotonic()
    resp = client.post("/api/jobs", json={"numbers": [1]})
    elapsed = time.monotonic() - started
    assert resp.status_code == 503
    assert "(ReadTimeoutError)" in resp.get_json()["error"]["message"]
    # 2 attempts x 0.1 s, plus botocore's retry pause (at most 1 s before the second attempt).
    assert 0.2 <= elapsed < 3, elapsed


def test_the_client_has_short_timeouts_and_one_retry(queues: Queues) -> None:
    config = WorkQueue(queues.url, region=MOTO_REGION)._client().meta.config
    assert (config.connect_timeout, config.read_timeout) == (queue_mod.CONNECT_TIMEOUT_SECONDS, 3)
    assert config.retries == {"mode": "standard", "total_max_attempts": 2}


def test_the_web_app_creates_one_client_and_reuses_it(
    jobs_client: FlaskClient, queues: Queues, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    created: list[str] = []
    real_client = boto3.session.Session.client

    def counting_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        created.append(args[0] if args else kwargs["service_name"])
        return real_client(self, *args, **kwargs)

    monkeypatch.setattr(boto3.session.Session, "client", counting_client)
    for i in range(3):
        assert jobs_client.post("/api/jobs", json={"numbers": [i]}).status_code == 202
    assert created == ["sqs"]
    assert queues.count() == 3


# ---- IAM: each workload calls only the actions the infrastructure grants it ------------------


def _action(operation: str) -> str:
    # A batch call is authorized by the action of the single call (sqs:ChangeMessageVisibility).
    return "sqs:" + operation.removesuffix("Batch")


def test_each_workload_calls_only_the_iam_actions_it_declares(
    settings: Settings, moto_url: str, sqs_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    from app.job import report

    calls: list[str] = []

    class RecordingSession(boto3.session.Session):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.events.register("before-call.sqs", lambda model, **kw: calls.append(_action(model.name)))

    queues = create_queues(moto_url, visibility_timeout_seconds=30)
    monkeypatch.setattr(boto3.session, "Session", RecordingSession)

    # web: POST /api/jobs
    client = _app(settings, queues.url).test_client()
    for n in (1, 2):
        assert client.post("/api/jobs", json={"numbers": [n]}).status_code == 202
    web, calls[:] = set(calls), []

    # worker: the start-up check, a batch stopped after its first message (delete + give back)
    worker = Worker(WorkQueue(queues.url, region=MOTO_REGION), wait_seconds=0)
    worker.queue.check()
    worker.tasks = {"sum": lambda payload: (worker.request_stop(), run_sum(payload))[1]}
    assert worker.poll_once() == BatchResult(received=2, done=1, released=1)
    worker_calls, calls[:] = set(calls), []

    # job: the report, with the dead-letter queue found from the RedrivePolicy
    assert report(Settings(queue_url=queues.url, aws_region=MOTO_REGION), WorkQueue(queues.url, region=MOTO_REGION)) == 0
    job = set(calls)

    assert web == set(WEB_QUEUE_ACTIONS)
    assert worker_calls == set(WORKER_QUEUE_ACTIONS)
    assert job == set(JOB_QUEUE_ACTIONS)
    assert decode_message(queues.bodies()[0]).kind == "sum"
