"""Fixtures of the security gate: the scanner venv and one run of each scanner per session.

The scanners (checkov, parliament, hadolint) live in their own venv, ``.tools-venv``, because
checkov pins dependencies that conflict with the project's. ``make security`` creates it from
``requirements-security.txt`` and runs these tests with ``SECURITY_GATE=1``; under a plain
``make test`` the scanner tests skip and say so (like the e2e lane, they are their own CI step).
The tests that read only the synthesized JSON (secure defaults, constructs) always run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.security.scanners import TOOLS_VENV, run_json


def require_gate() -> None:
    if os.environ.get("SECURITY_GATE") != "1":
        pytest.skip("scanner test: runs in `make security` (SECURITY_GATE=1), which installs the scanners first")


@pytest.fixture(scope="session")
def tools_python() -> Path:
    require_gate()
    python = TOOLS_VENV / "bin" / "python"
    missing = [name for name in ("checkov", "parliament") if not (TOOLS_VENV / "bin" / name).is_file()]
    if not python.is_file() or missing:
        pytest.skip(
            "scanner venv %s lacks %s; run `make security` (installs requirements-security.txt into it)"
            % (TOOLS_VENV, ", ".join(missing) or "python")
        )
    return python


@pytest.fixture(scope="session")
def checkov_report(tools_python: Path, synth_dir: Path) -> dict[str, Any]:
    code, report, stderr = run_json(tools_python, "run_checkov.py", str(synth_dir))
    assert code in (0, 1) and report, "run_checkov.py failed (exit %d): %s" % (code, stderr)
    return report


@pytest.fixture(scope="session")
def iam_report(tools_python: Path, synth_dir: Path) -> dict[str, Any]:
    code, report, stderr = run_json(tools_python, "iam_audit.py", str(synth_dir))
    assert code in (0, 1) and report, "iam_audit.py failed (exit %d): %s" % (code, stderr)
    return report
