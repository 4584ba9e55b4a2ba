"""The job command (python -m app.job): the dead-letter report and its exit codes, against the
session's moto server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from apptest_helpers import REPO_ROOT, Queues, create_queues

from app import job as job_mod
from app.settings import JOB_COMMAND


def _lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def _run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], **env: str) -> tuple[int, list[dict[str, Any]], str]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code = job_mod.main([])
    captured = capsys.readouterr()
    return code, _lines(captured.out), captured.err


def test_an_empty_dead_letter_queue_exits_0_with_one_report_line(
    queues: Queues, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for n in (1, 2):
        queues.sqs.send_message(QueueUrl=queues.url, MessageBody=str(n))
    code, lines, _ = _run(monkeypatch, capsys, QUEUE_URL=queues.url)
    assert code == 0
    (line,) = lines
    assert (line["message"], line["level"], line["logger"]) == ("dead-letter report", "INFO", "app.job")
    assert line["status"] == "ok" and line["dead_letters"] == 0
    assert line["queue"] == {"url": queues.url, "visible": 2, "in_flight": 0, "delayed": 0}
    assert line["dead_letter_queue"] == {"url": queues.dlq_url, "found_from": "RedrivePolicy",
                                         "visible": 0, "in_flight": 0, "delayed": 0}


def test_a_dead_letter_queue_with_messages_exits_1_with_an_error_line(
    queues: Queues, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    queues.sqs.send_message(QueueUrl=queues.dlq_url, MessageBody="failed twice")
    code, lines, _ = _run(monkeypatch, capsys, QUEUE_URL=queues.url)
    assert code == 1
    (line,) = lines
    assert (line["level"], line["status"], line["dead_letters"]) == ("ERROR", "dead_letters", 1)
    assert line["dead_letter_queue"]["visible"] == 1


def test_dlq_url_names_the_dead_letter_queue_without_a_redrive_policy(
    moto_url: str, sqs_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    queues = create_queues(moto_url, redrive=False)
    queues.sqs.send_message(QueueUrl=queues.dlq_url, MessageBody="x", DelaySeconds=60)
    code, lines, _ = _run(monkeypatch, capsys, QUEUE_URL=queues.url, DLQ_URL=queues.dlq_url)
    assert code == 1  # a delayed message counts too
    (line,) = lines
    assert line["dead_letter_queue"] == {"url": queues.dlq_url, "found_from": "DLQ_URL",
                                         "visible": 0, "in_flight": 0, "delayed": 1}


def test_no_dlq_url_and_no_redrive_policy_exits_2_saying_what_to_set(
    moto_url: str, sqs_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    queues = create_queues(moto_url, redrive=False)
    code, lines, err = _run(monkeypatch, capsys, QUEUE_URL=queues.url)
    assert code == 2
    assert lines == []
    assert err.startswith(f"app.job: DLQ_URL is not set and QUEUE_URL={queues.url!r} has no RedrivePolicy; allowed:"
                          " DLQ_URL set to the dead-letter queue's URL")


def test_a_queue_that_cannot_be_read_exits_3(
    moto_url: str, sqs_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines, _ = _run(monkeypatch, capsys, QUEUE_URL=f"{moto_url}/123456789012/no-such-queue")
    assert code == 3
    (line,) = lines
    assert (line["message"], line["level"]) == ("dead-letter report failed", "ERROR")
    assert line["code"] == "AWS.SimpleQueueService.NonExistentQueue"


def test_a_bad_setting_exits_2_naming_variable_and_value(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QUEUE_URL", "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs")
    code, lines, err = _run(monkeypatch, capsys, DLQ_URL="jobs-dlq")
    assert code == 2 and lines == []
    assert err.startswith("app.job: DLQ_URL='jobs-dlq' is not valid; allowed: the URL of a standard SQS queue")


def test_the_command_exits_1_on_dead_letters_and_2_without_queue_url(queues: Queues) -> None:
    """The real ``python -m app.job`` (JOB_COMMAND) process, as the scheduler runs it."""
    queues.sqs.send_message(QueueUrl=queues.dlq_url, MessageBody="failed twice")
    env = {k: v for k, v in os.environ.items() if k not in ("QUEUE_URL", "DLQ_URL")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    argv = [sys.executable, *JOB_COMMAND[1:]]
    dead = subprocess.run(argv, cwd=REPO_ROOT, env={**env, "QUEUE_URL": queues.url}, check=False,
                          capture_output=True, text=True, timeout=30)
    assert dead.returncode == 1, dead.stderr
    assert [line["dead_letters"] for line in _lines(dead.stdout)] == [1]
    unset = subprocess.run(argv, cwd=REPO_ROOT, env=env, check=False, capture_output=True, text=True, timeout=30)
    assert unset.returncode == 2
    assert unset.stderr.startswith("app.job: QUEUE_URL is not set; allowed:")
