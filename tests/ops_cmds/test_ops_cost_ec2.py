"""`make cost` with EC2 capacity: the instance price table, the Auto Scaling group's footprint, the
instance and root-volume lines, and the EC2-vs-Fargate comparison of the same tasks.

Prices are the fixed table of test_ops_cost.py (made-up round numbers) unless a test says it uses the
project's table (ops/pricing.toml): there the figures are the real list prices, so those tests show
which way the comparison goes with them. Every expected number is derived by hand in a comment.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from test_ops_cost import fixed_prices_text

from ops import cost
from ops.cost import prices as prices_mod
from rules.ec2 import INSTANCE_TYPES

D = Decimal


@pytest.fixture()
def fixed(tmp_path: Path) -> prices_mod.PriceTable:
    path = tmp_path / "prices_fixed.toml"
    path.write_text(fixed_prices_text())
    return prices_mod.load_prices(path)


# ---- the price table ----------------------------------------------------------------------------------


def test_project_price_table_prices_every_instance_type_in_every_region() -> None:
    prices = prices_mod.load_prices()
    for region in prices.regions:
        assert sorted(prices.instance_hours[region]) == sorted(INSTANCE_TYPES), region
        assert D(0) < prices.region(region)["ec2_spot_discount"] < 1
        assert prices.region(region)["ebs_gp3_gb_month"] > 0
    assert prices.instance_hour("us-east-1", "m6i.xlarge") == D("0.192")
    assert any("ec2/pricing" in url for url in prices.sources.values())
    assert any("ebs/pricing" in url for url in prices.sources.values())


def test_instance_price_of_an_unknown_type_names_the_priced_ones(fixed: prices_mod.PriceTable) -> None:
    with pytest.raises(cost.CostError, match=r"\[regions.us-east-1.ec2_instance_hour\] has no price for instance type"
                       r" 'x2.huge'; allowed: c6i.2xlarge, "):  # fmt: skip
        fixed.instance_hour("us-east-1", "x2.huge")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace('"m5.large" = 0.10\n', ""),
         r"\[regions.us-east-1.ec2_instance_hour\] has no price for m5.large; allowed: a price for every instance"
         r" type of rules/ec2.py"),
        (lambda t: t.replace('"m5.large" = 0.10\n', '"m5.large" = 0.10\n"x2.huge" = 9\n'),
         r"\[regions.us-east-1.ec2_instance_hour\] has unknown instance type\(s\) x2.huge; allowed: the types of"
         r" rules/ec2.py \(c6i.2xlarge, "),
        (lambda t: t.replace('"m5.large" = 0.10', '"m5.large" = -0.1'),
         r'\[regions.us-east-1.ec2_instance_hour\]."m5.large"=-0.1 is negative'),
        (lambda t: t.split("\n# Made-up round figures")[0],
         r"\[regions.us-east-1.ec2_instance_hour\] is missing; allowed: a table of On-Demand hourly prices keyed"
         r" by instance type \(c6i.2xlarge, "),
        (lambda t: t.replace("ec2_spot_discount = 0.6", "ec2_spot_discount = 60"),
         r"\[regions.us-east-1\].ec2_spot_discount=60; allowed: a fraction below 1"),
        (lambda t: t.replace("ebs_gp3_gb_month = 0.1\n", ""), r"\[regions.us-east-1\].ebs_gp3_gb_month is missing"),
    ],
)
def test_instance_price_table_errors_name_the_file_and_key(tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "prices.toml"
    path.write_text(edit(fixed_prices_text()))
    with pytest.raises(cost.CostError, match=message):
        prices_mod.load_prices(path)
