"""``make run`` / ``make run-job`` (scripts/run_local.py): the web app and the worker against a local
SQS emulator, end to end on 127.0.0.1, and nothing left running after Ctrl-C."""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest
from apptest_helpers import REPO_ROOT, free_port

SCRIPT = REPO_ROOT / "scripts" / "run_local.py"

pytest.importorskip("moto.server", reason="moto[server] is not installed (requirements-dev.txt)")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("QUEUE_URL", "DLQ_URL", "AWS_ENDPOINT_URL")}
    env.update({"WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "2", "APP_VERSION": "test123"})
    return env


def _wait_for(path: Path, pattern: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(pattern, path.read_text())
        if found:
            return found
        if proc.poll() is not None:
            raise AssertionError(f"run_local exited {proc.returncode}:\n{path.read_text()}")
        time.sleep(0.05)
    raise AssertionError(f"no {pattern!r} within {timeout} s:\n{path.read_text()}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_run_serves_jobs_end_to_end_and_ctrl_c_leaves_nothing_running(tmp_path: Path) -> None:
    port, sqs_port = free_port(), free_port()
    out, err = tmp_path / "out.log", tmp_path / "err.log"
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        proc = subprocess.Popen([sys.executable, str(SCRIPT), "--port", str(port), "--sqs-port", str(sqs_port)],
                                cwd=REPO_ROOT, env=_env(), stdout=stdout, stderr=stderr)
    try:
        _wait_for(err, r"run_local: ready", proc)
        web_pid = int(_wait_for(err, r"web .* \(gunicorn, pid (\d+)\)", proc).group(1))
        worker_pid = int(_wait_for(err, r"worker +pid (\d+)", proc).group(1))
        assert f"http://127.0.0.1:{sqs_port}/123456789012/flask-app-local-jobs" in err.read_text()

        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/api/jobs", body=b'{"numbers": [1, 2.5]}', headers={"X-Request-ID": "req-local-000001"})
        resp = conn.getresponse()
        assert resp.status == 202, resp.read()
        conn.close()
        _wait_for(out, r'"message":"task done".*"request_id":"req-local-000001"', proc, timeout=10)
        done = next(json.loads(line) for line in out.read_text().splitlines() if '"task done"' in line)
        assert done["result"] == {"sum": 3.5, "count": 2}

        job = subprocess.run([sys.executable, str(SCRIPT), "job", "--sqs-port", str(sqs_port)], cwd=REPO_ROOT,
                             env=_env(), check=False, capture_output=True, text=True, timeout=60)
        assert job.returncode == 0, job.stderr
        assert f"using the emulator on http://127.0.0.1:{sqs_port}" in job.stderr
        (report,) = [json.loads(line) for line in job.stdout.splitlines()]
        assert (report["status"], report["dead_letter_queue"]["found_from"]) == ("ok", "RedrivePolicy")

        proc.send_signal(signal.SIGINT)  # Ctrl-C
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = err.read_text()
    assert f"worker (pid {worker_pid}) exited 0" in text
    assert f"web (pid {web_pid}) exited 0" in text
    assert "emulator stopped" in text
    assert not _alive(web_pid) and not _alive(worker_pid)
    assert not _listening(port) and not _listening(sqs_port)


@pytest.fixture(scope="module")
def run_local() -> ModuleType:
    """scripts/run_local.py imported as a module, for its checks."""
    spec = importlib.util.spec_from_file_location("run_local", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_emulator_port_in_use_is_refused(run_local: ModuleType) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        with pytest.raises(run_local.RunError,
                           match=rf"^127\.0\.0\.1:{port} is in use \(another `make run`\?\); stop it or set SQS_PORT to a free port$"):
            run_local.Emulator(port)


@pytest.mark.parametrize("raw", ["80", "70000", "web"])
def test_a_bad_port_is_refused_naming_the_value(run_local: ModuleType, raw: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=rf"^'{raw}' is not valid; allowed: an integer 1024\.\.65535$"):
        run_local.port_number(raw)


def _make(*args: str) -> subprocess.CompletedProcess[str]:
    """make with the venv's python replaced by print_argv_env.py and the venv taken as installed."""
    env = {k: v for k, v in _env().items() if k not in ("PORT", "SQS_PORT", "MAKEFLAGS", "MFLAGS")}
    return subprocess.run(["make", "--no-print-directory", "-o", ".venv/.installed",
                           f"PY={sys.executable} {Path(__file__).with_name('print_argv_env.py')}", *args],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run"], {"argv": ["scripts/run_local.py", "run"], "PORT": "3000", "SQS_PORT": "5056"}),
        (["run", "PORT=3100", "SQS_PORT=5100"], {"argv": ["scripts/run_local.py", "run"], "PORT": "3100", "SQS_PORT": "5100"}),
        (["run-job", "SQS_PORT=5100"], {"argv": ["scripts/run_local.py", "job"], "PORT": None, "SQS_PORT": "5100"}),
    ],
)
def test_make_run_and_run_job_call_the_script(args: list[str], expected: dict[str, object]) -> None:
    result = _make(*args)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == expected


@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
def test_make_help_describes_run_and_run_job() -> None:
    result = subprocess.run(["make", "--no-print-directory", "help"], cwd=REPO_ROOT, capture_output=True, text=True,
                            timeout=60, check=False)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
    lines = {line.split()[0]: line for line in plain.splitlines() if line.startswith("  ")}
    assert "worker" in lines["run"] and "SQS_PORT=5056" in lines["run"] and "Ctrl-C" in lines["run"]
    assert "job" in lines["run-job"]
