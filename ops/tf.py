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

Environment: the caller passes the variables from :func:`ops.aws.subprocess_env`; this module
adds ``TF_IN_AUTOMATION``, ``TF_INPUT=0`` and ``CHECKPOINT_DISABLE=1``. :func:`prepare` returns
that environment with ``TF_CLI_CONFIG_FILE`` set when the provider comes from a local mirror
(``ops.provider_mirror``).
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

TAIL_LINES = 40


class TerraformError(RuntimeError):
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
        refresh_only: bool = False,
    ) -> int:
        """``terraform plan -detailed-exitcode``: returns 0 (no changes) or 2 (changes)."""
        args = ["plan", "-input=false", "-no-color", "-detailed-exitcode", "-lock-timeout=60s"]
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            args.append("-out=%s" % out.resolve())
        if destroy:
            args.append("-destroy")
        if refresh_only:
            args.append("-refresh-only")
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

    def show_text(self, plan_file: Path) -> str:
        return self.run(["show", "-no-color", str(plan_file.resolve())], label="show").stdout

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
# The stacks of one environment: names, directories, synth, state files, emulator/credentials.
# --------------------------------------------------------------------------------------------

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "cdktf.out"


def stack_names(env_name: str) -> list[str]:
    """The environment's stacks in apply order: ``<env>-registry`` first, then ``<env>``."""
    return ["%s-registry" % env_name, env_name]


def stack_dir(stack: str, out: Path = DEFAULT_OUT) -> Path:
    return out / "stacks" / stack


def synth(out: Path = DEFAULT_OUT, log: TextIO = sys.stdout, config: Path | None = None) -> None:
    """``python -m ops.synth --out <out> [--config <file>]`` (atomic, skips when no input changed)."""
    argv = [sys.executable, "-m", "ops.synth", "--out", str(out)]
    if config is not None:
        argv += ["--config", str(config)]
    result = subprocess.run(argv, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    for line in (result.stdout + result.stderr).splitlines():
        if line.strip():
            print("   " + line, file=log, flush=True)
    if result.returncode != 0:
        raise TerraformError("synth failed (exit %d): %s" % (result.returncode, " ".join(argv)), result.stderr)


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


# The service stack's output naming the image tag it runs.
IMAGE_TAG_OUTPUTS = ("image_tag", "deployed_image_tag")


def deployed_image_tag(outputs: Mapping[str, Any]) -> str | None:
    for name in IMAGE_TAG_OUTPUTS:
        value = outputs.get(name)
        if value:
            return str(value)
    return None


def archive_state(stacks: list[str], out: Path = DEFAULT_OUT, log: TextIO = sys.stdout) -> list[Path]:
    """Move the state files of ``stacks`` to ``stale/`` beside them (they describe a dead emulator)."""
    moved: list[Path] = []
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for stack in stacks:
        directory = stack_dir(stack, out)
        if (directory / "cdk.tf.json").is_file():
            path = state_file(directory)
        else:  # not synthesized yet: the stacks' convention
            path = REPO_ROOT / ".state" / ("%s.tfstate" % stack)
        if path is None or not path.is_file():
            continue
        stale = path.parent / "stale"  # .state/stale/ for the stacks' usual backend path
        stale.mkdir(parents=True, exist_ok=True)
        target = stale / ("%s.%s" % (path.name, stamp))
        path.rename(target)
        backup = path.with_name(path.name + ".backup")
        if backup.is_file():
            backup.rename(stale / ("%s.%s" % (backup.name, stamp)))
        print("   state of %s described the previous emulator run; moved to %s" % (stack, target), file=log)
        moved.append(target)
    return moved


def prepare(env: Any, out: Path = DEFAULT_OUT, log: TextIO = sys.stdout) -> dict[str, str]:
    """Make ``env`` reachable and return the subprocess environment for Terraform.

    Emulator environments: start the emulator if it is not running; when it was started now
    (an empty account), move the stale local state files of every emulator environment aside
    (S3 state lives in the emulator and went with it).
    Every environment: credentials for ``env.account_id`` (its role assumed; another account, or
    none, stops here with ``aws.CredentialsError``), then the account prerequisites
    (``ops.bootstrap``: the state bucket must exist, and in the emulator it and the public zone
    are created), then the pinned provider where the Terraform registry cannot be reached
    (``ops.provider_mirror``); one progress line each.
    """
    from ops import aws, emulator, provider_mirror
    from ops.bootstrap import BootstrapError, ensure_prerequisites

    if env.emulator:
        started = emulator.start()
        print(
            "   emulator %s at %s" % ("started" if started else "already running", emulator.endpoint_url()),
            file=log,
            flush=True,
        )
        if started:
            from envconfig import load_environments

            emulated = [e.name for e in load_environments().values() if e.emulator]
            archive_state([s for name in emulated for s in stack_names(name)], out, log)
    print("   AWS credentials: %s" % aws.require_credentials(env), file=log, flush=True)
    try:
        ensure_prerequisites(env, aws.session(env), log=log)
    except BootstrapError as exc:
        raise TerraformError(str(exc)) from None
    terraform_env, found = provider_mirror.terraform_env(aws.subprocess_env(env))
    print("   " + found.message, file=log, flush=True)
    return terraform_env


def git_sha(short: int = 12) -> str:
    """The commit the image is built from (the image tag)."""
    result = subprocess.run(
        ["git", "rev-parse", "--short=%d" % short, "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise TerraformError("cannot read the git commit for the image tag: %s" % result.stderr.strip())
    return result.stdout.strip()
