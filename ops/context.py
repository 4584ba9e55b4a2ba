"""The spine every ops command shares: paths, stacks, the error type, config, outputs, clients.

Example::

    from ops import context
    cfg = context.load_config("local")                    # EnvironmentConfig (OpsError if unknown)
    context.stack_dir("local-registry")                   # <repo>/cdktf.out/stacks/local-registry
    context.read_outputs(cfg, context.DEFAULT_OUT)        # {"cluster_name": ..., ...}
    context.check_workload(cfg, "worker")                 # UsageError unless web or one of cfg.workloads
    context.workload_refs(cfg, outputs)["report"]         # WorkloadRef: family, security group, subnets
    ecs = context.client_factory(cfg)("ecs")              # boto3 client through ops.aws
    raise context.OpsError("what is wrong; what to do")   # what the user sees, without traceback

One place for what used to be computed in many modules: the checkout root, the synth output
directory (``cdktf.out``), the plans and state directories, the stacks of an environment (named
by :mod:`rules.stacks`) and where each one's Terraform directory is. Every command's ``main()``
catches :class:`OpsError` (and botocore's errors) and prints its message; each command's own
error type subclasses it. A :class:`UsageError` (a value given on the command line that is not
allowed, such as an unknown ``WORKLOAD``) makes the command exit 2, as argparse does.

Workloads: ``web`` is the environment's own web service (the stack's top-level outputs
``service_name``, ``log_group_name``, ``target_group_arn`` ...); every other name of
``env.workloads`` is described by the stack's ``workloads`` output (kind, log group, service
name or task family, task security group and schedule of a job, queue URLs). :class:`WorkloadRef`
holds one of them, :func:`workload_refs` all of them. AWS clients come from :mod:`ops.aws` only (:func:`client_factory`
adds the checks that the emulator answers or the credentials are usable).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
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
# The service stack's output describing the further workloads (present when the config has any).
WORKLOADS_OUTPUT = "workloads"
# Workload kinds that run as an ECS service (a job runs as a scheduled or on-demand task).
SERVICE_KINDS = ("web", "backend", "worker")

ClientFactory = Callable[[str], Any]
OutputsReader = Callable[["EnvironmentConfig", Path], Mapping[str, Any]]


class OpsError(RuntimeError):
    """An operator-facing failure; the message names what is wrong and what to do."""


class UsageError(OpsError):
    """A value given on the command line is not allowed; the command exits 2 (as argparse does)."""

    exit_code = 2


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


# --------------------------------------------------------------------------------------------
# Workloads: ``web`` (the environment's own web service) and the names of ``env.workloads``
# --------------------------------------------------------------------------------------------


def primary_workload() -> str:
    """The name of the environment's own web service (``envconfig.model.PRIMARY_WORKLOAD``)."""
    from envconfig.model import PRIMARY_WORKLOAD

    return PRIMARY_WORKLOAD


def workload_names(cfg: EnvironmentConfig) -> list[str]:
    """``web`` first, then the environment's further workloads in config order."""
    return [primary_workload(), *cfg.workloads]


def check_workload(cfg: EnvironmentConfig, name: str) -> str:
    """``name`` when it is a workload of ``cfg``; else a :class:`UsageError` listing the allowed names."""
    names = workload_names(cfg)
    if name not in names:
        raise UsageError("WORKLOAD=%r is not a workload of ENV=%s; allowed: %s" % (name, cfg.name, ", ".join(names)))
    return name


def workload_kind(cfg: EnvironmentConfig, name: str) -> str:
    """web, backend, worker or job (``web`` for the environment's own web service)."""
    return "web" if name == primary_workload() else cfg.workloads[check_workload(cfg, name)].kind


@dataclass(frozen=True)
class WorkloadRef:
    """Where one workload of an environment lives, from the ``<env>`` stack's outputs.

    ``service`` is set for the kinds that run as a service (web, backend, worker);
    ``task_definition_family``, ``task_security_group_id`` and ``schedule_name`` for a job.
    ``subnet_ids`` and ``assign_public_ip`` say where the environment's tasks run (its private
    subnets, or its public ones with ``network.tasks_in_public_subnets``). ``queue_url`` /
    ``dlq_url`` are a worker's own queue, or the queue of the worker a workload sends to. The
    workloads may share one log group (the web service's): :attr:`log_stream_prefix` tells their
    streams apart.
    """

    name: str
    kind: str
    env: str
    region: str
    emulator: bool
    cluster: str | None
    service: str | None = None
    log_group: str | None = None
    target_group_arn: str | None = None
    task_definition_family: str | None = None
    task_security_group_id: str | None = None
    schedule_name: str | None = None
    queue_url: str | None = None
    dlq_url: str | None = None
    subnet_ids: tuple[str, ...] = ()
    assign_public_ip: bool = False
    stream_prefix: str | None = None

    @property
    def runs_as_service(self) -> bool:
        return self.kind in SERVICE_KINDS

    @property
    def log_stream_prefix(self) -> str:
        """What each of its tasks' log streams starts with (``<prefix>/app/<task-id>``): the output
        ``workloads.<name>.log_stream_prefix``, else the workload's name (``web`` for the web service)."""
        return self.stream_prefix or self.name

    def service_ref(self) -> ServiceRef:
        return ServiceRef(
            env=self.env, region=self.region, emulator=self.emulator, cluster=self.cluster, service=self.service,
            log_group=self.log_group, target_group_arn=self.target_group_arn,
        )  # fmt: skip


def _text(value: Any) -> str | None:
    return str(value) if value else None


def workload_refs(cfg: EnvironmentConfig, outputs: Mapping[str, Any]) -> dict[str, WorkloadRef]:
    """Every workload of ``cfg`` described by ``outputs`` (the ``<env>`` stack's), ``web`` first.

    A workload the outputs do not describe yet (a stack deployed before it was added) gets a ref
    with only its name, kind and cluster; the commands say what is missing when they need it.
    """
    public = cfg.network.tasks_in_public_subnets
    subnets = tuple(str(s) for s in outputs.get("public_subnet_ids" if public else "private_subnet_ids") or ())
    common: dict[str, Any] = dict(
        env=cfg.name, region=cfg.region, emulator=cfg.emulator, cluster=_text(outputs.get("cluster_name")),
        subnet_ids=subnets, assign_public_ip=public,
    )  # fmt: skip
    web = WorkloadRef(
        name=primary_workload(), kind="web", service=_text(outputs.get("service_name")),
        log_group=_text(outputs.get("log_group_name")), target_group_arn=_text(outputs.get("target_group_arn")),
        task_definition_family=_text(outputs.get("task_definition_family")),
        task_security_group_id=_text(outputs.get("task_security_group_id")), **common,
    )  # fmt: skip
    refs = {web.name: web}
    described = outputs.get(WORKLOADS_OUTPUT) or {}
    for name, workload in cfg.workloads.items():
        entry = described.get(name) or {}
        refs[name] = WorkloadRef(
            name=name, kind=workload.kind, service=_text(entry.get("service_name")),
            log_group=_text(entry.get("log_group_name")),
            task_definition_family=_text(entry.get("task_definition_family")),
            task_security_group_id=_text(entry.get("task_security_group_id")),
            schedule_name=_text(entry.get("schedule_name")), queue_url=_text(entry.get("queue_url")),
            dlq_url=_text(entry.get("dlq_url")), stream_prefix=_text(entry.get("log_stream_prefix")), **common,
        )  # fmt: skip
    return refs


def missing_workload_fields(ref: WorkloadRef, need: Iterable[str]) -> list[str]:
    """The output names (``workloads.<name>.<field>`` or top-level) that ``need`` asks for and ``ref`` lacks."""
    missing = []
    for key in need:
        if getattr(ref, key) in (None, ()):
            top_level = ref.name == primary_workload() or key in ("cluster", "subnet_ids")
            output = {"cluster": "cluster_name", "service": "service_name", "log_group": "log_group_name",
                      "subnet_ids": "public_subnet_ids" if ref.assign_public_ip else "private_subnet_ids"}.get(key, key)  # fmt: skip
            missing.append(output if top_level else "%s.%s.%s" % (WORKLOADS_OUTPUT, ref.name, output))
    return missing


def resolve_workload(
    cfg: EnvironmentConfig,
    name: str,
    *,
    need: Iterable[str],
    given: Mapping[str, str | None] | None = None,
    out: Path | None = None,
    reader: OutputsReader = read_outputs,
) -> WorkloadRef:
    """The workload ``name`` of ``cfg``: ``given`` flags first (the keys of :data:`OUTPUT_NAMES`), then the outputs.

    ``web`` resolves through :func:`resolve_service` (so with every needed flag given no Terraform
    runs). Another workload reads the ``workloads`` output unless every field in ``need`` is
    given; a missing one is an error naming the output.
    """
    check_workload(cfg, name)
    flags = {k: v for k, v in (given or {}).items() if v}
    need = tuple(need)
    if name == primary_workload():
        web = resolve_service(cfg, need=need, given=flags, out=out, reader=reader)
        return WorkloadRef(
            name=name, kind="web", env=web.env, region=web.region, emulator=web.emulator, cluster=web.cluster,
            service=web.service, log_group=web.log_group, target_group_arn=web.target_group_arn,
            assign_public_ip=cfg.network.tasks_in_public_subnets,
        )  # fmt: skip
    outputs: Mapping[str, Any] = {}
    if not need or any(key not in flags for key in need):
        outputs = reader(cfg, out or DEFAULT_OUT)
    ref = workload_refs(cfg, outputs)[name]
    ref = replace(
        ref, cluster=flags.get("cluster") or ref.cluster, service=flags.get("service") or ref.service,
        log_group=flags.get("log_group") or ref.log_group,
        target_group_arn=flags.get("target_group_arn") or ref.target_group_arn,
    )  # fmt: skip
    missing = missing_workload_fields(ref, need)
    if missing:
        present = sorted(outputs) + ["%s.%s" % (WORKLOADS_OUTPUT, n) for n in sorted(outputs.get(WORKLOADS_OUTPUT) or {})]
        raise OpsError(
            "stack %r has no output %s (outputs present: %s); deploy it with `make deploy ENV=%s`"
            % (cfg.name, ", ".join(missing), ", ".join(present) or "none", cfg.name)
        )
    return ref


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


def add_workload_arg(parser: argparse.ArgumentParser, *, default: str | None) -> None:
    """``--workload NAME``: ``web`` (the environment's own web service) or a name of ``env.workloads``."""
    parser.add_argument(
        "--workload", default=default,
        help="web (the environment's own web service) or a workload of the environment's config%s"
        % (" (default: %s)" % default if default else ""),
    )  # fmt: skip
