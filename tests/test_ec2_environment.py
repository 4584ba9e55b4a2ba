"""EC2 capacity for an environment (``[environments.<env>.ec2]``): the config's rules, and how the stack wires it.

The constructs are tested in tests/test_ec2_capacity.py; this module checks what the environment
adds: every task must fit and match the instances, the cluster's default strategy places
``ec2.percent`` of the tasks on the EC2 capacity provider, and each task definition and service
follows from that strategy (launch types, placement, platform version).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from envconfig.model import EnvironmentConfig
from rules.capacity import StrategyItem, compatibilities
from tests.conftest import resources, run_terraform

BASE: dict[str, Any] = dict(name="dev", app_name="flask-app", region="us-east-1", account_id="123456789012")
EC2 = {"instance_types": ["m6i.large", "m5.large"], "min_size": 1, "max_size": 4, "on_demand_base_capacity": 1,
       "on_demand_percentage_above_base": 0}  # fmt: skip


def env(**overrides: Any) -> EnvironmentConfig:
    return EnvironmentConfig(**{**BASE, **overrides})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (dict(ec2={**EC2, "instance_types": []}), r"(?s)ec2\n.*instance_types=\(\); allowed: one or more of c6i\.2xlarge"),
        (dict(ec2={**EC2, "instance_types": ["x1e.large"]}), r"instance_types=\('x1e\.large',\) has unsupported x1e\.large"),
        (dict(ec2={**EC2, "min_size": 5}), r"min_size=5.*\(max_size=4\)"),
        (dict(ec2={**EC2, "on_demand_base_capacity": 9}), r"on_demand_base_capacity=9.*\(at most max_size=4\)"),
        (dict(ec2={**EC2, "on_demand_percentage_above_base": 101}), r"on_demand_percentage_above_base=101"),
        (dict(ec2={**EC2, "percent": 0}), r"percent=0; allowed: 1\.\.100"),
        (dict(ec2={**EC2, "root_volume_gib": 8}), r"root_volume_gib=8; allowed: 30\.\.16384"),
        (dict(ec2={**EC2, "instance_types": ["m7g.large"]}),
         r"container\.cpu_architecture='X86_64' with ec2\.instance_types=\('m7g\.large',\) has m7g\.large \(arm64\)"),
        (dict(ec2=EC2, container={"cpu": 4096, "memory_mib": 8192}),
         r"container: a task of cpu=4096 memory_mib=8192 does not fit on m6i\.large .*allowed: at most 2048 cpu units"),
        (dict(ec2=EC2, workloads={"worker": {"kind": "worker", "queue": {}, "container": {
            "command": ["python", "-m", "app.worker"], "cpu": 2048, "memory_mib": 8192}}}),
         r"workloads\.worker\.container: a task of cpu=2048 memory_mib=8192 does not fit on m6i\.large"),
        (dict(ec2=EC2, scaling={"fargate_spot_percent": 50}),
         r"scaling\.fargate_spot_percent=50 with \[ec2\].*allowed: fargate_spot_percent=0"),
        (dict(ec2=EC2, app_name="ecs-demo"), r"app_name='ecs-demo': the EC2 capacity provider name"),
        (dict(ec2=EC2, network={"nat_mode": "none", "vpc_endpoints": True}),
         r"network\.nat_mode='none' with \[ec2\]: the instances run in the private subnets"),
    ],
)  # fmt: skip
def test_ec2_rules(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        env(**overrides)


def test_ec2_defaults() -> None:
    ec2 = env(ec2={"instance_types": ["t3.large"]}).ec2
    assert ec2 is not None
    assert (ec2.min_size, ec2.max_size, ec2.percent, ec2.on_demand_percentage_above_base) == (0, 2, 100, 100)
    assert (ec2.target_capacity_percent, ec2.ssm_access, ec2.root_volume_gib) == (100, False, 30)
    assert env().ec2 is None


def test_launch_types_follow_the_strategy() -> None:
    assert compatibilities([StrategyItem("FARGATE", 1, 0), StrategyItem("FARGATE_SPOT", 1, 0)]) == ("FARGATE",)
    assert compatibilities([StrategyItem("${aws_ecs_capacity_provider.x.name}", 1, 0)]) == ("EC2",)
    assert compatibilities([StrategyItem("ec2", 3, 0), StrategyItem("FARGATE", 1, 0)]) == ("EC2", "FARGATE")
    assert compatibilities([]) == ("FARGATE",)


SHIPPED_EC2 = """[environments.staging.ec2]
instance_types = ["m6i.large", "m5.large"]
min_size = 1
max_size = 4
on_demand_percentage_above_base = 0
"""


def _synth(tmp_path: Path, ec2_table: str) -> dict[str, Any]:
    """staging, shipped with EC2 capacity, its [ec2] table replaced by ``ec2_table``."""
    import main
    from envconfig import DEFAULT_FILE

    text = DEFAULT_FILE.read_text()
    assert SHIPPED_EC2 in text, "the shipped staging [ec2] table changed; update SHIPPED_EC2"
    config = tmp_path / "environments.toml"
    config.write_text(text.replace(SHIPPED_EC2, ec2_table))
    main.build(str(tmp_path / "out"), config=config, only=["staging"])
    return dict(json.loads((tmp_path / "out" / "stacks" / "staging" / "cdk.tf.json").read_text()))


@pytest.fixture(scope="module")
def ec2_only(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _synth(tmp_path_factory.mktemp("ec2"), SHIPPED_EC2)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _synth(tmp_path_factory.mktemp("mixed"), """[environments.staging.ec2]
instance_types = ["m6i.large"]
max_size = 3
percent = 75
""")


def test_an_ec2_only_environment_places_every_service_on_its_capacity_provider(ec2_only: dict[str, Any]) -> None:
    ((provider_name, provider),) = resources(ec2_only, "aws_ecs_capacity_provider").items()
    assert provider["name"] == "flask-app-staging-ec2"
    ((_, asg),) = resources(ec2_only, "aws_autoscaling_group").items()
    assert (asg["min_size"], asg["max_size"]) == (1, 4)
    distribution = asg["mixed_instances_policy"]["instances_distribution"]
    assert (distribution["on_demand_base_capacity"], distribution["on_demand_percentage_above_base_capacity"]) == (0, 0)
    private = {"${aws_subnet.%s.id}" % n for n in resources(ec2_only, "aws_subnet") if "Private" in n}
    assert set(asg["vpc_zone_identifier"]) == private  # instances in the private subnets only
    ref = "${aws_ecs_capacity_provider.%s.name}" % provider_name
    ((_, association),) = resources(ec2_only, "aws_ecs_cluster_capacity_providers").items()
    assert association["capacity_providers"] == ["FARGATE", "FARGATE_SPOT", ref]
    assert association["default_capacity_provider_strategy"] == [{"base": 0, "capacity_provider": ref, "weight": 1}]
    services = resources(ec2_only, "aws_ecs_service")
    assert services
    for name, service in services.items():
        assert service["capacity_provider_strategy"] == [{"base": 0, "capacity_provider": ref, "weight": 1}], name
        assert "platform_version" not in service, name  # a Fargate setting
        assert service["ordered_placement_strategy"] == [
            {"type": "spread", "field": "attribute:ecs.availability-zone"}, {"type": "binpack", "field": "memory"}
        ], name  # fmt: skip
    for name, task in resources(ec2_only, "aws_ecs_task_definition").items():
        assert task["requires_compatibilities"] == ["EC2"] and task["network_mode"] == "awsvpc", name


def test_a_mixed_environment_is_compatible_with_both_and_places_nothing(mixed: dict[str, Any]) -> None:
    ((provider_name, _),) = resources(mixed, "aws_ecs_capacity_provider").items()
    ref = "${aws_ecs_capacity_provider.%s.name}" % provider_name
    for name, service in resources(mixed, "aws_ecs_service").items():
        assert service["capacity_provider_strategy"] == [
            {"base": 0, "capacity_provider": ref, "weight": 3}, {"base": 0, "capacity_provider": "FARGATE", "weight": 1}
        ], name  # fmt: skip
        assert service["platform_version"] == "LATEST" and "ordered_placement_strategy" not in service, name
    for name, task in resources(mixed, "aws_ecs_task_definition").items():
        assert task["requires_compatibilities"] == ["EC2", "FARGATE"], name


def test_terraform_validates_an_ec2_environment(ec2_only: dict[str, Any], terraform: str, tmp_path: Path) -> None:
    stack = json.loads(json.dumps(ec2_only))
    stack["terraform"].pop("backend", None)
    (tmp_path / "main.tf.json").write_text(json.dumps(stack))
    init = run_terraform(terraform, tmp_path, "init", "-backend=false", "-input=false")
    assert init.returncode == 0, init.stderr
    result = run_terraform(terraform, tmp_path, "validate", "-json")
    assert json.loads(result.stdout)["valid"] is True, result.stdout
