"""Runtime settings of the Flask app and its gunicorn server, read from the environment.

Smallest example::

    from app.settings import load_settings
    settings = load_settings({"APP_ENV": "dev", "PORT": "8080"})
    settings.port  # 8080

This module imports neither Flask nor gunicorn, so the contract constants below
(`DEFAULT_PORT`, `HEALTH_PATH`, `GRACEFUL_TIMEOUT_SECONDS`) can be read by the
infrastructure code and its tests without side effects.

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

#: How long gunicorn lets in-flight requests finish after SIGTERM before it kills
#: the workers. Must stay below the ECS container ``stopTimeout`` (30 s by default
#: in the service construct), or ECS sends SIGKILL first and requests are cut.
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

ALLOWED_ENVS = ("local", "dev", "staging", "prod")
ALLOWED_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MAX_WORKERS = 64
MAX_THREADS = 64

_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
_VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")


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


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the settings from ``environ`` (default: ``os.environ``).

    Raises `SettingsError` naming the variable, its value and the allowed values.
    """
    env = os.environ if environ is None else environ
    tmp_dir = env.get("TMPDIR") or "/tmp"
    if not os.path.isabs(tmp_dir):
        raise SettingsError(f"TMPDIR={tmp_dir!r} is not valid; allowed: an absolute path")
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
    )
