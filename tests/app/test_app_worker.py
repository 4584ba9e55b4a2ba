"""The worker command (python -m app.worker): start-up checks, exit codes and graceful shutdown,
against the session's moto server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from apptest_helpers import MOTO_REGION, REPO_ROOT, create_queues

from app import worker as worker_mod
from app.queue import WorkQueue
from app.settings import GRACEFUL_TIMEOUT_SECONDS, WORKER_COMMAND
from app.tasks import run_sum
from app.worker import Worker


def _messages(out: str) -> list[str]:
    return [json.loads(line)["message"] for line in out.splitlines()]


def _send(url: str, sqs: Any, *numbers: int) -> None:
    for n in numbers:
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(
            {"kind": "sum", "request_id": f"req-stop-{n:06d}", "payload": {"numbers": [n]}}))


def _wait_for_line(path: Path, text: str, proc: subprocess.Popen[bytes], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text():
            return
        if proc.poll() is not None:
            raise AssertionError(f"the worker exited {proc.returncode}:\n{path.read_text()}")
        time.sleep(0.05)
    raise AssertionError(f"no {text!r} line within {timeout} s:\n{path.read_text()}")


def test_sigterm_during_the_long_poll_exits_0_at_once(moto_url: str, sqs_env: dict[str, str], tmp_path: Path) -> None:
    """The real command (WORKER_COMMAND) in its own process, stopped as ECS stops a task."""
    queues = create_queues(moto_url)
    log_path = tmp_path / "worker.log"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "QUEUE_URL": queues.url}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, *WORKER_COMMAND[1:]], cwd=REPO_ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_line(log_path, '"worker started"', proc)
        time.sleep(0.3)  # inside the 20 s ReceiveMessage long poll by now
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=GRACEFUL_TIMEOUT_SECONDS + 5)
        elapsed = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 0
    assert elapsed < 3, f"took {elapsed:.1f} s: the long poll was not abandoned"
    messages = _messages(log_path.read_text())
    assert messages[-3:] == ["stop requested", "long poll abandoned", "worker stopped"]
    assert '"signal":"SIGTERM"' in log_path.read_text()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_with_a_message_in_hand_finishes_it_gives_back_the_rest_and_exits_0(
    moto_url: str, sqs_env: dict[str, str], boto_session: object, capsys: pytest.CaptureFixture[str],
    json_logs: None, sig: signal.Signals,
) -> None:
    queues = create_queues(moto_url, visibility_timeout_seconds=30)
    _send(queues.url, queues.sqs, 1, 2, 3)

    def sum_during_the_signal(payload: Mapping[str, Any]) -> dict[str, Any]:
        os.kill(os.getpid(), sig)  # ECS stops the task (or Ctrl-C) while this message is in hand
        return run_sum(payload)

    worker = Worker(WorkQueue(queues.url, region=MOTO_REGION, session=boto_session), wait_seconds=0,
                    tasks={"sum": sum_during_the_signal})
    previous = signal.getsignal(sig)
    assert worker.serve() == 0
    assert signal.getsignal(sig) is previous, "serve() restores the handlers it replaced"
    attrs = queues.sqs.get_queue_attributes(QueueUrl=queues.url, AttributeNames=["All"])["Attributes"]
    # One done and deleted; two given back, visible at once rather than after 30 s.
    assert (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"]) == ("2", "0")
    out = capsys.readouterr().out
    assert _messages(out) == ["stop requested", "task done", "messages given back", "worker stopped"]
    assert f'"signal":"{sig.name}"' in out


def test_work_still_running_at_the_graceful_timeout_is_abandoned_and_the_worker_exits_0(
    moto_url: str, sqs_env: dict[str, str], boto_session: object, capsys: pytest.CaptureFixture[str],
    json_logs: None,
) -> None:
    queues = create_queues(moto_url, visibility_timeout_seconds=30)
    _send(queues.url, queues.sqs, 1)

    def hangs(payload: Mapping[str, Any]) -> dict[str, Any]:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(30)  # longer than ECS waits
        return run_sum(payload)

    worker = Worker(WorkQueue(queues.url, region=MOTO_REGION, session=boto_session), wait_seconds=0,
                    tasks={"sum": hangs}, graceful_timeout_seconds=0.2)  # the real one: GRACEFUL_TIMEOUT_SECONDS
    started = time.monotonic()
    assert worker.serve() == 0
    assert time.monotonic() - started < 2
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0), "no timer is left armed"
    # Not deleted: SQS delivers it again after the visibility timeout.
    assert queues.count() == 1
    messages = _messages(capsys.readouterr().out)
    assert messages == ["stop requested", "graceful timeout reached", "worker stopped"]


def test_without_queue_url_the_worker_exits_2_naming_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "QUEUE_URL"}
    result = subprocess.run([sys.executable, *WORKER_COMMAND[1:]], cwd=REPO_ROOT,
                            env={**env, "PYTHONPATH": str(REPO_ROOT)},
                            check=False, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert result.stderr.startswith("app.worker: QUEUE_URL is not set; allowed: the URL of a standard SQS queue")
    assert result.stdout == ""


def test_a_bad_setting_exits_2_naming_variable_and_value(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QUEUE_URL", "flask-app-dev-jobs")
    assert worker_mod.main() == 2
    assert "app.worker: QUEUE_URL='flask-app-dev-jobs' is not valid; allowed:" in capsys.readouterr().err


def test_a_queue_that_cannot_be_read_at_start_exits_3(
    moto_url: str, sqs_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QUEUE_URL", f"{moto_url}/123456789012/no-such-queue")
    assert worker_mod.main() == 3
    (line,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert line["message"] == "work queue unreadable"
    assert line["code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert line["queue_url"].endswith("/no-such-queue")
