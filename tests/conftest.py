"""Shared fixtures: one synthesis of every environment per test session, and terraform.

The synth accelerator (fastsynth) is installed before anything imports cdktf, exactly as main.py
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

import fastsynth

fastsynth.install(enabled=os.environ.get("CDKTF_FAST_IMPORT", "1") != "0")

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


def own(stack: dict[str, Any], rtype: str) -> dict[str, dict[str, Any]]:
    """Resources of one type that belong to the environment itself and its own web service: not to one of
    its further workloads (those live in ``Workload-<name>`` scopes, stacks/workloads.py)."""
    return {name: body for name, body in resources(stack, rtype).items() if not name.startswith("Workload-")}


def synth_construct(build: Any) -> dict[str, Any]:
    """Synthesize one construct in a throwaway stack with a provider; returns the parsed JSON."""
    from cdktf import TerraformStack, Testing
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    stack = TerraformStack(Testing.app(), "test")
    AwsProvider(stack, "aws", region="us-east-1")
    build(stack)
    return json.loads(Testing.synth(stack))


# Terraform's words when it cannot reach the registry for a provider (offline, no mirror found).
REGISTRY_UNREACHABLE = ("could not connect to registry.terraform.io", "Failed to query available provider packages")


def _provider_probe(terraform: str, workdir: Path) -> str | None:
    """Why the provider cannot be installed (a real ``terraform init`` of a one-provider config), or None."""
    from ops import provider_mirror

    (workdir / "main.tf.json").write_text(json.dumps({"terraform": {"required_providers": {"aws": {
        "source": "hashicorp/aws", "version": provider_mirror.PROVIDER_VERSION}}}}))  # fmt: skip
    init = run_terraform(terraform, workdir, "init", "-backend=false", "-input=false")
    output = init.stdout + init.stderr
    if init.returncode != 0 and any(words in output for words in REGISTRY_UNREACHABLE):
        return (
            "the hashicorp/aws %s provider is in no local mirror (searched Terraform's implied directories, %s and"
            " the home directory) and the Terraform registry cannot be reached"
            % (provider_mirror.PROVIDER_VERSION, ", ".join(provider_mirror.COMMON_ROOTS))
        )
    return None


# What the terraform-backed tests did, for one summary line at the end of the run.
_TERRAFORM_RUN: dict[str, Any] = {"tests": set(), "outcomes": {}, "provider": None}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    _TERRAFORM_RUN["tests"] = {item.nodeid for item in items if "terraform" in getattr(item, "fixturenames", ())}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.nodeid in _TERRAFORM_RUN["tests"] and (report.when == "call" or report.skipped):
        _TERRAFORM_RUN["outcomes"][report.nodeid] = report.outcome


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say whether the tests that run the real terraform + provider ran, and where the provider came from."""
    outcomes = list(_TERRAFORM_RUN["outcomes"].values())
    if not outcomes:
        return
    counts = ", ".join("%d %s" % (outcomes.count(o), o) for o in ("passed", "failed", "skipped") if o in outcomes)
    terminalreporter.write_line(
        "terraform-backed tests (init/validate/plan/apply with the real provider): %s; %s"
        % (counts, _TERRAFORM_RUN["provider"] or "terraform provider: not resolved")
    )


@pytest.fixture(scope="session")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The terraform binary, with this session's environment set up to find the pinned provider
    the way the project's commands do (``ops.provider_mirror``: the user's CLI config, an implied or
    common-location mirror, else the registry). Skips with the reason when the provider cannot be had."""
    from ops import provider_mirror

    exe = shutil.which("terraform")
    if exe is None:
        pytest.skip("terraform is not installed (needed for init/validate of the synthesized stacks)")
    env, found = provider_mirror.terraform_env()
    with pytest.MonkeyPatch.context() as patch:
        if "TF_CLI_CONFIG_FILE" in env:
            patch.setenv("TF_CLI_CONFIG_FILE", env["TF_CLI_CONFIG_FILE"])
        else:
            patch.delenv("TF_CLI_CONFIG_FILE", raising=False)
        _TERRAFORM_RUN["provider"] = found.message
        if found.source == "registry":
            reason = _provider_probe(exe, tmp_path_factory.mktemp("provider-probe"))
            if reason:
                pytest.skip(reason)
        yield exe


def run_terraform(terraform: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1")
    return subprocess.run([terraform, *args, "-no-color"], cwd=cwd, env=env, capture_output=True, text=True, check=False)
