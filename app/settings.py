"""Runtime settings of the Flask app and its gunicorn server, read from the environment.

Smallest example::

    from app.settings import load_settings
    settings = load_settings({"APP_ENV": "dev", "PORT": "8080"})
    settings.port  # 8080

This module imports neither Flask, gunicorn nor boto3, so the contract constants below
(`DEFAULT_PORT`, `HEALTH_PATH`, `GRACEFUL_TIMEOUT_SECONDS`, the workloads' commands
`WEB_COMMAND`, `WORKER_COMMAND`, `JOB_COMMAND` and their IAM actions on the queues) can be
read by the infrastructure code and its tests without side effects.

The image runs three workloads, each with its own command: ``web`` (gunicorn behind the load
balancer), ``worker`` (consumes the SQS work queue, `app.worker`) and ``job`` (the scheduled
dead-letter report, `app.job`). The web needs QUEUE_URL only for ``POST /api/jobs``; the
worker and the job refuse to start without it.

Every variable is validated once, at start-up (gunicorn's master reads the
settings when it loads its config, each worker again in `create_app`): a bad
value stops the process with an error that names the variable, the value given
and what is allowed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

#: Port the app listens on when ``PORT`` is unset; also the Dockerfile's EXPOSE
#: and the container port of the ECS task definition.
DEFAULT_PORT = 3000

#: Liveness path (cheap, no I/O): the ALB target group and the image HEALTHCHECK use it.
HEALTH_PATH = "/health"

#: Readiness path: checks that the app can write its temporary directory.
READY_PATH = "/ready"

#: How long a process of the image takes at most to stop after SIGTERM: gunicorn lets
#: in-flight requests finish this long before it kills its workers; the queue worker
#: finishes the message in hand and abandons what still runs after this long (SQS
#: delivers it again). Must stay below the ECS container ``stopTimeout`` (30 s by default
#: in the service construct), or ECS sends SIGKILL first and work is cut.
GRACEFUL_TIMEOUT_SECONDS = 20

#: A worker silent for this long is killed and replaced by the gunicorn master.
WORKER_TIMEOUT_SECONDS = 30

#: Idle keep-alive time of a client connection. Longer than the ALB idle timeout
#: (60 s), so the ALB, not gunicorn, closes idle connections: no 502 from a race
#: between the two.
KEEPALIVE_SECONDS = 75

#: Numeric user and group the image runs as (not root; matches the task definition).
RUN_AS_UID = 10001
RUN_AS_GID = 10001

#: Largest accepted request body; larger bodies get a 413 JSON error.
MAX_CONTENT_LENGTH_BYTES = 1024 * 1024

#: Command of the ``web`` workload: the image's CMD (gunicorn with `app.gunicorn_conf`).
WEB_COMMAND = ("gunicorn", "--config", "python:app.gunicorn_conf", "app.wsgi:app")

#: Command of the ``worker`` workload: long-polls QUEUE_URL and runs each message (`app.worker`).
WORKER_COMMAND = ("python", "-m", "app.worker")

#: Command of the ``job`` workload, run on a schedule or on demand: the dead-letter report
#: (`app.job`; exits 1 when the dead-letter queue holds messages).
JOB_COMMAND = ("python", "-m", "app.job")

#: The worker's long poll: seconds one ReceiveMessage waits for messages, and most messages
#: it returns (both the SQS maxima).
WORKER_RECEIVE_WAIT_SECONDS = 20
WORKER_MAX_MESSAGES = 10

#: Environment variables of the queues (see `Settings`).
QUEUE_URL_VARIABLE = "QUEUE_URL"
DLQ_URL_VARIABLE = "DLQ_URL"

#: IAM actions each workload's task role needs. Web and worker: on the work queue. Job: on
#: the work queue and its dead-letter queue (GetQueueUrl only when DLQ_URL is unset and the
#: dead-letter queue is found from the work queue's RedrivePolicy). With SSE-KMS on a queue,
#: add kms:GenerateDataKey (web) or kms:Decrypt (worker) on its key; SSE-SQS needs nothing.
WEB_QUEUE_ACTIONS = ("sqs:SendMessage",)
WORKER_QUEUE_ACTIONS = (
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
)
JOB_QUEUE_ACTIONS = ("sqs:GetQueueAttributes", "sqs:GetQueueUrl")

ALLOWED_ENVS = ("local", "dev", "staging", "prod")
ALLOWED_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MAX_WORKERS = 64
MAX_THREADS = 64

_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
_VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")
# A standard (not FIFO) queue's URL: scheme, host[:port], 12-digit account id, queue name.
_QUEUE_URL_RE = re.compile(r"^https?://(?P<host>[A-Za-z0-9.-]+)(?::\d{1,5})?/\d{12}/[A-Za-z0-9_-]{1,80}$")
_QUEUE_URL_ALLOWED = (
    "the URL of a standard SQS queue, https://sqs.<region>.amazonaws.com/<12-digit account id>/<name of"
    " 1-80 letters, digits, '-' or '_'>"
)
_REGION_RE = re.compile(r"^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$")
# Hosts of SQS endpoints that name their region: sqs.<region>.amazonaws.com[.cn], <region>.queue.amazonaws.com.
_HOST_REGION_RE = re.compile(
    r"^(?:sqs\.(?P<a>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?|(?P<b>[a-z0-9-]+)\.queue\.amazonaws\.com)$"
)


class SettingsError(ValueError):
    """An environment variable holds a value the app cannot run with."""


def cpu_count() -> int:
    """CPUs this process may run on (the affinity mask, not the host's total)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def default_workers(cpus: int | None = None) -> int:
    """Worker processes when ``WEB_CONCURRENCY`` is unset: 2 x CPUs + 1, at most MAX_WORKERS."""
    n = cpus if cpus is not None else cpu_count()
    return min(2 * n + 1, MAX_WORKERS)


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Validated runtime settings. Field docs say what an unset variable does."""

    #: ``APP_NAME``; unset: "flask-app". Shown at ``GET /`` and in every log line.
    app_name: str = "flask-app"
    #: ``APP_ENV``; unset: "local". One of ALLOWED_ENVS.
    app_env: str = "local"
    #: ``APP_VERSION``; unset: "dev". The deploy sets it to the image tag (short git sha).
    app_version: str = "dev"
    #: ``PORT``; unset: DEFAULT_PORT.
    port: int = DEFAULT_PORT
    #: ``LOG_LEVEL``; unset: INFO.
    log_level: str = "INFO"
    #: ``WEB_CONCURRENCY``; unset: 2 x CPUs + 1 (see `default_workers`).
    workers: int = 1
    #: ``GUNICORN_THREADS``; unset: 2 threads per worker (gthread worker).
    threads: int = 2
    #: ``TMPDIR``; unset: /tmp, the only writable path in the ECS task.
    tmp_dir: str = "/tmp"
    #: ``QUEUE_URL``, the SQS work queue; unset: ``POST /api/jobs`` answers 503 and the
    #: worker and the job refuse to start (exit 2).
    queue_url: str | None = None
    #: ``DLQ_URL``, the work queue's dead-letter queue; unset: the job finds it from the
    #: work queue's RedrivePolicy.
    dlq_url: str | None = None
    #: ``AWS_REGION``, else ``AWS_DEFAULT_REGION`` (ECS sets both), else the region in
    #: QUEUE_URL's host: the region of the queue clients. Read only when QUEUE_URL is set
    #: (None otherwise); required then unless QUEUE_URL's host names the region.
    aws_region: str | None = None

    def require_queue_url(self) -> str:
        """QUEUE_URL, for the commands that cannot run without it; else a SettingsError naming it."""
        if self.queue_url is None:
            raise SettingsError(f"{QUEUE_URL_VARIABLE} is not set; allowed: {_QUEUE_URL_ALLOWED}")
        return self.queue_url

    def public(self) -> dict[str, object]:
        """The settings safe to log (all of them: none is a secret)."""
        return {
            "app_name": self.app_name,
            "app_env": self.app_env,
            "app_version": self.app_version,
            "port": self.port,
            "log_level": self.log_level,
            "workers": self.workers,
            "threads": self.threads,
            "tmp_dir": self.tmp_dir,
            "queue_url": self.queue_url,
            "dlq_url": self.dlq_url,
            "aws_region": self.aws_region,
        }


def _int(env: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip(), 10)
    except ValueError:
        raise SettingsError(
            f"{name}={raw!r} is not valid; allowed: an integer {lo}..{hi}"
        ) from None
    if not lo <= value <= hi:
        raise SettingsError(f"{name}={raw!r} is not valid; allowed: an integer {lo}..{hi}")
    return value


def _match(env: Mapping[str, str], name: str, default: str, pattern: re.Pattern[str], what: str) -> str:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if not pattern.fullmatch(raw):
        raise SettingsError(f"{name}={raw!r} is not valid; allowed: {what}")
    return raw


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...], *, upper: bool = False) -> str:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    value = raw.upper() if upper else raw
    if value not in allowed:
        raise SettingsError(f"{name}={raw!r} is not valid; allowed: {', '.join(allowed)}")
    return value


def _queue_url(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name)
    if raw is None or raw == "":
        return None
    if not _QUEUE_URL_RE.fullmatch(raw):
        raise SettingsError(f"{name}={raw!r} is not valid; allowed: {_QUEUE_URL_ALLOWED}")
    return raw


def _url_region(url: str) -> str | None:
    """The region an SQS endpoint URL names in its host (None for other hosts, e.g. an emulator)."""
    match = _QUEUE_URL_RE.fullmatch(url)
    host = _HOST_REGION_RE.fullmatch(match["host"]) if match else None
    return (host["a"] or host["b"]) if host else None


def _region(env: Mapping[str, str], queue_url: str | None) -> str | None:
    if queue_url is None:  # only the queue clients use the region
        return None
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        raw = env.get(name)
        if raw:
            if not _REGION_RE.fullmatch(raw):
                raise SettingsError(f"{name}={raw!r} is not valid; allowed: an AWS region such as us-east-1")
            url_region = _url_region(queue_url)
            if url_region is not None and url_region != raw:
                raise SettingsError(
                    f"{QUEUE_URL_VARIABLE}={queue_url!r} is not valid with {name}={raw!r};"
                    f" allowed: a queue in {raw}"
                )
            return raw
    url_region = _url_region(queue_url)
    if url_region is None:
        raise SettingsError(
            f"AWS_REGION is not set (nor AWS_DEFAULT_REGION) and {QUEUE_URL_VARIABLE}={queue_url!r} names no"
            " region; allowed: AWS_REGION set to an AWS region such as us-east-1"
        )
    return url_region


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the settings from ``environ`` (default: ``os.environ``).

    Raises `SettingsError` naming the variable, its value and the allowed values.
    """
    env = os.environ if environ is None else environ
    tmp_dir = env.get("TMPDIR") or "/tmp"
    if not os.path.isabs(tmp_dir):
        raise SettingsError(f"TMPDIR={tmp_dir!r} is not valid; allowed: an absolute path")
    queue_url = _queue_url(env, QUEUE_URL_VARIABLE)
    return Settings(
        app_name=_match(env, "APP_NAME", "flask-app", _NAME_RE,
                        "lower-case letters, digits and '-', starting with a letter, at most 63 characters"),
        app_env=_choice(env, "APP_ENV", "local", ALLOWED_ENVS),
        app_version=_match(env, "APP_VERSION", "dev", _VERSION_RE,
                           "letters, digits, '.', '_', '+' and '-', at most 128 characters"),
        port=_int(env, "PORT", DEFAULT_PORT, 1, 65535),
        log_level=_choice(env, "LOG_LEVEL", "INFO", ALLOWED_LOG_LEVELS, upper=True),
        workers=_int(env, "WEB_CONCURRENCY", default_workers(), 1, MAX_WORKERS),
        threads=_int(env, "GUNICORN_THREADS", 2, 1, MAX_THREADS),
        tmp_dir=tmp_dir,
        queue_url=queue_url,
        dlq_url=_queue_url(env, DLQ_URL_VARIABLE),
        aws_region=_region(env, queue_url),
    )
