"""What an environment runs and is billed for (its footprint), from its synthesized stack or its config.

Example::

    from ops.cost.footprint import footprint
    fp = footprint(load_environment("prod"), DEFAULT_OUT)   # the stack, cross-checked with the config
    fp.nat_gateways, fp.flow_log_retention_days
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ops.context import stack_dir
from ops.cost import CostError, IncompleteStack
from rules.capacity import StrategyItem, capacity_provider_strategy
from rules.logs import security_log_retention_days
from rules.network import INTERFACE_ENDPOINTS

if TYPE_CHECKING:
    from envconfig import EnvironmentConfig

__all__ = ["StrategyItem"]

# Interface endpoints the network creates when network.vpc_endpoints is on, each with one ENI
# per private subnet / AZ.
CONFIG_INTERFACE_ENDPOINTS = len(INTERFACE_ENDPOINTS)


@dataclass(frozen=True)
class Footprint:
    """The billable shape of one environment."""

    env: str
    region: str
    source: str
    emulator: bool
    cpu_units: int
    memory_mib: int
    cpu_architecture: str
    min_tasks: int
    max_tasks: int
    strategy: tuple[StrategyItem, ...]
    load_balancers: int
    load_balancer_public_ips: int
    nat_gateways: int
    elastic_ips: int
    interface_endpoint_enis: int
    task_public_ip: bool
    app_log_retention_days: tuple[int, ...]
    flow_log_retention_days: tuple[int, ...]
    waf_web_acls: int = 0
    waf_rules: int = 0
    waf_log_retention_days: tuple[int, ...] = ()
    kms_keys: int = 0
    warnings: tuple[str, ...] = field(default=())

    @property
    def vcpu(self) -> Decimal:
        return Decimal(self.cpu_units) / 1024

    @property
    def memory_gb(self) -> Decimal:
        return Decimal(self.memory_mib) / 1024


def config_strategy(fargate_spot_percent: int) -> tuple[StrategyItem, ...]:
    """The default capacity-provider strategy the cluster derives from the Spot share (the one rule)."""
    return tuple(capacity_provider_strategy(fargate_spot_percent))


def footprint_from_config(cfg: EnvironmentConfig) -> Footprint:
    """The footprint the config implies (used when the environment is not synthesized)."""
    net = cfg.network
    nat = {"none": 0, "single": 1, "per_az": net.az_count}[net.nat_mode]
    return Footprint(
        env=cfg.name,
        region=cfg.region,
        source="config (no synthesized stack: WAF, KMS and other stack-only resources are not counted)",
        emulator=cfg.emulator,
        cpu_units=cfg.container.cpu,
        memory_mib=cfg.container.memory_mib,
        cpu_architecture=cfg.container.cpu_architecture,
        min_tasks=cfg.scaling.min_capacity,
        max_tasks=cfg.scaling.max_capacity,
        strategy=config_strategy(cfg.scaling.fargate_spot_percent),
        load_balancers=1,
        load_balancer_public_ips=net.az_count,
        nat_gateways=nat,
        elastic_ips=nat,
        interface_endpoint_enis=CONFIG_INTERFACE_ENDPOINTS * net.az_count if net.vpc_endpoints else 0,
        task_public_ip=net.tasks_in_public_subnets,
        app_log_retention_days=(cfg.logging.retention_days,),
        # The flow-log group keeps a year at least, as the stack applies it (rules.logs).
        flow_log_retention_days=(security_log_retention_days(cfg.logging.retention_days),) if net.flow_logs else (),
    )


def _block(value: Any) -> dict[str, Any]:
    """A nested block as cdktf writes it: an object, or a list holding one object."""
    if isinstance(value, list):
        return value[0] if value and isinstance(value[0], dict) else {}
    return value if isinstance(value, dict) else {}


def _blocks(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def _int(value: Any, where: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise CostError("%s=%r is not a literal number in the synthesized stack; allowed: an integer" % (where, value)) from None


def footprint_from_stack(doc: Mapping[str, Any], *, env: str, region: str, emulator: bool, path: str) -> Footprint:
    """Count the billable resources of one synthesized stack (``cdk.tf.json``)."""
    resources: Mapping[str, Mapping[str, Any]] = doc.get("resource", {})
    warnings: list[str] = []

    def items(kind: str) -> list[tuple[str, Mapping[str, Any]]]:
        """The environment's own resources and its web service's (further workloads are not priced yet)."""
        return [(n, b) for n, b in resources.get(kind, {}).items() if not n.startswith("Workload-")]

    def count(kind: str, name: str, body: Mapping[str, Any]) -> int:
        raw = body.get("count", 1)
        if "for_each" in body:
            warnings.append("%s.%s uses for_each; counted once" % (kind, name))
            return 1
        if isinstance(raw, int):
            return raw
        warnings.append("%s.%s has a computed count %r; counted once" % (kind, name, raw))
        return 1

    task_defs = items("aws_ecs_task_definition")
    services = items("aws_ecs_service")
    if not task_defs or not services:
        raise IncompleteStack("%s has no aws_ecs_task_definition / aws_ecs_service" % path)
    service_name, service = services[0]
    if len(services) > 1:
        warnings.append("%d aws_ecs_service resources; priced %s" % (len(services), service_name))
    td_name, td = task_defs[0]
    for name, body in task_defs:
        if "aws_ecs_task_definition.%s." % name in json.dumps(service.get("task_definition", "")):
            td_name, td = name, body
    cpu = _int(td.get("cpu"), "aws_ecs_task_definition.%s.cpu" % td_name)
    memory = _int(td.get("memory"), "aws_ecs_task_definition.%s.memory" % td_name)
    arch = str(_block(td.get("runtime_platform")).get("cpu_architecture") or "X86_64").upper()

    min_tasks = max_tasks = _int(service.get("desired_count", 1), "aws_ecs_service.%s.desired_count" % service_name)
    for name, body in items("aws_appautoscaling_target"):
        if body.get("scalable_dimension") == "ecs:service:DesiredCount":
            min_tasks = _int(body.get("min_capacity"), "aws_appautoscaling_target.%s.min_capacity" % name)
            max_tasks = _int(body.get("max_capacity"), "aws_appautoscaling_target.%s.max_capacity" % name)

    raw_strategy = _blocks(service.get("capacity_provider_strategy"))
    if not raw_strategy and not service.get("launch_type"):
        for _, body in items("aws_ecs_cluster_capacity_providers"):
            raw_strategy = _blocks(body.get("default_capacity_provider_strategy"))
    strategy = tuple(
        StrategyItem(str(s.get("capacity_provider")), int(s.get("weight", 0) or 0), int(s.get("base", 0) or 0))
        for s in raw_strategy
    ) or (StrategyItem("FARGATE", 1, 0),)

    load_balancers = public_ips = 0
    for name, body in items("aws_lb"):
        if body.get("load_balancer_type", "application") != "application":
            continue
        n = count("aws_lb", name, body)
        load_balancers += n
        if not body.get("internal", False):
            subnets = body.get("subnets")
            mappings = _blocks(body.get("subnet_mapping"))
            if isinstance(subnets, list):
                public_ips += n * len(subnets)
            elif mappings:
                public_ips += n * len(mappings)
            else:
                warnings.append("aws_lb.%s.subnets is computed; its public IPv4 addresses are not counted" % name)

    nat = sum(count("aws_nat_gateway", n, b) for n, b in items("aws_nat_gateway"))
    eips = sum(count("aws_eip", n, b) for n, b in items("aws_eip"))
    enis = 0
    for name, body in items("aws_vpc_endpoint"):
        if body.get("vpc_endpoint_type") != "Interface":
            continue
        subnets = body.get("subnet_ids")
        if isinstance(subnets, list):
            enis += count("aws_vpc_endpoint", name, body) * len(subnets)
        else:
            warnings.append("aws_vpc_endpoint.%s.subnet_ids is computed; counted as one AZ" % name)
            enis += count("aws_vpc_endpoint", name, body)

    assign = _block(service.get("network_configuration")).get("assign_public_ip", False)
    task_public_ip = assign is True or str(assign).lower() == "true"

    task_def_text = json.dumps([body for _, body in task_defs])
    flow_text = json.dumps([body for _, body in items("aws_flow_log")])
    waf_text = json.dumps([body for _, body in items("aws_wafv2_web_acl_logging_configuration")])
    app_retention: list[int] = []
    flow_retention: list[int] = []
    waf_retention: list[int] = []
    for name, body in items("aws_cloudwatch_log_group"):
        ref = "aws_cloudwatch_log_group.%s." % name
        days = body.get("retention_in_days")
        if not days:
            warnings.append("aws_cloudwatch_log_group.%s never expires; its storage is priced at 365 days" % name)
            days = 365
        days = _int(days, "aws_cloudwatch_log_group.%s.retention_in_days" % name)
        if ref in task_def_text:
            app_retention.append(days)
        elif ref in flow_text:
            flow_retention.append(days)
        elif ref in waf_text:
            waf_retention.append(days)
        else:
            warnings.append("aws_cloudwatch_log_group.%s is written by neither the task, flow logs nor WAF; not sized" % name)
    waf_acls = waf_rules = 0
    for name, body in items("aws_wafv2_web_acl"):
        n = count("aws_wafv2_web_acl", name, body)
        waf_acls += n
        waf_rules += n * len(_blocks(body.get("rule")))
    if not app_retention:
        warnings.append("no log group is referenced by the task definition; app log lines are zero")
    return Footprint(
        env=env,
        region=region,
        source=path,
        emulator=emulator,
        cpu_units=cpu,
        memory_mib=memory,
        cpu_architecture=arch,
        min_tasks=min_tasks,
        max_tasks=max_tasks,
        strategy=strategy,
        load_balancers=load_balancers,
        load_balancer_public_ips=public_ips,
        nat_gateways=nat,
        elastic_ips=eips,
        interface_endpoint_enis=enis,
        task_public_ip=task_public_ip,
        app_log_retention_days=tuple(app_retention),
        flow_log_retention_days=tuple(flow_retention),
        waf_web_acls=waf_acls,
        waf_rules=waf_rules,
        waf_log_retention_days=tuple(waf_retention),
        kms_keys=sum(count("aws_kms_key", n, b) for n, b in items("aws_kms_key")),
        warnings=tuple(warnings),
    )


# What the config decides. Flow-log/WAF retention, WAF rules and KMS keys are the stack's own
# choices (see stacks/service.py), so they are taken from the stack and not cross-checked; the
# config estimate applies the same flow-log rule (rules.logs), and a test compares the two.
CROSS_CHECKED = (
    "cpu_units", "memory_mib", "cpu_architecture", "min_tasks", "max_tasks", "strategy", "load_balancers",
    "nat_gateways", "interface_endpoint_enis", "task_public_ip", "app_log_retention_days",
)  # fmt: skip


def cross_check(synth: Footprint, config: Footprint) -> list[str]:
    """One line per field where the synthesized stack and the config disagree."""
    problems = []
    for name in CROSS_CHECKED:
        got, want = getattr(synth, name), getattr(config, name)
        if got != want:
            problems.append(
                "%s: synthesized stack has %s=%s but the config implies %s; re-run make synth"
                % (synth.env, name, _plain(got), _plain(want))
            )
    return problems


def _plain(value: Any) -> str:
    if isinstance(value, tuple) and value and isinstance(value[0], StrategyItem):
        return "[%s]" % ", ".join("%s w=%d b=%d" % (s.capacity_provider, s.weight, s.base) for s in value)
    return repr(value)


def stack_file(env: str, out: Path) -> Path:
    return stack_dir(env, out) / "cdk.tf.json"


def footprint(cfg: EnvironmentConfig, out: Path) -> Footprint:
    """From the synthesized stack when present (cross-checked with the config), else the config."""
    from_config = footprint_from_config(cfg)
    path = stack_file(cfg.name, out)
    if not path.is_file():
        return from_config
    try:
        doc = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise CostError("%s: cannot read the synthesized stack: %s; re-run make synth" % (path, exc)) from None
    try:
        synth = footprint_from_stack(doc, env=cfg.name, region=cfg.region, emulator=cfg.emulator, path=str(path))
    except IncompleteStack as exc:
        return replace(from_config, warnings=("%s: %s; priced from the config instead" % (cfg.name, exc),))
    problems = cross_check(synth, from_config)
    if problems:
        return replace(synth, warnings=synth.warnings + tuple(problems))
    return synth
