"""The spine every ops command shares: paths, stacks, the error type, config, outputs, clients.

Example::

    from ops import context
    cfg = context.load_config("local")                    # EnvironmentConfig (OpsError if unknown)
    context.stack_dir("local-registry")                   # <repo>/cdktf.out/stacks/local-registry
    context.read_outputs(cfg, context.DEFAULT_OUT)        # {"cluster_name": ..., ...}
    ecs = context.client_factory(cfg)("ecs")              # boto3 client through ops.aws
    raise context.OpsError("what is wrong; what to do")   # what the user sees, without traceback

One place for what used to be computed in many modules: the checkout root, the synth output
directory (``cdktf.out``), the plans and state directories, the stacks of an environment (named
by :mod:`rules.stacks`) and where each one's Terraform directory is. Every command's ``main()``
catches :class:`OpsError` (and botocore's errors) and prints its message; each command's own
error type subclasses it. AWS clients come from :mod:`ops.aws` only (:func:`client_factory`
adds the checks that the emulator answers or the credentials are usable).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rules.stacks import stack_names

if TYPE_CHECKING:
    from envconfig import EnvironmentConfig

__all__ = ["stack_names"]

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "cdktf.out"
PLANS_DIR = REPO_ROOT / "plans"
STATE_DIR = REPO_ROOT / ".state"

OUTPUT_NAMES = {
    "cluster": "cluster_name",
    "service": "service_name",
    "log_group": "log_group_name",
    "target_group_arn": "target_group_arn",
}
# The service stack's output naming the image tag it runs.
IMAGE_TAG_OUTPUT = "deployed_image_tag"

ClientFactory = Callable[[str], Any]
OutputsReader = Callable[["EnvironmentConfig", Path], Mapping[str, Any]]


class OpsError(RuntimeError):
    """An operator-facing failure; the message names what is wrong and what to do."""


def stack_dir(stack: str, out: Path = DEFAULT_OUT) -> Path:
    """The synthesized Terraform directory of ``stack``: ``<out>/stacks/<stack>``."""
    return out / "stacks" / stack


def relative(path: Path | str) -> str:
    """``path`` relative to the checkout when it lies inside it, else as given."""
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def deployed_image_tag(outputs: Mapping[str, Any]) -> str | None:
    """The image tag the service stack's outputs say runs (None when nothing is deployed)."""
    value = outputs.get(IMAGE_TAG_OUTPUT)
    return str(value) if value else None


# --------------------------------------------------------------------------------------------
# Config, outputs and clients of one environment
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceRef:
    """Where an environment's service lives."""

    env: str
    region: str
    emulator: bool
    cluster: str | None
    service: str | None
    log_group: str | None
    target_group_arn: str | None


def load_config(env: str, config: Path | None = None) -> EnvironmentConfig:
    from envconfig import DEFAULT_FILE, ConfigError, load_environment

    try:
        return load_environment(env, config or DEFAULT_FILE)
    except ConfigError as exc:
        raise OpsError(str(exc)) from None


def read_outputs(cfg: EnvironmentConfig, out: Path) -> Mapping[str, Any]:
    """``terraform output -json`` of the ``<env>`` stack (initialising its directory when needed)."""
    from ops import aws, tf

    directory = stack_dir(cfg.name, out)
    if not directory.is_dir():
        raise OpsError(
            "%s does not exist, so the outputs of stack %r cannot be read; run `make synth` and"
            " `make deploy ENV=%s` first, or pass --cluster and --service" % (directory, cfg.name, cfg.name)
        )
    stack = tf.Stack(directory, env=aws.subprocess_env(cfg), log=sys.stderr)
    try:
        if not (directory / ".terraform").is_dir():
            stack.init()
        return stack.outputs()
    except tf.TerraformError as exc:
        raise OpsError("cannot read the outputs of stack %r: %s" % (cfg.name, exc)) from None


def resolve_service(
    cfg: EnvironmentConfig,
    *,
    need: Iterable[str],
    given: Mapping[str, str | None] | None = None,
    out: Path | None = None,
    reader: OutputsReader = read_outputs,
) -> ServiceRef:
    """Fill cluster/service/log_group/target_group_arn from ``given`` first, then stack outputs.

    ``need`` lists the fields the command cannot work without; a missing one is an error that
    names the output and the flag that supplies it.
    """
    values: dict[str, str | None] = {key: (given or {}).get(key) for key in OUTPUT_NAMES}
    outputs: Mapping[str, Any] = {}
    if any(not values[key] for key in need):
        # Optional fields (e.g. the target group) are filled from the outputs only when they are
        # read anyway; with every needed flag given, no Terraform runs.
        outputs = reader(cfg, out or DEFAULT_OUT)
    for key, output in OUTPUT_NAMES.items():
        if not values[key] and outputs.get(output):
            values[key] = str(outputs[output])
    missing = [key for key in need if not values[key]]
    if missing:
        raise OpsError(
            "stack %r has no output %s (outputs present: %s); deploy it with `make deploy ENV=%s`, or pass %s"
            % (cfg.name, ", ".join(OUTPUT_NAMES[k] for k in missing), ", ".join(sorted(outputs)) or "none",
               cfg.name, " ".join("--%s" % k.replace("_", "-") for k in missing))
        )  # fmt: skip
    return ServiceRef(
        env=cfg.name,
        region=cfg.region,
        emulator=cfg.emulator,
        cluster=values["cluster"],
        service=values["service"],
        log_group=values["log_group"],
        target_group_arn=values["target_group_arn"],
    )


def client_factory(cfg: EnvironmentConfig) -> ClientFactory:
    """boto3 clients for ``cfg`` through ``ops.aws`` (emulator endpoint or real credentials)."""
    from ops import aws, emulator

    if cfg.emulator:
        url = emulator.endpoint_url()
        if not emulator.is_up(url):
            raise OpsError(
                "ENV=%s runs against the emulator at %s, which does not answer; start it with"
                " `python -m ops.emulator start` (`make deploy ENV=%s` starts it too)" % (cfg.name, url, cfg.name)
            )
    else:
        aws.require_credentials(cfg)  # CredentialsError is an OpsError
    cache: dict[str, Any] = {}

    def make(service: str) -> Any:
        if service not in cache:
            cache[service] = aws.client(cfg, service)
        return cache[service]

    return make


def aws_error(exc: Exception) -> str:
    """One line for a botocore error: operation, code and message."""
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping) and "Error" in response:
        error = response["Error"]
        return "%s failed: %s: %s" % (getattr(exc, "operation_name", "AWS call"), error.get("Code"), error.get("Message"))
    return "%s" % exc


def add_target_args(parser: argparse.ArgumentParser) -> None:
    """``--env`` and the flags that override the stack outputs."""
    parser.add_argument("--env", default="local", help="environment name (default: local)")
    parser.add_argument("--config", type=Path, default=None, help="environments file (default: envconfig's)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="synth output directory")
    parser.add_argument("--cluster", help="ECS cluster name (default: the stack output cluster_name)")
    parser.add_argument("--service", help="ECS service name (default: the stack output service_name)")
