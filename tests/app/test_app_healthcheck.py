"""The image HEALTHCHECK probe (python -m app.healthcheck) against a real gunicorn."""

from __future__ import annotations

import os
import subprocess
import sys

from apptest_helpers import REPO_ROOT, Gunicorn, free_port

from app.healthcheck import probe


def test_probe_is_healthy_against_the_running_app(gunicorn_server: Gunicorn) -> None:
    healthy, reason = probe(gunicorn_server.port)
    assert healthy, reason


def test_probe_is_unhealthy_when_nothing_listens() -> None:
    healthy, reason = probe(free_port(), timeout=1.0)
    assert not healthy
    assert "failed" in reason


def test_probe_is_unhealthy_on_a_non_200(gunicorn_server: Gunicorn) -> None:
    healthy, reason = probe(gunicorn_server.port, path="/missing")
    assert not healthy
    assert "answered 404" in reason


def test_module_exit_codes(gunicorn_server: Gunicorn) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    ok = subprocess.run([sys.executable, "-m", "app.healthcheck"], env={**env, "PORT": str(gunicorn_server.port)},
                        check=False, capture_output=True, text=True, timeout=30)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run([sys.executable, "-m", "app.healthcheck"], env={**env, "PORT": str(free_port())},
                         check=False, capture_output=True, text=True, timeout=30)
    assert bad.returncode == 1
    assert "unhealthy" in bad.stderr
