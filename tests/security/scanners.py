"""Helpers of the security tests: where the scanners are, running the scripts in security/.

``tests/security`` is imported by pytest as a package named ``security``, which hides the
top-level ``security/`` folder from ``import``; its scripts are therefore loaded by path
(:func:`load_script`) or run as programs (:func:`run_json`).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TOOLS_VENV = ROOT / ".tools-venv"
SECURITY = ROOT / "security"


def tool(name: str) -> Path | None:
    """A scanner executable: the tool venv's copy first, then PATH."""
    candidate = TOOLS_VENV / "bin" / name
    if candidate.is_file():
        return candidate
    found = shutil.which(name)
    return Path(found) if found else None


def run_json(python: Path, script: str, *args: str) -> tuple[int, dict[str, Any], str]:
    proc = subprocess.run([str(python), str(SECURITY / script), *args, "--json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, check=False)  # fmt: skip
    try:
        report = json.loads(proc.stdout) if proc.stdout.strip() else {}
    except json.JSONDecodeError:
        report = {}
    return proc.returncode, report, proc.stderr


def load_script(name: str) -> ModuleType:
    """``security/<name>.py`` as a module (stdlib-only parts; the scanners are not imported)."""
    module_name = "_security_%s" % name
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, SECURITY / ("%s.py" % name))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def checkov_without_exceptions(python: Path, stack: dict[str, Any], name: str, tmp_path: Path) -> list[str]:
    """Run security/run_checkov.py over ``stack`` (as the stack ``name``) with an empty allow-list; returns the
    failures (``<check> on <resource>: <title>``), after checking that checkov ran and passed some checks."""
    out = tmp_path / "cdktf.out"
    (out / "stacks" / name).mkdir(parents=True)
    (out / "stacks" / name / "cdk.tf.json").write_text(json.dumps(stack))
    allow = tmp_path / "allow.toml"
    allow.write_text("")
    code, report, stderr = run_json(python, "run_checkov.py", str(out), "--allowlist", str(allow))
    assert report, "run_checkov.py printed no report (exit %d): %s" % (code, stderr)
    assert report["summary"]["passed"] > 0 and report["summary"]["parsing_errors"] == 0
    new = ["%(check_id)s on %(resource)s: %(check_name)s" % r for r in report["new_failures"]]
    assert code == (1 if new else 0), stderr
    return new
