"""gunicorn settings for the app: ``gunicorn --config python:app.gunicorn_conf app.wsgi:app``.

Every value comes from `app.settings` (validated environment), so the bind port,
worker count and timeouts here are the ones the infrastructure code reads:

- ``bind``: 0.0.0.0:$PORT (default 3000, the Dockerfile's EXPOSE);
- ``workers``: $WEB_CONCURRENCY, else 2 x CPUs + 1; ``threads``: $GUNICORN_THREADS, else 2;
- ``graceful_timeout``: 20 s, shorter than the ECS task's 30 s stopTimeout;
- ``worker_tmp_dir``: /dev/shm (the task's root filesystem is read-only);
- access and error logs: JSON lines on stdout (`app.gunicorn_logger.JsonGunicornLogger`).
"""

from __future__ import annotations

from app.settings import (
    GRACEFUL_TIMEOUT_SECONDS,
    KEEPALIVE_SECONDS,
    WORKER_TIMEOUT_SECONDS,
    load_settings,
)

_settings = load_settings()

wsgi_app = "app.wsgi:app"
bind = f"0.0.0.0:{_settings.port}"
workers = _settings.workers
worker_class = "gthread"
threads = _settings.threads
timeout = WORKER_TIMEOUT_SECONDS
graceful_timeout = GRACEFUL_TIMEOUT_SECONDS
keepalive = KEEPALIVE_SECONDS
worker_tmp_dir = "/dev/shm"
# Requests reach the task only through the ALB, inside the VPC: trust its
# X-Forwarded-Proto so the app sees https.
forwarded_allow_ips = "*"
# The runtime control socket would be created under $HOME, which is read-only
# in the task; nothing uses it.
control_socket_disable = True

accesslog = "-"
errorlog = "-"
loglevel = _settings.log_level.lower()
logger_class = "app.gunicorn_logger.JsonGunicornLogger"
proc_name = _settings.app_name
