"""A small Terraform runner for the synthesized stacks (``cdktf.out/stacks/<stack>``).

Example::

    from ops import tf
    stack = tf.Stack(Path("cdktf.out/stacks/local-registry"), env=aws.subprocess_env(cfg))
    stack.init()
    code = stack.plan(Path("plans/local/local-registry/tfplan"), variables={})   # 0 or 2
    stack.apply_plan(Path("plans/local/local-registry/tfplan"))
    stack.outputs()["repository_url"]
    stack.state_version()          # StateVersion(lineage='5c1...', serial=7), from `terraform state pull`

Every call prints one progress line (``   terraform plan local-registry ... 2.8 s``) and raises
:class:`TerraformError` with the tail of Terraform's output when the command fails.
``plan`` follows ``-detailed-exitcode``: 0 = no changes, 2 = changes; 1 raises.

Environment: the caller passes the variables from :func:`ops.access.prepare` (or
:func:`ops.aws.subprocess_env`); this module adds ``TF_IN_AUTOMATION``, ``TF_INPUT=0`` and
``CHECKPOINT_DISABLE=1``. It only runs Terraform: stack names and directories come from
:mod:`ops.context`, the synth step from :mod:`ops.synth`, reaching the account from
:mod:`ops.access`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ops.context import OpsError

TAIL_LINES = 40


class TerraformError(OpsError):
    """A Terraform command failed; ``output`` holds its combined stdout/stderr."""

    def __init__(self, message: str, output: str = "", returncode: int = 1):
        super().__init__(message)
        self.output = output
        self.returncode = returncode


def terraform_binary() -> str:
    found = shutil.which("terraform")
    if not found:
        raise TerraformError(
            "terraform is not on PATH; install Terraform 1.11 (https://developer.hashicorp.com/terraform/install)"
        )
    return found


REFRESH_NOISE = re.compile(r": (Refreshing state\.\.\.|Reading\.\.\.|Read complete after \S+)( \[id=.*\])?$")


def plan_text(stdout: str) -> str:
    """``terraform plan`` output without the per-resource refresh/read progress lines."""
    return "\n".join(line for line in stdout.splitlines() if not REFRESH_NOISE.search(line)).strip() + "\n"


def _tail(text: str, lines: int = TAIL_LINES) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


@dataclass(frozen=True)
class StateVersion:
    """Which state a plan was made against: Terraform refuses a saved plan once either moves."""

    lineage: str | None
    serial: int | None

    def describe(self) -> str:
        return "no state" if self.serial is None else "serial %d" % self.serial


def terraform_version() -> str:
    """``terraform version -json``'s version, e.g. ``1.11.4``."""
    result = subprocess.run(
        [terraform_binary(), "version", "-json"], capture_output=True, text=True, check=False,
        env={**os.environ, "CHECKPOINT_DISABLE": "1"},
    )  # fmt: skip
    if result.returncode != 0:
        raise TerraformError("terraform version failed: %s" % _tail(result.stderr), result.stderr, result.returncode)
    return str(json.loads(result.stdout)["terraform_version"])


@dataclass
class Stack:
    """One synthesized stack directory and the environment Terraform runs with."""

    directory: Path
    env: Mapping[str, str]
    log: TextIO = field(default=sys.stdout)
    last_plan_output: str = field(default="", repr=False)

    @property
    def name(self) -> str:
        return self.directory.name

    def _env(self) -> dict[str, str]:
        out = dict(self.env)
        out["TF_IN_AUTOMATION"] = "1"
        out["TF_INPUT"] = "0"
        out["CHECKPOINT_DISABLE"] = "1"
        return out

    def _say(self, text: str) -> None:
        print(text, file=self.log, flush=True)

    def run(
        self,
        args: list[str],
        *,
        label: str,
        ok_codes: tuple[int, ...] = (0,),
        stream: bool = False,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``terraform -chdir=<dir> <args>``; print a timing line; raise on other exit codes."""
        if not self.directory.is_dir():
            raise TerraformError("stack directory %s does not exist; run the synth step first" % self.directory)
        argv = [terraform_binary(), "-chdir=%s" % self.directory, *args]
        started = time.monotonic()
        if stream:
            self._say("   terraform %s %s ..." % (label, self.name))
            process = subprocess.Popen(
                argv, env=self._env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
            assert process.stdout is not None
            captured: list[str] = []
            for line in process.stdout:
                captured.append(line)
                if line.strip():
                    self._say("     | " + line.rstrip())
            returncode = process.wait()
            result = subprocess.CompletedProcess(argv, returncode, "".join(captured), "")
        else:
            result = subprocess.run(argv, env=self._env(), capture_output=True, text=True, check=False)
        elapsed = time.monotonic() - started
        if result.returncode not in ok_codes:
            output = (result.stdout or "") + (result.stderr or "")
            self._say("   terraform %s %s ... FAILED (exit %d, %.1f s)" % (label, self.name, result.returncode, elapsed))
            raise TerraformError(
                "terraform %s failed in %s (exit %d):\n%s" % (label, self.directory, result.returncode, _tail(output)),
                output,
                result.returncode,
            )
        self._say("   terraform %s %s ... %.1f s" % (label, self.name, elapsed))
        return result

    # ---- commands -------------------------------------------------------------------------

    def init(self) -> None:
        self.run(["init", "-input=false", "-no-color"], label="init")

    @staticmethod
    def var_args(variables: Mapping[str, str] | None) -> list[str]:
        return ["-var=%s=%s" % (k, v) for k, v in sorted((variables or {}).items())]

    def plan(
        self,
        out: Path | None,
        variables: Mapping[str, str] | None = None,
        *,
        destroy: bool = False,
    ) -> int:
        """``terraform plan -detailed-exitcode``: returns 0 (no changes) or 2 (changes)."""
        args = ["plan", "-input=false", "-no-color", "-detailed-exitcode", "-lock-timeout=60s"]
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            args.append("-out=%s" % out.resolve())
        if destroy:
            args.append("-destroy")
        args += self.var_args(variables)
        result = self.run(args, label="plan", ok_codes=(0, 2))
        self.last_plan_output = plan_text(result.stdout)
        return result.returncode

    def apply_plan(self, plan_file: Path) -> None:
        self.run(
            ["apply", "-input=false", "-no-color", "-auto-approve", "-lock-timeout=60s", str(plan_file.resolve())],
            label="apply",
            stream=True,
        )

    def apply(self, variables: Mapping[str, str] | None = None) -> None:
        self.run(
            ["apply", "-input=false", "-no-color", "-auto-approve", "-lock-timeout=60s", *self.var_args(variables)],
            label="apply",
            stream=True,
        )

    def destroy(self, variables: Mapping[str, str] | None = None) -> None:
        self.run(
            ["destroy", "-input=false", "-no-color", "-auto-approve", "-lock-timeout=60s", *self.var_args(variables)],
            label="destroy",
            stream=True,
        )

    def show_json(self, plan_file: Path | None = None) -> dict[str, Any]:
        args = ["show", "-json", "-no-color"]
        if plan_file is not None:
            args.append(str(plan_file.resolve()))
        result = self.run(args, label="show -json")
        data: dict[str, Any] = json.loads(result.stdout or "{}")
        return data

    def outputs(self) -> dict[str, Any]:
        """The stack's outputs from state, as plain values ({} when nothing is deployed)."""
        result = self.run(["output", "-json", "-no-color"], label="output")
        raw: dict[str, Any] = json.loads(result.stdout or "{}")
        return {name: item.get("value") for name, item in raw.items()}

    def state_pull(self) -> dict[str, Any]:
        """The raw state document from the backend (``{}`` when there is none yet)."""
        result = self.run(["state", "pull"], label="state pull")
        data: dict[str, Any] = json.loads(result.stdout.strip() or "{}")
        return data

    def state_version(self) -> StateVersion:
        """Lineage and serial of the stack's state, through its backend (local file or S3).

        ``StateVersion(None, None)`` when there is no state yet.
        """
        data = self.state_pull()
        if not data:
            return StateVersion(None, None)
        return StateVersion(str(data["lineage"]), int(data["serial"]))

    def state_resources(self) -> list[str]:
        """Addresses of the resources in state ([] when nothing is deployed)."""
        result = self.run(["state", "list", "-no-color"], label="state list", ok_codes=(0, 1))
        if result.returncode == 1 and "No state file was found" not in (result.stdout + result.stderr):
            raise TerraformError("terraform state list failed in %s:\n%s" % (self.directory, _tail(result.stderr)))
        return [line for line in result.stdout.splitlines() if line.strip()]


# --------------------------------------------------------------------------------------------
# The synthesized configuration of a stack directory.
# --------------------------------------------------------------------------------------------


def stack_config(directory: Path) -> dict[str, Any]:
    path = directory / "cdk.tf.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except OSError:
        raise TerraformError("%s does not exist; run the synth step first" % path) from None
    return data


def state_file(directory: Path) -> Path | None:
    """The local-backend state file of a synthesized stack (None for a remote backend)."""
    backend = stack_config(directory).get("terraform", {}).get("backend", {})
    local = backend.get("local")
    if local is None:
        return None
    return (directory / str(local.get("path", "terraform.tfstate"))).resolve()


def default_tags(directory: Path) -> dict[str, str]:
    """The AWS provider's ``default_tags`` in a synthesized stack."""
    providers = stack_config(directory).get("provider", {}).get("aws", [])
    for provider in providers if isinstance(providers, list) else [providers]:
        blocks = provider.get("default_tags", [])
        for block in blocks if isinstance(blocks, list) else [blocks]:
            tags = block.get("tags")
            if tags:
                return {str(k): str(v) for k, v in tags.items()}
    return {}


def declares_variable(directory: Path, name: str) -> bool:
    return name in (stack_config(directory).get("variable") or {})
