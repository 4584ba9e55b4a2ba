"""The monthly cost lines of one environment, at min and at max tasks.

Example::

    from ops.cost.estimate import estimate
    est = estimate(footprint(cfg, out), load_prices())
    est.total_min, est.total_max
    est.comparisons     # services with tasks on EC2 capacity: the same tasks on EC2 and on Fargate

Tasks a strategy places on an EC2 capacity provider are not priced as Fargate: the instances of
the Auto Scaling group are (``EC2 On-Demand`` / ``EC2 Spot`` at its min and max size, ``EBS root
volumes``). For each service with tasks on EC2, :func:`ops.cost.compare.compare_capacity` prices
those tasks both ways (shown beside the table, not added to the total).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ops.cost import CostError
from ops.cost.compare import CapacityComparison, compare_capacity
from ops.cost.footprint import Ec2CapacityFootprint, Footprint, WorkloadFootprint
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
FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")


def provider_shares(tasks: int, strategy: Sequence[StrategyItem]) -> dict[str, Decimal]:
    """Tasks per capacity provider for ``tasks`` under ``strategy``.

    ECS first places each provider's ``base`` tasks, then shares the rest by weight. The share
    is kept fractional: the estimate is an average over scaling, not a placement. Without
    weights the rest goes to FARGATE.
    """
    shares: dict[str, Decimal] = {}
    remaining = Decimal(tasks)
    for item in strategy:
        placed = min(Decimal(item.base), remaining)
        remaining -= placed
        shares[item.capacity_provider] = shares.get(item.capacity_provider, Decimal(0)) + placed
    total_weight = sum(item.weight for item in strategy)
    if remaining and total_weight:
        for item in strategy:
            shares[item.capacity_provider] += remaining * item.weight / total_weight
    elif remaining:
        shares["FARGATE"] = shares.get("FARGATE", Decimal(0)) + remaining
    return shares


def split_tasks(tasks: int, strategy: Sequence[StrategyItem]) -> tuple[Decimal, Decimal]:
    """(on-demand, spot) Fargate task counts for ``tasks`` under ``strategy`` (see :func:`provider_shares`).

    Tasks on other providers (EC2 capacity) are in neither: their instances are priced instead.
    """
    shares = provider_shares(tasks, strategy)
    return shares.get("FARGATE", Decimal(0)), shares.get("FARGATE_SPOT", Decimal(0))


def ec2_tasks(tasks: int, strategy: Sequence[StrategyItem]) -> dict[str, Decimal]:
    """Tasks per EC2 capacity provider (every provider but FARGATE and FARGATE_SPOT) for ``tasks``."""
    return {k: v for k, v in provider_shares(tasks, strategy).items() if k not in FARGATE_PROVIDERS}


@dataclass(frozen=True)
class Line:
    item: str
    detail: str
    at_min: Decimal
    at_max: Decimal


@dataclass(frozen=True)
class ServiceComparison:
    """A service's tasks on one EC2 capacity provider, priced on its instances and on Fargate, at min and max."""

    service: str
    capacity_provider: str
    at_min: CapacityComparison
    at_max: CapacityComparison


@dataclass(frozen=True)
class Estimate:
    footprint: Footprint
    lines: tuple[Line, ...]
    comparisons: tuple[ServiceComparison, ...] = ()
    notes: tuple[str, ...] = ()
    """What could not be compared (a strategy naming EC2 capacity the stack does not declare)."""

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


def ec2_lines(fp: Footprint, prices: PriceTable, p: dict[str, Decimal]) -> list[Line]:
    """The Auto Scaling groups' instances at min and at max size, On-Demand and Spot, and their root volumes.

    Each group is priced at its first instance type (the On-Demand allocation is ``prioritized``);
    Spot at the table's assumed ``ec2_spot_discount`` off that type's On-Demand price.
    """
    hours = prices.hours_per_month
    spot_off = p["ec2_spot_discount"]
    od_cost, spot_cost, ebs_cost = [Decimal(0)] * 2, [Decimal(0)] * 2, [Decimal(0)] * 2
    od_parts, spot_parts, ebs_parts = [], [], []
    for c in fp.ec2_capacity:
        kind = c.instance_types[0]
        hourly = prices.instance_hour(fp.region, kind)
        od, spot, gib = [], [], []
        for i, size in enumerate((c.min_size, c.max_size)):
            on_demand, on_spot = c.split(size)
            od_cost[i] += on_demand * hourly * hours
            spot_cost[i] += on_spot * hourly * (1 - spot_off) * hours
            ebs_cost[i] += size * c.root_volume_gib * p["ebs_gp3_gb_month"]
            od.append(on_demand)
            spot.append(on_spot)
            gib.append(size * c.root_volume_gib)
        od_parts.append("%s/%s x %s" % (_n(od[0]), _n(od[1]), kind))
        spot_parts.append("%s/%s x %s" % (_n(spot[0]), _n(spot[1]), kind))
        ebs_parts.append("%d/%d GB" % (gib[0], gib[1]))
    return [
        Line("EC2 On-Demand", "; ".join(od_parts) + " instances", od_cost[0], od_cost[1]),
        Line("EC2 Spot", "; ".join(spot_parts) + ", %s%% off" % _n(spot_off * 100), spot_cost[0], spot_cost[1]),
        Line("EBS root volumes", "; ".join(ebs_parts) + " gp3", ebs_cost[0], ebs_cost[1]),
    ]


def _services(fp: Footprint) -> list[tuple[str, int, int, int, int, tuple[StrategyItem, ...]]]:
    """(name, cpu, memory, min, max, strategy) of the web service and each further service (not jobs)."""
    out = [("service", fp.cpu_units, fp.memory_mib, fp.min_tasks, fp.max_tasks, fp.strategy)]
    for w in fp.workloads:
        if w.kind != "job":
            out.append((w.name, w.cpu_units, w.memory_mib, w.min_tasks, w.max_tasks, w.strategy))
    return out


def comparisons(fp: Footprint, prices: PriceTable) -> tuple[tuple[ServiceComparison, ...], tuple[str, ...]]:
    """Each service's tasks on an EC2 capacity provider: on its group's first instance type vs on Fargate."""
    groups: dict[str, Ec2CapacityFootprint] = {c.name: c for c in fp.ec2_capacity}
    found, notes = [], []
    for name, cpu, memory, low, high, strategy in _services(fp):
        at_min, at_max = ec2_tasks(low, strategy), ec2_tasks(high, strategy)
        for provider in at_max:
            group = groups.get(provider)
            if group is None and len(groups) == 1 and provider == "EC2":  # launch_type EC2 on the one group
                group = next(iter(groups.values()))
            if group is None:
                notes.append("%s: %s places tasks on %s, which is no Auto Scaling group of the stack; not compared"
                             % (fp.env, name, provider))  # fmt: skip
                continue
            kind = group.instance_types[0]
            pair = [
                compare_capacity(cpu, memory, tasks, kind, prices, fp.region, root_volume_gib=group.root_volume_gib)
                for tasks in (at_min.get(provider, Decimal(0)), at_max[provider])
            ]
            found.append(ServiceComparison(name, provider, pair[0], pair[1]))
    return tuple(found), tuple(notes)


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
    if fp.ec2_capacity:
        lines.extend(ec2_lines(fp, prices, p))
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
    compared, notes = comparisons(fp, prices)
    return Estimate(fp, tuple(lines), compared, notes)
