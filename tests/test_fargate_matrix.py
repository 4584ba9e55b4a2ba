"""The Fargate cpu/memory matrix, checked against the table in the issue, and where it is enforced."""

from __future__ import annotations

import json
from typing import Any

import pytest

from envconfig.model import ContainerConfig
from rules.fargate import FARGATE_MEMORY_BY_CPU, check_task_size
from tests.service_stack import web_of

# The table as written in the issue (cpu -> first, last, step in MiB), encoded independently of
# rules/fargate.py so that a typo in either shows up here.
ISSUE_TABLE: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}
ALLOWED_TEXT = {
    256: "512, 1024, 2048",
    512: "1024..4096 in steps of 1024",
    1024: "2048..8192 in steps of 1024",
    2048: "4096..16384 in steps of 1024",
    4096: "8192..30720 in steps of 1024",
    8192: "16384..61440 in steps of 4096",
    16384: "32768..122880 in steps of 8192",
}


def test_matrix_equals_the_issue_table() -> None:
    assert FARGATE_MEMORY_BY_CPU == ISSUE_TABLE
    assert sum(len(v) for v in FARGATE_MEMORY_BY_CPU.values()) == 3 + 4 + 7 + 13 + 23 + 12 + 12


@pytest.mark.parametrize("cpu", sorted(ISSUE_TABLE))
def test_every_size_in_the_table_is_accepted_by_the_config_model(cpu: int) -> None:
    for memory in ISSUE_TABLE[cpu]:
        assert ContainerConfig(cpu=cpu, memory_mib=memory).memory_mib == memory


@pytest.mark.parametrize("cpu", sorted(ISSUE_TABLE))
def test_every_nearby_size_outside_the_table_is_rejected_with_the_allowed_list(cpu: int) -> None:
    sizes = ISSUE_TABLE[cpu]
    step = 512 if cpu == 256 else sizes[1] - sizes[0]
    candidates = {sizes[0] - step, sizes[-1] + step, sizes[0] + step // 2, 256, 122880 + 8192}
    candidates |= {m + 512 for m in sizes}
    for memory in sorted(m for m in candidates if m > 0 and m not in sizes):
        expected = "memory_mib=%d is not valid with cpu=%d; allowed: %s" % (memory, cpu, ALLOWED_TEXT[cpu])
        assert check_task_size(cpu, memory) == expected
        with pytest.raises(ValueError, match=expected.replace(".", r"\.")):
            ContainerConfig(cpu=cpu, memory_mib=memory)


def test_an_unknown_cpu_lists_every_cpu_size() -> None:
    with pytest.raises(ValueError, match=r"cpu=768 is not a Fargate cpu size; allowed: 256, 512, 1024, 2048, 4096, 8192, 16384"):
        ContainerConfig(cpu=768, memory_mib=2048)


@pytest.mark.parametrize(
    ("cpu", "bad", "neighbours"),
    [(2048, 4608, (4096, 5120)), (4096, 31744, (29696, 30720)), (8192, 18432, (16384, 20480)),
     (16384, 36864, (32768, 40960))],
)  # fmt: skip
def test_step_boundaries(cpu: int, bad: int, neighbours: tuple[int, int]) -> None:
    assert check_task_size(cpu, bad) is not None
    assert [check_task_size(cpu, m) for m in neighbours] == [None, None]


@pytest.mark.parametrize("env", ["local", "dev", "staging", "prod"])
def test_every_environment_synthesizes_a_valid_task_size(env: str, synth_all: dict[str, dict[str, Any]]) -> None:
    (td,) = web_of(synth_all[env], "aws_ecs_task_definition")
    cpu, memory = int(td["cpu"]), int(td["memory"])
    assert check_task_size(cpu, memory) is None
    container, *sidecars = json.loads(td["container_definitions"])
    assert "memory" not in container and "memoryReservation" not in container  # the task size is the only limit
    # Alone, the app reserves no cpu; beside sidecars it reserves what they leave (tests/test_sidecars.py).
    assert container.get("cpu", 0) + sum(s["cpu"] for s in sidecars) == (cpu if sidecars else 0)


def test_service_props_also_refuse_arm64_on_fargate_spot() -> None:
    from cdktf import TerraformStack, Testing

    from modules.cluster import Cluster, ClusterProps
    from modules.container import ContainerOptions
    from modules.registry import Registry, RegistryProps
    from modules.service import ServiceProps

    stack = TerraformStack(Testing.app(), "spot")
    cluster = Cluster(stack, "Cluster", props=ClusterProps(name="app-test", fargate_spot_percent=50))
    registry = Registry(stack, "Registry", props=RegistryProps(name="app-test"))
    with pytest.raises(ValueError, match=r"cpu_architecture='ARM64' with a FARGATE_SPOT capacity-provider strategy"):
        ServiceProps(
            name="app-test", service_name="app-test-web", app_name="app", env_name="dev", region="us-east-1",
            container=ContainerOptions(cpu_architecture="ARM64"), desired_count=1,
            log_retention_days=30, cluster=cluster, registry=registry, image_tag="abc", vpc_id="vpc-1",
            subnet_ids=["subnet-1", "subnet-2"], alb_security_group_id="sg-1", target_group_arn="arn:tg", listeners=[],
        )  # fmt: skip
