"""`make cost` with EC2 capacity: the instance price table, the Auto Scaling group's footprint, the
instance and root-volume lines, and the EC2-vs-Fargate comparison of the same tasks.

Prices are the fixed table of test_ops_cost.py (made-up round numbers) unless a test says it uses the
project's table (ops/pricing.toml): there the figures are the real list prices, so those tests show
which way the comparison goes with them. Every expected number is derived by hand in a comment.
"""

from __future__ import annotations

import copy
import dataclasses
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


# ---- the estimate lines and the comparison (fixed prices) ----------------------------------------


def test_ec2_lines_and_fargate_lines_of_the_stack_match_the_hand_derivation(
    ec2_synth: dict[str, Any], fixed: prices_mod.PriceTable
) -> None:
    est = est_mod.estimate(ec2_footprint(ec2_synth), fixed)
    lines = {line.item: (six(line.at_min), six(line.at_max)) for line in est.lines}
    # Instances: min 1 = the On-Demand base; max 4 = 1 base + 3 x 50 % = 2.5 On-Demand, 1.5 Spot.
    # m6i.xlarge (the first type) 0.20 an hour: 1 x 0.2 x 730 = 146; 2.5 x 0.2 x 730 = 365.
    assert lines["EC2 On-Demand"] == (D("146.000000"), D("365.000000"))
    # Spot 60 % off: 1.5 x 0.2 x 0.4 x 730 = 87.6.
    assert lines["EC2 Spot"] == (D("0.000000"), D("87.600000"))
    # 40 GB each at 0.1 a GB-month: 1 x 40 x 0.1 = 4; 4 x 40 x 0.1 = 16.
    assert lines["EBS root volumes"] == (D("4.000000"), D("16.000000"))
    # Tasks 2..6 by weight 3 (EC2) : 1 (FARGATE): 0.5 and 1.5 on Fargate, 1.5 and 4.5 on EC2 (not Fargate).
    # 0.5 vCPU x 0.04 + 1 GB x 0.004 = 0.024 an hour: 0.5 x 0.024 x 730 = 8.76; 1.5 x 0.024 x 730 = 26.28.
    assert lines["Fargate On-Demand"] == (D("8.760000"), D("26.280000"))
    assert lines["Fargate Spot"] == (D("0.000000"), D("0.000000"))
    details = {line.item: line.detail for line in est.lines}
    assert details["EC2 On-Demand"] == "1/2.5 x m6i.xlarge instances"
    assert details["EC2 Spot"] == "0/1.5 x m6i.xlarge, 60% off"
    assert details["EBS root volumes"] == "40/160 GB gp3"


def test_the_service_on_ec2_is_compared_with_the_same_tasks_on_fargate(
    ec2_synth: dict[str, Any], fixed: prices_mod.PriceTable
) -> None:
    (compared,) = est_mod.estimate(ec2_footprint(ec2_synth), fixed).comparisons
    assert (compared.service, compared.capacity_provider) == ("service", "flask-app-test-ec2")
    low, high = compared.at_min, compared.at_max
    # m6i.xlarge: cpu 4096 // 512 = 8; memory 16384 - max(256, 6 % = 984) = 15400 // 1024 = 15; ENIs 4 - 1 = 3.
    assert (high.tasks_per_instance, high.limited_by) == (3, "ENIs")
    # 1.5 tasks -> 1 instance; 4.5 tasks -> 2 instances.
    assert (low.tasks, low.instances, high.tasks, high.instances) == (D("1.5"), 1, D("4.5"), 2)
    # EC2: 0.2 x 730 + 40 x 0.1 = 150 an instance: 150; 300. Spot: 0.2 x 0.4 x 730 + 4 = 62.4; 124.8.
    assert (six(low.ec2), six(high.ec2)) == (D("150.000000"), D("300.000000"))
    assert (six(low.ec2_spot), six(high.ec2_spot)) == (D("62.400000"), D("124.800000"))
    # Fargate: 1.5 x 0.024 x 730 = 26.28; 4.5 x 0.024 x 730 = 78.84.
    assert (six(low.fargate), six(high.fargate)) == (D("26.280000"), D("78.840000"))
    assert high.cheaper == "Fargate"


def test_tasks_on_a_provider_the_stack_does_not_declare_are_noted_not_compared(fixed: prices_mod.PriceTable) -> None:
    fp = fp_mod.footprint_from_stack(json.loads(STACK.read_text()), env="test", region="us-east-1", emulator=False,
                                     path="x")  # fmt: skip
    fp = dataclasses.replace(fp, strategy=(fp_mod.StrategyItem("other-ec2", 1, 0),))
    est = est_mod.estimate(fp, fixed)
    assert est.comparisons == ()
    assert est.notes == ("test: service places tasks on other-ec2, which is no Auto Scaling group of the stack;"
                         " not compared",)  # fmt: skip


def test_provider_shares_keep_ec2_tasks_out_of_the_fargate_split() -> None:
    strategy = (fp_mod.StrategyItem("FARGATE", 1, 1), fp_mod.StrategyItem("ec2", 2, 0), fp_mod.StrategyItem("FARGATE_SPOT", 1, 0))
    # 5 tasks: 1 base on FARGATE, 4 by weight 1:2:1 -> FARGATE 2, ec2 2, FARGATE_SPOT 1.
    assert est_mod.provider_shares(5, strategy) == {"FARGATE": D(2), "ec2": D(2), "FARGATE_SPOT": D(1)}
    assert est_mod.split_tasks(5, strategy) == (D(2), D(1))
    assert est_mod.ec2_tasks(5, strategy) == {"ec2": D(2)}


def test_cost_main_prints_the_ec2_lines_and_the_comparison_within_100_columns(
    ec2_synth: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack_dir = tmp_path / "out" / "stacks" / "test"
    stack_dir.mkdir(parents=True)
    (stack_dir / "cdk.tf.json").write_text(json.dumps(stack_with_ec2(ec2_synth)))
    prices = tmp_path / "prices.toml"
    prices.write_text(fixed_prices_text())
    args = ["--out", str(tmp_path / "out"), "--prices", str(prices), "--config", str(ENVIRONMENTS)]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    money = out.split("quantities (min/max)")[0]  # the first table; the quantities follow
    rows = {line.split("  ")[0]: line.split() for line in money.splitlines()}
    assert rows["EC2 On-Demand"][2:5] == ["146.00", "/", "365.00"]  # the test column; small has none
    assert rows["EC2 Spot"][2:] == ["0.00", "/", "87.60", "-"]
    assert rows["EBS root volumes"][3:] == ["4.00", "/", "16.00", "-"]
    assert "on EC2: test  instance    tasks    fit       inst.  EC2              Fargate        cheaper" in out
    comparison = next(line.split() for line in out.splitlines() if line.split()[:2] == ["service", "m6i.xlarge"])
    assert comparison == ["service", "m6i.xlarge", "1.5/4.5", "3", "(ENIs)", "1/2", "150.00", "/", "300.00",
                                  "26.28", "/", "78.84", "Fargate"]  # fmt: skip
    tables = out.split("Source of each column")[0]
    assert max(len(line) for line in tables.splitlines()) <= 100
    assert cli.main([*args, "--env", "test", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["environments"]["test"]
    items = {line["item"]: (line["at_min"], line["at_max"]) for line in data["lines"]}
    assert items["EC2 On-Demand"] == (146.0, 365.0) and items["EC2 Spot"] == (0.0, 87.6)
    (compared,) = data["ec2_vs_fargate"]
    assert compared["at_max"] == {
        "instance_type": "m6i.xlarge", "tasks": 4.5, "tasks_per_instance": 3, "limited_by": "ENIs", "instances": 2,
        "ec2_on_demand": 300.0, "ec2_spot": 124.8, "fargate_on_demand": 78.84, "cheaper": "Fargate",
    }  # fmt: skip
    assert data["footprint"]["ec2_capacity"][0]["instance_types"] == ["m6i.xlarge", "m6i.large"]


# ---- compare_capacity with the project's price table (real list prices) -------------------------


def test_steady_tasks_that_fill_the_instances_are_cheaper_on_ec2() -> None:
    """10 steady tasks of 1 vCPU / 3 GB on m6i.large in us-east-1 (ops/pricing.toml)."""
    c = compare_mod.compare_capacity(1024, 3072, 10, "m6i.large", prices_mod.load_prices(), "us-east-1")
    # m6i.large: cpu 2048 // 1024 = 2; memory 8192 - 492 = 7700 // 3072 = 2; ENIs 3 - 1 = 2 -> 2 (cpu first).
    assert (c.tasks_per_instance, c.limited_by, c.instances) == (2, "cpu", 5)
    # EC2: 5 x (0.096 x 730 + 30 GB x 0.08) = 5 x (70.08 + 2.4) = 362.4.
    assert six(c.ec2) == D("362.400000")
    # Fargate: 10 x (1 x 0.04048 + 3 x 0.004445) x 730 = 10 x 0.053815 x 730 = 392.8495.
    assert six(c.fargate) == D("392.849500")
    assert c.cheaper == "EC2"


def test_one_small_task_is_cheaper_on_fargate() -> None:
    """1 task of 0.25 vCPU / 0.5 GB: a whole instance for it costs more than the task on Fargate."""
    c = compare_mod.compare_capacity(256, 512, 1, "m6i.large", prices_mod.load_prices(), "us-east-1")
    # EC2: 1 x (0.096 x 730 + 30 x 0.08) = 72.48. Fargate: (0.25 x 0.04048 + 0.5 x 0.004445) x 730 = 9.010025.
    assert (c.instances, six(c.ec2), six(c.fargate)) == (1, D("72.480000"), D("9.010025"))
    assert c.cheaper == "Fargate"


def test_tasks_of_1_vcpu_2_gb_on_m6i_xlarge_are_capped_by_enis_and_cheaper_on_fargate() -> None:
    """The ENI limit decides: 3 awsvpc tasks on an m6i.xlarge though 4 fit by cpu, so 10 tasks need 4 instances."""
    c = compare_mod.compare_capacity(1024, 2048, 10, "m6i.xlarge", prices_mod.load_prices(), "us-east-1")
    assert (c.tasks_per_instance, c.limited_by, c.instances) == (3, "ENIs", 4)
    # EC2: 4 x (0.192 x 730 + 2.4) = 4 x 142.56 = 570.24; Spot (60 % off): 4 x (56.064 + 2.4) = 233.856.
    assert (six(c.ec2), six(c.ec2_spot)) == (D("570.240000"), D("233.856000"))
    # Fargate: 10 x (0.04048 + 2 x 0.004445) x 730 = 10 x 0.04937 x 730 = 360.401.
    assert six(c.fargate) == D("360.401000")
    assert c.cheaper == "Fargate"


def test_arm_instances_are_compared_with_arm_fargate_prices() -> None:
    c = compare_mod.compare_capacity(2048, 7168, 4, "m7g.xlarge", prices_mod.load_prices(), "us-east-1")
    # m7g.xlarge: cpu 2, memory 15400 // 7168 = 2, ENIs 3 -> 2; 2 instances x (0.1632 x 730 + 2.4) = 243.072.
    assert (c.tasks_per_instance, c.instances, six(c.ec2)) == (2, 2, D("243.072000"))
    # Fargate ARM64: 4 x (2 x 0.03238 + 7 x 0.00356) x 730 = 4 x 0.08968 x 730 = 261.8656.
    assert six(c.fargate) == D("261.865600") and c.cheaper == "EC2"


def test_every_instance_type_has_a_network_interface_limit() -> None:
    for instance_type in INSTANCE_TYPES:
        assert compare_mod.awsvpc_task_limit(instance_type) >= 2, instance_type
    with pytest.raises(cost.CostError, match=r"^instance_type='m6i\.metal' has no network-interface limit"):
        compare_mod.awsvpc_task_limit("m6i.metal")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((4096, 8192, 1, "c6i.large"), r"^cpu=4096 memory_mib=8192 does not fit on c6i\.large"),
        ((1024, 2048, -1, "m6i.large"), r"^tasks=-1; allowed: 0 or more$"),
        ((1024, 2048, 1, "x2.huge"), r"^instance_type='x2\.huge'; allowed: c6i\.2xlarge"),
    ],
)
def test_compare_capacity_errors_name_the_value(args: tuple[Any, ...], message: str, fixed: prices_mod.PriceTable) -> None:
    with pytest.raises(cost.CostError, match=message):
        compare_mod.compare_capacity(*args, fixed, "us-east-1")


def test_an_environment_with_ec2_capacity_agrees_with_its_stack(tmp_path: Path) -> None:
    """The config path reads [ec2] as the stack builds it: the same Auto Scaling group and strategy, no warning."""
    import main
    from envconfig import DEFAULT_FILE, load_environment

    config = tmp_path / "environments.toml"
    shipped = "[environments.staging.ec2]\n"
    assert DEFAULT_FILE.read_text().count(shipped) == 1  # staging ships with EC2 capacity; 75% of its tasks on it here
    config.write_text(DEFAULT_FILE.read_text().replace(shipped, shipped + "percent = 75\n"))
    main.build(str(tmp_path / "out"), config=config, only=["staging"])
    env = load_environment("staging", config)
    from_stack = fp_mod.footprint(env, tmp_path / "out")
    from_config = fp_mod.footprint_from_config(env)
    assert from_stack.source.endswith("cdk.tf.json") and from_stack.warnings == (), from_stack.warnings
    (capacity,) = from_config.ec2_capacity
    assert capacity == from_stack.ec2_capacity[0]
    assert (capacity.name, capacity.instance_types, capacity.min_size, capacity.max_size) == (
        "flask-app-staging-ec2", ("m6i.large", "m5.large"), 1, 4)  # fmt: skip
    assert from_config.strategy == from_stack.strategy == (
        fp_mod.StrategyItem("flask-app-staging-ec2", 3, 0), fp_mod.StrategyItem("FARGATE", 1, 0))  # fmt: skip
