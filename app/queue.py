"""The SQS work queue through boto3: send a task, receive, delete, give back, read the counts.

Smallest example::

    from app.queue import WorkQueue
    queue = WorkQueue("https://sqs.eu-west-1.amazonaws.com/123456789012/flask-app-dev-jobs", region="eu-west-1")
    queue.send("sum", {"numbers": [1, 2]}, request_id="req-000001")  # the SQS message id

The URL and region come from `app.settings` (QUEUE_URL, AWS_REGION). The boto3 clients are
created on first use and then reused (a boto3 client is thread-safe: gunicorn's threads share
one). boto3 finds credentials the usual way (the task role on ECS) and honours
``AWS_ENDPOINT_URL``, which points it at a local emulator (`scripts/run_local.py`).

Every call has short timeouts and at most one retry (`CONNECT_TIMEOUT_SECONDS`,
`READ_TIMEOUT_SECONDS`, `MAX_ATTEMPTS`), so an unreachable endpoint or a missing queue is an
error within seconds, never a hang; only the worker's long poll reads for longer (its wait plus
`READ_TIMEOUT_SECONDS`). Every boto3 or botocore failure is raised as `QueueError`, which names
the operation and the AWS error code.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from app.settings import WORKER_MAX_MESSAGES, WORKER_RECEIVE_WAIT_SECONDS
from app.tasks import encode_message

#: Seconds to open a connection to the SQS endpoint.
CONNECT_TIMEOUT_SECONDS = 2
#: Seconds to wait for an answer (on top of the long poll's wait for ReceiveMessage).
READ_TIMEOUT_SECONDS = 3
#: Attempts per call, the first included (botocore's "standard" retry mode).
MAX_ATTEMPTS = 2

# The dead-letter target of a RedrivePolicy: arn:<partition>:sqs:<region>:<account>:<name>.
_ARN_PARTS = 6


class QueueError(Exception):
    """An SQS call failed; ``code`` is the AWS error code or the botocore exception's name."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Received:
    """One received message: what to run, and the handle to delete it with."""

    message_id: str
    receipt_handle: str
    body: str
    #: How many times SQS has delivered the message, this time included.
    receive_count: int


@dataclass(frozen=True)
class QueueCounts:
    """A queue's approximate message counts (the CloudWatch ApproximateNumberOf... metrics)."""

    visible: int
    in_flight: int
    delayed: int

    @property
    def total(self) -> int:
        return self.visible + self.in_flight + self.delayed


@contextmanager
def _calling(operation: str) -> Iterator[None]:
    """Turn boto3/botocore failures of one call into a QueueError naming the operation."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "Unknown")
        raise QueueError(f"SQS {operation} failed: {code}: {error.get('Message') or exc}", code) from exc
    except BotoCoreError as exc:
        raise QueueError(f"SQS {operation} failed: {exc}", type(exc).__name__) from exc


class WorkQueue:
    """One SQS queue. ``session``: a boto3 Session to build the clients from; unset: a new one."""

    def __init__(self, url: str, *, region: str | None, session: Any = None) -> None:
        self.url = url
        self.region = region
        self._session = session
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _client(self, long_poll_seconds: int = 0) -> Any:
        """The SQS client for calls that wait ``long_poll_seconds`` on the server, created on first use.

        Its read timeout is that wait plus READ_TIMEOUT_SECONDS. boto3 is imported here, so the
        web app imports it only when a job is queued.
        """
        read_timeout_seconds = long_poll_seconds + READ_TIMEOUT_SECONDS
        key = f"read{read_timeout_seconds}"
        client = self._clients.get(key)
        if client is not None:
            return client
        with self._lock:
            if key not in self._clients:
                import boto3
                from botocore.config import Config

                if self._session is None:
                    self._session = boto3.session.Session()
                config = Config(
                    connect_timeout=CONNECT_TIMEOUT_SECONDS,
                    read_timeout=read_timeout_seconds,
                    retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
                )
                self._clients[key] = self._session.client("sqs", region_name=self.region, config=config)
            return self._clients[key]

    def send(self, kind: str, payload: Mapping[str, Any], *, request_id: str | None) -> str:
        """Queue one task (`app.tasks.encode_message`); returns the SQS message id."""
        body = encode_message(kind, payload, request_id=request_id)
        with _calling("SendMessage"):
            response = self._client().send_message(QueueUrl=self.url, MessageBody=body)
        return str(response["MessageId"])

    def receive(
        self, *, wait_seconds: int = WORKER_RECEIVE_WAIT_SECONDS, max_messages: int = WORKER_MAX_MESSAGES
    ) -> list[Received]:
        """Long-poll for up to ``max_messages`` messages, waiting at most ``wait_seconds``."""
        client = self._client(wait_seconds)
        with _calling("ReceiveMessage"):
            response = client.receive_message(
                QueueUrl=self.url,
                MaxNumberOfMessages=max_messages,
                WaitTimeSeconds=wait_seconds,
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
            )
        return [
            Received(
                message_id=m["MessageId"],
                receipt_handle=m["ReceiptHandle"],
                body=m.get("Body", ""),
                receive_count=int(m.get("Attributes", {}).get("ApproximateReceiveCount", 1)),
            )
            for m in response.get("Messages", [])
        ]

    def delete(self, receipt_handle: str) -> None:
        """Delete a message that was handled."""
        with _calling("DeleteMessage"):
            self._client().delete_message(QueueUrl=self.url, ReceiptHandle=receipt_handle)

    def release(self, receipt_handles: Sequence[str]) -> None:
        """Make received messages visible again at once, for another consumer to take."""
        for start in range(0, len(receipt_handles), 10):  # at most 10 entries per batch call
            entries = [{"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                       for i, handle in enumerate(receipt_handles[start:start + 10])]
            with _calling("ChangeMessageVisibilityBatch"):
                response = self._client().change_message_visibility_batch(QueueUrl=self.url, Entries=entries)
            failed = response.get("Failed") or []
            if failed:
                codes = sorted({str(f.get("Code")) for f in failed})
                raise QueueError(
                    f"SQS ChangeMessageVisibilityBatch failed for {len(failed)} of {len(entries)} messages:"
                    f" {', '.join(codes)}", codes[0])

    def counts(self, url: str | None = None) -> QueueCounts:
        """Approximate message counts of this queue (or of the queue at ``url``)."""
        with _calling("GetQueueAttributes"):
            attrs = self._client().get_queue_attributes(
                QueueUrl=url or self.url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                                "ApproximateNumberOfMessagesDelayed"],
            )["Attributes"]
        return QueueCounts(
            visible=int(attrs.get("ApproximateNumberOfMessages", 0)),
            in_flight=int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
            delayed=int(attrs.get("ApproximateNumberOfMessagesDelayed", 0)),
        )

    def check(self) -> None:
        """Fail with QueueError unless the queue exists and can be read with these credentials."""
        with _calling("GetQueueAttributes"):
            self._client().get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])

    def dead_letter_queue_url(self) -> str | None:
        """The URL of the queue this queue's RedrivePolicy sends to (None without a policy)."""
        with _calling("GetQueueAttributes"):
            attrs = self._client().get_queue_attributes(QueueUrl=self.url, AttributeNames=["RedrivePolicy"])
        raw = attrs.get("Attributes", {}).get("RedrivePolicy")
        if not raw:
            return None
        try:
            arn = str(json.loads(raw)["deadLetterTargetArn"])
        except (ValueError, KeyError, TypeError):
            raise QueueError(f"the RedrivePolicy of {self.url} names no deadLetterTargetArn: {raw!r}",
                             "InvalidRedrivePolicy") from None
        parts = arn.split(":")
        if len(parts) != _ARN_PARTS or parts[2] != "sqs":
            raise QueueError(f"the RedrivePolicy of {self.url} names {arn!r}, which is not an SQS queue ARN",
                             "InvalidRedrivePolicy")
        account, name = parts[4], parts[5]
        with _calling("GetQueueUrl"):
            response = self._client().get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)
        return str(response["QueueUrl"])
