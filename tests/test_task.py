"""FargateTask alone (a scheduled job's task) and Service without a load balancer (a queue worker)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from modules.container import ContainerOptions
from tests.conftest import resources, synth_construct
from tests.service_stack import SUBNETS

WORKER = ContainerOptions(port=None, health_check_path=None, command=("python", "-m", "app.worker"))


class _Registry:
    repository_arn = "arn:aws:ecr:us-east-1:123456789012:repository/app-test"
    repository_url = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app-test"


def _task_props(**overrides: Any) -> Any:
    from modules.task import TaskProps

    kwargs: dict[str, Any] = dict(
        name="app-test-nightly", family="app-test-nightly", app_name="app", env_name="dev", region="us-east-1",
        log_retention_days=14, registry=_Registry(), image_tag="0a1b2c3", vpc_id="vpc-1",
        container=ContainerOptions(port=None, health_check_path=None, command=("python", "-m", "app.job")),
        log_group_path="/ecs/app-test/nightly", log_stream_prefix="nightly",
        security_group_description="ECS tasks of a scheduled job: no ingress",
    )  # fmt: skip
    kwargs.update(overrides)
    return TaskProps(**kwargs)


@pytest.fixture(scope="module")
def synthesized() -> dict[str, Any]:
    """A job's task alone, and a worker service without a load balancer, in one stack."""
    from constructs import Construct

    from modules.service import Service, ServiceProps
    from modules.task import FargateTask

    def build(stack: Any) -> None:
        FargateTask(Construct(stack, "Nightly"), props=_task_props())
        Service(stack, "Worker", props=ServiceProps(
            name="app-test-worker", service_name="app-test-worker", app_name="app", env_name="dev",
            region="us-east-1", desired_count=0, log_retention_days=14, registry=_Registry(), image_tag="0a1b2c3",
            vpc_id="vpc-1", subnet_ids=SUBNETS, container=WORKER, log_group_path="/ecs/app-test/worker",
            log_stream_prefix="worker"))  # fmt: skip

    return synth_construct(build)


def test_a_task_alone_has_no_service_and_no_ingress(synthesized: dict[str, Any]) -> None:
    (job,) = [t for i, t in resources(synthesized, "aws_ecs_task_definition").items() if i.startswith("Nightly_")]
    assert job["family"] == "app-test-nightly" and job["lifecycle"] == {"create_before_destroy": True}
    (container,) = json.loads(job["container_definitions"])
    assert container["command"] == ["python", "-m", "app.job"]
    assert "portMappings" not in container and "healthCheck" not in container
    assert {e["name"] for e in container["environment"]} == {"APP_ENV", "APP_NAME", "APP_VERSION"}
    assert container["logConfiguration"]["options"]["awslogs-stream-prefix"] == "nightly"
    groups = {g["name"] for g in resources(synthesized, "aws_cloudwatch_log_group").values()}
    assert groups == {"/ecs/app-test/nightly", "/ecs/app-test/worker"}
    (sg,) = [g for i, g in resources(synthesized, "aws_security_group").items() if i.startswith("Nightly_")]
    assert sg["description"] == "ECS tasks of a scheduled job: no ingress" and sg["name_prefix"] == "app-test-nightly-tasks-"
    assert "aws_vpc_security_group_ingress_rule" not in synthesized["resource"]
    roles = {r["name"] for r in resources(synthesized, "aws_iam_role").values()}
    assert roles == {"app-test-nightly-execution", "app-test-nightly-task", "app-test-worker-execution",
                     "app-test-worker-task"}  # fmt: skip


def test_a_worker_service_has_no_load_balancer_and_no_grace_period(synthesized: dict[str, Any]) -> None:
    (service,) = resources(synthesized, "aws_ecs_service").values()
    assert service["name"] == "app-test-worker" and service["desired_count"] == 0
    assert "load_balancer" not in service and "health_check_grace_period_seconds" not in service
    deps = " ".join(service["depends_on"])
    assert "Worker_TaskEgressHttps_" in deps and "Worker_ExecutionRolePolicy_" in deps
    (sg,) = [g for i, g in resources(synthesized, "aws_security_group").items() if i.startswith("Worker_")]
    assert sg["description"] == "ECS tasks: the container port from the listed client security groups only"


def test_task_props_report_their_own_fields() -> None:
    with pytest.raises(ValueError, match=r"TaskProps\.container\.port=0; allowed: 1\.\.65535, or None"):
        _task_props(container=ContainerOptions(port=0))
    with pytest.raises(ValueError, match=r"TaskProps\.name='a{60}' makes the IAM role name"):
        _task_props(name="a" * 60)


def test_service_props_need_both_or_neither_load_balancer_field() -> None:
    from modules.service import ServiceProps

    base: dict[str, Any] = dict(
        name="app-test", service_name="app-test-web", app_name="app", env_name="dev", region="us-east-1",
        desired_count=1, log_retention_days=14, registry=_Registry(), image_tag="abc", vpc_id="vpc-1",
        subnet_ids=SUBNETS)  # fmt: skip
    with pytest.raises(ValueError, match=r"ServiceProps\.alb_security_group_id='sg-1' and target_group_arn=None;"
                                         r" allowed: both"):  # fmt: skip
        ServiceProps(**base, alb_security_group_id="sg-1")
    with pytest.raises(ValueError, match=r"ServiceProps\.container\.port=None with a target group; allowed: the port"):
        ServiceProps(**base, alb_security_group_id="sg-1", target_group_arn="arn:tg", container=WORKER)
    with pytest.raises(ValueError, match=r"ServiceProps\.container\.cpu=300"):
        ServiceProps(**base, container=ContainerOptions(cpu=300))


def test_web_service_needs_a_port_and_health_path() -> None:
    from modules.web_service import WebServiceProps
    from tests.service_stack import NETWORK

    with pytest.raises(ValueError, match=r"WebServiceProps\.container\.port=None, health_check_path=None; allowed:"):
        WebServiceProps(name="app-test", app_name="app", env_name="dev", region="us-east-1", network=NETWORK,
                        registry=_Registry(), image_tag="abc", log_retention_days=14, container=WORKER)  # fmt: skip
