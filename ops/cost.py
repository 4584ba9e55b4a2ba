"""Monthly cost estimate of each environment, from its synthesized Terraform JSON.

Example::

    python -m ops.cost                 # every environment, side by side
    python -m ops.cost --env prod      # one environment
    python -m ops.cost --json          # the same figures for machines

What is counted comes from ``cdktf.out/stacks/<env>/cdk.tf.json`` (run ``make synth`` first):
task cpu/memory/architecture from ``aws_ecs_task_definition``, min/max tasks from
``aws_appautoscaling_target``, the On-Demand/Spot split from the capacity-provider strategy,
``aws_lb``, ``aws_nat_gateway``, ``aws_eip``, interface ``aws_vpc_endpoint`` x subnets,
``aws_wafv2_web_acl`` and its rules, ``aws_kms_key``, and each ``aws_cloudwatch_log_group``'s
retention (app logs, flow logs and WAF logs, told apart by who writes to them). The environment config (``envconfig``) is the fallback
when an environment has not been synthesized, and a cross-check when it has: any disagreement is
printed as a warning (the stack is older than the config; re-run ``make synth``).

Prices come from ``ops/pricing.toml`` (data with its sources, regions and date). Only hourly
charges and log volume are estimated; usage-priced parts (ALB LCUs, NAT/endpoint data, transfer
out, queries) are listed as excluded, not guessed. All money is computed with ``Decimal``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from ops.context import DEFAULT_OUT, OpsError, relative

PRICES_FILE = Path(__file__).with_name("pricing.toml")

# Interface endpoints modules/network.py creates when network.vpc_endpoints is on (its
# INTERFACE_ENDPOINTS: ecr.api, ecr.dkr, logs), each with one ENI per private subnet / AZ.
# tests/ops_cmds/test_cost.py checks this against the module's source.
CONFIG_INTERFACE_ENDPOINTS = 3

REGION_PRICE_KEYS: tuple[str, ...] = (
    "fargate_x86_64_vcpu_hour",
    "fargate_x86_64_gb_hour",
    "fargate_arm64_vcpu_hour",
    "fargate_arm64_gb_hour",
    "fargate_spot_discount",
    "alb_hour",
    "nat_gateway_hour",
    "interface_endpoint_az_hour",
    "public_ipv4_hour",
    "logs_ingestion_gb",
    "logs_storage_gb_month",
    "waf_web_acl_month",
    "waf_rule_month",
    "kms_key_month",
)
ASSUMPTION_KEYS: tuple[str, ...] = ("app_log_gb_per_task_day", "flow_log_gb_per_day", "waf_log_gb_per_day")
EXCLUDED = (
    "ALB LCUs (traffic)",
    "NAT gateway and interface-endpoint data processing",
    "data transfer out",
    "CloudWatch Logs Insights queries",
    "WAF requests",
    "KMS requests",
    "ECR storage",
    "Fargate ephemeral storage above 20 GB",
)
CENT = Decimal("0.01")


class CostError(OpsError, ValueError):
    """Bad price table, stack JSON or arguments; the message names the file, field and value."""


class IncompleteStack(CostError):
    """The synthesized stack has no ECS service (yet); the config is used instead."""


# --------------------------------------------------------------------------------------------
# Price table
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceTable:
    currency: str
    as_of: str
    hours_per_month: Decimal
    sources: dict[str, str]
    assumptions: dict[str, Decimal]
    regions: dict[str, dict[str, Decimal]]
    path: str

    def region(self, name: str) -> dict[str, Decimal]:
        if name not in self.regions:
            raise CostError(
                "%s has no prices for region %r; allowed: %s (add a [regions.%s] table from the pricing pages)"
                % (self.path, name, ", ".join(sorted(self.regions)), name)
            )
        return self.regions[name]


def _dec(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CostError("%s=%r is not a number; allowed: a non-negative number" % (where, value))
    number = Decimal(str(value))
    if number < 0:
        raise CostError("%s=%s is negative; allowed: a non-negative number" % (where, number))
    return number


def load_prices(path: Path = PRICES_FILE) -> PriceTable:
    """Read and validate the price table; every problem names the file and the key."""
    try:
        with path.open("rb") as handle:
            doc = tomllib.load(handle)
    except OSError as exc:
        raise CostError("%s: cannot read the price table: %s" % (path, exc.strerror)) from None
    except tomllib.TOMLDecodeError as exc:
        raise CostError("%s: not valid TOML: %s" % (path, exc)) from None
    meta = doc.get("meta", {})
    for key in ("currency", "as_of", "hours_per_month"):
        if key not in meta:
            raise CostError("%s: [meta].%s is missing; allowed: currency, as_of (YYYY-MM-DD), hours_per_month" % (path, key))
    sources = doc.get("sources", {})
    if not sources:
        raise CostError("%s: [sources] is empty; allowed: one URL per priced item (the public pricing pages)" % path)
    assumptions = {}
    for key in ASSUMPTION_KEYS:
        if key not in doc.get("assumptions", {}):
            raise CostError("%s: [assumptions].%s is missing; allowed keys: %s" % (path, key, ", ".join(ASSUMPTION_KEYS)))
        assumptions[key] = _dec(doc["assumptions"][key], "%s: [assumptions].%s" % (path, key))
    regions: dict[str, dict[str, Decimal]] = {}
    for region, table in doc.get("regions", {}).items():
        unknown = set(table) - set(REGION_PRICE_KEYS)
        if unknown:
            raise CostError(
                "%s: [regions.%s] has unknown key(s) %s; allowed: %s"
                % (path, region, ", ".join(sorted(unknown)), ", ".join(REGION_PRICE_KEYS))
            )
        prices = {}
        for key in REGION_PRICE_KEYS:
            if key not in table:
                raise CostError("%s: [regions.%s].%s is missing; allowed keys: %s" % (path, region, key, ", ".join(REGION_PRICE_KEYS)))
            prices[key] = _dec(table[key], "%s: [regions.%s].%s" % (path, region, key))
        if prices["fargate_spot_discount"] >= 1:
            raise CostError(
                "%s: [regions.%s].fargate_spot_discount=%s; allowed: a fraction below 1 (0.70 = 70%% off)"
                % (path, region, prices["fargate_spot_discount"])
            )
        regions[region] = prices
    if not regions:
        raise CostError("%s: no [regions.<name>] tables; allowed: one table per AWS region priced" % path)
    return PriceTable(
        currency=str(meta["currency"]),
        as_of=str(meta["as_of"]),
        hours_per_month=_dec(meta["hours_per_month"], "%s: [meta].hours_per_month" % path),
        sources={str(k): str(v) for k, v in sources.items()},
        assumptions=assumptions,
        regions=regions,
        path=str(path),
    )


# --------------------------------------------------------------------------------------------
# What an environment runs (its footprint)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StrategyItem:
    capacity_provider: str
    weight: int
    base: int


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
    """The default capacity-provider strategy modules/cluster.py derives from the Spot share.

    Kept in step with ``modules.cluster.capacity_provider_strategy`` by a test (importing the
    module here would load the provider bindings and slow ``make cost`` down by seconds).
    """
    if fargate_spot_percent == 0:
        return (StrategyItem("FARGATE", 1, 0),)
    if fargate_spot_percent == 100:
        return (StrategyItem("FARGATE_SPOT", 1, 0),)
    return (StrategyItem("FARGATE", 100 - fargate_spot_percent, 1), StrategyItem("FARGATE_SPOT", fargate_spot_percent, 0))


def split_tasks(tasks: int, strategy: Sequence[StrategyItem]) -> tuple[Decimal, Decimal]:
    """(on-demand, spot) task counts for ``tasks`` under ``strategy``.

    ECS first places each provider's ``base`` tasks, then shares the rest by weight. The share
    is kept fractional: the estimate is an average over scaling, not a placement.
    """
    on_demand = spot = Decimal(0)
    remaining = Decimal(tasks)
    for item in strategy:
        placed = min(Decimal(item.base), remaining)
        remaining -= placed
        if item.capacity_provider == "FARGATE_SPOT":
            spot += placed
        else:
            on_demand += placed
    total_weight = sum(item.weight for item in strategy)
    if remaining and total_weight:
        for item in strategy:
            share = remaining * item.weight / total_weight
            if item.capacity_provider == "FARGATE_SPOT":
                spot += share
            else:
                on_demand += share
    elif remaining:
        on_demand += remaining
    return on_demand, spot


def footprint_from_config(cfg: Any) -> Footprint:
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
        flow_log_retention_days=(cfg.logging.retention_days,) if net.flow_logs else (),
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
        return list(resources.get(kind, {}).items())

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
# choices (see stacks/service.py), so they are taken from the stack and not cross-checked.
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


# --------------------------------------------------------------------------------------------
# Pricing
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    item: str
    detail: str
    at_min: Decimal
    at_max: Decimal


@dataclass(frozen=True)
class Estimate:
    footprint: Footprint
    lines: tuple[Line, ...]

    @property
    def total_min(self) -> Decimal:
        return sum((line.at_min for line in self.lines), Decimal(0))

    @property
    def total_max(self) -> Decimal:
        return sum((line.at_max for line in self.lines), Decimal(0))


def _n(value: Decimal) -> str:
    """A quantity for a detail column, at most two decimals: 1.5 stays 1.5, 2.00 becomes 2."""
    text = format(value.quantize(CENT), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def estimate(fp: Footprint, prices: PriceTable) -> Estimate:
    """Monthly cost lines of one environment at min and at max tasks."""
    p = prices.region(fp.region)
    a = prices.assumptions
    hours = prices.hours_per_month
    days = hours / 24
    arch = {"X86_64": "x86_64", "ARM64": "arm64"}.get(fp.cpu_architecture)
    if arch is None:
        raise CostError("%s: cpu_architecture=%r; allowed: X86_64, ARM64" % (fp.env, fp.cpu_architecture))
    task_hour = fp.vcpu * p["fargate_%s_vcpu_hour" % arch] + fp.memory_gb * p["fargate_%s_gb_hour" % arch]
    spot_task_hour = task_hour * (1 - p["fargate_spot_discount"])

    od_min, spot_min = split_tasks(fp.min_tasks, fp.strategy)
    od_max, spot_max = split_tasks(fp.max_tasks, fp.strategy)
    size = "%s vCPU / %s GB %s" % (_n(fp.vcpu), _n(fp.memory_gb), fp.cpu_architecture)
    lines = [
        Line("Fargate On-Demand", "%s/%s tasks x %s" % (_n(od_min), _n(od_max), size),
             od_min * task_hour * hours, od_max * task_hour * hours),
        Line("Fargate Spot", "%s/%s tasks, %s%% off" % (_n(spot_min), _n(spot_max), _n(p["fargate_spot_discount"] * 100)),
             spot_min * spot_task_hour * hours, spot_max * spot_task_hour * hours),
    ]  # fmt: skip
    alb = fp.load_balancers * p["alb_hour"] * hours
    lines.append(Line("ALB hours", "%d x %s h" % (fp.load_balancers, _n(hours)), alb, alb))
    nat = fp.nat_gateways * p["nat_gateway_hour"] * hours
    lines.append(Line("NAT gateways", "%d x %s h" % (fp.nat_gateways, _n(hours)), nat, nat))
    eni = fp.interface_endpoint_enis * p["interface_endpoint_az_hour"] * hours
    lines.append(Line("Interface endpoints", "%d endpoint-AZs x %s h" % (fp.interface_endpoint_enis, _n(hours)), eni, eni))
    fixed_ips = fp.load_balancer_public_ips + fp.elastic_ips
    ips_min = fixed_ips + (fp.min_tasks if fp.task_public_ip else 0)
    ips_max = fixed_ips + (fp.max_tasks if fp.task_public_ip else 0)
    lines.append(Line("Public IPv4", "%d/%d addresses" % (ips_min, ips_max),
                      ips_min * p["public_ipv4_hour"] * hours, ips_max * p["public_ipv4_hour"] * hours))  # fmt: skip

    waf = fp.waf_web_acls * p["waf_web_acl_month"] + fp.waf_rules * p["waf_rule_month"]
    lines.append(Line("WAF web ACLs", "%d ACL, %d rules" % (fp.waf_web_acls, fp.waf_rules), waf, waf))
    kms = fp.kms_keys * p["kms_key_month"]
    lines.append(Line("KMS keys", "%d keys" % fp.kms_keys, kms, kms))

    per_task = a["app_log_gb_per_task_day"]
    flow_day = a["flow_log_gb_per_day"] * len(fp.flow_log_retention_days) + a["waf_log_gb_per_day"] * len(
        fp.waf_log_retention_days
    )
    app_groups = len(fp.app_log_retention_days) > 0
    app_day_min = per_task * fp.min_tasks if app_groups else Decimal(0)
    app_day_max = per_task * fp.max_tasks if app_groups else Decimal(0)
    lines.append(Line("Log ingestion", "%s/%s GB a month" % (_n((app_day_min + flow_day) * days), _n((app_day_max + flow_day) * days)),
                      (app_day_min + flow_day) * days * p["logs_ingestion_gb"],
                      (app_day_max + flow_day) * days * p["logs_ingestion_gb"]))  # fmt: skip
    app_days = Decimal(max(fp.app_log_retention_days, default=0))
    flow_stored = sum((a["flow_log_gb_per_day"] * d for d in fp.flow_log_retention_days), Decimal(0)) + sum(
        (a["waf_log_gb_per_day"] * d for d in fp.waf_log_retention_days), Decimal(0)
    )
    stored_min = app_day_min * app_days + flow_stored
    stored_max = app_day_max * app_days + flow_stored
    all_days = fp.app_log_retention_days + fp.flow_log_retention_days + fp.waf_log_retention_days
    retention = "/".join(str(d) for d in sorted(set(all_days))) or "-"
    lines.append(Line("Log storage", "%s/%s GB kept (%s d)" % (_n(stored_min), _n(stored_max), retention),
                      stored_min * p["logs_storage_gb_month"], stored_max * p["logs_storage_gb_month"]))  # fmt: skip
    return Estimate(fp, tuple(lines))


# --------------------------------------------------------------------------------------------
# Environments
# --------------------------------------------------------------------------------------------


def stack_file(env: str, out: Path) -> Path:
    return out / "stacks" / env / "cdk.tf.json"


def footprint(cfg: Any, out: Path) -> Footprint:
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


def money(value: Decimal) -> str:
    return f"{value.quantize(CENT):,.2f}"


def render(estimates: Sequence[Estimate], prices: PriceTable) -> str:
    """All environments side by side; each cell is ``at min / at max`` tasks."""
    from ops.render import format_table

    headers = ["monthly %s" % prices.currency] + [e.footprint.env for e in estimates]
    rows: list[list[str]] = [
        ["region"] + [e.footprint.region + (" (emulator)" if e.footprint.emulator else "") for e in estimates],
        ["task size"] + ["%s vCPU / %s GB" % (_n(e.footprint.vcpu), _n(e.footprint.memory_gb)) for e in estimates],
        ["tasks min..max"] + ["%d..%d" % (e.footprint.min_tasks, e.footprint.max_tasks) for e in estimates],
    ]
    for index, line in enumerate(estimates[0].lines if estimates else ()):
        rows.append([line.item] + ["%s / %s" % (money(e.lines[index].at_min), money(e.lines[index].at_max)) for e in estimates])
    rows.append(["TOTAL at min / max"] + ["%s / %s" % (money(e.total_min), money(e.total_max)) for e in estimates])
    parts = [format_table(headers, rows), ""]
    quantities = [
        [line.item] + [e.lines[index].detail for e in estimates]
        for index, line in enumerate(estimates[0].lines if estimates else ())
    ]
    parts += [format_table(["quantities (min/max)"] + [e.footprint.env for e in estimates], quantities), ""]
    parts.append("Source of each column: " + "; ".join("%s <- %s" % (e.footprint.env, e.footprint.source) for e in estimates))
    parts.append(
        "Prices: %s as of %s (public list prices; may need refreshing), %s h a month; assumptions: %s."
        % (relative(prices.path), prices.as_of, _n(prices.hours_per_month),
           ", ".join("%s=%s" % (k, _n(v)) for k, v in prices.assumptions.items()))
    )  # fmt: skip
    parts.append("Sources: " + ", ".join(sorted(set(prices.sources.values()))))
    parts.append("Not included (usage-priced): " + ", ".join(EXCLUDED) + ".")
    if any(e.footprint.emulator for e in estimates):
        parts.append("Emulator environments cost nothing to run; their column prices the same shape in their region.")
    warnings = [w for e in estimates for w in e.footprint.warnings]
    if warnings:
        parts.append("")
        parts.extend("warning: %s" % w for w in warnings)
    return "\n".join(parts)


def to_json(estimates: Sequence[Estimate], prices: PriceTable) -> dict[str, Any]:
    def num(value: Decimal) -> float:
        return float(value.quantize(Decimal("0.0001")))

    environments = {}
    for e in estimates:
        fp = asdict(e.footprint)
        fp["strategy"] = [asdict(s) for s in e.footprint.strategy]
        environments[e.footprint.env] = {
            "footprint": fp,
            "lines": [
                {"item": line.item, "detail": line.detail, "at_min": num(line.at_min), "at_max": num(line.at_max)}
                for line in e.lines
            ],
            "total_at_min": num(e.total_min),
            "total_at_max": num(e.total_max),
        }
    return {
        "currency": prices.currency,
        "prices_as_of": prices.as_of,
        "price_table": prices.path,
        "hours_per_month": num(prices.hours_per_month),
        "sources": prices.sources,
        "assumptions": {k: num(v) for k, v in prices.assumptions.items()},
        "excluded": list(EXCLUDED),
        "environments": environments,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.cost", description=__doc__.split("\n")[0])
    parser.add_argument("--env", action="append", help="only this environment (repeatable); all when omitted")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="synth output directory (cdktf.out)")
    parser.add_argument("--prices", type=Path, default=PRICES_FILE, help="price table (TOML)")
    parser.add_argument("--config", type=Path, default=None, help="environments file (default: envconfig's)")
    parser.add_argument("--app-log-gb-per-task-day", type=float, default=None, help="override the price table's assumption")
    parser.add_argument("--flow-log-gb-per-day", type=float, default=None, help="override the price table's assumption")
    parser.add_argument("--waf-log-gb-per-day", type=float, default=None, help="override the price table's assumption")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)

    from envconfig import DEFAULT_FILE, ConfigError, load_environments

    try:
        prices = load_prices(args.prices)
        configs = load_environments(args.config or DEFAULT_FILE, only=args.env)
        overrides = {}
        for key in ASSUMPTION_KEYS:
            value = getattr(args, key)
            if value is not None:
                overrides[key] = _dec(value, "--%s" % key.replace("_", "-"))
        prices = replace(prices, assumptions={**prices.assumptions, **overrides})
        estimates = [estimate(footprint(cfg, args.out), prices) for cfg in configs.values()]
    except (OpsError, ConfigError) as exc:
        print("cost: error: %s" % exc, file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(to_json(estimates, prices), indent=2))
    else:
        print(render(estimates, prices))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
