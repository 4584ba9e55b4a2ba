"""The monthly cost lines of one environment, at min and at max tasks.

Example::

    from ops.cost.estimate import estimate
    est = estimate(footprint(cfg, out), load_prices())
    est.total_min, est.total_max
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ops.cost import CostError
from ops.cost.footprint import Footprint
from ops.cost.prices import PriceTable
from rules.capacity import StrategyItem

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
