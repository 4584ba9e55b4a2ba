"""The estimates as a side-by-side table or as JSON.

Example::

    print(render([estimate(fp, prices)], prices))
    json.dumps(to_json([estimate(fp, prices)], prices))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from ops.context import relative
from ops.cost.estimate import CENT, EXCLUDED, Estimate, _n
from ops.cost.prices import PriceTable
from ops.render import format_table


def money(value: Decimal) -> str:
    return f"{value.quantize(CENT):,.2f}"


def render(estimates: Sequence[Estimate], prices: PriceTable) -> str:
    """All environments side by side; each cell is ``at min / at max`` tasks."""
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
