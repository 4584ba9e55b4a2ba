"""EC2 capacity: the rules of rules/ec2.py and the mixed strategy, Ec2Capacity's resources, the cluster with EC2
providers, EC2-compatible task definitions, every validation rule, and validity through the real provider schema.

One synthesized stack holds ``Ec2Capacity`` with required props only (x86_64), ``ArmCapacity`` with every
option set (ARM64, Spot above an On-Demand base, SSM, a KMS key, the cluster name as a reference), a
``Cluster`` whose default strategy mixes the first with FARGATE, and an EC2-only task definition.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from rules import ec2
from rules.capacity import MAX_WEIGHT, StrategyItem, mixed_capacity_provider_strategy
from tests.conftest import resources, synth_construct
from tests.construct_validate import assert_valid

SUBNETS = ("subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb")
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/0123abcd-45ef-67ab-89cd-0123456789ab"
REQUIRED: dict[str, Any] = {
    "name": "flask-app-dev-ec2",
    "cluster_name": "flask-app-dev",
    "vpc_id": "vpc-0123456789abcdef0",
    "subnet_ids": SUBNETS,
    "instance_types": ("m6i.large",),
    "max_size": 4,
}
FULL: dict[str, Any] = {
    **REQUIRED,
    "name": "flask-app-dev-arm",
    "instance_types": ("m7g.large", "c7g.xlarge", "t4g.xlarge"),
    "cpu_architecture": "ARM64",
    "min_size": 1,
    "max_size": 6,
    "on_demand_base_capacity": 1,
    "on_demand_percentage_above_base": 25,
    "target_capacity_percent": 80,
    "minimum_scaling_step_size": 1,
    "maximum_scaling_step_size": 2,
    "instance_warmup_seconds": 120,
    "health_check_grace_period_seconds": 60,
    "container_stop_timeout_seconds": 45,
    "root_volume_gib": 50,
    "ebs_kms_key_arn": KEY_ARN,
    "ssm_access": True,
}
#: Logical IDs of the resources a rename would replace (instances drain, the provider is re-created).
ASG, PROVIDER, TEMPLATE = (
    "Ec2Capacity_AutoScalingGroup_8EB589D5",
    "Ec2Capacity_CapacityProvider_2DE4CF00",
    "Ec2Capacity_LaunchTemplate_DD47D9B4",
)


class _Registry:
    repository_arn = "arn:aws:ecr:us-east-1:123456789012:repository/flask-app-dev"
    repository_url = "123456789012.dkr.ecr.us-east-1.amazonaws.com/flask-app-dev"


def _task_props(**overrides: Any) -> Any:
    from modules.container import ContainerOptions
    from modules.task import TaskProps

    kwargs: dict[str, Any] = dict(
        name="flask-app-dev-ec2job", family="flask-app-dev-ec2job", app_name="flask-app", env_name="dev",
        region="us-east-1", log_retention_days=14, registry=_Registry(), image_tag="0a1b2c3", vpc_id="vpc-1",
        container=ContainerOptions(port=None, health_check_path=None, command=("python", "-m", "app.job")),
    )  # fmt: skip
    kwargs.update(overrides)
    return TaskProps(**kwargs)


@pytest.fixture(scope="module")
def built() -> tuple[dict[str, Any], dict[str, Any]]:
    """(stack, constructs by name), synthesized once for this module."""
    from constructs import Construct

    from modules.cluster import Cluster, ClusterProps
    from modules.container import ContainerOptions
    from modules.ec2_capacity import Ec2Capacity, Ec2CapacityProps
    from modules.task import FargateTask

    made: dict[str, Any] = {}

    def build(stack: Any) -> None:
        made["defaults"] = defaults = Ec2Capacity(stack, "Ec2Capacity", props=Ec2CapacityProps(**REQUIRED))
        made["cluster"] = cluster = Cluster(stack, "Cluster", props=ClusterProps(
            name="flask-app-dev", ec2_capacity_providers=(defaults.capacity_provider_name,), ec2_percent=75))  # fmt: skip
        made["full"] = Ec2Capacity(
            stack, "ArmCapacity", props=Ec2CapacityProps(**{**FULL, "cluster_name": cluster.cluster_name})
        )
        container = ContainerOptions(port=None, health_check_path=None, cpu=1024, memory_mib=3072)
        made["task"] = FargateTask(
            Construct(stack, "Ec2Job"), props=_task_props(requires_compatibilities=("EC2",), container=container)
        )

    return synth_construct(build), made


@pytest.fixture(scope="module")
def stack(built: tuple[dict[str, Any], dict[str, Any]]) -> dict[str, Any]:
    return built[0]


def _of(stack: dict[str, Any], rtype: str, scope: str, *, data: bool = False) -> dict[str, dict[str, Any]]:
    """Resources (or data sources) of one type whose logical ID starts with ``<scope>_``."""
    bodies = stack["data"].get(rtype, {}) if data else resources(stack, rtype)
    return {name: body for name, body in bodies.items() if name.startswith(scope + "_")}


def _one(stack: dict[str, Any], rtype: str, scope: str, *, data: bool = False) -> tuple[str, dict[str, Any]]:
    (item,) = _of(stack, rtype, scope, data=data).items()
    return item


def _user_data(template: dict[str, Any]) -> str:
    """The script inside ``${base64encode("...")}`` (Terraform encodes it at plan time)."""
    match = re.fullmatch(r'\$\{base64encode\((".*")\)\}', template["user_data"], re.DOTALL)
    assert match, template["user_data"]
    script: str = json.loads(match.group(1))
    return script


# ---- rules/ec2.py: the AWS facts ------------------------------------------------------------------


def test_every_supported_instance_type_is_an_ec2_instance_type() -> None:
    import botocore.session

    names = set(botocore.session.get_session().get_service_model("ec2").shape_for("InstanceType").enum)
    assert len(ec2.INSTANCE_TYPES) == 19  # 6 families x large..2xlarge, plus m5.large
    assert set(ec2.INSTANCE_TYPES) <= names


@pytest.mark.parametrize(
    ("name", "vcpus", "memory_mib", "architecture"),
    [
        ("m6i.large", 2, 8192, "x86_64"),
        ("m6i.2xlarge", 8, 32768, "x86_64"),
        ("m7g.xlarge", 4, 16384, "arm64"),
        ("c6i.large", 2, 4096, "x86_64"),
        ("c7g.2xlarge", 8, 16384, "arm64"),
        ("t3.xlarge", 4, 16384, "x86_64"),
        ("t4g.large", 2, 8192, "arm64"),
        ("m5.large", 2, 8192, "x86_64"),
    ],
)
def test_instance_sizes_are_the_ec2_specifications(name: str, vcpus: int, memory_mib: int, architecture: str) -> None:
    size = ec2.INSTANCE_TYPES[name]
    assert (size.vcpus, size.memory_mib, size.architecture, size.cpu_units) == (
        vcpus,
        memory_mib,
        architecture,
        vcpus * 1024,
    )


def test_ami_parameters_are_the_al2023_ecs_optimized_ones() -> None:
    assert ec2.ami_parameter("X86_64") == "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
    assert ec2.ami_parameter("ARM64") == "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"
    with pytest.raises(ValueError, match=r"cpu_architecture='arm64'; allowed: X86_64, ARM64"):
        ec2.ami_parameter("arm64")


def test_limits_are_the_ecs_api_model() -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("ecs")

    def bounds(shape: str) -> tuple[int, int]:
        meta = model.shape_for(shape).metadata
        return meta["min"], meta["max"]

    assert bounds("ManagedScalingTargetCapacity") == ec2.TARGET_CAPACITY_PERCENT
    assert bounds("ManagedScalingStepSize") == ec2.SCALING_STEP_SIZE
    assert bounds("ManagedScalingInstanceWarmupPeriod") == ec2.INSTANCE_WARMUP_SECONDS
    assert bounds("CapacityProviderStrategyItemWeight")[1] == MAX_WEIGHT


def test_the_memory_reservation_is_the_larger_of_256_mib_and_6_percent() -> None:
    assert ec2.MEMORY_RESERVATION.reserved_mib(4096) == 256  # 6 % would be 245.76
    assert ec2.MEMORY_RESERVATION.reserved_mib(8192) == 492  # 491.52, rounded up
    assert ec2.MEMORY_RESERVATION.reserved_mib(32768) == 1967
    assert ec2.task_memory_mib("c6i.large") == 3840
    assert ec2.task_memory_mib("m6i.large") == 7700


def test_a_task_fits_up_to_the_instance_capacity_less_the_reservation() -> None:
    assert ec2.task_fits_problem(2048, 3840, "c6i.large") is None
    assert ec2.task_fits_problem(256, 512, "t4g.large") is None
    problem = ec2.task_fits_problem(1024, 3841, "c6i.large")
    assert problem == (
        "cpu=1024 memory_mib=3841 does not fit on c6i.large (2 vCPU = 2048 cpu units, 4096 MiB of which 3840 MiB"
        " for tasks) after the ECS/OS reservation of max(256 MiB, 6%); allowed: at most 2048 cpu units and 3840 MiB"
    )
    assert ec2.task_fits_problem(2049, 1024, "c6i.large") is not None
    assert "on m6i.xlarge (4 vCPU = 4096 cpu units" in str(ec2.task_fits_problem(8192, 1024, "m6i.xlarge"))
    assert ec2.task_fits_problem(256, 512, "m6i.metal") == "instance_type='m6i.metal'; allowed: %s" % ", ".join(
        sorted(ec2.INSTANCE_TYPES)
    )


def test_every_type_of_a_mix_must_fit_the_task() -> None:
    assert ec2.tasks_fit_problem(2048, 4096, ("m6i.large", "m6i.xlarge")) is None
    problem = ec2.tasks_fit_problem(2048, 4096, ("m6i.xlarge", "c6i.large"))
    assert problem is not None and "does not fit on c6i.large" in problem


def test_architecture_must_match_every_instance_type() -> None:
    assert ec2.architecture_problem("X86_64", ("m6i.large", "c6i.xlarge", "t3.large", "m5.large")) is None
    assert ec2.architecture_problem("ARM64", ("m7g.large", "c7g.xlarge", "t4g.2xlarge")) is None
    assert ec2.architecture_problem("ARM64", ("m7g.large", "m6i.large")) == (
        "instance_types=('m7g.large', 'm6i.large') has m6i.large (x86_64) for cpu_architecture='ARM64'; allowed:"
        " arm64 types (c7g.2xlarge, c7g.large, c7g.xlarge, m7g.2xlarge, m7g.large, m7g.xlarge, t4g.2xlarge,"
        " t4g.large, t4g.xlarge)"
    )
    assert str(ec2.architecture_problem("X86_64", ("t4g.large",))).startswith(
        "instance_types=('t4g.large',) has t4g.large (arm64) for cpu_architecture='X86_64'; allowed: x86_64 types"
    )
    assert ec2.architecture_problem("AMD64", ("m6i.large",)) == "cpu_architecture='AMD64'; allowed: X86_64, ARM64"


@pytest.mark.parametrize(
    ("instance_types", "match"),
    [
        ((), r"^\(\); allowed: one or more of c6i\.2xlarge, "),
        (("m6i.large", "p5.48xlarge"), r"^\('m6i\.large', 'p5\.48xlarge'\) has unsupported p5\.48xlarge; allowed: one or more of"),
        (("m6i.large", "m6i.large"), r"^\('m6i\.large', 'm6i\.large'\) repeats m6i\.large; allowed: each type once$"),
    ],
)  # fmt: skip
def test_instance_types_problems(instance_types: tuple[str, ...], match: str) -> None:
    problem = ec2.instance_types_problem(instance_types)
    assert problem is not None and re.search(match, problem), problem
    assert ec2.architecture_problem("X86_64", instance_types) == "instance_types=%s" % problem


def test_spot_mix_and_instance_count_bounds() -> None:
    assert ec2.spot_mix_problems(0, 100, 4) == [] and ec2.spot_mix_problems(4, 0, 4) == []
    assert ec2.spot_mix_problems(-1, 50, 4) == [("on_demand_base_capacity", "-1; allowed: 0..4 (at most max_size=4)")]
    assert ec2.spot_mix_problems(5, 50, 4) == [("on_demand_base_capacity", "5; allowed: 0..4 (at most max_size=4)")]
    assert ec2.spot_mix_problems(0, 101, 4) == [("on_demand_percentage_above_base", "101; allowed: 0..100")]
    assert ec2.spot_mix_problems(0, -1, 4) == [("on_demand_percentage_above_base", "-1; allowed: 0..100")]
    assert ec2.size_problems(0, 1) == [] and ec2.size_problems(100, 100) == []
    assert ec2.size_problems(0, 0) == [("max_size", "0; allowed: 1..100")]
    assert ec2.size_problems(0, 101) == [("max_size", "101; allowed: 1..100")]
    assert ec2.size_problems(5, 4) == [("min_size", "5; allowed: 0..4 (max_size=4)")]
    assert ec2.size_problems(-1, 4) == [("min_size", "-1; allowed: 0..4 (max_size=4)")]


def test_scaling_steps_and_ranges() -> None:
    assert ec2.scaling_step_problems(1, 10000) == []
    assert ec2.scaling_step_problems(0, 10) == [("minimum_scaling_step_size", "0; allowed: 1..10000")]
    assert ec2.scaling_step_problems(1, 10001) == [("maximum_scaling_step_size", "10001; allowed: 1..10000")]
    assert ec2.scaling_step_problems(3, 2) == [
        ("minimum_scaling_step_size", "3; allowed: 1..maximum_scaling_step_size=2")
    ]
    assert ec2.range_problem(True, (0, 1)) == "True; allowed: 0..1"  # a bool is not a count


@pytest.mark.parametrize("name", ["ecs-capacity", "AWS-capacity", "Fargate-x", "bad name", "", "x" * 256, "a.b"])
def test_capacity_provider_names_that_ecs_refuses(name: str) -> None:
    problem = ec2.capacity_provider_name_problem(name)
    assert problem is not None and problem.startswith("%r; allowed: " % name)


def test_capacity_provider_names_that_ecs_takes() -> None:
    assert ec2.capacity_provider_name_problem("flask-app-dev-ec2") is None
    assert ec2.capacity_provider_name_problem("Workers_2") is None


def test_ec2_task_sizes_and_placement() -> None:
    assert ec2.ec2_task_size_problem(128, 300) is None  # not a Fargate size, fine on EC2
    assert ec2.ec2_task_size_problem(64, 512) == "cpu=64; allowed: 128..196608 (tasks on EC2 instances)"
    assert ec2.ec2_task_size_problem(196609, 512) == "cpu=196609; allowed: 128..196608 (tasks on EC2 instances)"
    assert ec2.ec2_task_size_problem(256, 0) == "memory_mib=0; allowed: 1 or more"
    strategies = ec2.placement_strategies()
    assert [(s.type, s.field) for s in strategies] == [
        ("spread", "attribute:ecs.availability-zone"),
        ("binpack", "memory"),
    ]


# ---- rules/capacity.py: the mixed strategy -----------------------------------------------------------


def test_mixed_strategy_weights() -> None:
    assert mixed_capacity_provider_strategy(("ec2",), 75) == [StrategyItem("ec2", 3, 0), StrategyItem("FARGATE", 1, 0)]
    assert mixed_capacity_provider_strategy(("a", "b"), 50) == [
        StrategyItem("a", 1, 0),
        StrategyItem("b", 1, 0),
        StrategyItem("FARGATE", 2, 0),
    ]
    assert mixed_capacity_provider_strategy(("a", "b"), 100) == [StrategyItem("a", 1, 0), StrategyItem("b", 1, 0)]
    assert mixed_capacity_provider_strategy(("a",), 0) == [StrategyItem("FARGATE", 1, 0)]
    ten = mixed_capacity_provider_strategy(tuple("abcdefghij"), 1)
    assert ten[-1] == StrategyItem("FARGATE", 990, 0) and max(i.weight for i in ten) <= MAX_WEIGHT


@pytest.mark.parametrize(
    ("providers", "percent", "match"),
    [
        (("ec2",), 101, r"^ec2_percent=101; allowed: 0\.\.100$"),
        (("ec2",), -1, r"^ec2_percent=-1; allowed: 0\.\.100$"),
        ((), 50, r"^ec2_capacity_providers=\(\); allowed: 1\.\.10 EC2 capacity provider names"),
        (tuple("abcdefghijk"), 50, r"allowed: 1\.\.10 EC2 capacity provider names \(a strategy weight is at most 1000\)"),
        (("ec2", "ec2"), 50, r"^ec2_capacity_providers=\('ec2', 'ec2'\); allowed: distinct EC2 capacity provider names"),
        (("FARGATE",), 50, r"allowed: distinct EC2 capacity provider names, not FARGATE or FARGATE_SPOT$"),
    ],
)  # fmt: skip
def test_mixed_strategy_rejects(providers: tuple[str, ...], percent: int, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        mixed_capacity_provider_strategy(providers, percent)


# ---- validation of the props -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"name": "ecs-capacity"}, r"^Ec2CapacityProps\.name='ecs-capacity'; allowed: a name that does not start with 'aws', 'ecs', 'fargate'$"),
        ({"name": "flask app"}, r"^Ec2CapacityProps\.name='flask app'; allowed: 1\.\.255 letters, digits, '_' and '-'$"),
        ({"name": "x" * 56}, r"^Ec2CapacityProps\.name='x{56}' makes the IAM role name 'x{56}-instance' 65 characters; allowed: at most 64$"),
        ({"subnet_ids": ()}, r"^Ec2CapacityProps\.subnet_ids=\(\); allowed: one or more subnet ids$"),
        ({"instance_types": ()}, r"^Ec2CapacityProps\.instance_types=\(\); allowed: one or more of c6i\.2xlarge"),
        ({"instance_types": ("m6i.large", "m6i.large")}, r"^Ec2CapacityProps\.instance_types=\('m6i\.large', 'm6i\.large'\) repeats m6i\.large"),
        ({"instance_types": ("x2.huge",)}, r"^Ec2CapacityProps\.instance_types=\('x2\.huge',\) has unsupported x2\.huge; allowed:"),
        ({"cpu_architecture": "arm64"}, r"^Ec2CapacityProps\.cpu_architecture='arm64'; allowed: X86_64, ARM64$"),
        ({"cpu_architecture": "ARM64"}, r"^Ec2CapacityProps\.instance_types=\('m6i\.large',\) has m6i\.large \(x86_64\) for cpu_architecture='ARM64'; allowed: arm64 types"),
        ({"max_size": 0}, r"^Ec2CapacityProps\.max_size=0; allowed: 1\.\.100$"),
        ({"max_size": 101}, r"^Ec2CapacityProps\.max_size=101; allowed: 1\.\.100$"),
        ({"min_size": 5}, r"^Ec2CapacityProps\.min_size=5; allowed: 0\.\.4 \(max_size=4\)$"),
        ({"min_size": -1}, r"^Ec2CapacityProps\.min_size=-1; allowed: 0\.\.4 \(max_size=4\)$"),
        ({"on_demand_base_capacity": -1}, r"^Ec2CapacityProps\.on_demand_base_capacity=-1; allowed: 0\.\.4 \(at most max_size=4\)$"),
        ({"on_demand_base_capacity": 5}, r"^Ec2CapacityProps\.on_demand_base_capacity=5; allowed: 0\.\.4"),
        ({"on_demand_percentage_above_base": 101}, r"^Ec2CapacityProps\.on_demand_percentage_above_base=101; allowed: 0\.\.100$"),
        ({"on_demand_percentage_above_base": -5}, r"^Ec2CapacityProps\.on_demand_percentage_above_base=-5; allowed: 0\.\.100$"),
        ({"target_capacity_percent": 0}, r"^Ec2CapacityProps\.target_capacity_percent=0; allowed: 1\.\.100$"),
        ({"target_capacity_percent": 101}, r"^Ec2CapacityProps\.target_capacity_percent=101; allowed: 1\.\.100$"),
        ({"minimum_scaling_step_size": 0}, r"^Ec2CapacityProps\.minimum_scaling_step_size=0; allowed: 1\.\.10000$"),
        ({"maximum_scaling_step_size": 10001}, r"^Ec2CapacityProps\.maximum_scaling_step_size=10001; allowed: 1\.\.10000$"),
        ({"minimum_scaling_step_size": 5, "maximum_scaling_step_size": 2}, r"^Ec2CapacityProps\.minimum_scaling_step_size=5; allowed: 1\.\.maximum_scaling_step_size=2$"),
        ({"instance_warmup_seconds": 10001}, r"^Ec2CapacityProps\.instance_warmup_seconds=10001; allowed: 0\.\.10000$"),
        ({"health_check_grace_period_seconds": 7201}, r"^Ec2CapacityProps\.health_check_grace_period_seconds=7201; allowed: 0\.\.7200$"),
        ({"container_stop_timeout_seconds": 1}, r"^Ec2CapacityProps\.container_stop_timeout_seconds=1; allowed: 2\.\.120$"),
        ({"container_stop_timeout_seconds": 121}, r"^Ec2CapacityProps\.container_stop_timeout_seconds=121; allowed: 2\.\.120$"),
        ({"root_volume_gib": 20}, r"^Ec2CapacityProps\.root_volume_gib=20; allowed: 30\.\.16384$"),
    ],
)  # fmt: skip
def test_ec2_capacity_props_reject(overrides: dict[str, Any], match: str) -> None:
    from modules.ec2_capacity import Ec2CapacityProps

    with pytest.raises(ValueError, match=match):
        Ec2CapacityProps(**{**REQUIRED, **overrides})


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"ec2_capacity_providers": ("ec2",), "ec2_percent": 101}, r"^ClusterProps\.ec2_percent=101; allowed: 0\.\.100$"),
        ({"ec2_percent": 50}, r"^ClusterProps\.ec2_capacity_providers=\(\); allowed: 1\.\.10 EC2 capacity provider names"),
        ({"ec2_capacity_providers": ("ec2", "ec2")}, r"^ClusterProps\.ec2_capacity_providers=\('ec2', 'ec2'\); allowed: distinct"),
        ({"ec2_capacity_providers": ("FARGATE_SPOT",)}, r"^ClusterProps\.ec2_capacity_providers=\('FARGATE_SPOT',\); allowed: distinct"),
        ({"ec2_capacity_providers": ("ecs-workers",)}, r"^ClusterProps\.ec2_capacity_providers\[0\]='ecs-workers'; allowed: a name that does not start with"),
        ({"ec2_capacity_providers": ("ec2",), "ec2_percent": 50, "fargate_spot_percent": 30},
         r"^ClusterProps\.fargate_spot_percent=30 with ec2_percent=50; allowed: fargate_spot_percent=0 when ec2_percent is set"),
        ({"fargate_spot_percent": 101}, r"^ClusterProps\.fargate_spot_percent=101; allowed: 0\.\.100$"),
    ],
)  # fmt: skip
def test_cluster_props_reject(overrides: dict[str, Any], match: str) -> None:
    from modules.cluster import ClusterProps

    with pytest.raises(ValueError, match=match):
        ClusterProps(name="flask-app-dev", **overrides)


def test_cluster_default_strategy_is_unchanged_without_ec2_percent() -> None:
    from modules.cluster import ClusterProps

    assert ClusterProps(name="x", fargate_spot_percent=30, ec2_capacity_providers=("ec2",)).default_strategy() == [
        StrategyItem("FARGATE", 70, 1),
        StrategyItem("FARGATE_SPOT", 30, 0),
    ]


@pytest.mark.parametrize(
    "compatibilities", [(), ("EXTERNAL",), ("EC2", "EC2"), ("FARGATE", "EC2", "MANAGED_INSTANCES")]
)
def test_task_props_reject_unknown_compatibilities(compatibilities: tuple[str, ...]) -> None:
    with pytest.raises(
        ValueError,
        match=r"^TaskProps\.requires_compatibilities=.*; allowed: \('FARGATE',\), \('EC2',\) or \('EC2', 'FARGATE'\)$",
    ):
        _task_props(requires_compatibilities=compatibilities)


def test_task_size_rules_follow_the_compatibilities() -> None:
    from modules.container import ContainerOptions

    odd = ContainerOptions(port=None, health_check_path=None, cpu=384, memory_mib=700)  # no Fargate size
    assert _task_props(requires_compatibilities=("EC2",), container=odd).requires_compatibilities == ("EC2",)
    for fargate in (("FARGATE",), ("EC2", "FARGATE")):
        with pytest.raises(ValueError, match=r"^TaskProps\.container\.cpu=384 is not a Fargate cpu size; allowed:"):
            _task_props(requires_compatibilities=fargate, container=odd)
    tiny = ContainerOptions(port=None, health_check_path=None, cpu=64, memory_mib=512)
    with pytest.raises(
        ValueError, match=r"^TaskProps\.container\.cpu=64; allowed: 128\.\.196608 \(tasks on EC2 instances\)$"
    ):
        _task_props(requires_compatibilities=("EC2",), container=tiny)
    assert _task_props().requires_compatibilities == ("FARGATE",)


# ---- the synthesized resources -----------------------------------------------------------------------


def test_ami_comes_from_the_ssm_parameter_of_the_architecture(stack: dict[str, Any]) -> None:
    for scope, parameter in (
        ("Ec2Capacity", ec2.AMI_PARAMETERS["X86_64"]),
        ("ArmCapacity", ec2.AMI_PARAMETERS["ARM64"]),
    ):
        name, ami = _one(stack, "aws_ssm_parameter", scope, data=True)
        assert ami == {"name": parameter}
        _, template = _one(stack, "aws_launch_template", scope)
        assert template["image_id"] == "${data.aws_ssm_parameter.%s.insecure_value}" % name


def test_imdsv2_is_required_and_containers_cannot_reach_it(stack: dict[str, Any]) -> None:
    for scope in ("Ec2Capacity", "ArmCapacity"):
        _, template = _one(stack, "aws_launch_template", scope)
        assert template["metadata_options"] == {
            "http_endpoint": "enabled",
            "http_tokens": "required",
            "http_put_response_hop_limit": 1,
        }
        assert "ECS_AWSVPC_BLOCK_IMDS=true" in _user_data(template).splitlines()


def test_root_volume_is_encrypted_gp3(stack: dict[str, Any]) -> None:
    _, template = _one(stack, "aws_launch_template", "Ec2Capacity")
    assert template["block_device_mappings"] == [
        {
            "device_name": "/dev/xvda",
            "ebs": {"delete_on_termination": "true", "encrypted": "true", "volume_size": 30, "volume_type": "gp3"},
        }
    ]
    _, full = _one(stack, "aws_launch_template", "ArmCapacity")
    (mapping,) = full["block_device_mappings"]
    assert mapping["ebs"]["encrypted"] == "true" and mapping["ebs"]["volume_size"] == 50
    assert mapping["ebs"]["kms_key_id"] == KEY_ARN


def test_launch_template_profile_group_monitoring_and_tags(stack: dict[str, Any]) -> None:
    name, template = _one(stack, "aws_launch_template", "Ec2Capacity")
    assert name == TEMPLATE
    profile, _ = _one(stack, "aws_iam_instance_profile", "Ec2Capacity")
    group, _ = _one(stack, "aws_security_group", "Ec2Capacity")
    assert template["iam_instance_profile"] == {"arn": "${aws_iam_instance_profile.%s.arn}" % profile}
    assert template["vpc_security_group_ids"] == ["${aws_security_group.%s.id}" % group]
    assert template["monitoring"] == {"enabled": True}
    assert template["name_prefix"] == "flask-app-dev-ec2-"
    assert template["update_default_version"] is True
    assert "network_interfaces" not in template  # no public IP from the template
    assert template["tag_specifications"] == [
        {"resource_type": "instance", "tags": {"Name": "flask-app-dev-ec2"}},
        {"resource_type": "volume", "tags": {"Name": "flask-app-dev-ec2"}},
    ]


def test_user_data_joins_the_cluster_and_drains_spot(stack: dict[str, Any]) -> None:
    _, template = _one(stack, "aws_launch_template", "Ec2Capacity")
    assert _user_data(template) == (
        "#!/bin/bash\ncat <<'EOF' >> /etc/ecs/ecs.config\n"
        "ECS_CLUSTER=flask-app-dev\nECS_ENABLE_SPOT_INSTANCE_DRAINING=true\nECS_CONTAINER_STOP_TIMEOUT=30s\n"
        "ECS_AWSVPC_BLOCK_IMDS=true\nEOF\n"
    )
    _, full = _one(stack, "aws_launch_template", "ArmCapacity")
    cluster, _ = _one(stack, "aws_ecs_cluster", "Cluster")
    lines = _user_data(full).splitlines()
    assert "ECS_CLUSTER=${aws_ecs_cluster.%s.name}" % cluster in lines  # a reference: joins after the cluster exists
    assert "ECS_CONTAINER_STOP_TIMEOUT=45s" in lines and "ECS_ENABLE_SPOT_INSTANCE_DRAINING=true" in lines


def test_instance_role_trusts_ec2_and_has_exactly_the_ecs_policy(stack: dict[str, Any]) -> None:
    name, role = _one(stack, "aws_iam_role", "Ec2Capacity")
    assert role["name"] == "flask-app-dev-ec2-instance"
    trust_name, trust = _one(stack, "aws_iam_policy_document", "Ec2Capacity", data=True)
    assert role["assume_role_policy"] == "${data.aws_iam_policy_document.%s.json}" % trust_name
    assert trust["statement"] == [
        {
            "sid": "Ec2Assume",
            "actions": ["sts:AssumeRole"],
            "principals": [{"type": "Service", "identifiers": ["ec2.amazonaws.com"]}],
        }
    ]
    partition, _ = _one(stack, "aws_partition", "Ec2Capacity", data=True)
    arn = "arn:${data.aws_partition.%s.partition}:iam::aws:policy/" % partition
    attached = [a["policy_arn"] for a in _of(stack, "aws_iam_role_policy_attachment", "Ec2Capacity").values()]
    assert attached == [arn + "service-role/AmazonEC2ContainerServiceforEC2Role"]
    for body in _of(stack, "aws_iam_role_policy_attachment", "Ec2Capacity").values():
        assert body["role"] == "${aws_iam_role.%s.name}" % name
    assert _of(stack, "aws_iam_role_policy", "Ec2Capacity") == {}  # no inline grants
    _, profile = _one(stack, "aws_iam_instance_profile", "Ec2Capacity")
    assert profile["role"] == "${aws_iam_role.%s.name}" % name


def test_ssm_policy_only_when_asked(stack: dict[str, Any]) -> None:
    partition, _ = _one(stack, "aws_partition", "ArmCapacity", data=True)
    arn = "arn:${data.aws_partition.%s.partition}:iam::aws:policy/" % partition
    attached = sorted(a["policy_arn"] for a in _of(stack, "aws_iam_role_policy_attachment", "ArmCapacity").values())
    assert attached == [arn + "AmazonSSMManagedInstanceCore", arn + "service-role/AmazonEC2ContainerServiceforEC2Role"]


def test_instance_security_group_has_no_ingress_and_https_egress_only(stack: dict[str, Any]) -> None:
    assert resources(stack, "aws_vpc_security_group_ingress_rule") == {}
    for scope in ("Ec2Capacity", "ArmCapacity"):
        group, body = _one(stack, "aws_security_group", scope)
        assert "ingress" not in body and "egress" not in body  # rules are separate resources
        assert body["vpc_id"] == "vpc-0123456789abcdef0"
        _, egress = _one(stack, "aws_vpc_security_group_egress_rule", scope)
        assert egress["security_group_id"] == "${aws_security_group.%s.id}" % group
        assert (egress["ip_protocol"], egress["from_port"], egress["to_port"], egress["cidr_ipv4"]) == (
            "tcp", 443, 443, "0.0.0.0/0",
        )  # fmt: skip


def test_auto_scaling_group_defaults(stack: dict[str, Any]) -> None:
    name, group = _one(stack, "aws_autoscaling_group", "Ec2Capacity")
    assert name == ASG
    assert group["name"] == "flask-app-dev-ec2"
    assert group["vpc_zone_identifier"] == list(SUBNETS)
    assert (group["min_size"], group["max_size"]) == (0, 4)
    assert "desired_capacity" not in group
    assert group["lifecycle"] == {"ignore_changes": ["desired_capacity"]}
    assert group["protect_from_scale_in"] is True
    assert group["force_delete"] is True  # protected instances would block a destroy until its timeout
    assert (group["health_check_type"], group["health_check_grace_period"]) == ("EC2", 300)
    assert "launch_template" not in group  # the mixed instances policy names it
    policy = group["mixed_instances_policy"]
    assert policy["instances_distribution"] == {
        "on_demand_allocation_strategy": "prioritized",
        "on_demand_base_capacity": 0,
        "on_demand_percentage_above_base_capacity": 100,
        "spot_allocation_strategy": "price-capacity-optimized",
    }
    assert policy["launch_template"]["launch_template_specification"] == {
        "launch_template_id": "${aws_launch_template.%s.id}" % TEMPLATE,
        "version": "${aws_launch_template.%s.latest_version}" % TEMPLATE,
    }
    assert policy["launch_template"]["override"] == [{"instance_type": "m6i.large"}]
    assert {"key": "AmazonECSManaged", "value": "true", "propagate_at_launch": True} in group["tag"]


def test_auto_scaling_group_mixes_on_demand_and_spot(stack: dict[str, Any]) -> None:
    _, group = _one(stack, "aws_autoscaling_group", "ArmCapacity")
    assert (group["min_size"], group["max_size"], group["health_check_grace_period"]) == (1, 6, 60)
    policy = group["mixed_instances_policy"]
    distribution = policy["instances_distribution"]
    assert (distribution["on_demand_base_capacity"], distribution["on_demand_percentage_above_base_capacity"]) == (
        1,
        25,
    )
    assert distribution["spot_allocation_strategy"] == "price-capacity-optimized"
    assert [o["instance_type"] for o in policy["launch_template"]["override"]] == list(FULL["instance_types"])


def test_capacity_provider_manages_scaling_termination_and_draining(stack: dict[str, Any]) -> None:
    name, provider = _one(stack, "aws_ecs_capacity_provider", "Ec2Capacity")
    assert name == PROVIDER
    assert provider["name"] == "flask-app-dev-ec2"
    assert provider["auto_scaling_group_provider"] == {
        "auto_scaling_group_arn": "${aws_autoscaling_group.%s.arn}" % ASG,
        "managed_termination_protection": "ENABLED",
        "managed_draining": "ENABLED",
        "managed_scaling": {
            "status": "ENABLED",
            "target_capacity": 100,
            "minimum_scaling_step_size": 1,
            "maximum_scaling_step_size": 10000,
            "instance_warmup_period": 300,
        },
    }
    _, full = _one(stack, "aws_ecs_capacity_provider", "ArmCapacity")
    assert full["auto_scaling_group_provider"]["managed_scaling"] == {
        "status": "ENABLED",
        "target_capacity": 80,
        "minimum_scaling_step_size": 1,
        "maximum_scaling_step_size": 2,
        "instance_warmup_period": 120,
    }


def test_cluster_mixes_ec2_and_fargate(stack: dict[str, Any]) -> None:
    _, providers = _one(stack, "aws_ecs_cluster_capacity_providers", "Cluster")
    reference = "${aws_ecs_capacity_provider.%s.name}" % PROVIDER
    assert providers["capacity_providers"] == ["FARGATE", "FARGATE_SPOT", reference]
    assert providers["default_capacity_provider_strategy"] == [
        {"capacity_provider": reference, "weight": 3, "base": 0},
        {"capacity_provider": "FARGATE", "weight": 1, "base": 0},
    ]


def test_ec2_only_task_definition_keeps_awsvpc(stack: dict[str, Any]) -> None:
    _, task = _one(stack, "aws_ecs_task_definition", "Ec2Job")
    assert task["requires_compatibilities"] == ["EC2"]
    assert task["network_mode"] == "awsvpc"
    assert (task["cpu"], task["memory"]) == ("1024", "3072")


def test_attributes_are_references_to_the_resources(built: tuple[dict[str, Any], dict[str, Any]]) -> None:
    from cdktf import Token

    capacity = built[1]["defaults"]
    for attribute in ("capacity_provider_name", "auto_scaling_group_name", "auto_scaling_group_arn",
                      "instance_role_arn", "security_group_id", "launch_template_id"):  # fmt: skip
        assert Token.is_unresolved(getattr(capacity, attribute)), attribute


# ---- validity: the real terraform + provider -----------------------------------------------------------


def test_terraform_validate(terraform: str, tmp_path: Path, stack: dict[str, Any]) -> None:
    assert_valid(terraform, tmp_path, stack)
