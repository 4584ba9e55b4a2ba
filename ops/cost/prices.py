"""The price table (``ops/pricing.toml``): hourly and monthly prices per region, assumptions, sources.

Example::

    from ops.cost.prices import load_prices
    prices = load_prices()                 # ops/pricing.toml
    prices.region("us-east-1")["alb_hour"]  # Decimal('0.0225')
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ops.cost import CostError

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
)
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
