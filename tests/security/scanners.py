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
