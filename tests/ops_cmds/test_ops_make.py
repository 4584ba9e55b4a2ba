"""The make targets are thin wrappers: check the exact argv each one passes to `python -m ops.<x>`.

PY is replaced by a script that prints its argv, and the venv prerequisite is treated as up to
date (`make -o`), so nothing is installed or contacted.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PRINT_ARGV = Path(__file__).with_name("data") / "print_argv.py"

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")


def make_argv(*args: str, env: dict[str, str] | None = None) -> list[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("ENV", "MAKEFLAGS", "MFLAGS")}
    environment.update(env or {})
    result = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", "PY=%s %s" % (sys.executable, PRINT_ARGV), *args],
        cwd=REPO, env=environment, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    argv: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return argv


def test_make_cost_without_env_prices_every_environment() -> None:
    assert make_argv("cost") == ["-m", "ops.cost", "--out", "cdktf.out"]


def test_make_cost_with_env_on_the_command_line_or_from_the_shell() -> None:
    assert make_argv("cost", "ENV=prod") == ["-m", "ops.cost", "--out", "cdktf.out", "--env", "prod"]
    assert make_argv("cost", env={"ENV": "dev"}) == ["-m", "ops.cost", "--out", "cdktf.out", "--env", "dev"]


def test_make_status_defaults_to_local_and_a_table() -> None:
    assert make_argv("status") == ["-m", "ops.status", "--env", "local", "--out", "cdktf.out", "--format", "table"]
    assert make_argv("status", "ENV=prod", "FORMAT=json") == [
        "-m", "ops.status", "--env", "prod", "--out", "cdktf.out", "--format", "json"
    ]  # fmt: skip


def test_make_logs_passes_since_follow_filter_and_timeout() -> None:
    assert make_argv("logs") == ["-m", "ops.logs", "--env", "local", "--out", "cdktf.out", "--since", "15m"]
    argv = make_argv("logs", "ENV=staging", "SINCE=2h", "FOLLOW=1", "FILTER=it's an \"ERROR\"", "TIMEOUT=30")
    assert argv == ["-m", "ops.logs", "--env", "staging", "--out", "cdktf.out", "--since", "2h",
                    "--filter", "it's an \"ERROR\"", "--follow", "--timeout", "30"]  # fmt: skip


def test_make_run_task_passes_cmd_verbatim() -> None:
    argv = make_argv("run-task", "ENV=prod", "CMD=python -c 'print(\"hi there\")'", "TIMEOUT=60")
    assert argv == ["-m", "ops.run_task", "--env", "prod", "--out", "cdktf.out",
                    "--command", "python -c 'print(\"hi there\")'", "--timeout", "60"]  # fmt: skip


def test_make_status_logs_and_run_task_pass_workload() -> None:
    assert make_argv("status", "WORKLOAD=worker") == [
        "-m", "ops.status", "--env", "local", "--out", "cdktf.out", "--format", "table", "--workload", "worker"
    ]  # fmt: skip
    assert make_argv("logs", "ENV=prod", "WORKLOAD=report") == [
        "-m", "ops.logs", "--env", "prod", "--out", "cdktf.out", "--since", "15m", "--workload", "report"
    ]  # fmt: skip
    # A job runs its own command: without CMD no --command is passed.
    assert make_argv("run-task", "ENV=prod", "WORKLOAD=report") == [
        "-m", "ops.run_task", "--env", "prod", "--out", "cdktf.out", "--workload", "report"
    ]  # fmt: skip
    assert make_argv("run-task", "WORKLOAD=worker", "CMD=python -m app.worker --once") == [
        "-m", "ops.run_task", "--env", "local", "--out", "cdktf.out", "--workload", "worker",
        "--command", "python -m app.worker --once",
    ]  # fmt: skip


def test_make_help_lists_the_operate_targets() -> None:
    result = subprocess.run(["make", "--no-print-directory", "help"], cwd=REPO, capture_output=True, text=True,
                            timeout=60, check=False)  # fmt: skip
    assert result.returncode == 0
    assert "Operate" in result.stdout
    lines = _plain(result.stdout).splitlines()
    for target in ("status", "logs", "run-task", "cost"):
        assert any(line.split()[:1] == [target] for line in lines), target
    for target in ("status", "logs", "run-task"):
        [line] = [line for line in lines if line.split()[:1] == [target]]
        assert "WORKLOAD" in line, line
    kinds = {line.split()[0]: line for line in lines if line.split()[:1] in (["web"], ["backend"], ["worker"], ["job"])}
    assert sorted(kinds) == ["backend", "job", "web", "worker"]  # one example of each workload kind
    assert "nlb = {" in kinds["web"] and "schedule = " in kinds["job"] and "queue = {}" in kinds["worker"]


def _plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text).replace("\n  ", "\n")
