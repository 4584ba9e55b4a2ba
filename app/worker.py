"""The queue worker, the ``worker`` workload: ``python -m app.worker`` (`WORKER_COMMAND`).

Smallest example::

    QUEUE_URL=https://sqs.eu-west-1.amazonaws.com/123456789012/flask-app-dev-jobs python -m app.worker
    # {"level": "INFO", "logger": "app.worker", "message": "task done", "request_id": "4f0c...",
    #  "kind": "sum", "result": {"sum": 3.5, "count": 2}, ...}

It runs the tasks that ``POST /api/jobs`` queues. Each ReceiveMessage long-polls the queue
(`WORKER_RECEIVE_WAIT_SECONDS`, up to `WORKER_MAX_MESSAGES` messages). Each message is decoded
(`app.tasks.decode_message`), run (`app.tasks.run_task`), logged as one JSON line with the
request id of the HTTP request that queued it, and deleted.

A message that fails — not a task message, input that breaks a rule, an error in the task —
is logged and NOT deleted: SQS delivers it again once the queue's visibility timeout has passed,
and after the redrive policy's maxReceiveCount deliveries moves it to the dead-letter queue,
where the job (`app.job`) reports it. A failed receive or delete is logged and the loop goes on
(receives back off up to `MAX_BACKOFF_SECONDS`); an undeleted message is delivered again, so a
task may run more than once and must give the same result each time (a sum does).

Shutdown: SIGTERM (ECS stopping the task) or SIGINT stops the loop. A long poll in progress is
abandoned at once (messages SQS handed to it come back after the visibility timeout); the
message in hand is finished and deleted, the rest of its batch is made visible again for
another worker, and the process exits 0. Whatever still runs `GRACEFUL_TIMEOUT_SECONDS` after
the signal is abandoned the same way, so the worker is gone before ECS's stopTimeout (30 s)
ends in SIGKILL.

Traces: with a collector in the task (``OTEL_EXPORTER_OTLP_ENDPOINT``) and the OpenTelemetry SDK
installed, the handling of each message is a span (`app.telemetry`), exported before exit.

Exit codes: 0 stopped by SIGTERM or SIGINT; 2 the settings are invalid (QUEUE_URL unset, or a
variable of `app.settings` holds a bad value), the reason on stderr; 3 the queue cannot be read
at start (no such queue, no permission, endpoint unreachable), logged as JSON.
"""

from __future__ import annotations

import logging
import signal
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import FrameType
from typing import Any

from app.jsonlog import configure_json_logging
from app.queue import QueueError, Received, WorkQueue
from app.settings import (
    GRACEFUL_TIMEOUT_SECONDS,
    WORKER_MAX_MESSAGES,
    WORKER_RECEIVE_WAIT_SECONDS,
    SettingsError,
    load_settings,
)
from app.tasks import TASKS, InvalidInput, MalformedMessage, decode_message
from app.telemetry import TRACING_OFF, Tracing, setup_tracing

EXIT_STOPPED = 0
EXIT_SETTINGS = 2
EXIT_QUEUE_UNREADABLE = 3

#: Longest pause between two failed receives (the pause doubles from 1 s).
MAX_BACKOFF_SECONDS = 20
#: Longest error text put in a log line (a bad value is quoted in the message).
MAX_ERROR_CHARS = 500

log = logging.getLogger("app.worker")


class _Interrupted(BaseException):
    """Raised by the signal handler to abandon a long poll or a backoff pause."""


class _DeadlineReached(BaseException):
    """Raised on SIGALRM (a real-time timer) when the work in hand outlives the graceful timeout."""


@dataclass
class BatchResult:
    """What one `Worker.poll_once` did."""

    received: int = 0
    done: int = 0
    failed: int = 0
    #: Messages of the batch given back to the queue, unrun, because a stop was requested.
    released: int = 0


def _short(text: str) -> str:
    return text if len(text) <= MAX_ERROR_CHARS else text[:MAX_ERROR_CHARS] + "..."


class Worker:
    """The receive -> run -> delete loop over one queue.

    ``tasks`` maps a message kind to the function that runs it (default `app.tasks.TASKS`).
    `poll_once` handles one batch; `run` loops until `request_stop`; `serve` is `run` with the
    SIGTERM/SIGINT handling of the command.
    """

    def __init__(
        self,
        queue: WorkQueue,
        *,
        wait_seconds: int = WORKER_RECEIVE_WAIT_SECONDS,
        max_messages: int = WORKER_MAX_MESSAGES,
        tasks: Mapping[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = TASKS,
        graceful_timeout_seconds: float = GRACEFUL_TIMEOUT_SECONDS,
        tracing: Tracing = TRACING_OFF,
    ) -> None:
        self.queue = queue
        self.tracing = tracing
        self.wait_seconds = wait_seconds
        self.max_messages = max_messages
        self.tasks = tasks
        self.graceful_timeout_seconds = graceful_timeout_seconds
        self._stop_requested = False
        # True only while blocked in a receive or a backoff pause: a stop signal then aborts it.
        self._interruptible = False

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested

    def request_stop(self) -> None:
        """Stop after the message in hand; the rest of the batch goes back to the queue."""
        self._stop_requested = True

    # ---- one batch ----------------------------------------------------------------------------

    def poll_once(self) -> BatchResult:
        """Receive one batch and handle each message; raises QueueError when the receive fails."""
        self._interruptible = True
        try:
            if self._stop_requested:
                return BatchResult()
            messages = self.queue.receive(wait_seconds=self.wait_seconds, max_messages=self.max_messages)
        finally:
            self._interruptible = False
        result = BatchResult(received=len(messages))
        for index, message in enumerate(messages):
            if self._stop_requested:
                result.released = self._release(messages[index:])
                break
            with self.tracing.message_span(message.message_id, receive_count=message.receive_count) as span:
                ok = self.handle(message)
                span.outcome(ok=ok)
            if ok:
                result.done += 1
            else:
                result.failed += 1
        return result

    def handle(self, message: Received) -> bool:
        """Run one message and delete it; False (message left in the queue) when it fails."""
        started = time.monotonic()
        fields: dict[str, Any] = {"message_id": message.message_id, "receive_count": message.receive_count}
        request_id = None
        try:
            task = decode_message(message.body)
            request_id = task.request_id
            fields["kind"] = task.kind
            if task.kind not in self.tasks:
                raise MalformedMessage(f"message kind={task.kind!r} is not known; allowed: {', '.join(self.tasks)}")
            result = self.tasks[task.kind](task.payload)
        except (MalformedMessage, InvalidInput) as exc:
            reason = "malformed message" if isinstance(exc, MalformedMessage) else "invalid input"
            log.error("task failed", extra={"request_id": request_id, "fields": {
                **fields, "reason": reason, "error": _short(str(exc)),
                "outcome": "left in the queue: delivered again, then moved to the dead-letter queue"}})
            return False
        except Exception as exc:
            log.error("task failed", exc_info=exc, extra={"request_id": request_id, "fields": {
                **fields, "reason": "task error", "error": _short(f"{type(exc).__name__}: {exc}"),
                "outcome": "left in the queue: delivered again, then moved to the dead-letter queue"}})
            return False
        fields["duration_ms"] = round((time.monotonic() - started) * 1000, 3)
        try:
            self.queue.delete(message.receipt_handle)
        except QueueError as exc:
            log.error("task done but not deleted", extra={"request_id": request_id, "fields": {
                **fields, "result": result, "error": str(exc), "code": exc.code,
                "outcome": "delivered again: the task runs again"}})
            return False
        log.info("task done", extra={"request_id": request_id, "fields": {**fields, "result": result}})
        return True

    def _release(self, messages: list[Received]) -> int:
        try:
            self.queue.release([m.receipt_handle for m in messages])
        except QueueError as exc:
            log.warning("messages not given back", extra={"fields": {
                "count": len(messages), "error": str(exc), "code": exc.code,
                "outcome": "visible again after the queue's visibility timeout"}})
            return 0
        log.info("messages given back", extra={"fields": {
            "count": len(messages), "message_ids": [m.message_id for m in messages]}})
        return len(messages)

    # ---- the loop -----------------------------------------------------------------------------

    def run(self, *, max_batches: int | None = None) -> None:
        """Poll until `request_stop` (or ``max_batches`` receives); receive errors back off and retry."""
        batches = 0
        failures = 0
        while not self._stop_requested and (max_batches is None or batches < max_batches):
            batches += 1
            try:
                self.poll_once()
                failures = 0
            except QueueError as exc:
                failures += 1
                pause = min(2 ** (failures - 1), MAX_BACKOFF_SECONDS)
                log.error("receive failed", extra={"fields": {
                    "error": str(exc), "code": exc.code, "failures": failures, "retry_in_seconds": pause}})
                self._pause(pause)

    def _pause(self, seconds: float) -> None:
        self._interruptible = True
        try:
            if not self._stop_requested:
                time.sleep(seconds)
        finally:
            self._interruptible = False

    # ---- the command --------------------------------------------------------------------------

    def _on_stop_signal(self, signum: int, frame: FrameType | None) -> None:
        if not self._stop_requested:
            self._stop_requested = True
            log.info("stop requested", extra={"fields": {
                "signal": signal.Signals(signum).name, "graceful_timeout_seconds": self.graceful_timeout_seconds}})
            signal.setitimer(signal.ITIMER_REAL, self.graceful_timeout_seconds)
        if self._interruptible:
            raise _Interrupted

    def _on_deadline(self, signum: int, frame: FrameType | None) -> None:
        raise _DeadlineReached

    def serve(self) -> int:
        """`run` until SIGTERM or SIGINT, then stop gracefully (module docstring); returns 0.

        Installs the handlers of SIGTERM, SIGINT and SIGALRM for the duration, so it must be
        called from the main thread.
        """
        handlers = {signal.SIGTERM: self._on_stop_signal, signal.SIGINT: self._on_stop_signal,
                    signal.SIGALRM: self._on_deadline}
        previous = {sig: signal.signal(sig, handler) for sig, handler in handlers.items()}
        try:
            self.run()
        except _Interrupted:
            log.info("long poll abandoned", extra={"fields": {"outcome": "no message was in hand"}})
        except _DeadlineReached:
            log.warning("graceful timeout reached", extra={"fields": {
                "graceful_timeout_seconds": self.graceful_timeout_seconds,
                "outcome": "the message in hand is delivered again after the visibility timeout"}})
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        log.info("worker stopped")
        return EXIT_STOPPED


def main() -> int:
    try:
        settings = load_settings()
        queue_url = settings.require_queue_url()
    except SettingsError as exc:
        print(f"app.worker: {exc}", file=sys.stderr)
        return EXIT_SETTINGS
    configure_json_logging(logging.getLogger("app"), service=settings.app_name, level=settings.log_level)
    queue = WorkQueue(queue_url, region=settings.aws_region)
    try:
        queue.check()
    except QueueError as exc:
        log.error("work queue unreadable", extra={"fields": {"queue_url": queue_url, "error": str(exc),
                                                             "code": exc.code}})
        return EXIT_QUEUE_UNREADABLE
    tracing = setup_tracing(service_name=settings.app_name, service_version=settings.app_version,
                            environment=settings.app_env)
    worker = Worker(queue, tracing=tracing)
    log.info("worker started", extra={"fields": {
        "queue_url": queue_url, "version": settings.app_version, "wait_seconds": worker.wait_seconds,
        "max_messages": worker.max_messages, "graceful_timeout_seconds": worker.graceful_timeout_seconds}})
    try:
        return worker.serve()
    finally:
        tracing.shutdown()


if __name__ == "__main__":
    sys.exit(main())
