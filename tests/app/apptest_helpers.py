"""Helpers for the app tests that run a real gunicorn on 127.0.0.1."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

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
