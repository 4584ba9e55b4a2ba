"""The price table (``ops/pricing.toml``): hourly and monthly prices per region, assumptions, sources.

Example::

    from ops.cost.prices import load_prices
    prices = load_prices()                 # ops/pricing.toml
    prices.region("us-east-1")["alb_hour"]  # Decimal('0.0225')
    prices.instance_hour("us-east-1", "m6i.large")  # Decimal('0.096'): On-Demand, Linux
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ops.cost import CostError
from rules.ec2 import INSTANCE_TYPES

PRICES_FILE = Path(__file__).resolve().parents[1] / "pricing.toml"

REGION_PRICE_KEYS: tuple[str, ...] = (
    "fargate_x86_64_vcpu_hour",
    "fargate_x86_64_gb_hour",
    "fargate_arm64_vcpu_hour",
    "fargate_arm64_gb_hour",
    "fargate_spot_discount",
    "alb_hour",
    "nlb_hour",
    "nat_gateway_hour",
    "interface_endpoint_az_hour",
    "public_ipv4_hour",
    "logs_ingestion_gb",
    "logs_storage_gb_month",
    "waf_web_acl_month",
    "waf_rule_month",
    "kms_key_month",
    "cloudwatch_alarm_metric_month",
    "sqs_requests_million",
    "sqs_free_requests_month",
    "scheduler_invocations_million",
    "scheduler_free_invocations_month",
    "ec2_spot_discount",
    "ebs_gp3_gb_month",
)
#: The sub-table of a region with the On-Demand hourly price of each EC2 instance type
#: (``[regions.<region>.ec2_instance_hour]``), one key per type of :data:`rules.ec2.INSTANCE_TYPES`.
INSTANCE_TABLE = "ec2_instance_hour"
#: Keys that are a fraction off a price, below 1.
DISCOUNT_KEYS = ("fargate_spot_discount", "ec2_spot_discount")
ASSUMPTION_KEYS: tuple[str, ...] = (
    "app_log_gb_per_task_day",
    "flow_log_gb_per_day",
    "waf_log_gb_per_day",
    "job_run_minutes",
    "sqs_requests_per_worker_month",
)
#: Fargate bills a task by the second with a one-minute minimum (Fargate pricing page), so a job
#: run is priced at one minute at least.
MIN_JOB_RUN_MINUTES = Decimal(1)


@dataclass(frozen=True)
class PriceTable:
    currency: str
    as_of: str
    hours_per_month: Decimal
    sources: dict[str, str]
    assumptions: dict[str, Decimal]
    regions: dict[str, dict[str, Decimal]]
    path: str
    instance_hours: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    """Region -> EC2 instance type -> On-Demand Linux price an hour (every type of rules/ec2.py)."""

    def region(self, name: str) -> dict[str, Decimal]:
        if name not in self.regions:
            raise CostError(
                "%s has no prices for region %r; allowed: %s (add a [regions.%s] table from the pricing pages)"
                % (self.path, name, ", ".join(sorted(self.regions)), name)
            )
        return self.regions[name]

    def instance_hour(self, region: str, instance_type: str) -> Decimal:
        """The On-Demand Linux price of one ``instance_type`` instance-hour in ``region``."""
        self.region(region)
        table = self.instance_hours.get(region, {})
        if instance_type not in table:
            raise CostError(
                "%s: [regions.%s.%s] has no price for instance type %r; allowed: %s"
                % (self.path, region, INSTANCE_TABLE, instance_type, ", ".join(sorted(table)) or "(none)")
            )
        return table[instance_type]


def _dec(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CostError("%s=%r is not a number; allowed: a non-negative number" % (where, value))
    number = Decimal(str(value))
    if number < 0:
        raise CostError("%s=%s is negative; allowed: a non-negative number" % (where, number))
    return number


def assumption(key: str, value: Any, where: str) -> Decimal:
    """One assumption, validated: a non-negative number, and a job run of a minute at least."""
    number = _dec(value, where)
    if key == "job_run_minutes" and number < MIN_JOB_RUN_MINUTES:
        raise CostError(
            "%s=%s; allowed: %s or more (Fargate bills a task for one minute at least)"
            % (where, number, MIN_JOB_RUN_MINUTES)
        )
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
        assumptions[key] = assumption(key, doc["assumptions"][key], "%s: [assumptions].%s" % (path, key))
    regions: dict[str, dict[str, Decimal]] = {}
    instance_hours: dict[str, dict[str, Decimal]] = {}
    for region, table in doc.get("regions", {}).items():
        instance_hours[region] = _instance_table(path, region, table.get(INSTANCE_TABLE))
        table = {k: v for k, v in table.items() if k != INSTANCE_TABLE}
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
        for key in DISCOUNT_KEYS:
            if prices[key] >= 1:
                raise CostError(
                    "%s: [regions.%s].%s=%s; allowed: a fraction below 1 (0.70 = 70%% off)"
                    % (path, region, key, prices[key])
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
        instance_hours=instance_hours,
    )


def _instance_table(path: Path, region: str, table: Any) -> dict[str, Decimal]:
    """``[regions.<region>.ec2_instance_hour]``: a price for every type of rules/ec2.py, and no other type."""
    where = "%s: [regions.%s.%s]" % (path, region, INSTANCE_TABLE)
    if not isinstance(table, dict):
        raise CostError(
            "%s is missing; allowed: a table of On-Demand hourly prices keyed by instance type (%s)"
            % (where, ", ".join(sorted(INSTANCE_TYPES)))
        )
    unknown = sorted(set(table) - set(INSTANCE_TYPES))
    if unknown:
        raise CostError(
            "%s has unknown instance type(s) %s; allowed: the types of rules/ec2.py (%s)"
            % (where, ", ".join(unknown), ", ".join(sorted(INSTANCE_TYPES)))
        )
    missing = sorted(set(INSTANCE_TYPES) - set(table))
    if missing:
        raise CostError(
            "%s has no price for %s; allowed: a price for every instance type of rules/ec2.py" % (where, ", ".join(missing))
        )
    return {name: _dec(table[name], '%s."%s"' % (where, name)) for name in sorted(table)}
