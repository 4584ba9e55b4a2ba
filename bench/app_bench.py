"""Benchmark: the app under gunicorn vs a bare Flask hello-world under the same settings (not a test).

    .venv/bin/python bench/app_bench.py [--duration 10] [--rounds 2] [--connections 32] [--threads 2]

Both servers run one at a time on 127.0.0.1 with the project's gunicorn config
(``--config python:app.gunicorn_conf``: gthread, $WEB_CONCURRENCY or 2 x CPUs + 1
workers, JSON access log) and only ``--bind`` changed to 127.0.0.1:<free port>:

* ``app``   - ``app.wsgi:app``, ``GET /`` (request id, JSON body, security headers);
* ``hello`` - ``bench/hello_wsgi.py``, ``GET /`` returning ``Hello, World!``.

wrk (Debian's package; installed with apt-get when missing and running as root)
loads each for ``--duration`` seconds after a 2 s warm-up; rounds alternate
hello/app so drift on a shared machine hits both. It prints requests/s and p99
latency per round, the medians, and the ratio app/hello against the target
(>= 0.85). It also prints the CPU time the gunicorn processes spent per request
(from /proc): on a busy machine throughput swings with other load, CPU per request
much less, so the CPU ratio hello/app is the steadier view of the same overhead. The ratio never fails the run; a non-2xx response, a socket error or a
wrong response body does (exit 1). Access logs go to a temporary file, which is
also scanned for non-2xx statuses.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 0.85
WARMUP_SECONDS = 2


@dataclass(frozen=True)
class Server:
    label: str
    wsgi: str
    expect: bytes  # a substring of the GET / body


@dataclass(frozen=True)
class Result:
    rps: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: str | None
    cpu_us_per_request: float = 0.0


SERVERS = (
    Server("hello", "hello_wsgi:app", b"Hello, World!"),
    Server("app", "app.wsgi:app", b'"service":'),
)


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit("wrk is not installed; install Debian's package: sudo apt-get install wrk")
    print("==> wrk not found: apt-get install wrk", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    found = shutil.which("wrk")
    if not found:
        sys.exit("wrk is still missing after apt-get install wrk")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(output: str) -> Result:
    rps = re.search(r"Requests/sec:\s+([0-9.]+)", output)
    p99 = re.search(r"^\s*99%\s+([0-9.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
    total = re.search(r"^\s*([0-9]+) requests in", output, re.MULTILINE)
    if not (rps and p99 and total):
        raise RuntimeError("could not parse wrk output:\n" + output)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+([0-9]+)", output)
    errors = re.search(r"Socket errors:.*", output)
    return Result(float(rps.group(1)), _ms(p99.group(1), p99.group(2)), int(total.group(1)),
                  int(non_2xx.group(1)) if non_2xx else 0, errors.group(0) if errors else None)


def start(server: Server, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "bench")]),
           "APP_VERSION": "bench", "APP_ENV": "local"}
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "python:app.gunicorn_conf",
             "--bind", f"127.0.0.1:{port}", server.wsgi],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{server.label}: gunicorn exited with {proc.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as resp:
                body = resp.read()
            if resp.status != 200 or server.expect not in body:
                raise RuntimeError(f"{server.label}: GET / answered {resp.status} {body[:200]!r}")
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{server.label}: gunicorn did not answer in 30 s; see {log_path}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wrk(exe: str, port: int, seconds: int, connections: int, threads: int) -> Result:
    out = subprocess.run(
        [exe, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s",
         f"http://127.0.0.1:{port}/"],
        capture_output=True, text=True, check=True, timeout=seconds + 30,
    ).stdout
    return parse_wrk(out)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a gunicorn master and its live workers (from /proc)."""
    total = 0.0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    for p in [str(pid), *children]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
    return total


def non_2xx_in_log(log_path: Path) -> int:
    bad = 0
    for line in log_path.read_text(errors="replace").splitlines():
        try:
            doc = json.loads(line)
        except json.JSONDecodeError:
            continue
        if doc.get("logger") == "gunicorn.access" and not 200 <= int(doc.get("status", 0)) < 300:
            bad += 1
    return bad


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per measurement (default 10)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating hello/app rounds (default 2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    args = parser.parse_args()
    if not 1 <= args.duration <= 60 or not 1 <= args.rounds <= 5:
        sys.exit(f"--duration={args.duration} / --rounds={args.rounds}; allowed: 1..60 s and 1..5 rounds")

    exe = ensure_wrk()
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)
    sys.path.insert(0, str(ROOT))
    from app.settings import load_settings

    settings = load_settings()
    print(f"wrk: {(version.stdout or version.stderr).splitlines()[0]}")
    print(f"gunicorn (both): --config python:app.gunicorn_conf, gthread, {settings.workers} workers x "
          f"{settings.threads} threads, JSON access log to a file; load: -t{args.threads} -c{args.connections} "
          f"-d{args.duration}s on 127.0.0.1, {args.rounds} alternating rounds, {WARMUP_SECONDS} s warm-up each")
    results: dict[str, list[Result]] = {s.label: [] for s in SERVERS}
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="app-bench-") as tmp:
        for rnd in range(1, args.rounds + 1):
            for server in SERVERS:
                port = free_port()
                log_path = Path(tmp) / f"{server.label}.log"
                proc = start(server, port, log_path)
                try:
                    wrk(exe, port, WARMUP_SECONDS, args.connections, args.threads)
                    cpu_before = tree_cpu_seconds(proc.pid)
                    res = wrk(exe, port, args.duration, args.connections, args.threads)
                    cpu_seconds = tree_cpu_seconds(proc.pid) - cpu_before
                    res = Result(res.rps, res.p99_ms, res.requests, res.non_2xx, res.socket_errors,
                                 cpu_seconds / max(res.requests, 1) * 1e6)
                finally:
                    stop(proc)
                results[server.label].append(res)
                print(f"  round {rnd} {server.label:5s}: {res.rps:9.0f} req/s  p99 {res.p99_ms:7.2f} ms  "
                      f"server CPU {res.cpu_us_per_request:6.0f} us/req  "
                      f"({res.requests} requests, non-2xx {res.non_2xx})", flush=True)
                if res.non_2xx:
                    failures.append(f"{server.label} round {rnd}: {res.non_2xx} non-2xx responses")
                if res.socket_errors:
                    failures.append(f"{server.label} round {rnd}: {res.socket_errors}")
        for server in SERVERS:
            bad = non_2xx_in_log(Path(tmp) / f"{server.label}.log")
            if bad:
                failures.append(f"{server.label}: {bad} non-2xx statuses in the access log")

    rps = {k: statistics.median(r.rps for r in v) for k, v in results.items()}
    p99 = {k: statistics.median(r.p99_ms for r in v) for k, v in results.items()}
    cpu = {k: statistics.median(r.cpu_us_per_request for r in v) for k, v in results.items()}
    ratio = rps["app"] / rps["hello"]
    print()
    print(f"{'':24s}{'req/s':>10s}{'p99 ms':>10s}{'server CPU us/req':>20s}")
    print(f"{'hello-world (baseline)':24s}{rps['hello']:10.0f}{p99['hello']:10.2f}{cpu['hello']:20.0f}")
    print(f"{'app GET /':24s}{rps['app']:10.0f}{p99['app']:10.2f}{cpu['app']:20.0f}")
    verdict = "meets" if ratio >= TARGET_RATIO else "BELOW"
    print(f"ratio app/hello req/s: {ratio:.3f} ({verdict} the target >= {TARGET_RATIO}); "
          f"p99 app/hello: {p99['app'] / p99['hello']:.2f}x; "
          f"CPU-per-request hello/app: {cpu['hello'] / cpu['app']:.3f} (less sensitive to other load)")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} (1 min) on {os.cpu_count()} CPUs")
    if failures:
        print("FAILED: " + "; ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
