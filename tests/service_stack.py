"""Two small test stacks shared by the service / load balancer / autoscaling / alarm tests.

Both build the stack's own composite, :class:`modules.web_service.WebService` (no copy of the
stack's wiring). ``defaults_stack()`` uses default configs only;
``full_stack()`` turns every option on (HTTPS with a requested, DNS-validated certificate +
redirect + DNS alias, secrets, ECS Exec, task-role grants, discovery with client security groups,
deployment alarms + SNS, ARM64, public IPs, request tracking, scheduled actions). Each is synthesized once per test session (cached), because a synth costs
time; tests read the parsed JSON.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from envconfig.model import (
    ContainerConfig,
    IamStatement,
    LoadBalancerConfig,
    ScalingConfig,
    ScheduledAction,
    ServiceConfig,
)
from rules.stacks import of_web_service

VPC_ID = "vpc-0123456789abcdef0"
SUBNETS = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"]
SSM_ARN = "arn:aws:ssm:us-east-1:123456789012:parameter/app/db-password:3"
SM_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/api-AbCdEf:key::"
CERT_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-1111-2222-333344445555"
CLIENT_SGS = ("sg-0123456789abcdef0", "sg-89abcdef")


class LiteralNetwork:
    """An ``INetwork`` of literal ids, as a network made elsewhere (the same subnets public and private)."""

    vpc_id = VPC_ID
    public_subnet_ids = SUBNETS
    private_subnet_ids = SUBNETS


NETWORK = LiteralNetwork()

FULL_CONTAINER = ContainerConfig(
    cpu=512,
    memory_mib=2048,
    port=8080,
    health_check_path="/healthz",
    cpu_architecture="ARM64",
    environment={"LOG_LEVEL": "DEBUG", "FEATURE_X": "on"},
    secrets={"DB_PASSWORD": SSM_ARN, "API_KEY": SM_ARN},
    stop_timeout_seconds=45,
    user="20001:20002",
    readonly_root_filesystem=False,  # ECS Exec needs a writable root filesystem
)
FULL_SERVICE = ServiceConfig(
    health_check_grace_period_seconds=60,
    deployment_minimum_healthy_percent=50,
    deployment_maximum_percent=150,
    circuit_breaker_rollback=False,
    enable_execute_command=True,
    service_discovery_namespace="internal",
    discovery_client_security_group_ids=CLIENT_SGS,
    task_role_statements=(IamStatement(sid="ReadAssets", actions=("s3:GetObject",), resources=("arn:aws:s3:::assets/*",)),),
    alarms=True,
    deployment_alarms=True,
)
#: The topic the full stack's alarms notify (an existing one: modules.alarm_topic is tested on its own).
FULL_TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:app-test-alarms"
FULL_LB = LoadBalancerConfig(
    ingress_cidrs=("203.0.113.0/24", "198.51.100.0/24"),
    redirect_http_to_https=True,
    domain_name="app.example.com",
    hosted_zone_name="example.com",
    idle_timeout_seconds=30,
    deregistration_delay_seconds=15,
    health_check_interval_seconds=6,
    health_check_timeout_seconds=4,
    healthy_threshold_count=3,
    unhealthy_threshold_count=4,
)
FULL_SCALING = ScalingConfig(
    desired_count=3,
    min_capacity=2,
    max_capacity=10,
    cpu_target_percent=None,
    memory_target_percent=70.0,
    requests_per_target=500,
    scale_in_cooldown_seconds=120,
    scale_out_cooldown_seconds=30,
    fargate_spot_percent=0,
    scheduled_actions=(
        ScheduledAction(name="peak-start", schedule="cron(0 0 1 2 ? *)", min_capacity=6, max_capacity=24),
        ScheduledAction(name="peak-end", schedule="cron(0 0 8 2 ? *)", min_capacity=2, max_capacity=10),
    ),
)


def build(
    stack: Any,
    *,
    container: ContainerConfig,
    service: ServiceConfig,
    lb: LoadBalancerConfig,
    scaling: ScalingConfig,
    public: bool = False,
    deletion_protection: bool = False,
    alarm_topic_arn: str | None = None,
    alarm_thresholds: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The stack's composite, :class:`modules.web_service.WebService`, on literal VPC/subnet ids."""
    from modules.cluster import Cluster, ClusterProps
    from modules.registry import Registry, RegistryProps
    from modules.web_service import WebService, WebServiceProps
    from stacks.props import (
        container_options,
        load_balancer_options,
        scaling_options,
        service_options,
        target_options,
    )

    cluster = Cluster(stack, "Cluster", props=ClusterProps(name="app-test", fargate_spot_percent=scaling.fargate_spot_percent))
    registry = Registry(stack, "Registry", props=RegistryProps(name="app-test"))
    web = WebService(
        stack,
        props=WebServiceProps(
            name="app-test", app_name="app", env_name="dev", region="us-east-1", network=NETWORK,
            assign_public_ip=public, cluster=cluster,
            registry=registry, image_tag="0a1b2c3", log_retention_days=14,
            container=container_options(container), service=service_options(service),
            load_balancer_options=load_balancer_options(lb, deletion_protection=deletion_protection),
            target=target_options(lb), scaling=scaling_options(scaling),
            discovery_namespace=service.service_discovery_namespace, alarms=service.alarms,
            deployment_alarms=service.deployment_alarms, alarm_topic_arn=alarm_topic_arn,
            alarm_thresholds=alarm_thresholds or {},
        ),
    )  # fmt: skip
    return {"service": web.service, "load_balancer": web.load_balancer, "target": web.target, "alarms": web.alarms,
            "discovery": web.discovery}  # fmt: skip


def synth(**kwargs: Any) -> dict[str, Any]:
    from cdktf import TerraformStack, Testing
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    stack = TerraformStack(Testing.app(), "test")
    AwsProvider(stack, "aws", region="us-east-1")
    build(stack, **kwargs)
    return dict(json.loads(Testing.synth(stack)))


@cache
def defaults_stack() -> dict[str, Any]:
    return synth(container=ContainerConfig(), service=ServiceConfig(), lb=LoadBalancerConfig(), scaling=ScalingConfig())


@cache
def full_stack() -> dict[str, Any]:
    return synth(container=FULL_CONTAINER, service=FULL_SERVICE, lb=FULL_LB, scaling=FULL_SCALING, public=True,
                 deletion_protection=True, alarm_topic_arn=FULL_TOPIC_ARN)  # fmt: skip


def by_id(stack: dict[str, Any], rtype: str, construct_path: str, *, data: bool = False) -> dict[str, Any]:
    """The body of the resource (or data source) whose construct path ends with ``construct_path``."""
    section = stack["data" if data else "resource"].get(rtype, {})
    # Synthesized stacks carry each resource's construct path; Testing.synth output only the
    # logical id (path joined with "_", repeated neighbours collapsed, plus an 8-character hash).
    parts = construct_path.split("/")
    collapsed = [p for i, p in enumerate(parts) if i == 0 or p != parts[i - 1]]
    pattern = re.compile("^%s_[0-9A-F]{8}$" % re.escape("_".join(collapsed)))

    def matches(key: str, body: dict[str, Any]) -> bool:
        meta = body.get("//", {}).get("metadata")
        return bool(meta["path"].endswith("/" + construct_path)) if meta else bool(pattern.match(key))

    found = [body for key, body in section.items() if matches(key, body)]
    assert len(found) == 1, "%d %s at %s; have %s" % (len(found), rtype, construct_path, sorted(section))
    return dict(found[0])


def all_of(stack: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    return list(stack.get("resource", {}).get(rtype, {}).values())


def web_of(stack: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    """Like :func:`all_of`, without the resources of further workloads (``Workload-<name>`` scopes) and of a
    blue/green release (``BlueGreen``: the green target group copies the blue one): the environment's own web
    service and what the environment shares."""
    return [body for name, body in stack.get("resource", {}).get(rtype, {}).items()
            if of_web_service(name)]  # fmt: skip


def container_definitions(stack: dict[str, Any]) -> list[dict[str, Any]]:
    (td,) = all_of(stack, "aws_ecs_task_definition")
    return list(json.loads(td["container_definitions"]))


def policy_statements(stack: dict[str, Any], construct_path: str) -> dict[str, dict[str, Any]]:
    """Sid -> statement of a DataAwsIamPolicyDocument."""
    doc = by_id(stack, "aws_iam_policy_document", construct_path, data=True)
    return {st["sid"]: st for st in doc["statement"]}
