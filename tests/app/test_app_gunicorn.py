"""The app under a real gunicorn (app.gunicorn_conf) on 127.0.0.1: logs, start-up
validation, graceful SIGTERM under load, and replacement of a killed worker."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from apptest_helpers import REPO_ROOT, Gunicorn, free_port, http_get, start_gunicorn

from app.settings import GRACEFUL_TIMEOUT_SECONDS

HERE = Path(__file__).resolve().parent


def _wait_for(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_access_log_is_json_with_request_id_and_no_query_string(gunicorn_server: Gunicorn) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", gunicorn_server.port, timeout=5)
    conn.request("GET", "/?token=query-secret-1", headers={"X-Request-ID": "req-access-0001",
                                                          "Authorization": "Bearer header-secret-2"})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    assert resp.status == 200
    _wait_for(lambda: "req-access-0001" in gunicorn_server.log_path.read_text(), 5, "the access log line")
    docs = [json.loads(line) for line in gunicorn_server.log_lines()]  # every line is JSON
    access = [d for d in docs if d["logger"] == "gunicorn.access"]
    assert len(access) >= 1
    line = next(d for d in access if d.get("request_id") == "req-access-0001")
    assert (line["method"], line["path"], line["status"]) == ("GET", "/", 200)
    assert line["duration_ms"] >= 0
    assert line["service"] == "flask-app"
    text = gunicorn_server.log_path.read_text()
    assert "query-secret-1" not in text and "header-secret-2" not in text
    assert any(d["logger"] == "gunicorn.error" and "Booting worker" in d["message"] for d in docs)


def test_invalid_environment_stops_gunicorn_at_start(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "APP_ENV": "production"}
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--config", "python:app.gunicorn_conf",
         "--bind", f"127.0.0.1:{free_port()}", "app.wsgi:app"],
        check=False, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "APP_ENV='production' is not valid; allowed: local, dev, staging, prod" in result.stdout + result.stderr


def test_sigterm_during_load_fails_no_request(tmp_path: Path) -> None:
    """SIGTERM while 4 keep-alive clients loop and 2 slow requests are in flight.

    Like ECS after the ALB has drained the target: the listener closes, every
    request already sent completes with 200, kept-alive clients get a final
    response with ``Connection: close``, and the master exits 0 well within
    the graceful timeout.
    """
    server = start_gunicorn(tmp_path, wsgi="slow_wsgi:app", pythonpath=[str(HERE)])
    try:
        server.wait_healthy()
        stop_at = time.monotonic() + 15.0  # bound on the whole load
        sigterm_at: list[float] = []
        failures: list[str] = []
        fast_ok: list[float] = []
        closes: list[float] = []
        slow_results: list[tuple[int, bytes]] = []
        lock = threading.Lock()

        def fast_client() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            try:
                while time.monotonic() < stop_at:
                    try:
                        conn.request("GET", "/")
                        resp = conn.getresponse()
                        body = resp.read()
                    except (OSError, http.client.HTTPException) as exc:
                        with lock:
                            failures.append(f"fast request failed: {exc!r}")
                        return
                    now = time.monotonic()
                    with lock:
                        if resp.status != 200 or b'"service"' not in body:
                            failures.append(f"fast request got {resp.status}: {body[:200]!r}")
                            return
                        fast_ok.append(now)
                    if (resp.getheader("Connection") or "").lower() == "close":
                        with lock:
                            closes.append(now)
                        return  # the server asked this client to go: the load for it ends
            finally:
                conn.close()

        def slow_client() -> None:
            try:
                status, _, body = http_get(server.port, "/slow?s=3", timeout=20)
            except OSError as exc:
                with lock:
                    failures.append(f"slow request failed: {exc!r}")
                return
            with lock:
                slow_results.append((status, body))

        fast = [threading.Thread(target=fast_client) for _ in range(4)]
        slow = [threading.Thread(target=slow_client) for _ in range(2)]
        for t in fast:
            t.start()
        time.sleep(0.5)
        for t in slow:
            t.start()
        # Both slow requests are inside the app (each touched a marker) before SIGTERM.
        _wait_for(lambda: len(list(tmp_path.glob("slow-started-*"))) == 2, 10, "2 slow requests in flight")
        sigterm_at.append(time.monotonic())
        server.proc.send_signal(signal.SIGTERM)
        exit_code = server.proc.wait(timeout=GRACEFUL_TIMEOUT_SECONDS + 10)
        exited_after = time.monotonic() - sigterm_at[0]
        for t in fast + slow:
            t.join(timeout=20)

        assert failures == []
        assert exit_code == 0
        assert exited_after < GRACEFUL_TIMEOUT_SECONDS
        assert [s for s, _ in slow_results] == [200, 200]
        assert all(b'"slept":3.0' in b for _, b in slow_results)
        assert len(closes) == 4, "each kept-alive client gets a final Connection: close response"
        served_after_sigterm = [t for t in fast_ok if t >= sigterm_at[0]]
        assert served_after_sigterm, "the load must still be running when SIGTERM arrives"
        assert len(fast_ok) > 50, f"only {len(fast_ok)} requests: the load was too small to prove anything"
        log = server.log_path.read_text()
        assert "Handling signal: term" in log
    finally:
        server.stop()


def test_a_killed_worker_is_replaced_and_the_service_keeps_answering(gunicorn_server: Gunicorn) -> None:
    _wait_for(lambda: len(gunicorn_server.worker_pids()) == 2, 10, "2 workers")
    original = gunicorn_server.worker_pids()
    first, second = sorted(original)

    os.kill(first, signal.SIGKILL)
    # The surviving worker answers while the master replaces the dead one.
    statuses = [http_get(gunicorn_server.port, "/health")[0] for _ in range(20)]
    assert statuses == [200] * 20
    _wait_for(lambda: len(gunicorn_server.worker_pids()) == 2 and first not in gunicorn_server.worker_pids(),
              10, "a replacement worker")
    replacement = gunicorn_server.worker_pids() - original
    assert len(replacement) == 1

    # Kill the other original worker too: from now on only new workers serve.
    os.kill(second, signal.SIGKILL)
    _wait_for(lambda: len(gunicorn_server.worker_pids()) == 2 and not (gunicorn_server.worker_pids() & original),
              10, "both original workers replaced")
    statuses = [http_get(gunicorn_server.port, "/")[0] for _ in range(20)]
    assert statuses == [200] * 20
    assert gunicorn_server.proc.poll() is None
    log = gunicorn_server.log_path.read_text()
    assert f"Worker (pid:{first}) was sent SIGKILL" in log
    assert f"Worker (pid:{second}) was sent SIGKILL" in log
