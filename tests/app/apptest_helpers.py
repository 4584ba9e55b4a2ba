"""Helpers for the app tests that run a real gunicorn on 127.0.0.1."""

from __future__ import annotations

import functools
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_get(port: int, path: str, timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


@dataclass
class Gunicorn:
    """A real gunicorn master on 127.0.0.1 running the app with app.gunicorn_conf."""

    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(errors="replace").splitlines()

    def worker_pids(self) -> set[int]:
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        try:
            return {int(p) for p in children.read_text().split()}
        except FileNotFoundError:
            return set()

    def wait_healthy(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"gunicorn exited with {self.proc.returncode}:\n" + self.log_path.read_text())
            try:
                if http_get(self.port, "/health", timeout=1.0)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("gunicorn did not answer /health in time:\n" + self.log_path.read_text())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_gunicorn(tmp_path: Path, wsgi: str = "app.wsgi:app", extra_env: dict[str, str] | None = None,
                   pythonpath: list[str] | None = None) -> Gunicorn:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS")}
    env.update({"PYTHONPATH": os.pathsep.join([str(REPO_ROOT), *(pythonpath or [])]),
                "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "4", "APP_VERSION": "test123",
                "TMPDIR": str(tmp_path)})
    env.update(extra_env or {})
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "python:app.gunicorn_conf",
             "--bind", f"127.0.0.1:{port}", wsgi],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    return Gunicorn(proc=proc, port=port, log_path=log_path, extra_env=extra_env or {})


# ---- SQS on the session's moto server ----------------------------------------------------------

MOTO_REGION = "us-east-1"


def aws_env(moto_url: str) -> dict[str, str]:
    """Variables that send boto3 to the test's moto server with dummy credentials."""
    return {"AWS_ENDPOINT_URL": moto_url, "AWS_REGION": MOTO_REGION, "AWS_DEFAULT_REGION": MOTO_REGION,
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@dataclass
class Queues:
    """A work queue and its dead-letter queue on moto, with a boto3 client to look at them."""

    url: str
    dlq_url: str
    sqs: Any
    max_receive_count: int

    def bodies(self, url: str | None = None) -> list[str]:
        """Bodies of the messages visible on a queue. Received with visibility 0, so they stay in
        place, but each read counts as a receive towards the redrive policy's maxReceiveCount."""
        response = self.sqs.receive_message(QueueUrl=url or self.url, MaxNumberOfMessages=10,
                                            VisibilityTimeout=0, WaitTimeSeconds=0)
        return [m["Body"] for m in response.get("Messages", [])]

    def count(self, url: str | None = None) -> int:
        """All messages of a queue: visible, in flight and delayed."""
        attrs = self.sqs.get_queue_attributes(QueueUrl=url or self.url, AttributeNames=["All"])["Attributes"]
        return sum(int(attrs[name]) for name in ("ApproximateNumberOfMessages",
                                                 "ApproximateNumberOfMessagesNotVisible",
                                                 "ApproximateNumberOfMessagesDelayed"))


@functools.cache
def _admin_client(moto_url: str) -> Any:
    """One boto3 client per moto server for the tests' own calls (a client costs ~0.2 s to make)."""
    import boto3

    return boto3.session.Session().client("sqs", region_name=MOTO_REGION, endpoint_url=moto_url,
                                          aws_access_key_id="testing", aws_secret_access_key="testing")


def create_queues(moto_url: str, *, visibility_timeout_seconds: int = 0, max_receive_count: int = 2,
                  redrive: bool = True) -> Queues:
    """A fresh work queue (and dead-letter queue) with unique names, so tests never share messages."""
    sqs = _admin_client(moto_url)
    name = "jobs-" + uuid.uuid4().hex[:12]
    dlq_url = sqs.create_queue(QueueName=name + "-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    attributes = {"VisibilityTimeout": str(visibility_timeout_seconds)}
    if redrive:
        attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": dlq_arn,
                                                  "maxReceiveCount": max_receive_count})
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return Queues(url=url, dlq_url=dlq_url, sqs=sqs, max_receive_count=max_receive_count)
