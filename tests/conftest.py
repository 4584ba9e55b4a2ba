"""Shared fixtures: one synthesis of every environment per test session, and terraform.

The fast provider import is installed before anything imports cdktf, exactly as main.py
does, so the tests exercise the same import path users run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The jsii kernel starts inside install(): its environment must be complete before that.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from modules import _fastprovider

_fastprovider.install(enabled=os.environ.get("CDKTF_FAST_IMPORT", "1") != "0")

ROOT = Path(__file__).resolve().parent.parent


def run_python_json(code: str, *args: str, timeout: float = 300) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter from the repository root (its own jsii kernel, no
    inherited NODE_OPTIONS) and return the JSON object it printed on its last stdout line."""
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    env.pop("NODE_OPTIONS", None)
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every environment synthesized once, through main.build (the code `make synth` runs)."""
    import main

    out = tmp_path_factory.mktemp("synth") / "cdktf.out"
    main.build(str(out))
    return out


@pytest.fixture(scope="session")
def synth_all(synth_dir: Path) -> dict[str, dict[str, Any]]:
    """Stack name -> parsed cdk.tf.json."""
    return {
        stack.name: json.loads((stack / "cdk.tf.json").read_text())
        for stack in sorted((synth_dir / "stacks").iterdir())
    }


def resources(stack: dict[str, Any], rtype: str) -> dict[str, dict[str, Any]]:
    """Resources of one type in a synthesized stack (logical name -> body)."""
    return dict(stack.get("resource", {}).get(rtype, {}))


def synth_construct(build: Any) -> dict[str, Any]:
    """Synthesize one construct in a throwaway stack with a provider; returns the parsed JSON."""
    from cdktf import TerraformStack, Testing
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    stack = TerraformStack(Testing.app(), "test")
    AwsProvider(stack, "aws", region="us-east-1")
    build(stack)
    return json.loads(Testing.synth(stack))


def terraform_skip_reason() -> str | None:
    """Why terraform-backed tests cannot run here, or None if they can."""
    if shutil.which("terraform") is None:
        return "terraform is not installed (needed for init/validate of the synthesized stacks)"
    cli = os.environ.get("TF_CLI_CONFIG_FILE")
    if cli and not Path(cli).is_file():
        return (
            "TF_CLI_CONFIG_FILE=%s does not exist, so the hashicorp/aws provider cannot be installed offline; "
            ".ci/run writes one that points at the local provider mirror" % cli
        )
    return None


@pytest.fixture(scope="session")
def terraform() -> Iterator[str]:
    reason = terraform_skip_reason()
    if reason:
        pytest.skip(reason)
    exe = shutil.which("terraform")
    assert exe is not None
    yield exe


def run_terraform(terraform: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1")
    return subprocess.run([terraform, *args, "-no-color"], cwd=cwd, env=env, capture_output=True, text=True, check=False)
