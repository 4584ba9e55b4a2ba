"""The estimates as a side-by-side table or as JSON.

Example::

    print(render([estimate(fp, prices)], prices))
    json.dumps(to_json([estimate(fp, prices)], prices))
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from ops.context import relative
from ops.cost.compare import CapacityComparison
from ops.cost.estimate import CENT, EXCLUDED, NOT_COUNTED, Estimate, Line, _n
from ops.cost.prices import PriceTable
from ops.render import format_table

#: The width the tables are kept within: a table of every environment side by side that would be
#: wider is printed one environment at a time.
WIDTH = 100
ABSENT = "-"


def money(value: Decimal) -> str:
    return f"{value.quantize(CENT):,.2f}"


def items(estimates: Sequence[Estimate]) -> list[str]:
    """Every line item of the estimates once, each environment's lines kept in their order.

    Environments have different workloads, so their lines differ: an item first seen in a later
    environment goes right after the item it follows there.
    """
    order: list[str] = []
    for e in estimates:
        at = -1
        for line in e.lines:
            if line.item in order:
                at = order.index(line.item)
            else:
                at += 1
                order.insert(at, line.item)
    return order


def _line(e: Estimate, item: str) -> Line | None:
    return next((line for line in e.lines if line.item == item), None)


def _wrap(note: str) -> str:
    """A note within WIDTH columns, continuation lines indented; paths and URLs are never split."""
    return textwrap.fill(note, WIDTH, subsequent_indent="  ", break_long_words=False, break_on_hyphens=False)


def _table_width(table: str) -> int:
    return max((len(row) for row in table.splitlines()), default=0)


def render(estimates: Sequence[Estimate], prices: PriceTable) -> str:
    """All environments side by side; each cell is ``at min / at max`` tasks (``-``: not in that environment)."""
    headers = ["monthly %s" % prices.currency] + [e.footprint.env for e in estimates]
    rows: list[list[str]] = [
        ["region"] + [e.footprint.region + (" (emulator)" if e.footprint.emulator else "") for e in estimates],
        ["task size"] + ["%s vCPU / %s GB" % (_n(e.footprint.vcpu), _n(e.footprint.memory_gb)) for e in estimates],
        ["tasks min..max"] + ["%d..%d" % (e.footprint.min_tasks, e.footprint.max_tasks) for e in estimates],
    ]
    names = items(estimates)
    for item in names:
        cells = [_line(e, item) for e in estimates]
        rows.append([item] + [ABSENT if c is None else "%s / %s" % (money(c.at_min), money(c.at_max)) for c in cells])
    rows.append(["TOTAL at min / max"] + ["%s / %s" % (money(e.total_min), money(e.total_max)) for e in estimates])
    parts = [format_table(headers, rows), ""]
    quantities = format_table(
        ["quantities (min/max)"] + [e.footprint.env for e in estimates],
        [[item] + [getattr(_line(e, item), "detail", ABSENT) for e in estimates] for item in names],
    )
    if _table_width(quantities) > WIDTH and len(estimates) > 1:
        for e in estimates:
            own = [[line.item, line.detail] for line in e.lines]
            parts += [format_table(["quantities (min/max)", e.footprint.env], own), ""]
    else:
        parts += [quantities, ""]
    compared = [e for e in estimates if e.comparisons]
    for e in compared:
        parts += [comparison_table(e), ""]
    notes = [
        "Source of each column: " + "; ".join("%s <- %s" % (e.footprint.env, e.footprint.source) for e in estimates),
        "Prices: %s as of %s (public list prices; may need refreshing), %s h a month; assumptions: %s."
        % (relative(prices.path), prices.as_of, _n(prices.hours_per_month),
           ", ".join("%s=%s" % (k, _n(v)) for k, v in prices.assumptions.items())),
        "Sources: " + ", ".join(sorted(set(prices.sources.values()))),
        "Not included (usage-priced): " + ", ".join(EXCLUDED) + ".",
        "Not counted either: " + ", ".join(NOT_COUNTED) + ".",
    ]  # fmt: skip
    if compared:
        notes.append(
            "EC2 vs Fargate: the tasks a service places on EC2 capacity, priced On-Demand on the group's first"
            " instance type (tasks per instance: the least of cpu, memory after the ECS reservation, and ENIs"
            " less one for awsvpc) with root volumes, and on Fargate; not in the total, which prices the"
            " group's min/max instances. EC2 Spot uses the table's assumed ec2_spot_discount."
        )
    if any(e.footprint.emulator for e in estimates):
        notes.append("Emulator environments cost nothing to run; their column prices the same shape in their region.")
    parts.extend(_wrap(note) for note in notes)
    warnings = [w for e in estimates for w in e.footprint.warnings + e.notes]
    if warnings:
        parts.append("")
        parts.extend("warning: %s" % w for w in warnings)
    return "\n".join(parts)


def comparison_table(e: Estimate) -> str:
    """One environment's services on EC2: tasks, fit, instances, and a month on EC2 vs on Fargate (min / max)."""
    rows = []
    for s in e.comparisons:
        low, high = s.at_min, s.at_max
        rows.append([
            s.service, low.instance_type, "%s/%s" % (_n(low.tasks), _n(high.tasks)),
            "%d (%s)" % (high.tasks_per_instance, high.limited_by), "%d/%d" % (low.instances, high.instances),
            "%s / %s" % (money(low.ec2), money(high.ec2)), "%s / %s" % (money(low.fargate), money(high.fargate)),
            high.cheaper,
        ])  # fmt: skip
    # tasks on EC2 at min/max, tasks per instance (what caps it), instances at min/max, a month min / max
    headers = ["on EC2: %s" % e.footprint.env, "instance", "tasks", "fit", "inst.", "EC2", "Fargate", "cheaper"]
    return format_table(headers, rows)


def comparison_json(c: CapacityComparison) -> dict[str, Any]:
    return {
        "instance_type": c.instance_type,
        "tasks": float(c.tasks),
        "tasks_per_instance": c.tasks_per_instance,
        "limited_by": c.limited_by,
        "instances": c.instances,
        "ec2_on_demand": float(c.ec2.quantize(Decimal("0.0001"))),
        "ec2_spot": float(c.ec2_spot.quantize(Decimal("0.0001"))),
        "fargate_on_demand": float(c.fargate.quantize(Decimal("0.0001"))),
        "cheaper": c.cheaper,
    }


def to_json(estimates: Sequence[Estimate], prices: PriceTable) -> dict[str, Any]:
    def num(value: Decimal) -> float:
        return float(value.quantize(Decimal("0.0001")))

    environments = {}
    for e in estimates:
        fp = asdict(e.footprint)
        fp["strategy"] = [asdict(s) for s in e.footprint.strategy]
        for workload in fp["workloads"]:
            workload["runs_per_month"] = num(workload["runs_per_month"])
        environments[e.footprint.env] = {
            "footprint": fp,
            "lines": [
                {"item": line.item, "detail": line.detail, "at_min": num(line.at_min), "at_max": num(line.at_max)}
                for line in e.lines
            ],
            "total_at_min": num(e.total_min),
            "total_at_max": num(e.total_max),
            "ec2_vs_fargate": [
                {
                    "service": s.service,
                    "capacity_provider": s.capacity_provider,
                    "at_min": comparison_json(s.at_min),
                    "at_max": comparison_json(s.at_max),
                }
                for s in e.comparisons
            ],
            "notes": list(e.notes),
        }
    return {
        "currency": prices.currency,
        "prices_as_of": prices.as_of,
        "price_table": prices.path,
        "hours_per_month": num(prices.hours_per_month),
        "sources": prices.sources,
        "assumptions": {k: num(v) for k, v in prices.assumptions.items()},
        "excluded": list(EXCLUDED),
        "not_counted": list(NOT_COUNTED),
        "environments": environments,
    }
