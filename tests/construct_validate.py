"""The validity layer of a construct's tests: the real ``terraform init`` + ``validate`` on a test stack.

Use with the session's ``terraform`` fixture (tests/conftest.py), which finds the pinned provider the
way the project's commands do and skips, with the reason, when terraform or the provider is missing::

    def test_terraform_validate(terraform: str, tmp_path: Path, stack: dict[str, Any]) -> None:
        assert_valid(terraform, tmp_path, stack)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import run_terraform


def assert_valid(terraform: str, workdir: Path, stack: dict[str, Any]) -> None:
    """``stack`` (a parsed ``cdk.tf.json``) passes ``terraform validate`` with no error and no warning."""
    (workdir / "cdk.tf.json").write_text(json.dumps(stack))
    init = run_terraform(terraform, workdir, "init", "-backend=false", "-input=false")
    assert init.returncode == 0, "terraform init failed:\n%s%s" % (init.stdout, init.stderr)
    result = run_terraform(terraform, workdir, "validate", "-json")
    report = json.loads(result.stdout or "{}")
    assert report.get("valid") is True, json.dumps(report.get("diagnostics"), indent=2) + result.stderr
    warnings = [d for d in report.get("diagnostics", []) if d.get("severity") == "warning"]
    assert warnings == [], json.dumps(warnings, indent=2)
    assert result.returncode == 0
