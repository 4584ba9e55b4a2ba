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
from ops.cost.footprint import Footprint, WorkloadFootprint
from ops.cost.prices import PriceTable
from rules.capacity import StrategyItem

EXCLUDED = (
    "ALB LCUs and NLB NLCUs (traffic)",
    "NAT gateway and interface-endpoint data processing",
    "data transfer out",
    "CloudWatch Logs Insights queries",
    "WAF requests",
    "KMS requests",
    "ECR storage",
    "Fargate ephemeral storage above 20 GB",
)
# Billed, but not from anything the stack declares with a countable price here.
NOT_COUNTED = (
    "the alarms Application Auto Scaling creates for target-tracking policies",
    "Container Insights metrics",
    "Cloud Map registrations and DNS queries",
)
CENT = Decimal("0.01")
MILLION = Decimal(1000000)
MINUTES_PER_DAY = 24 * 60


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


def _count(value: Decimal | int) -> str:
    """A count for a detail column: 500000 is 500,000; fractions keep two decimals."""
    return f"{int(value):,}" if Decimal(value) == int(value) else _n(Decimal(value))


def _plural(number: int, word: str) -> str:
    return "%d %s%s" % (number, word, "" if number == 1 else "s")


def task_hour(p: dict[str, Decimal], vcpu: Decimal, memory_gb: Decimal, architecture: str, where: str) -> Decimal:
    """The On-Demand price of one task-hour of this size."""
    arch = {"X86_64": "x86_64", "ARM64": "arm64"}.get(architecture)
    if arch is None:
        raise CostError("%s=%r; allowed: X86_64, ARM64" % (where, architecture))
    return vcpu * p["fargate_%s_vcpu_hour" % arch] + memory_gb * p["fargate_%s_gb_hour" % arch]


def _size(fp: Footprint | WorkloadFootprint) -> str:
    return "%s vCPU / %s GB %s" % (_n(fp.vcpu), _n(fp.memory_gb), fp.cpu_architecture)


def workload_line(env: str, w: WorkloadFootprint, prices: PriceTable, p: dict[str, Decimal]) -> Line:
    """The Fargate (and task public IPv4) cost of one workload: a service at min/max tasks, or a job's runs."""
    hours = prices.hours_per_month
    where = "%s: workloads.%s.cpu_architecture" % (env, w.name)
    on_demand = task_hour(p, w.vcpu, w.memory_gb, w.cpu_architecture, where)
    spot = on_demand * (1 - p["fargate_spot_discount"])
    ip = p["public_ipv4_hour"] if w.task_public_ip else Decimal(0)
    public = ", public IPs" if w.task_public_ip else ""
    if w.kind == "job":
        od_tasks, spot_tasks = split_tasks(w.tasks_per_run, w.strategy)
        run_hours = w.runs_per_month * prices.assumptions["job_run_minutes"] / 60
        cost = run_hours * (od_tasks * on_demand + spot_tasks * spot + w.tasks_per_run * ip)
        tasks = "" if w.tasks_per_run == 1 else " x %d tasks" % w.tasks_per_run
        on_spot = ", %s%% on Spot" % _n(spot_tasks * 100 / w.tasks_per_run) if spot_tasks else ""
        detail = "%s runs%s x %s min x %s%s%s" % (
            _n(w.runs_per_month), tasks, _n(prices.assumptions["job_run_minutes"]), _size(w), on_spot, public
        )
        return Line("%s job runs" % w.name, detail, cost, cost)
    at: list[Decimal] = []
    spot_share: list[Decimal] = []
    for count in (w.min_tasks, w.max_tasks):
        od_tasks, spot_tasks = split_tasks(count, w.strategy)
        at.append((od_tasks * on_demand + spot_tasks * spot + count * ip) * hours)
        spot_share.append(spot_tasks)
    on_spot = " (%s/%s Spot)" % (_n(spot_share[0]), _n(spot_share[1])) if any(spot_share) else ""
    detail = "%d/%d tasks%s x %s%s" % (w.min_tasks, w.max_tasks, on_spot, _size(w), public)
    return Line("%s Fargate" % w.name, detail, at[0], at[1])


def queue_line(fp: Footprint, prices: PriceTable, p: dict[str, Decimal]) -> Line:
    """SQS requests (an assumed volume per worker) and Scheduler invocations (the jobs' runs), above the free tiers."""
    queues = sum(w.queues for w in fp.workloads)
    schedules = sum(w.schedules for w in fp.workloads)
    rules = sum(w.event_rules for w in fp.workloads)
    requests = sum(1 for w in fp.workloads if w.kind == "worker") * prices.assumptions["sqs_requests_per_worker_month"]
    invocations = sum((w.runs_per_month for w in fp.workloads if w.kind == "job"), Decimal(0))
    billed_requests = max(Decimal(0), requests - p["sqs_free_requests_month"])
    billed_invocations = max(Decimal(0), invocations - p["scheduler_free_invocations_month"])
    cost = billed_requests / MILLION * p["sqs_requests_million"] + billed_invocations / MILLION * p[
        "scheduler_invocations_million"
    ]
    parts = []
    if queues:
        parts.append("%s, %s req" % (_plural(queues, "queue"), _count(requests)))
    if schedules:
        parts.append("%s, %s runs" % (_plural(schedules, "schedule"), _count(invocations)))
    if rules:
        parts.append(_plural(rules, "event rule"))
    free = ": free tier" if not (billed_requests or billed_invocations) else ""
    return Line("SQS and Scheduler", "; ".join(parts) + free, cost, cost)


def workload_log_line(fp: Footprint, prices: PriceTable, p: dict[str, Decimal]) -> Line:
    """Ingestion and storage of the workloads' log groups, at the app-log volume per task-day."""
    per_task = prices.assumptions["app_log_gb_per_task_day"]
    days = prices.hours_per_month / 24
    ingest = [Decimal(0), Decimal(0)]
    stored = [Decimal(0), Decimal(0)]
    for w in fp.workloads:
        if not w.log_retention_days:
            continue
        kept = max(w.log_retention_days)
        if w.kind == "job":
            task_days = w.runs_per_month * w.tasks_per_run * prices.assumptions["job_run_minutes"] / MINUTES_PER_DAY
            month = (per_task * task_days, per_task * task_days)
        else:
            month = (per_task * w.min_tasks * days, per_task * w.max_tasks * days)
        for i in (0, 1):
            ingest[i] += month[i]
            stored[i] += month[i] / days * kept
    retention = "/".join(str(d) for d in sorted({d for w in fp.workloads for d in w.log_retention_days})) or "-"
    detail = "%s/%s GB a month, %s/%s GB kept (%s d)" % (
        _n(ingest[0]), _n(ingest[1]), _n(stored[0]), _n(stored[1]), retention,
    )  # fmt: skip
    return Line(
        "Workload logs",
        detail,
        ingest[0] * p["logs_ingestion_gb"] + stored[0] * p["logs_storage_gb_month"],
        ingest[1] * p["logs_ingestion_gb"] + stored[1] * p["logs_storage_gb_month"],
    )


def estimate(fp: Footprint, prices: PriceTable) -> Estimate:
    """Monthly cost lines of one environment at min and at max tasks."""
    p = prices.region(fp.region)
    a = prices.assumptions
    hours = prices.hours_per_month
    days = hours / 24
    hourly = task_hour(p, fp.vcpu, fp.memory_gb, fp.cpu_architecture, "%s: cpu_architecture" % fp.env)
    spot_task_hour = hourly * (1 - p["fargate_spot_discount"])

    od_min, spot_min = split_tasks(fp.min_tasks, fp.strategy)
    od_max, spot_max = split_tasks(fp.max_tasks, fp.strategy)
    size = _size(fp)
    lines = [
        Line("Fargate On-Demand", "%s/%s tasks x %s" % (_n(od_min), _n(od_max), size),
             od_min * hourly * hours, od_max * hourly * hours),
        Line("Fargate Spot", "%s/%s tasks, %s%% off" % (_n(spot_min), _n(spot_max), _n(p["fargate_spot_discount"] * 100)),
             spot_min * spot_task_hour * hours, spot_max * spot_task_hour * hours),
    ]  # fmt: skip
    lines.extend(workload_line(fp.env, w, prices, p) for w in fp.workloads)
    alb = fp.load_balancers * p["alb_hour"] * hours
    lines.append(Line("ALB hours", "%d x %s h" % (fp.load_balancers, _n(hours)), alb, alb))
    if fp.network_load_balancers:
        nlb = fp.network_load_balancers * p["nlb_hour"] * hours
        lines.append(Line("NLB hours", "%d x %s h" % (fp.network_load_balancers, _n(hours)), nlb, nlb))
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
    workload_keys = sum(w.kms_keys for w in fp.workloads)
    kms = (fp.kms_keys + workload_keys) * p["kms_key_month"]
    of_workloads = " (%d of workloads)" % workload_keys if workload_keys else ""
    lines.append(Line("KMS keys", "%d keys%s" % (fp.kms_keys + workload_keys, of_workloads), kms, kms))
    alarms = fp.alarms + sum(w.alarms for w in fp.workloads)
    metrics = fp.alarm_metrics + sum(w.alarm_metrics for w in fp.workloads)
    alarm_cost = metrics * p["cloudwatch_alarm_metric_month"]
    lines.append(Line("CloudWatch alarms", "%s, %s" % (_plural(alarms, "alarm"), _plural(metrics, "metric")),
                      alarm_cost, alarm_cost))  # fmt: skip
    if any(w.queues or w.schedules for w in fp.workloads):
        lines.append(queue_line(fp, prices, p))

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
    if fp.workloads:
        lines.append(workload_log_line(fp, prices, p))
    return Estimate(fp, tuple(lines))
