"""A blue/green web service on the emulator: apply, a release through CodeDeploy, plans with no changes, destroy.

No shipped environment uses ``deployment_controller="CODE_DEPLOY"`` yet, so the e2e cycle does not
build one; this lane applies the parts a blue/green workload is made of (VPC, ALB, cluster, a
``CODE_DEPLOY`` service behind the blue target group, ``BlueGreen``: green target group, test
listener, CodeDeploy application, role and deployment group) with the real provider against the
project's emulator, plans again (no changes), releases a new task definition revision through a
CodeDeploy deployment (AppSpec from :func:`rules.releases.appspec`), checks that the service and both
listeners moved, plans again (still no changes: CodeDeploy owns the task definition and the
listeners' default action), and destroys. About two minutes: the provider waits 30 s for the ALB.

moto is lenient (it accepts values AWS rejects), and the deployment runs the emulator's model of
CodeDeploy (``ops.emulator._patch_codedeploy_ecs_deployments``), so this shows that Terraform, the
provider, the constructs and the release calls agree, not that AWS would roll out the same way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import synth_construct
from tests.ops.conftest import applied_stack

NAME = "bg-emu"
CLUSTER = NAME
SERVICE = "%s-web" % NAME
ACCOUNT = "123456789012"


@dataclass(frozen=True)
class LiteralRegistry:
    """An ``IRegistry`` made elsewhere: the image's repository, by literal ARN and URL."""

    repository_arn: str = "arn:aws:ecr:us-east-1:%s:repository/%s" % (ACCOUNT, NAME)
    repository_url: str = "%s.dkr.ecr.us-east-1.amazonaws.com/%s" % (ACCOUNT, NAME)


def _stack() -> dict[str, Any]:
    from cdktf_cdktf_provider_aws.subnet import Subnet
    from cdktf_cdktf_provider_aws.vpc import Vpc

    from modules.blue_green import BlueGreen, BlueGreenProps
    from modules.cluster import Cluster, ClusterProps
    from modules.listener_target import ListenerTarget, TargetProps
    from modules.load_balancer import LoadBalancer, LoadBalancerProps
    from modules.service import Service, ServiceOptions, ServiceProps
    from rules.releases import TrafficShift

    def build(scope: Any) -> None:
        vpc = Vpc(scope, "Vpc", cidr_block="10.93.0.0/16")
        public, private = (
            [Subnet(scope, "%s%d" % (kind, i), vpc_id=vpc.id, cidr_block="10.93.%d.0/24" % (offset + i),
                    availability_zone="us-east-1%s" % az) for i, az in enumerate("ab")]
            for kind, offset in (("Public", 0), ("Private", 10))
        )  # fmt: skip
        lb = LoadBalancer(scope, "LoadBalancer", props=LoadBalancerProps(
            name=NAME, alb_name="%s-alb" % NAME, vpc_id=vpc.id, public_subnet_ids=[s.id for s in public]))  # fmt: skip
        blue = TargetProps(target_group_name="%s-tg" % NAME, port=3000, health_check_path="/health")
        target = ListenerTarget(lb, load_balancer=lb, props=blue)
        lb.leave_targets_to_codedeploy()
        cluster = Cluster(scope, "Cluster", props=ClusterProps(name=CLUSTER))
        service = Service(scope, "Service", props=ServiceProps(
            name=NAME, service_name=SERVICE, app_name="flask-app", env_name="local", region="us-east-1",
            desired_count=1, log_retention_days=1, registry=LiteralRegistry(), image_tag="v1", vpc_id=vpc.id,
            subnet_ids=[s.id for s in private], alb_security_group_id=lb.security_group_id,
            target_group_arn=target.target_group_arn, listeners=[*lb.listeners, *target.rules], cluster=cluster,
            service=ServiceOptions(deployment_controller="CODE_DEPLOY")))  # fmt: skip
        BlueGreen(scope, "BlueGreen", props=BlueGreenProps(
            name=NAME, cluster_name=cluster.cluster_name, service_name=service.service_name, vpc_id=vpc.id,
            alb_arn=lb.alb_arn, alb_security_group_id=lb.security_group_id,
            production_listener_arns=tuple(ref.arn for ref in lb.forwarding_refs),
            blue_target_group_arn=target.target_group_arn, blue_target=blue, test_listener_port=8080,
            test_ingress_cidrs=("10.0.0.0/8",), traffic=TrafficShift("canary", percent=10, minutes=5)))  # fmt: skip

    return synth_construct(build)


def _clients(url: str) -> dict[str, Any]:
    import boto3

    kw = {"endpoint_url": url, "region_name": "us-east-1", "aws_access_key_id": "testing",
          "aws_secret_access_key": "testing"}  # fmt: skip
    return {name: boto3.client(name, **kw) for name in ("ecs", "elbv2", "codedeploy")}


@pytest.mark.terraform_apply
def test_a_blue_green_service_applies_releases_plans_clean_and_destroys_on_the_emulator(
    terraform: str, patched: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    stack, _ = applied_stack(_stack(), "blue-green", patched, tmp_path, (
        "aws_codedeploy_app.BlueGreen_Application", "aws_codedeploy_deployment_group.BlueGreen_DeploymentGroup",
        "aws_lb_listener.BlueGreen_TestListener", "aws_lb_target_group.BlueGreen_GreenTargetGroup",
        "aws_ecs_service.Service_",
    ))  # fmt: skip
    applied_at = time.monotonic()

    aws = _clients(patched)
    ecs, elbv2, codedeploy = aws["ecs"], aws["elbv2"], aws["codedeploy"]
    (service,) = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"]
    first = service["taskDefinition"]
    assert [(s["status"], s["taskDefinition"]) for s in service["taskSets"]] == [("PRIMARY", first)]
    second = _register_revision(ecs, first, image_tag="v2")
    blue, green = _target_group_arns(elbv2, "%s-tg" % NAME, "%s-tg2" % NAME)
    production, test = _listener_arns(elbv2, "%s-alb" % NAME, 80, 8080)
    # Before the first release: production traffic to blue, the test listener to the (empty) green group.
    assert (_forwards_to(elbv2, production), _forwards_to(elbv2, test)) == (blue, green)

    deployment_id = _release(codedeploy, second)
    statuses = _poll(codedeploy, deployment_id)
    assert statuses == ["InProgress", "Succeeded"], statuses
    info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    assert (info["creator"], info["errorInformation"], info["deploymentOverview"]["Succeeded"]) == ("user", {}, 1)
    assert info["deploymentConfigName"] == "CodeDeployDefault.ECSCanary10Percent5Minutes"
    assert codedeploy.list_deployments(applicationName=NAME, deploymentGroupName=SERVICE,
                                       includeOnlyStatuses=["Succeeded"])["deployments"] == [deployment_id]  # fmt: skip
    (service,) = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"]
    assert service["taskDefinition"] == second
    (task_set,) = service["taskSets"]  # the original task set is terminated
    assert (task_set["status"], task_set["taskDefinition"], task_set["externalId"]) == ("PRIMARY", second, deployment_id)
    assert [lb["targetGroupArn"] for lb in service["loadBalancers"]] == [green]
    assert _forwards_to(elbv2, production) == _forwards_to(elbv2, test) == green
    # CodeDeploy owns the task definition and the listeners' targets now: Terraform must not undo the release.
    assert stack.plan(None, {}) == 0, stack.last_plan_output
    released_at = time.monotonic()

    stack.destroy({})
    assert stack.state_resources() == []
    assert NAME not in codedeploy.list_applications()["applications"]
    assert not [g for g in elbv2.describe_target_groups()["TargetGroups"] if g["TargetGroupName"].startswith(NAME)]
    assert not [b for b in elbv2.describe_load_balancers()["LoadBalancers"] if b["LoadBalancerName"].startswith(NAME)]
    (service,) = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"] or [{"status": "gone"}]
    assert service["status"] in ("INACTIVE", "gone"), service
    ecs.deregister_task_definition(taskDefinition=second)  # registered here, not by Terraform
    print("apply + plan %.0f s, release + plan %.0f s, destroy %.0f s"
          % (applied_at - started, released_at - applied_at, time.monotonic() - released_at))  # fmt: skip


def _register_revision(ecs: Any, task_definition_arn: str, *, image_tag: str) -> str:
    """A new revision of ``task_definition_arn`` with the app image at ``image_tag`` (what a deploy registers)."""
    current = ecs.describe_task_definition(taskDefinition=task_definition_arn)["taskDefinition"]
    containers = [dict(c, image=c["image"].rsplit(":", 1)[0] + ":" + image_tag) for c in current["containerDefinitions"]]
    keep = ("family", "taskRoleArn", "executionRoleArn", "networkMode", "volumes", "requiresCompatibilities", "cpu",
            "memory", "runtimePlatform")  # fmt: skip
    arn: str = ecs.register_task_definition(containerDefinitions=containers, **{k: current[k] for k in keep if k in current})[
        "taskDefinition"]["taskDefinitionArn"]  # fmt: skip
    return arn


def _target_group_arns(elbv2: Any, *names: str) -> list[str]:
    groups = {g["TargetGroupName"]: g["TargetGroupArn"] for g in elbv2.describe_target_groups(Names=list(names))["TargetGroups"]}
    return [groups[name] for name in names]


def _listener_arns(elbv2: Any, alb_name: str, *ports: int) -> list[str]:
    (balancer,) = elbv2.describe_load_balancers(Names=[alb_name])["LoadBalancers"]
    listeners = {item["Port"]: item["ListenerArn"] for item in elbv2.describe_listeners(
        LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]}  # fmt: skip
    return [listeners[port] for port in ports]


def _forwards_to(elbv2: Any, listener_arn: str) -> str:
    (listener,) = elbv2.describe_listeners(ListenerArns=[listener_arn])["Listeners"]
    (action,) = listener["DefaultActions"]
    assert action["Type"] == "forward", action
    return str(action["TargetGroupArn"])


def _release(codedeploy: Any, task_definition_arn: str) -> str:
    """CreateDeployment of ``task_definition_arn`` to the service, as a release from ops would."""
    from modules.container import CONTAINER_NAME
    from rules.releases import appspec, appspec_text

    content = appspec_text(appspec(task_definition_arn=task_definition_arn, container_name=CONTAINER_NAME,
                                   container_port=3000))  # fmt: skip
    deployment_id: str = codedeploy.create_deployment(
        applicationName=NAME, deploymentGroupName=SERVICE, description="release %s" % task_definition_arn,
        revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": content}},
    )["deploymentId"]  # fmt: skip
    return deployment_id


def _poll(codedeploy: Any, deployment_id: str, reads: int = 10) -> list[str]:
    """The statuses GetDeployment answers until the deployment finishes (at most ``reads`` reads)."""
    seen: list[str] = []
    for _ in range(reads):
        status = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["status"]
        seen.append(status)
        if status in ("Succeeded", "Failed", "Stopped"):
            break
    return seen
