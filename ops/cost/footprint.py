"""What an environment runs and is billed for (its footprint), from its synthesized stack or its config.

Example::

    from ops.cost.footprint import footprint
    fp = footprint(load_environment("prod"), DEFAULT_OUT)   # the stack, cross-checked with the config
    fp.nat_gateways, fp.flow_log_retention_days
    fp.ec2_capacity     # each Auto Scaling group of EC2 capacity: instance types, min/max, On-Demand split

EC2 capacity (:class:`modules.ec2_capacity.Ec2Capacity`) is read from each ``aws_autoscaling_group``:
its mixed instances policy (instance types in order, ``on_demand_base_capacity``,
``on_demand_percentage_above_base_capacity``), ``min_size``/``max_size``, its launch template's
root volume, and the capacity provider that names the group (strategies that reference the provider
are resolved to its name). The config path reads the environment's ``[ec2]`` table
(:func:`config_ec2_capacity`) and the strategy the cluster derives from it (:func:`environment_strategy`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ops.context import stack_dir
from ops.cost import CostError, IncompleteStack
from ops.cost.schedule import runs_per_month
from rules.capacity import StrategyItem, capacity_provider_strategy, mixed_capacity_provider_strategy
from rules.ec2 import (
    AMI_ROOT_VOLUME_GIB,
    ROOT_VOLUME_GIB,
    instance_types_problem,
    range_problem,
    size_problems,
    spot_mix_problems,
)
from rules.logs import security_log_retention_days
from rules.network import INTERFACE_ENDPOINTS

if TYPE_CHECKING:
    from envconfig import EnvironmentConfig
    from envconfig.model import WorkloadConfig

__all__ = ["Ec2CapacityFootprint", "StrategyItem", "ec2_capacity_from_values"]

# Interface endpoints the network creates when network.vpc_endpoints is on, each with one ENI
# per private subnet / AZ; plus Secrets Manager / SSM for tasks without a route out that use their secrets
# (EnvironmentConfig.secret_endpoint_services).
CONFIG_INTERFACE_ENDPOINTS = len(INTERFACE_ENDPOINTS)

# What the constructs always create for a workload kind besides its tasks (stacks/workloads.py):
# a worker's WorkQueue is a queue and its dead-letter queue (modules/queue.py); a job's
# ScheduledTask is a schedule with a KMS key of its own, a dead-letter queue and a failed-run
# EventBridge rule (modules/scheduled_task.py). The real-synth test cross-checks these counts.
KIND_RESOURCES: dict[str, dict[str, int]] = {
    "worker": {"queues": 2},
    "job": {"queues": 1, "schedules": 1, "event_rules": 1, "kms_keys": 1},
}
#: The scope of a further workload's resources: ``Workload-<name>_...`` (stacks/workloads.py).
WORKLOAD_ID = re.compile(r"^Workload-(?P<name>[a-z][a-z0-9]*)_")
#: An alarm evaluating faster than this is a high-resolution alarm (CloudWatch pricing).
STANDARD_ALARM_PERIOD = 60


@dataclass(frozen=True)
class WorkloadFootprint:
    """One further workload: ``workloads.<name>`` in the config, ``Workload-<name>_*`` in the stack.

    Services (web, backend, worker) run ``min_tasks``..``max_tasks`` all month; a job runs
    ``tasks_per_run`` tasks ``runs_per_month`` times (see :mod:`ops.cost.schedule`).
    """

    name: str
    kind: str
    cpu_units: int
    memory_mib: int
    cpu_architecture: str
    strategy: tuple[StrategyItem, ...]
    task_public_ip: bool = False
    min_tasks: int = 0
    max_tasks: int = 0
    tasks_per_run: int = 0
    schedule: str | None = None
    runs_per_month: Decimal = Decimal(0)
    queues: int = 0
    schedules: int = 0
    event_rules: int = 0
    kms_keys: int = 0
    alarms: int = 0
    alarm_metrics: int = 0
    log_retention_days: tuple[int, ...] = ()

    @property
    def vcpu(self) -> Decimal:
        return Decimal(self.cpu_units) / 1024

    @property
    def memory_gb(self) -> Decimal:
        return Decimal(self.memory_mib) / 1024


@dataclass(frozen=True)
class Ec2CapacityFootprint:
    """One Auto Scaling group of EC2 capacity: ``min_size``..``max_size`` instances of ``instance_types``.

    ``on_demand_base_capacity`` instances are On-Demand first; of the instances above it,
    ``on_demand_percentage_above_base`` percent are On-Demand and the rest Spot (the mixed
    instances policy). ``name`` is the capacity provider's name, as strategies name it.
    """

    name: str
    instance_types: tuple[str, ...]
    min_size: int
    max_size: int
    on_demand_base_capacity: int = 0
    on_demand_percentage_above_base: int = 100
    root_volume_gib: int = AMI_ROOT_VOLUME_GIB

    def split(self, instances: int) -> tuple[Decimal, Decimal]:
        """(On-Demand, Spot) instances of ``instances``: the base first, then the percentage above it.

        The share above the base is kept fractional (an average, as :func:`ops.cost.estimate.split_tasks`);
        Auto Scaling rounds it per launch.
        """
        base = Decimal(min(self.on_demand_base_capacity, instances))
        above = Decimal(instances) - base
        on_demand = base + above * self.on_demand_percentage_above_base / 100
        return on_demand, Decimal(instances) - on_demand


def ec2_capacity_from_values(
    name: str,
    *,
    instance_types: tuple[str, ...],
    min_size: int,
    max_size: int,
    on_demand_base_capacity: int = 0,
    on_demand_percentage_above_base: int = 100,
    root_volume_gib: int = AMI_ROOT_VOLUME_GIB,
    where: str = "ec2_capacity",
) -> Ec2CapacityFootprint:
    """The footprint of EC2 capacity from plain values (the config path's hook), checked with rules/ec2.py.

    The defaults are :class:`modules.ec2_capacity.Ec2CapacityProps`'s. ``where`` prefixes the field in
    an error (``workloads.api.ec2.max_size=0; allowed: 1..100``).
    """
    problems: list[tuple[str, str]] = []
    problem = instance_types_problem(instance_types)
    if problem:
        problems.append(("instance_types", problem))
    problems += size_problems(min_size, max_size)
    if not problems:
        problems += spot_mix_problems(on_demand_base_capacity, on_demand_percentage_above_base, max_size)
    problem = range_problem(root_volume_gib, ROOT_VOLUME_GIB)
    if problem:
        problems.append(("root_volume_gib", problem))
    if problems:
        field_name, problem = problems[0]
        raise CostError("%s.%s=%s" % (where, field_name, problem))
    return Ec2CapacityFootprint(
        name=name,
        instance_types=tuple(instance_types),
        min_size=min_size,
        max_size=max_size,
        on_demand_base_capacity=on_demand_base_capacity,
        on_demand_percentage_above_base=on_demand_percentage_above_base,
        root_volume_gib=root_volume_gib,
    )


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
    network_load_balancers: int = 0
    """NLBs of web workloads (``nlb``), priced per hour like the ALB; NLCUs are usage, excluded."""
    waf_rules: int = 0
    waf_log_retention_days: tuple[int, ...] = ()
    kms_keys: int = 0
    alarms: int = 0
    alarm_metrics: int = 0
    workloads: tuple[WorkloadFootprint, ...] = ()
    ec2_capacity: tuple[Ec2CapacityFootprint, ...] = ()
    """Auto Scaling groups of EC2 capacity; tasks placed on their providers are not priced as Fargate."""
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


def environment_strategy(cfg: EnvironmentConfig) -> tuple[StrategyItem, ...]:
    """The cluster's default strategy as the stack derives it: ``ec2.percent`` on the environment's EC2 capacity
    provider (named ``<app>-<env>-ec2``) and the rest on FARGATE, or the Fargate Spot share without ``[ec2]``."""
    if cfg.ec2 is not None:
        return tuple(mixed_capacity_provider_strategy((cfg.physical_name("ec2"),), cfg.ec2.percent))
    return config_strategy(cfg.scaling.fargate_spot_percent)


def config_ec2_capacity(cfg: EnvironmentConfig) -> tuple[Ec2CapacityFootprint, ...]:
    """The environment's ``[ec2]`` table as the cost footprint of its Auto Scaling group."""
    if cfg.ec2 is None:
        return ()
    ec2 = cfg.ec2
    return (ec2_capacity_from_values(
        cfg.physical_name("ec2"), instance_types=ec2.instance_types, min_size=ec2.min_size, max_size=ec2.max_size,
        on_demand_base_capacity=ec2.on_demand_base_capacity,
        on_demand_percentage_above_base=ec2.on_demand_percentage_above_base, root_volume_gib=ec2.root_volume_gib,
        where="ec2",
    ),)  # fmt: skip


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
        strategy=environment_strategy(cfg),
        ec2_capacity=config_ec2_capacity(cfg),
        load_balancers=1,
        network_load_balancers=sum(1 for w in cfg.workloads.values() if w.nlb is not None),
        load_balancer_public_ips=net.az_count * (1 + sum(1 for w in cfg.workloads.values() if w.nlb is not None)),
        nat_gateways=nat,
        elastic_ips=nat,
        interface_endpoint_enis=net.az_count * (
            (CONFIG_INTERFACE_ENDPOINTS if net.vpc_endpoints else 0) + len(cfg.secret_endpoint_services)
        ),
        task_public_ip=net.tasks_in_public_subnets,
        app_log_retention_days=(cfg.logging.retention_days,),
        # The flow-log group keeps a year at least, as the stack applies it (rules.logs).
        flow_log_retention_days=(security_log_retention_days(cfg.logging.retention_days),) if net.flow_logs else (),
        workloads=tuple(
            workload_from_config(name, cfg.workloads[name], cfg) for name in sorted(cfg.workloads)
        ),
    )


def workload_from_config(name: str, workload: WorkloadConfig, cfg: EnvironmentConfig) -> WorkloadFootprint:
    """What the config implies for one further workload (its alarms are stack-only, as the environment's)."""
    container = workload.container
    job = workload.kind == "job"
    runs = Decimal(0)
    if job and workload.enabled and workload.schedule is not None:
        runs = runs_per_month(workload.schedule)
    return WorkloadFootprint(
        name=name,
        kind=workload.kind,
        cpu_units=container.cpu,
        memory_mib=container.memory_mib,
        cpu_architecture=container.cpu_architecture,
        # Every workload runs on the cluster's strategy (services and schedules alike).
        strategy=environment_strategy(cfg),
        task_public_ip=cfg.network.tasks_in_public_subnets,
        min_tasks=0 if job else workload.scaling.min_capacity,
        max_tasks=0 if job else workload.scaling.max_capacity,
        tasks_per_run=1 if job else 0,
        schedule=workload.schedule if job else None,
        runs_per_month=runs,
        log_retention_days=(cfg.logging.retention_days,),
        **KIND_RESOURCES.get(workload.kind, {}),
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


def _strategy(blocks: list[dict[str, Any]]) -> tuple[StrategyItem, ...]:
    return tuple(
        StrategyItem(str(s.get("capacity_provider")), int(s.get("weight", 0) or 0), int(s.get("base", 0) or 0))
        for s in blocks
    )


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


Counter = Callable[[str, str, Mapping[str, Any]], int]
Resources = list[tuple[str, Mapping[str, Any]]]


def _count_alarms(alarms: Resources, count: Counter, warnings: list[str]) -> tuple[int, int]:
    """(alarms, alarm metrics): a metric-math alarm is billed for each metric its expression reads."""
    total = metrics = 0
    for name, body in alarms:
        n = count("aws_cloudwatch_metric_alarm", name, body)
        queries = _blocks(body.get("metric_query"))
        read = [_block(q.get("metric")) for q in queries if _block(q.get("metric"))]
        periods = [body.get("period")] + [m.get("period") for m in read]
        if any(isinstance(p, int) and p < STANDARD_ALARM_PERIOD for p in periods):
            warnings.append(
                "aws_cloudwatch_metric_alarm.%s is a high-resolution alarm; priced as standard resolution" % name
            )
        if body.get("threshold_metric_id"):
            warnings.append(
                "aws_cloudwatch_metric_alarm.%s is an anomaly-detection alarm; priced per metric read" % name
            )
        total += n
        metrics += n * (len(read) if queries else 1)
    return total, metrics


def _referenced(kind: str, candidates: Resources, ref: Any) -> tuple[str, Mapping[str, Any]]:
    """The candidate ``ref`` points at (``${<kind>.<id>.arn}``), else the first one."""
    text = json.dumps(ref)
    for candidate, body in candidates:
        if "%s.%s." % (kind, candidate) in text:
            return candidate, body
    return candidates[0]


def _workloads_from_stack(
    resources: Mapping[str, Mapping[str, Mapping[str, Any]]],
    count: Counter,
    cluster_strategy: tuple[StrategyItem, ...],
    warnings: list[str],
) -> tuple[WorkloadFootprint, ...]:
    """Every further workload's footprint, from its ``Workload-<name>_*`` resources."""
    groups: dict[str, dict[str, Resources]] = {}
    for kind, bodies in resources.items():
        for rid, body in bodies.items():
            match = WORKLOAD_ID.match(rid)
            if match:
                groups.setdefault(match.group("name"), {}).setdefault(kind, []).append((rid, body))
    found = []
    for name in sorted(groups):
        workload = _workload_from_stack(
            name, groups[name], resources.get("aws_cloudwatch_log_group", {}), count, cluster_strategy, warnings
        )
        if workload is not None:
            found.append(workload)
    return tuple(found)


def _workload_from_stack(
    name: str, res: dict[str, Resources], log_groups: Mapping[str, Mapping[str, Any]], count: Counter,
    cluster_strategy: tuple[StrategyItem, ...], warnings: list[str],
) -> WorkloadFootprint | None:
    def of(kind: str) -> Resources:
        return res.get(kind, [])

    def total(kind: str) -> int:
        return sum(count(kind, n, b) for n, b in of(kind))

    task_defs, services, schedules = of("aws_ecs_task_definition"), of("aws_ecs_service"), of("aws_scheduler_schedule")
    if not task_defs or not (services or schedules):
        warnings.append("Workload-%s has no task definition with a service or schedule; not priced" % name)
        return None
    runs = Decimal(0)
    min_tasks = max_tasks = tasks_per_run = 0
    expression = None
    if schedules:
        kind = "job"
        run_name, run = schedules[0]
        if len(schedules) > 1:
            warnings.append(
                "Workload-%s has %d aws_scheduler_schedule resources; priced %s" % (name, len(schedules), run_name)
            )
        where = "aws_scheduler_schedule.%s" % run_name
        ecs = _block(_block(run.get("target")).get("ecs_parameters"))
        task_ref = ecs.get("task_definition_arn")
        expression = run.get("schedule_expression")
        if not isinstance(expression, str):
            raise CostError(
                "%s.schedule_expression=%r is not a literal expression in the synthesized stack" % (where, expression)
            )
        try:
            every = runs_per_month(expression)
        except CostError as exc:
            raise CostError("%s.schedule_expression=%s" % (where, exc)) from None
        runs = Decimal(0) if run.get("state", "ENABLED") == "DISABLED" else every
        tasks_per_run = _int(ecs.get("task_count", 1), "%s.target.ecs_parameters.task_count" % where)
        placement: Mapping[str, Any] = ecs
    else:
        run_name, run = services[0]
        if len(services) > 1:
            warnings.append("Workload-%s has %d aws_ecs_service resources; priced %s" % (name, len(services), run_name))
        if of("aws_lb_target_group") or of("aws_lb_listener_rule"):
            kind = "web"
        elif of("aws_service_discovery_service"):
            kind = "backend"
        elif of("aws_sqs_queue"):
            kind = "worker"
        else:
            kind = "service"
        task_ref = run.get("task_definition")
        min_tasks = max_tasks = _int(run.get("desired_count", 1), "aws_ecs_service.%s.desired_count" % run_name)
        for target_name, target in of("aws_appautoscaling_target"):
            if target.get("scalable_dimension") == "ecs:service:DesiredCount":
                where = "aws_appautoscaling_target.%s" % target_name
                min_tasks = _int(target.get("min_capacity"), where + ".min_capacity")
                max_tasks = _int(target.get("max_capacity"), where + ".max_capacity")
        placement = run
    strategy = _strategy(_blocks(placement.get("capacity_provider_strategy")))
    if not strategy:
        launch_type = placement.get("launch_type")
        strategy = (StrategyItem(str(launch_type), 1, 0),) if launch_type else cluster_strategy
    td_name, td = _referenced("aws_ecs_task_definition", task_defs, task_ref)
    where = "aws_ecs_task_definition.%s" % td_name
    # The log groups its task definition writes to: its own, or one it shares (the environment's).
    task_text = json.dumps([body for _, body in task_defs])
    retention: list[int] = []
    for group_name, group in log_groups.items():
        own = group_name.startswith("Workload-%s_" % name)
        if "aws_cloudwatch_log_group.%s." % group_name not in task_text:
            if own:
                warnings.append("aws_cloudwatch_log_group.%s is not written by its workload's task; not sized" % group_name)
            continue
        days = group.get("retention_in_days")
        if not days:
            if own:  # a shared group is warned about once, as the environment's
                warnings.append("aws_cloudwatch_log_group.%s never expires; its storage is priced at 365 days" % group_name)
            days = 365
        retention.append(_int(days, "aws_cloudwatch_log_group.%s.retention_in_days" % group_name))
    alarms, alarm_metrics = _count_alarms(of("aws_cloudwatch_metric_alarm"), count, warnings)
    return WorkloadFootprint(
        name=name,
        kind=kind,
        cpu_units=_int(td.get("cpu"), where + ".cpu"),
        memory_mib=_int(td.get("memory"), where + ".memory"),
        cpu_architecture=str(_block(td.get("runtime_platform")).get("cpu_architecture") or "X86_64").upper(),
        strategy=strategy,
        task_public_ip=_true(_block(placement.get("network_configuration")).get("assign_public_ip", False)),
        min_tasks=min_tasks,
        max_tasks=max_tasks,
        tasks_per_run=tasks_per_run,
        schedule=expression,
        runs_per_month=runs,
        queues=total("aws_sqs_queue"),
        schedules=total("aws_scheduler_schedule"),
        event_rules=total("aws_cloudwatch_event_rule"),
        kms_keys=total("aws_kms_key"),
        alarms=alarms,
        alarm_metrics=alarm_metrics,
        log_retention_days=tuple(retention),
    )


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

    cluster_strategy: tuple[StrategyItem, ...] = ()
    for _, body in items("aws_ecs_cluster_capacity_providers"):
        cluster_strategy = _strategy(_blocks(body.get("default_capacity_provider_strategy")))
    strategy = _strategy(_blocks(service.get("capacity_provider_strategy")))
    if not strategy and not service.get("launch_type"):
        strategy = cluster_strategy
    strategy = strategy or (StrategyItem("FARGATE", 1, 0),)

    load_balancers = network_load_balancers = public_ips = 0
    for name, body in resources.get("aws_lb", {}).items():  # a workload's NLB too
        kind = body.get("load_balancer_type", "application")
        if kind not in ("application", "network"):
            continue
        n = count("aws_lb", name, body)
        if kind == "application":
            load_balancers += n
        else:
            network_load_balancers += n
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

    task_public_ip = _true(_block(service.get("network_configuration")).get("assign_public_ip", False))

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
    alarms, alarm_metrics = _count_alarms(items("aws_cloudwatch_metric_alarm"), count, warnings)
    workloads = _workloads_from_stack(resources, count, cluster_strategy or (StrategyItem("FARGATE", 1, 0),), warnings)
    ec2_capacity, provider_names = _ec2_capacity_from_stack(resources, warnings)
    strategy = _resolve(strategy, provider_names)
    workloads = tuple(replace(w, strategy=_resolve(w.strategy, provider_names)) for w in workloads)
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
        network_load_balancers=network_load_balancers,
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
        alarms=alarms,
        alarm_metrics=alarm_metrics,
        workloads=workloads,
        ec2_capacity=ec2_capacity,
        warnings=tuple(warnings),
    )


def _resolve(strategy: tuple[StrategyItem, ...], names: Mapping[str, str]) -> tuple[StrategyItem, ...]:
    """The strategy with references to capacity providers (``${aws_ecs_capacity_provider.<id>.name}``) named."""
    return tuple(replace(s, capacity_provider=names.get(s.capacity_provider, s.capacity_provider)) for s in strategy)


def _ec2_capacity_from_stack(
    resources: Mapping[str, Mapping[str, Mapping[str, Any]]], warnings: list[str]
) -> tuple[tuple[Ec2CapacityFootprint, ...], dict[str, str]]:
    """Each ``aws_autoscaling_group`` as EC2 capacity, and reference -> name of the capacity providers."""
    templates = list(resources.get("aws_launch_template", {}).items())
    providers = resources.get("aws_ecs_capacity_provider", {})
    names: dict[str, str] = {}
    found = []
    for group_name, group in resources.get("aws_autoscaling_group", {}).items():
        where = "aws_autoscaling_group.%s" % group_name
        policy = _block(group.get("mixed_instances_policy"))
        if policy:
            distribution = _block(policy.get("instances_distribution"))
            base = _int(distribution.get("on_demand_base_capacity", 0),
                        where + ".mixed_instances_policy.instances_distribution.on_demand_base_capacity")
            percent = _int(distribution.get("on_demand_percentage_above_base_capacity", 100),
                           where + ".mixed_instances_policy.instances_distribution.on_demand_percentage_above_base_capacity")
            launch = _block(policy.get("launch_template"))
            spec = _block(launch.get("launch_template_specification"))
            types = [o.get("instance_type") for o in _blocks(launch.get("override")) if o.get("instance_type")]
        else:  # one launch template, all On-Demand
            base, percent = 0, 100
            spec = _block(group.get("launch_template"))
            types = []
        template: Mapping[str, Any] = {}
        if templates:
            template = _referenced("aws_launch_template", templates, spec.get("id") or spec.get("launch_template_id"))[1]
        if not types and template.get("instance_type"):
            types = [template["instance_type"]]
        if not all(isinstance(t, str) for t in types):
            raise CostError("%s instance types %r are not literal in the synthesized stack" % (where, types))
        root = _root_volume_gib(template, where, warnings)
        name = str(group.get("name", group_name))
        for provider_id, provider in providers.items():
            arn = _block(provider.get("auto_scaling_group_provider")).get("auto_scaling_group_arn")
            if "aws_autoscaling_group.%s." % group_name in json.dumps(arn):
                name = str(provider.get("name", name))
                names["${aws_ecs_capacity_provider.%s.name}" % provider_id] = name
        found.append(ec2_capacity_from_values(
            name, instance_types=tuple(str(t) for t in types), min_size=_int(group.get("min_size"), where + ".min_size"),
            max_size=_int(group.get("max_size"), where + ".max_size"), on_demand_base_capacity=base,
            on_demand_percentage_above_base=percent, root_volume_gib=root, where=where,
        ))  # fmt: skip
    return tuple(found), names


def _root_volume_gib(template: Mapping[str, Any], where: str, warnings: list[str]) -> int:
    """GiB of EBS the launch template gives each instance (priced as gp3); the AMI's snapshot when it sets none."""
    volumes = [_block(m.get("ebs")) for m in _blocks(template.get("block_device_mappings"))]
    volumes = [v for v in volumes if v]
    if not volumes:
        warnings.append("%s: its launch template sets no EBS volume; priced as the AMI's %d GiB root volume"
                        % (where, AMI_ROOT_VOLUME_GIB))  # fmt: skip
        return AMI_ROOT_VOLUME_GIB
    for volume in volumes:
        if volume.get("volume_type", "gp3") != "gp3":
            warnings.append("%s: a %s volume of its launch template is priced as gp3" % (where, volume.get("volume_type")))
    return sum(_int(v.get("volume_size", AMI_ROOT_VOLUME_GIB), where + " launch template volume_size") for v in volumes)


# What the config decides. Flow-log/WAF retention, WAF rules, KMS keys and alarms are the stack's
# own choices (see stacks/service.py), so they are taken from the stack and not cross-checked; the
# config estimate applies the same flow-log rule (rules.logs), and a test compares the two.
# "workloads" compares the workload names, then WORKLOAD_CROSS_CHECKED of each workload.
# "ec2_capacity": the environment's [ec2] table (config_ec2_capacity) against its Auto Scaling group.
CROSS_CHECKED = (
    "cpu_units", "memory_mib", "cpu_architecture", "min_tasks", "max_tasks", "strategy", "load_balancers",
    "network_load_balancers",
    "nat_gateways", "interface_endpoint_enis", "task_public_ip", "app_log_retention_days", "workloads",
    "ec2_capacity",
)  # fmt: skip
# Per workload: everything but its alarms (stack-only, as the environment's). Queue, schedule, rule
# and key counts are what the constructs create for the kind (KIND_RESOURCES).
WORKLOAD_CROSS_CHECKED = (
    "kind", "cpu_units", "memory_mib", "cpu_architecture", "strategy", "task_public_ip", "min_tasks", "max_tasks",
    "tasks_per_run", "schedule", "runs_per_month", "queues", "schedules", "event_rules", "kms_keys",
    "log_retention_days",
)  # fmt: skip


def cross_check(synth: Footprint, config: Footprint) -> list[str]:
    """One line per field where the synthesized stack and the config disagree."""
    problems = []

    def differ(name: str, got: Any, want: Any) -> None:
        if got != want:
            problems.append(
                "%s: synthesized stack has %s=%s but the config implies %s; re-run make synth"
                % (synth.env, name, _plain(got), _plain(want))
            )

    for name in CROSS_CHECKED:
        if name != "workloads":
            differ(name, getattr(synth, name), getattr(config, name))
            continue
        got = {w.name: w for w in synth.workloads}
        want = {w.name: w for w in config.workloads}
        differ("workloads", sorted(got), sorted(want))
        for workload in sorted(set(got) & set(want)):
            for field_name in WORKLOAD_CROSS_CHECKED:
                differ(
                    "workloads.%s.%s" % (workload, field_name),
                    getattr(got[workload], field_name),
                    getattr(want[workload], field_name),
                )
    return problems


def _plain(value: Any) -> str:
    if isinstance(value, tuple) and value and isinstance(value[0], StrategyItem):
        return "[%s]" % ", ".join("%s w=%d b=%d" % (s.capacity_provider, s.weight, s.base) for s in value)
    if isinstance(value, tuple) and value and isinstance(value[0], Ec2CapacityFootprint):
        return "[%s]" % ", ".join(
            "%s %s %d..%d base=%d %d%% On-Demand %d GiB"
            % (c.name, "/".join(c.instance_types), c.min_size, c.max_size, c.on_demand_base_capacity,
               c.on_demand_percentage_above_base, c.root_volume_gib)
            for c in value
        )  # fmt: skip
    if isinstance(value, Decimal):
        return _places(value)
    return repr(value)


def _places(value: Decimal) -> str:
    """A Decimal with at most two decimals, as the table shows it: 21.43, 30."""
    text = format(value.quantize(Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


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
