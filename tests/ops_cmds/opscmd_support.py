"""Helpers for the operate-command tests: the small deployment on moto, recorded responses, a fake clock.

The deployment mirrors what the ``local`` stack creates for the service (VPC with DNS hostnames,
two subnets, a security group, cluster, awsvpc/Fargate task definition logging to CloudWatch
under the stream prefix ``web``, log group, IP target group, service behind it), built with boto3 so these tests do not need
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
                    "options": {"awslogs-group": LOG_GROUP, "awslogs-region": REGION, "awslogs-stream-prefix": "web"},
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


# ---- the workloads of the shipped `local` config: a queue worker and a nightly job -------------

WORKER_SERVICE = "flask-app-local-worker"
REPORT_FAMILY = "flask-app-local-report"
REPORT_SCHEDULE = "flask-app-local-report"


@dataclass
class Workloads:
    """What the `local` stack creates for `worker` and `report` (envconfig/environments.toml), built with boto3."""

    deployment: Deployment
    worker_task_definition_arn: str
    report_task_definition_arn: str
    report_security_group: str
    queue_url: str
    dlq_url: str
    report_run_arn: str

    def outputs(self) -> dict[str, Any]:
        """The `local` stack's outputs as `terraform output -json` gives them (values only)."""
        d = self.deployment
        return {
            "cluster_name": CLUSTER, "service_name": SERVICE, "log_group_name": LOG_GROUP,
            "target_group_arn": d.target_group_arn, "task_definition_family": "flask-app-local",
            "task_security_group_id": d.security_group, "private_subnet_ids": d.subnets,
            "public_subnet_ids": ["subnet-public-a", "subnet-public-b"],
            "workloads": {
                "worker": {
                    "kind": "worker", "log_group_name": LOG_GROUP, "log_stream_prefix": "worker",
                    "service_name": WORKER_SERVICE, "task_definition_family": WORKER_SERVICE, "queue_url": self.queue_url,
                    "dlq_url": self.dlq_url,
                },
                "report": {
                    "kind": "job", "log_group_name": LOG_GROUP, "log_stream_prefix": "report",
                    "task_definition_family": REPORT_FAMILY,
                    "task_security_group_id": self.report_security_group, "schedule_name": REPORT_SCHEDULE,
                    "queue_url": self.queue_url, "dlq_url": self.dlq_url,
                },
            },
        }  # fmt: skip


def _app_task_definition(ecs: Any, family: str, stream_prefix: str, command: list[str]) -> str:
    """A workload's task definition: it logs to the environment's log group under its own stream prefix."""
    group = LOG_GROUP
    arn: str = ecs.register_task_definition(
        family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{
            "name": CONTAINER, "image": IMAGE, "essential": True, "memory": 512, "command": command,
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": group, "awslogs-region": REGION, "awslogs-stream-prefix": stream_prefix}},
        }],
    )["taskDefinition"]["taskDefinitionArn"]  # fmt: skip
    return arn


def deploy_workloads(deployment: Deployment) -> Workloads:
    """The worker (service at desired 0, queue with 3 waiting and 1 in-flight message, empty
    dead-letter queue) and the job (task definition, security group, schedule, one earlier run)."""
    url = deployment.url
    ecs, ec2, sqs = boto(url, "ecs"), boto(url, "ec2"), boto(url, "sqs")
    network = {"awsvpcConfiguration": {"subnets": deployment.subnets, "securityGroups": [deployment.security_group],
                                       "assignPublicIp": "DISABLED"}}  # fmt: skip
    worker = _app_task_definition(ecs, WORKER_SERVICE, "worker", ["python", "-m", "app.worker"])
    ecs.create_service(cluster=CLUSTER, serviceName=WORKER_SERVICE, taskDefinition=worker, desiredCount=0,
                       launchType="FARGATE", networkConfiguration=network)  # fmt: skip
    dlq = sqs.create_queue(QueueName="flask-app-local-worker-dlq")["QueueUrl"]
    queue = sqs.create_queue(QueueName="flask-app-local-worker", Attributes={"VisibilityTimeout": "300"})["QueueUrl"]
    for n in range(3):
        sqs.send_message(QueueUrl=queue, MessageBody='{"job": %d}' % n)
    sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1)  # one in flight, two visible
    sqs.send_message(QueueUrl=queue, MessageBody='{"job": 3}')

    report = _app_task_definition(ecs, REPORT_FAMILY, "report", ["python", "-m", "app.job"])
    group = ec2.create_security_group(GroupName="flask-app-local-report-task", Description="job tasks",
                                      VpcId=deployment.vpc_id)["GroupId"]  # fmt: skip
    cluster_arn = ecs.describe_clusters(clusters=[CLUSTER])["clusters"][0]["clusterArn"]
    boto(url, "scheduler").create_schedule(
        Name=REPORT_SCHEDULE, ScheduleExpression="cron(30 1 * * ? *)", ScheduleExpressionTimezone="Asia/Ho_Chi_Minh",
        State="ENABLED", FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": cluster_arn, "RoleArn": "arn:aws:iam::123456789012:role/flask-app-local-report-scheduler",
                "EcsParameters": {"TaskDefinitionArn": report, "TaskCount": 1}},
    )  # fmt: skip
    run = ecs.run_task(
        cluster=CLUSTER, taskDefinition=report, launchType="FARGATE", startedBy="scheduler-nightly",
        networkConfiguration={"awsvpcConfiguration": {"subnets": deployment.subnets, "securityGroups": [group]}},
    )["tasks"][0]["taskArn"]  # fmt: skip
    ecs.stop_task(cluster=CLUSTER, task=run, reason="Essential container in task exited")
    return Workloads(deployment, worker, report, group, queue, dlq, run)
