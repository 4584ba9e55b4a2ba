"""Every synthesized stack passes `terraform init` + `terraform validate` with the real provider.

Offline, the provider comes from a local filesystem mirror that ``ops.provider_mirror`` finds
(as every project command does); these skip, with the reason, only without terraform or when
the provider is neither in a mirror nor reachable in the registry.
"""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import run_terraform
from tests.test_synth import STACKS


@pytest.fixture(scope="module")
def validated(terraform: str, synth_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    """Init and validate all stacks (two at a time: this machine has two cores)."""
    work = tmp_path_factory.mktemp("validate")
    # Validation needs no backend, and a copy keeps the shared synth output free of .terraform/.
    shutil.copytree(synth_dir / "stacks", work / "stacks")

    def one(stack: str) -> dict[str, object]:
        cwd = work / "stacks" / stack
        init = run_terraform(terraform, cwd, "init", "-backend=false", "-input=false")
        if init.returncode != 0:
            return {"stage": "init", "output": init.stdout + init.stderr}
        result = run_terraform(terraform, cwd, "validate", "-json")
        return {"stage": "validate", "returncode": result.returncode, "report": json.loads(result.stdout or "{}"),
                "stderr": result.stderr}  # fmt: skip

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(STACKS, pool.map(one, STACKS), strict=True))


@pytest.mark.parametrize("stack", STACKS)
def test_terraform_validate(stack: str, validated: dict[str, dict[str, object]]) -> None:
    result = validated[stack]
    assert result["stage"] == "validate", "terraform init failed:\n%s" % result.get("output")
    report = result["report"]
    assert isinstance(report, dict)
    assert report.get("valid") is True, json.dumps(report.get("diagnostics"), indent=2)
    assert result["returncode"] == 0
    warnings = [d for d in report.get("diagnostics", []) if d.get("severity") == "warning"]
    assert warnings == [], json.dumps(warnings, indent=2)
