"""`make cost` with EC2 capacity: the instance price table, the Auto Scaling group's footprint, the
instance and root-volume lines, and the EC2-vs-Fargate comparison of the same tasks.

Prices are the fixed table of test_ops_cost.py (made-up round numbers) unless a test says it uses the
project's table (ops/pricing.toml): there the figures are the real list prices, so those tests show
which way the comparison goes with them. Every expected number is derived by hand in a comment.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from test_ops_cost import ENVIRONMENTS, STACK, fixed_prices_text, six

from envconfig import load_environments
from ops import cost
from ops.cost import cli
from ops.cost import compare as compare_mod
from ops.cost import estimate as est_mod
from ops.cost import footprint as fp_mod
from ops.cost import prices as prices_mod
from rules.ec2 import INSTANCE_TYPES
from tests.conftest import synth_construct

D = Decimal
#: Logical ID of the capacity's Auto Scaling group (modules/ec2_capacity.py's construct IDs).
ASG = "Ec2Capacity_AutoScalingGroup_8EB589D5"


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


# ---- the footprint of a synthesized Ec2Capacity ---------------------------------------------------


@pytest.fixture(scope="module")
def ec2_synth() -> dict[str, Any]:
    """Ec2Capacity (m6i.xlarge then m6i.large, 1..4 instances, 1 On-Demand base, 50 % On-Demand above it,
    40 GiB root volumes) and a Cluster whose default strategy puts 75 % of the tasks on it."""
    from modules.cluster import Cluster, ClusterProps
    from modules.ec2_capacity import Ec2Capacity, Ec2CapacityProps

    def build(stack: Any) -> None:
        capacity = Ec2Capacity(stack, "Ec2Capacity", props=Ec2CapacityProps(
            name="flask-app-test-ec2", cluster_name="flask-app-test", vpc_id="vpc-1", subnet_ids=("subnet-a", "subnet-b"),
            instance_types=("m6i.xlarge", "m6i.large"), min_size=1, max_size=4, on_demand_base_capacity=1,
            on_demand_percentage_above_base=50, root_volume_gib=40))  # fmt: skip
        Cluster(stack, "Cluster", props=ClusterProps(
            name="flask-app-test", ec2_capacity_providers=(capacity.capacity_provider_name,), ec2_percent=75))  # fmt: skip

    return synth_construct(build)


def stack_with_ec2(ec2_synth: dict[str, Any]) -> dict[str, Any]:
    """The fixture stack of test_ops_cost.py with the synthesized capacity and cluster added; its service
    has no strategy of its own, so the cluster's (flask-app-test-ec2 weight 3, FARGATE weight 1) applies."""
    doc = json.loads(STACK.read_text())
    for kind, bodies in ec2_synth["resource"].items():
        doc["resource"].setdefault(kind, {}).update(copy.deepcopy(bodies))
    (service,) = doc["resource"]["aws_ecs_service"].values()
    del service["capacity_provider_strategy"]
    return doc


def ec2_footprint(ec2_synth: dict[str, Any]) -> fp_mod.Footprint:
    return fp_mod.footprint_from_stack(stack_with_ec2(ec2_synth), env="test", region="us-east-1", emulator=False, path="x")


def test_footprint_reads_the_auto_scaling_group_of_a_synthesized_ec2_capacity(ec2_synth: dict[str, Any]) -> None:
    fp = ec2_footprint(ec2_synth)
    assert fp.ec2_capacity == (
        fp_mod.Ec2CapacityFootprint(
            name="flask-app-test-ec2", instance_types=("m6i.xlarge", "m6i.large"), min_size=1, max_size=4,
            on_demand_base_capacity=1, on_demand_percentage_above_base=50, root_volume_gib=40,
        ),
    )  # fmt: skip
    # The cluster's strategy names the provider by reference; the footprint names it.
    assert fp.strategy == (fp_mod.StrategyItem("flask-app-test-ec2", 3, 0), fp_mod.StrategyItem("FARGATE", 1, 0))
    assert fp.warnings == ()


def test_defaults_only_capacity_is_all_on_demand_with_the_ami_root_volume(ec2_synth: dict[str, Any]) -> None:
    from modules.ec2_capacity import Ec2Capacity, Ec2CapacityProps

    doc = synth_construct(lambda stack: Ec2Capacity(stack, "Ec2Capacity", props=Ec2CapacityProps(
        name="flask-app-test-ec2", cluster_name="flask-app-test", vpc_id="vpc-1", subnet_ids=("subnet-a",),
        instance_types=("c7g.large",), cpu_architecture="ARM64", max_size=2)))  # fmt: skip
    (capacity,) = fp_mod._ec2_capacity_from_stack(doc["resource"], [])[0]
    assert capacity == fp_mod.Ec2CapacityFootprint("flask-app-test-ec2", ("c7g.large",), 0, 2, 0, 100, 30)


def test_launch_template_without_volumes_or_with_another_type_is_warned_about(ec2_synth: dict[str, Any]) -> None:
    resources = copy.deepcopy(ec2_synth["resource"])
    (template,) = resources["aws_launch_template"].values()
    template["block_device_mappings"][0]["ebs"]["volume_type"] = "io2"
    warnings: list[str] = []
    fp_mod._ec2_capacity_from_stack(resources, warnings)
    assert warnings == ["aws_autoscaling_group.%s: a io2 volume of its launch template is priced as gp3" % ASG]
    del template["block_device_mappings"]
    warnings = []
    (capacity,) = fp_mod._ec2_capacity_from_stack(resources, warnings)[0]
    assert capacity.root_volume_gib == 30
    assert warnings == ["aws_autoscaling_group.%s: its launch template sets no EBS volume; priced as the AMI's 30 GiB"
                        " root volume" % ASG]  # fmt: skip


def test_the_config_cross_check_names_ec2_capacity_the_config_does_not_describe(
    ec2_synth: dict[str, Any], tmp_path: Path
) -> None:
    stack_dir = tmp_path / "stacks" / "test"
    stack_dir.mkdir(parents=True)
    (stack_dir / "cdk.tf.json").write_text(json.dumps(stack_with_ec2(ec2_synth)))
    fp = fp_mod.footprint(load_environments(ENVIRONMENTS)["test"], tmp_path)
    assert fp.ec2_capacity and fp.source.endswith("cdk.tf.json")
    assert ("test: synthesized stack has ec2_capacity=[flask-app-test-ec2 m6i.xlarge/m6i.large 1..4 base=1 50% On-Demand"
            " 40 GiB] but the config implies (); re-run make synth") in fp.warnings  # fmt: skip


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"instance_types": ()}, r"^ec2_capacity\.instance_types=\(\); allowed: one or more of c6i\.2xlarge"),
        ({"instance_types": ("x2.huge",)}, r"^ec2_capacity\.instance_types=\('x2\.huge',\) has unsupported x2\.huge"),
        ({"max_size": 0}, r"^ec2_capacity\.max_size=0; allowed: 1\.\.100$"),
        ({"min_size": 5}, r"^ec2_capacity\.min_size=5; allowed: 0\.\.4 \(max_size=4\)$"),
        ({"on_demand_base_capacity": 5}, r"^ec2_capacity\.on_demand_base_capacity=5; allowed: 0\.\.4"),
        ({"on_demand_percentage_above_base": 101}, r"^ec2_capacity\.on_demand_percentage_above_base=101; allowed: 0\.\.100$"),
        ({"root_volume_gib": 8}, r"^ec2_capacity\.root_volume_gib=8; allowed: 30\.\.16384$"),
    ],
)
def test_ec2_capacity_from_values_names_the_bad_field(values: dict[str, Any], message: str) -> None:
    kwargs: dict[str, Any] = {"instance_types": ("m6i.large",), "min_size": 0, "max_size": 4, **values}
    with pytest.raises(cost.CostError, match=message):
        fp_mod.ec2_capacity_from_values("flask-app-dev-ec2", **kwargs)


def test_an_auto_scaling_group_of_an_unsupported_type_is_an_error_naming_it(ec2_synth: dict[str, Any]) -> None:
    resources = copy.deepcopy(ec2_synth["resource"])
    (group,) = resources["aws_autoscaling_group"].values()
    group["mixed_instances_policy"]["launch_template"]["override"] = [{"instance_type": "x2.huge"}]
    with pytest.raises(cost.CostError, match=r"^aws_autoscaling_group\.%s\.instance_types=\('x2\.huge',\) has"
                       r" unsupported x2\.huge" % ASG):  # fmt: skip
        fp_mod._ec2_capacity_from_stack(resources, [])


def test_instance_split_is_the_base_then_the_percentage_above_it() -> None:
    capacity = fp_mod.ec2_capacity_from_values(
        "c", instance_types=("m6i.large",), min_size=0, max_size=6, on_demand_base_capacity=2,
        on_demand_percentage_above_base=25,
    )  # fmt: skip
    assert capacity.split(0) == (D(0), D(0))
    assert capacity.split(1) == (D(1), D(0))  # within the base
    assert capacity.split(6) == (D(3), D(3))  # 2 + 4 x 25 % = 3 On-Demand, 3 Spot
