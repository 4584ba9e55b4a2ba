"""Helpers for the operate-command tests: the small deployment on moto, recorded responses, a fake clock.

The deployment mirrors what the ``local`` stack creates for the service (VPC with DNS hostnames,
two subnets, a security group, cluster, awsvpc/Fargate task definition logging to CloudWatch,
log group, IP target group, service behind it), built with boto3 so these tests do not need
Terraform. Where moto cannot produce a response (service events, non-zero exit codes, unhealthy
targets) the tests use ``tests/fixtures/recorded/`` through ``botocore.stub.Stubber`` instead and
say so in their names.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.stub import Stubber

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "recorded"
REGION = "us-east-1"  # the `local` environment's region
CLUSTER = "flask-app-local"
SERVICE = "flask-app-local"
LOG_GROUP = "/ecs/flask-app-local"
CONTAINER = "app"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/flask-app-local:0a1b2c3"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def boto(moto_url: str, service: str) -> Any:
    return boto3.client(
        service, region_name=REGION, endpoint_url=moto_url, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


@dataclass
class Deployment:
    url: str
    vpc_id: str
    subnets: list[str]
    security_group: str
    task_definition_arn: str
    target_group_arn: str
    stopped_task_arn: str
    one_off_task_arn: str

    def client(self, service: str) -> Any:
        return boto(self.url, service)


def deploy(url: str) -> Deployment:
    ec2 = boto(url, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    # The project's VPC enables DNS hostnames; moto's RunTask (awsvpc) needs it too.
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
        for cidr, az in (("10.40.128.0/20", "us-east-1a"), ("10.40.144.0/20", "us-east-1b"))
    ]
    sg = ec2.create_security_group(GroupName="flask-app-local-service", Description="tasks", VpcId=vpc)["GroupId"]

    logs = boto(url, "logs")
    logs.create_log_group(logGroupName=LOG_GROUP)

    ecs = boto(url, "ecs")
    ecs.create_cluster(clusterName=CLUSTER)
    task_definition = ecs.register_task_definition(
        family="flask-app-local",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[
            {
                "name": CONTAINER,
                "image": IMAGE,
                "essential": True,
                # moto 5.2.5's RunTask sums container-level memory and fails without it.
                "memory": 512,
                "portMappings": [{"containerPort": 3000, "protocol": "tcp"}],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {"awslogs-group": LOG_GROUP, "awslogs-region": REGION, "awslogs-stream-prefix": "app"},
                },
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]

    elbv2 = boto(url, "elbv2")
    tg = elbv2.create_target_group(
        Name="flask-app-local-tg", Protocol="HTTP", Port=3000, VpcId=vpc, TargetType="ip", HealthCheckPath="/health"
    )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": "10.40.128.10", "Port": 3000}, {"Id": "10.40.144.20", "Port": 3000}])

    network = {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg], "assignPublicIp": "DISABLED"}}
    ecs.create_service(
        cluster=CLUSTER,
        serviceName=SERVICE,
        taskDefinition=task_definition,
        desiredCount=2,
        launchType="FARGATE",
        networkConfiguration=network,
        loadBalancers=[{"targetGroupArn": tg, "containerName": CONTAINER, "containerPort": 3000}],
    )
    # moto starts no tasks for a service: start one in the service's group and stop it the way
    # the scheduler would, so ListTasks(desiredStatus=STOPPED) has something real to return.
    stopped = ecs.run_task(
        cluster=CLUSTER, taskDefinition=task_definition, launchType="FARGATE", networkConfiguration=network,
        group="service:%s" % SERVICE, startedBy="ecs-svc/1234567890",
    )["tasks"][0]["taskArn"]  # fmt: skip
    ecs.stop_task(cluster=CLUSTER, task=stopped, reason="Scaling activity initiated by (deployment ecs-svc/1234567890)")
    one_off = ecs.run_task(
        cluster=CLUSTER, taskDefinition=task_definition, launchType="FARGATE", networkConfiguration=network,
        startedBy="someone-at-the-console",
    )["tasks"][0]["taskArn"]  # fmt: skip
    ecs.stop_task(cluster=CLUSTER, task=one_off, reason="a one-off task, not the service's")
    return Deployment(url, vpc, subnets, sg, task_definition, tg, stopped, one_off)


def put_events(url: str, stream: str, messages: list[tuple[dt.datetime, str]], group: str = LOG_GROUP) -> None:
    logs = boto(url, "logs")
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": int(when.timestamp() * 1000), "message": text} for when, text in messages],
    )


# ---- recorded responses -------------------------------------------------------------------


def _datetimes(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _datetimes(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_datetimes(v, key) for v in value]
    if isinstance(value, str) and key.endswith("At"):
        return dt.datetime.fromisoformat(value)
    return value


def recorded(name: str) -> dict[str, Any]:
    """A response from tests/fixtures/recorded/, with ``*At`` fields as datetimes (as boto3 gives)."""
    result: dict[str, Any] = _datetimes(json.loads((RECORDED / name).read_text()))
    return result


class StubbedClients:
    """boto3 clients whose responses come from recorded files, validated by botocore.stub."""

    def __init__(self, region: str = "ap-southeast-1") -> None:
        self.clients: dict[str, Any] = {}
        self.stubbers: dict[str, Stubber] = {}
        self.region = region

    def __call__(self, service: str) -> Any:
        if service not in self.clients:
            client = boto3.client(service, region_name=self.region, aws_access_key_id="x", aws_secret_access_key="x")
            self.clients[service] = client
            self.stubbers[service] = Stubber(client)
            self.stubbers[service].activate()
        return self.clients[service]

    def add(self, service: str, operation: str, response: dict[str, Any], params: dict[str, Any] | None = None) -> None:
        self(service)
        self.stubbers[service].add_response(operation, response, params)

    def add_error(self, service: str, operation: str, code: str, message: str) -> None:
        self(service)
        self.stubbers[service].add_client_error(operation, service_error_code=code, service_message=message)

    def assert_done(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


class FakeClock:
    """A monotonic clock that advances only when ``sleep`` is called."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
