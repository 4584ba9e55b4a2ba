"""Run the image's workloads on this machine against a local SQS emulator: ``make run``, ``make run-job``.

Example::

    python scripts/run_local.py          # emulator + queues, web on :3000, worker; Ctrl-C stops all three
    python scripts/run_local.py job      # the job once, against that emulator (else a fresh one)

``run`` (the default) starts, in this order:

1. moto (``moto[server]``, from requirements-dev.txt) inside this process, on 127.0.0.1:SQS_PORT
   (``--sqs-port``, default 5056; the deploy emulator of ``make emulator-start`` keeps 5055);
2. the work queue ``flask-app-local-jobs`` and its dead-letter queue ``flask-app-local-jobs-dlq``
   (a message moves there after `MAX_RECEIVE_COUNT` failed deliveries, `VISIBILITY_TIMEOUT_SECONDS`
   apart);
3. the web app under gunicorn with the image's settings on 127.0.0.1:PORT (``--port``, default 3000);
4. the worker, ``python -m app.worker``.

Both children get QUEUE_URL and AWS_ENDPOINT_URL (boto3 sends every call to the emulator) and
dummy credentials; their JSON logs go to stdout, this script's own lines to stderr. Ctrl-C (or
SIGTERM) sends SIGTERM to the web app and the worker by PID, waits for them (SIGKILL after
`STOP_TIMEOUT_SECONDS`), then stops the emulator: nothing is left running. When one of them
exits on its own, the others are stopped the same way and the script exits 1.

``job`` runs ``python -m app.job`` once with the same settings and exits with its code (0: the
dead-letter queue is empty, 1: it holds messages). It uses the emulator of a running ``make run``
when SQS_PORT answers, else starts one (with empty queues) for the run.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from app.settings import (  # noqa: E402 - after the repository root is importable
    DEFAULT_PORT,
    GRACEFUL_TIMEOUT_SECONDS,
    HEALTH_PATH,
    JOB_COMMAND,
    WORKER_COMMAND,
)

HOST = "127.0.0.1"
DEFAULT_SQS_PORT = 5056
REGION = "us-east-1"
QUEUE_NAME = "flask-app-local-jobs"
DLQ_NAME = "flask-app-local-jobs-dlq"
MAX_RECEIVE_COUNT = 3
VISIBILITY_TIMEOUT_SECONDS = 10
#: Seconds a child may take to exit after SIGTERM before it is killed.
STOP_TIMEOUT_SECONDS = GRACEFUL_TIMEOUT_SECONDS + 5
START_TIMEOUT_SECONDS = 30.0


class RunError(Exception):
    """Something this script needs cannot be had; the message says what to do."""


def say(text: str) -> None:
    print(f"run_local: {text}", file=sys.stderr, flush=True)


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


class Emulator:
    """moto's server in a thread of this process (so it stops with it)."""

    def __init__(self, port: int) -> None:
        try:
            from moto.server import ThreadedMotoServer
        except ImportError as exc:
            raise RunError(f"moto[server] is not installed ({exc}); `make venv` installs it "
                           "(requirements-dev.txt)") from None
        if _port_in_use(port):
            raise RunError(f"{HOST}:{port} is in use (another `make run`?); stop it or set SQS_PORT to a free port")
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per emulator request
        self.url = f"http://{HOST}:{port}"
        self._server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
        self._server.start()

    def stop(self) -> None:
        self._server.stop()


def aws_env(endpoint_url: str) -> dict[str, str]:
    """The environment of a child: this one, pointed at the emulator with dummy credentials."""
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_PROFILE", "AWS_SESSION_TOKEN")}
    env.update({"AWS_ENDPOINT_URL": endpoint_url, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
                "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "APP_ENV": "local"})
    env.setdefault("APP_VERSION", _git_version())
    return env


def _git_version() -> str:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                            text=True, check=False)
    return result.stdout.strip() or "dev"


def create_queues(endpoint_url: str) -> tuple[str, str]:
    """The work queue and its dead-letter queue on the emulator (kept if they exist)."""
    import boto3

    sqs = boto3.session.Session().client(
        "sqs", region_name=REGION, endpoint_url=endpoint_url,
        aws_access_key_id="testing", aws_secret_access_key="testing")
    dlq_url = sqs.create_queue(QueueName=DLQ_NAME)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(QueueName=QUEUE_NAME, Attributes={
        "VisibilityTimeout": str(VISIBILITY_TIMEOUT_SECONDS),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT}),
    })["QueueUrl"]
    return str(queue_url), str(dlq_url)


def _stop(name: str, proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            say(f"{name} (pid {proc.pid}) still running {STOP_TIMEOUT_SECONDS} s after SIGTERM; killing it")
            proc.kill()
            proc.wait()
    say(f"{name} (pid {proc.pid}) exited {proc.returncode}")


def _wait_healthy(proc: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        _check_stop()
        if proc.poll() is not None:
            raise RunError(f"the web app exited {proc.returncode} at start (is port {port} free? set PORT)")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}{HEALTH_PATH}", timeout=1) as resp:
                if resp.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.1)
    raise RunError(f"the web app did not answer {HEALTH_PATH} on port {port} within {START_TIMEOUT_SECONDS:.0f} s")


class _Stop(Exception):
    """SIGINT or SIGTERM reached this script."""


# Names of the stop signals received. The handler only records them: the script checks at safe
# points, so a signal never lands between starting a child and recording its PID.
_signals: list[str] = []


def _record_signal(signum: int, frame: FrameType | None) -> None:
    _signals.append(signal.Signals(signum).name)


def _check_stop() -> None:
    if _signals:
        raise _Stop(_signals[0])


def _local(command: tuple[str, ...]) -> list[str]:
    """A workload's command with ``python`` (the image's venv) replaced by this interpreter."""
    return [sys.executable, *command[1:]] if command[0] == "python" else list(command)


def run(port: int, sqs_port: int) -> int:
    previous = {sig: signal.signal(sig, _record_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    children: list[tuple[str, subprocess.Popen[bytes]]] = []
    emulator: Emulator | None = None
    code = 0
    try:
        emulator = Emulator(sqs_port)
        queue_url, dlq_url = create_queues(emulator.url)
        _check_stop()
        env = {**aws_env(emulator.url), "QUEUE_URL": queue_url, "PORT": str(port)}
        say(f"SQS emulator   {emulator.url} (moto, in this process)")
        say(f"work queue     {queue_url}")
        say(f"dead letters   {dlq_url} (after {MAX_RECEIVE_COUNT} failed deliveries, "
            f"{VISIBILITY_TIMEOUT_SECONDS} s apart)")
        # Each child in its own session: Ctrl-C reaches this script only, which stops them in order.
        web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "python:app.gunicorn_conf", "--bind", f"{HOST}:{port}",
             "app.wsgi:app"], cwd=REPO_ROOT, env=env, start_new_session=True)
        children.append(("web", web))
        worker = subprocess.Popen(_local(WORKER_COMMAND), cwd=REPO_ROOT, env=env, start_new_session=True)
        children.append(("worker", worker))
        _wait_healthy(web, port)
        say(f"web            http://{HOST}:{port} (gunicorn, pid {web.pid})")
        say(f"worker         pid {worker.pid} ({' '.join(WORKER_COMMAND)})")
        say(f"try            curl -s -X POST -d '{{\"numbers\": [1, 2.5]}}' http://{HOST}:{port}/api/jobs")
        say("job            make run-job (python scripts/run_local.py job), in another terminal")
        say("stop           Ctrl-C: stops the web app, the worker and the emulator")
        say("ready")
        while True:
            _check_stop()
            for name, proc in children:
                if proc.poll() is not None:
                    raise RunError(f"{name} (pid {proc.pid}) exited {proc.returncode}; stopping the rest")
            time.sleep(0.1)
    except _Stop as stop:
        say(f"{stop} received; stopping")
    except RunError as exc:
        say(f"error: {exc}")
        code = 1
    finally:
        for name, proc in reversed(children):
            _stop(name, proc)
        if emulator is not None:
            emulator.stop()
            say("emulator stopped")
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code


def run_job(sqs_port: int) -> int:
    emulator: Emulator | None = None
    try:
        if _port_in_use(sqs_port):
            endpoint_url = f"http://{HOST}:{sqs_port}"
            say(f"using the emulator on {endpoint_url}")
        else:
            emulator = Emulator(sqs_port)
            endpoint_url = emulator.url
            say(f"no emulator on {endpoint_url}; started one with empty queues for this run")
        queue_url, _ = create_queues(endpoint_url)
        env = {**aws_env(endpoint_url), "QUEUE_URL": queue_url}
        code = subprocess.run(_local(JOB_COMMAND), cwd=REPO_ROOT, env=env, check=False).returncode
        say(f"job exited {code} (0: dead-letter queue empty, 1: it holds messages, 2: bad settings, "
            "3: a queue cannot be read)")
        return code
    except RunError as exc:
        say(f"error: {exc}")
        return 1
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    finally:
        if emulator is not None:
            emulator.stop()


def port_number(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not valid; allowed: an integer 1024..65535") from None
    if not 1024 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{raw!r} is not valid; allowed: an integer 1024..65535")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/run_local.py",
        description="Run the web app and the worker (run), or the job once (job), against a local SQS emulator.")
    parser.add_argument("command", nargs="?", choices=("run", "job"), default="run")
    # String defaults go through `type` too, so a bad $PORT or $SQS_PORT is reported like a bad option.
    parser.add_argument("--port", type=port_number, default=os.environ.get("PORT") or str(DEFAULT_PORT),
                        help="web app port on 127.0.0.1 (default: $PORT, else %(default)s)")
    parser.add_argument("--sqs-port", type=port_number, default=os.environ.get("SQS_PORT") or str(DEFAULT_SQS_PORT),
                        help="SQS emulator port on 127.0.0.1 (default: $SQS_PORT, else %(default)s)")
    args: Any = parser.parse_args(argv)
    if args.command == "job":
        return run_job(args.sqs_port)
    return run(args.port, args.sqs_port)


if __name__ == "__main__":
    sys.exit(main())
