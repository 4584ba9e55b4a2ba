"""``make destroy``: tear an environment down with ``cdktf destroy`` and prove nothing is left.

Example::

    python -m ops.destroy                        # ENV=local
    python -m ops.destroy --env prod --confirm prod

Steps:

1. prod (any ``production = true`` environment) needs the environment name typed in at the
   prompt, or ``--confirm <name>`` (``CONFIRM=prod``); anything else stops here.
2. check access (credentials, or the emulator) and synth;
3. read both stacks' Terraform state (``terraform state pull``): type, id and attributes of every
   resource. A type with no leftover check (``CHECKS``) and no reason in ``CANNOT_BE_LEFT``
   stops the destroy here, before anything is deleted. Each checker must find its resource now
   (else a ``warning:`` line: its "gone" later would prove nothing);
4. delete every image in the environment's ECR repository (in production too: the name was typed
   or given in step 1), and every object version in a bucket of the state without ``force_destroy``
   (production's ALB access-log bucket: Terraform would refuse to delete it while it holds logs), then turn deletion protection off in a first, shown, targeted apply
   (``ops.teardown``: only protected resources still in state, so a re-run after an interrupted
   destroy creates nothing and finishes the job);
5. ``npx cdktf destroy <env> --skip-synth --auto-approve``, then the same for ``<env>-registry``
   (``--ignore-missing-stack-dependencies`` because the order is enforced here);
6. the leftover check, three nets: (a) every resource from step 3 is looked up by its type's
   describe/get call (a Cloud Map namespace also by its hosted zone); (b) sweeps: records in the
   zones the stack wrote to that are named like its records or certificate domains (or below
   them), and private zones named like its Cloud Map namespaces that no namespace references;
   (c) everything still tagged ``project=<project>`` and ``environment=<env>`` - Resource Groups
   Tagging API plus per-service describes (ECR repositories, IAM roles, Cloud Map namespaces and
   services, Application Auto Scaling targets) and running ECS tasks. Anything found prints a
   ``LEFT: <type> <id> (<how it was found>)`` line and fails the command.

Resources AWS keeps listing after deletion - INACTIVE ECS clusters, services and task-definition
revisions, NAT gateways and VPC endpoints in state ``deleted``, KMS keys pending deletion - are
listed as notes, not failures. The public hosted zone is an account prerequisite
(``ops/bootstrap.py``), not the stack's: it stays.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from botocore import xform_name

from ops import access, teardown, tf
from ops import synth as synth_step
from ops.confirm import confirm_production
from ops.context import DEFAULT_OUT, REPO_ROOT, OpsError, deployed_image_tag, stack_dir, stack_names
from rules.s3 import BUCKET_SETTINGS

if TYPE_CHECKING:
    from envconfig import EnvironmentConfig

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# cdktf's progress line, repeated every few hundred milliseconds.
STATUS_LINE = re.compile(r"^\d+ Stacks? \w+\s+\d+ Stacks? done\s+\d+ Stacks? waiting$")


class DestroyError(OpsError):
    """Destroy cannot go on or did not finish; the message says why."""


@dataclass(frozen=True)
class Leftover:
    kind: str
    identifier: str
    source: str
    note: bool = False  # listed, but does not fail the check


# --------------------------------------------------------------------------------------------
# Confirmation.
# --------------------------------------------------------------------------------------------


def confirm(env: EnvironmentConfig, given: str | None, *, stdin: TextIO = sys.stdin, log: TextIO = sys.stdout) -> None:
    """Raise ConfirmationError unless a production environment's name was typed or given."""
    confirm_production(env, given, action="destroy", stdin=stdin, log=log)


# --------------------------------------------------------------------------------------------
# ECR.
# --------------------------------------------------------------------------------------------


def empty_repository(ecr: Any, repository: str, log: TextIO) -> int:
    """Delete every image in ``repository``; returns how many image ids were deleted."""
    from botocore.exceptions import ClientError

    ids: list[dict[str, str]] = []
    try:
        for page in ecr.get_paginator("list_images").paginate(repositoryName=repository):
            ids += page.get("imageIds", [])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "RepositoryNotFoundException":
            print("   repository %s does not exist; nothing to empty" % repository, file=log)
            return 0
        raise
    deleted = 0
    for start in range(0, len(ids), 100):
        response = ecr.batch_delete_image(repositoryName=repository, imageIds=ids[start : start + 100])
        deleted += len(response.get("imageIds", []))
        for failure in response.get("failures", []):
            if failure.get("failureCode") != "ImageNotFound":
                raise DestroyError("could not delete an image from %s: %s" % (repository, failure))
    print("   deleted %d image id(s) from %s" % (deleted, repository), file=log)
    return deleted


def empty_bucket(s3: Any, bucket: str, log: TextIO) -> int:
    """Delete every object version and delete marker in ``bucket``; returns how many were deleted."""
    from botocore.exceptions import ClientError

    deleted = 0
    try:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            keys = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                    for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]  # fmt: skip
            if not keys:
                continue
            response = s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
            if response.get("Errors"):
                raise DestroyError("could not delete objects from bucket %s: %s" % (bucket, response["Errors"][:3]))
            deleted += len(keys)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchBucket":
            print("   bucket %s does not exist; nothing to empty" % bucket, file=log)
            return 0
        raise
    print("   deleted %d object version(s) from bucket %s" % (deleted, bucket), file=log)
    return deleted


# --------------------------------------------------------------------------------------------
# cdktf destroy.
# --------------------------------------------------------------------------------------------


def cdktf_destroy_argv(stack: str, out: Path, variables: Mapping[str, str]) -> list[str]:
    argv = [
        "npx", "--no-install", "cdktf", "destroy", stack, "--skip-synth", "--auto-approve",
        "--ignore-missing-stack-dependencies", "--skip-provider-lock", "--no-color", "--output", str(out),
    ]  # fmt: skip
    for key, value in sorted(variables.items()):
        argv += ["--var", "%s=%s" % (key, value)]
    return argv


def cdktf_destroy(stack: str, out: Path, variables: Mapping[str, str], env: Mapping[str, str], log: TextIO) -> None:
    argv = cdktf_destroy_argv(stack, out, variables)
    print("   $ %s" % " ".join(argv), file=log, flush=True)
    started = time.monotonic()
    process = subprocess.Popen(
        argv, cwd=REPO_ROOT, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    tail: list[str] = []
    for raw in process.stdout:
        line = ANSI.sub("", raw).rstrip()
        if not line.strip() or STATUS_LINE.match(line.strip()):
            continue
        print("     | " + line, file=log, flush=True)
        if not tf.REFRESH_NOISE.search(line):
            tail = [*tail, line][-40:]
    code = process.wait()
    if code != 0:
        raise DestroyError("cdktf destroy %s failed (exit %d):\n%s" % (stack, code, "\n".join(tail)))
    print("   cdktf destroy %s ... %.1f s" % (stack, time.monotonic() - started), file=log, flush=True)


# --------------------------------------------------------------------------------------------
# Leftover check: what the stacks' Terraform state held, checked by type; then two sweeps.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deployed:
    """One managed resource in a stack's Terraform state, e.g. ``aws_vpc`` with ``{"id": "vpc-0abc"}``."""

    stack: str
    type: str
    address: str
    values: Mapping[str, Any]

    @property
    def identifier(self) -> str:
        return str(self.values.get("arn") or self.values.get("id") or self.address)

    def found(self, how: str, *, note: bool = False) -> Leftover:
        """A Leftover for this resource, found by ``how`` (the call, and the state it reported)."""
        return Leftover(self.type, self.identifier, how, note=note)


def deployed_resources(stack: str, state: Mapping[str, Any]) -> list[Deployed]:
    """The managed resources in a stack's state (``terraform state pull``, format version 4).

    Example: ``deployed_resources("local", state)`` -> ``[Deployed("local", "aws_vpc",
    "aws_vpc.Network_Vpc_1A2B", {"id": "vpc-0abc", ...}), ...]``; ``[]`` for an empty state.
    """
    out: list[Deployed] = []
    for resource in state.get("resources", []):
        if resource.get("mode") != "managed":
            continue
        base = ".".join(p for p in (resource.get("module"), resource["type"], resource["name"]) if p)
        for instance in resource.get("instances", []):
            key = instance.get("index_key")
            address = base if key is None else "%s[%s]" % (base, json.dumps(key))
            out.append(Deployed(stack, resource["type"], address, instance.get("attributes") or {}))
    return out


def state_of(stack: tf.Stack) -> dict[str, Any]:
    """``terraform state pull`` of ``stack`` ({} when it has no state); faster than ``show -json``."""
    result = stack.run(["state", "pull"], label="state pull")
    state: dict[str, Any] = json.loads(result.stdout) if result.stdout.strip() else {}
    return state


Client = Callable[[str], Any]
Checker = Callable[[Client, Deployed], list[Leftover]]


def _not_found(exc: Exception) -> bool:
    """True for the error codes AWS answers about a resource that does not exist."""
    code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
    return (
        "NotFound" in code
        or code.startswith("NoSuch")
        or "DoesNotExist" in code  # CodeDeploy: ApplicationDoesNotExistException, DeploymentGroupDoesNotExist...
        or code in ("WAFNonexistentItemException", "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")
    )


def _get(call: Callable[[], Any]) -> Any:
    """``call()``'s response, or None when AWS answers that the resource does not exist."""
    from botocore.exceptions import ClientError

    try:
        return call()
    except ClientError as exc:
        if _not_found(exc):
            return None
        raise


def _present(r: Deployed, how: str, response: Any) -> list[Leftover]:
    return [r.found(how)] if response else []


def _lookup(service: str, operation: str, param: str, attribute: str, listed: str | None = None, *,
            many: bool = True) -> Checker:  # fmt: skip
    """The checker that calls ``<service>:<operation>`` with ``<param>`` = the resource's ``attribute``
    (in a list when ``many``); the resource is there when the call succeeds and, if ``listed`` names
    the response's list, that list is not empty. "Not found" answers mean gone."""
    method = xform_name(operation)

    def check(client: Client, r: Deployed) -> list[Leftover]:
        call = getattr(client(service), method)
        value = r.values[attribute]
        response = _get(lambda: call(**{param: [value] if many else value}))
        return _present(r, "%s:%s" % (service, operation), response and (response.get(listed) if listed else response))

    return check


def _ecs_status(r: Deployed, how: str, items: list[Mapping[str, Any]]) -> list[Leftover]:
    """ECS keeps listing deleted clusters and services as INACTIVE for a while: a note."""
    if not items:
        return []
    status = str(items[0].get("status"))
    return [r.found("%s: %s" % (how, status), note=status == "INACTIVE")]


def _route53_name(name: str) -> str:
    return name.rstrip(".").lower()


def _check_appautoscaling_policy(client: Client, r: Deployed) -> list[Leftover]:
    v = r.values
    response = client("application-autoscaling").describe_scaling_policies(
        ServiceNamespace=v["service_namespace"], ResourceId=v["resource_id"],
        ScalableDimension=v["scalable_dimension"], PolicyNames=[v["name"]],
    )  # fmt: skip
    return _present(r, "application-autoscaling:DescribeScalingPolicies", response.get("ScalingPolicies"))


def _check_appautoscaling_scheduled_action(client: Client, r: Deployed) -> list[Leftover]:
    v = r.values
    response = client("application-autoscaling").describe_scheduled_actions(
        ServiceNamespace=v["service_namespace"], ResourceId=v["resource_id"],
        ScalableDimension=v["scalable_dimension"], ScheduledActionNames=[v["name"]],
    )  # fmt: skip
    return _present(r, "application-autoscaling:DescribeScheduledActions", response.get("ScheduledActions"))


def _check_appautoscaling_target(client: Client, r: Deployed) -> list[Leftover]:
    v = r.values
    response = client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace=v["service_namespace"], ResourceIds=[v["resource_id"]], ScalableDimension=v["scalable_dimension"]
    )
    return _present(r, "application-autoscaling:DescribeScalableTargets", response.get("ScalableTargets"))


def _check_log_group(client: Client, r: Deployed) -> list[Leftover]:
    name = r.values["name"]
    groups = client("logs").describe_log_groups(logGroupNamePrefix=name).get("logGroups", [])
    return _present(r, "logs:DescribeLogGroups", [g for g in groups if g.get("logGroupName") == name])


def _check_metric_alarm(client: Client, r: Deployed) -> list[Leftover]:
    alarms = client("cloudwatch").describe_alarms(AlarmNames=[r.values["alarm_name"]]).get("MetricAlarms")
    return _present(r, "cloudwatch:DescribeAlarms", alarms)


def _check_ecs_cluster(client: Client, r: Deployed) -> list[Leftover]:
    clusters = client("ecs").describe_clusters(clusters=[r.values["arn"]]).get("clusters", [])
    return _ecs_status(r, "ecs:DescribeClusters", clusters)


def _check_ecs_service(client: Client, r: Deployed) -> list[Leftover]:
    ecs = client("ecs")
    response = _get(lambda: ecs.describe_services(cluster=r.values["cluster"], services=[r.values["id"]]))
    return _ecs_status(r, "ecs:DescribeServices", response.get("services", []) if response else [])


def _check_ecs_task_definition(client: Client, r: Deployed) -> list[Leftover]:
    """Deregistered revisions stay describable as INACTIVE (or DELETE_IN_PROGRESS): a note."""
    from botocore.exceptions import ClientError

    try:
        described = client("ecs").describe_task_definition(taskDefinition=r.values["arn"])["taskDefinition"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ClientException":  # "Unable to describe task definition"
            return []
        raise
    status = str(described.get("status"))
    return [r.found("ecs:DescribeTaskDefinition: %s" % status, note=status != "ACTIVE")]


def _check_flow_log(client: Client, r: Deployed) -> list[Leftover]:
    logs = client("ec2").describe_flow_logs(FlowLogIds=[r.values["id"]]).get("FlowLogs")
    return _present(r, "ec2:DescribeFlowLogs", logs)


def _check_iam_role_policy(client: Client, r: Deployed) -> list[Leftover]:
    iam = client("iam")
    response = _get(lambda: iam.get_role_policy(RoleName=r.values["role"], PolicyName=r.values["name"]))
    return _present(r, "iam:GetRolePolicy", response)


def _check_kms_key(client: Client, r: Deployed) -> list[Leftover]:
    """KMS keys cannot be deleted at once: Terraform schedules the deletion (7-30 days); a note."""
    kms = client("kms")
    response = _get(lambda: kms.describe_key(KeyId=r.values["arn"]))
    if not response:
        return []
    metadata = response["KeyMetadata"]
    state = str(metadata.get("KeyState"))
    if state in ("PendingDeletion", "PendingReplicaDeletion"):
        when = metadata.get("DeletionDate")
        state += " on %s" % when.date().isoformat() if when is not None else ""
        return [r.found("kms:DescribeKey: %s" % state, note=True)]
    return [r.found("kms:DescribeKey: %s" % state)]


def _check_nat_gateway(client: Client, r: Deployed) -> list[Leftover]:
    """Deleted NAT gateways stay listed in state ``deleted`` for about an hour: a note."""
    ec2 = client("ec2")
    response = _get(lambda: ec2.describe_nat_gateways(NatGatewayIds=[r.values["id"]]))
    gateways = response.get("NatGateways", []) if response else []
    if not gateways:
        return []
    state = str(gateways[0].get("State"))
    return [r.found("ec2:DescribeNatGateways: %s" % state, note=state == "deleted")]


def _check_route(client: Client, r: Deployed) -> list[Leftover]:
    ec2, v = client("ec2"), r.values
    response = _get(lambda: ec2.describe_route_tables(RouteTableIds=[v["route_table_id"]]))
    destination = v.get("destination_cidr_block") or v.get("destination_ipv6_cidr_block") or v.get("destination_prefix_list_id")
    routes = [
        route for table in (response or {}).get("RouteTables", []) for route in table.get("Routes", [])
        if destination in (route.get("DestinationCidrBlock"), route.get("DestinationIpv6CidrBlock"),
                           route.get("DestinationPrefixListId"))
    ]  # fmt: skip
    return _present(r, "ec2:DescribeRouteTables", routes)


def _check_route_table(client: Client, r: Deployed) -> list[Leftover]:
    ec2 = client("ec2")
    response = _get(lambda: ec2.describe_route_tables(RouteTableIds=[r.values["id"]]))
    return _present(r, "ec2:DescribeRouteTables", response and response.get("RouteTables"))


def _check_route_table_association(client: Client, r: Deployed) -> list[Leftover]:
    tables = client("ec2").describe_route_tables(
        Filters=[{"Name": "association.route-table-association-id", "Values": [r.values["id"]]}]
    ).get("RouteTables")
    return _present(r, "ec2:DescribeRouteTables", tables)


def _check_route53_record(client: Client, r: Deployed) -> list[Leftover]:
    v = r.values
    route53 = client("route53")
    response = _get(
        lambda: route53.list_resource_record_sets(
            HostedZoneId=v["zone_id"], StartRecordName=v["name"], StartRecordType=v["type"], MaxItems="100"
        )
    )
    same = [
        rs for rs in (response or {}).get("ResourceRecordSets", [])
        if _route53_name(rs["Name"]) == _route53_name(v["name"]) and rs["Type"] == v["type"]
        and rs.get("SetIdentifier") == (v.get("set_identifier") or None)
    ]  # fmt: skip
    return _present(r, "route53:ListResourceRecordSets in zone %s" % v["zone_id"], same)


def _check_private_dns_namespace(client: Client, r: Deployed) -> list[Leftover]:
    """The namespace, and the Route 53 hosted zone Cloud Map created for it (``hosted_zone``)."""
    cloudmap, route53 = client("servicediscovery"), client("route53")
    found = _present(r, "servicediscovery:GetNamespace", _get(lambda: cloudmap.get_namespace(Id=r.values["id"])))
    zone = r.values.get("hosted_zone")
    if zone and _get(lambda: route53.get_hosted_zone(Id=zone)):
        how = "hosted zone Cloud Map created for %s; route53:GetHostedZone" % r.address
        found.append(Leftover("route53 hosted zone", str(zone), how))
    return found


def _check_vpc_endpoint(client: Client, r: Deployed) -> list[Leftover]:
    ec2 = client("ec2")
    response = _get(lambda: ec2.describe_vpc_endpoints(VpcEndpointIds=[r.values["id"]]))
    endpoints = response.get("VpcEndpoints", []) if response else []
    if not endpoints:
        return []
    state = str(endpoints[0].get("State"))
    return [r.found("ec2:DescribeVpcEndpoints: %s" % state, note=state.lower() == "deleted")]


def _check_security_group_rule(client: Client, r: Deployed) -> list[Leftover]:
    ec2 = client("ec2")
    response = _get(lambda: ec2.describe_security_group_rules(SecurityGroupRuleIds=[r.values["id"]]))
    return _present(r, "ec2:DescribeSecurityGroupRules", response and response.get("SecurityGroupRules"))


def _wafv2_scope(arn: str) -> str:
    return "CLOUDFRONT" if ":global/" in arn else "REGIONAL"


def _check_wafv2_web_acl(client: Client, r: Deployed) -> list[Leftover]:
    waf, v = client("wafv2"), r.values
    response = _get(lambda: waf.get_web_acl(Name=v["name"], Scope=_wafv2_scope(v["arn"]), Id=v["id"]))
    return _present(r, "wafv2:GetWebACL", response)


def _check_wafv2_web_acl_association(client: Client, r: Deployed) -> list[Leftover]:
    waf = client("wafv2")
    response = _get(lambda: waf.get_web_acl_for_resource(ResourceArn=r.values["resource_arn"]))
    acl = (response or {}).get("WebACL") or {}
    return _present(r, "wafv2:GetWebACLForResource", acl.get("ARN") == r.values["web_acl_arn"])


def _check_wafv2_logging_configuration(client: Client, r: Deployed) -> list[Leftover]:
    waf = client("wafv2")
    response = _get(lambda: waf.get_logging_configuration(ResourceArn=r.values["resource_arn"]))
    return _present(r, "wafv2:GetLoggingConfiguration", response)


def _check_ecs_capacity_provider(client: Client, r: Deployed) -> list[Leftover]:
    response = client("ecs").describe_capacity_providers(capacityProviders=[r.values["name"]])
    return _ecs_status(r, "ecs:DescribeCapacityProviders", response.get("capacityProviders") or [])


def _check_codedeploy_deployment_group(client: Client, r: Deployed) -> list[Leftover]:
    v = r.values
    response = _get(lambda: client("codedeploy").get_deployment_group(
        applicationName=v["app_name"], deploymentGroupName=v["deployment_group_name"]))  # fmt: skip
    return _present(r, "codedeploy:GetDeploymentGroup", response)


def _check_scheduler_schedule(client: Client, r: Deployed) -> list[Leftover]:
    scheduler, v = client("scheduler"), r.values
    response = _get(lambda: scheduler.get_schedule(Name=v["name"], GroupName=v.get("group_name") or "default"))
    return _present(r, "scheduler:GetSchedule", response)


def _check_sns_subscription(client: Client, r: Deployed) -> list[Leftover]:
    """A confirmed subscription by its ARN; one pending confirmation (no ARN yet) among its topic's subscriptions."""
    sns, v = client("sns"), r.values
    arn = str(v.get("arn") or v.get("id") or "")
    if arn.startswith("arn:"):
        response = _get(lambda: sns.get_subscription_attributes(SubscriptionArn=arn))
        return _present(r, "sns:GetSubscriptionAttributes", response)
    response = _get(lambda: sns.list_subscriptions_by_topic(TopicArn=v["topic_arn"]))
    same = [
        s for s in (response or {}).get("Subscriptions", [])
        if s.get("Protocol") == v.get("protocol") and s.get("Endpoint") == v.get("endpoint")
    ]  # fmt: skip
    return _present(r, "sns:ListSubscriptionsByTopic", same)


#: Terraform resource type -> the describe/get call that proves the resource is gone.
CHECKS: dict[str, Checker] = {
    "aws_acm_certificate": _lookup("acm", "DescribeCertificate", "CertificateArn", "arn", many=False),
    "aws_appautoscaling_policy": _check_appautoscaling_policy,
    "aws_appautoscaling_scheduled_action": _check_appautoscaling_scheduled_action,
    "aws_appautoscaling_target": _check_appautoscaling_target,
    "aws_autoscaling_group": _lookup("autoscaling", "DescribeAutoScalingGroups", "AutoScalingGroupNames", "name",
                                     "AutoScalingGroups"),
    "aws_cloudwatch_event_rule": _lookup("events", "DescribeRule", "Name", "name", many=False),
    "aws_cloudwatch_log_group": _check_log_group,
    "aws_cloudwatch_metric_alarm": _check_metric_alarm,
    "aws_codedeploy_app": _lookup("codedeploy", "GetApplication", "applicationName", "name", many=False),
    "aws_codedeploy_deployment_config": _lookup("codedeploy", "GetDeploymentConfig", "deploymentConfigName",
                                                "deployment_config_name", many=False),
    "aws_codedeploy_deployment_group": _check_codedeploy_deployment_group,
    "aws_default_security_group": _lookup("ec2", "DescribeSecurityGroups", "GroupIds", "id", "SecurityGroups"),
    "aws_ecr_repository": _lookup("ecr", "DescribeRepositories", "repositoryNames", "name"),
    "aws_ecs_capacity_provider": _check_ecs_capacity_provider,
    "aws_ecs_cluster": _check_ecs_cluster,
    "aws_ecs_service": _check_ecs_service,
    "aws_ecs_task_definition": _check_ecs_task_definition,
    "aws_eip": _lookup("ec2", "DescribeAddresses", "AllocationIds", "id", "Addresses"),
    "aws_flow_log": _check_flow_log,
    "aws_iam_instance_profile": _lookup("iam", "GetInstanceProfile", "InstanceProfileName", "name", many=False),
    "aws_iam_role": _lookup("iam", "GetRole", "RoleName", "name", many=False),
    "aws_iam_role_policy": _check_iam_role_policy,
    "aws_internet_gateway": _lookup("ec2", "DescribeInternetGateways", "InternetGatewayIds", "id", "InternetGateways"),
    "aws_kms_key": _check_kms_key,
    "aws_launch_template": _lookup("ec2", "DescribeLaunchTemplates", "LaunchTemplateIds", "id", "LaunchTemplates"),
    "aws_lb": _lookup("elbv2", "DescribeLoadBalancers", "LoadBalancerArns", "arn", "LoadBalancers"),
    "aws_lb_listener": _lookup("elbv2", "DescribeListeners", "ListenerArns", "arn", "Listeners"),
    "aws_lb_target_group": _lookup("elbv2", "DescribeTargetGroups", "TargetGroupArns", "arn", "TargetGroups"),
    "aws_nat_gateway": _check_nat_gateway,
    "aws_route": _check_route,
    "aws_s3_bucket": _lookup("s3", "GetBucketLocation", "Bucket", "bucket", many=False),
    "aws_route53_record": _check_route53_record,
    "aws_route_table": _check_route_table,
    "aws_route_table_association": _check_route_table_association,
    "aws_security_group": _lookup("ec2", "DescribeSecurityGroups", "GroupIds", "id", "SecurityGroups"),
    "aws_service_discovery_private_dns_namespace": _check_private_dns_namespace,
    "aws_scheduler_schedule": _check_scheduler_schedule,
    "aws_service_discovery_service": _lookup("servicediscovery", "GetService", "Id", "id", many=False),
    "aws_sns_topic": _lookup("sns", "GetTopicAttributes", "TopicArn", "arn", many=False),
    "aws_sns_topic_subscription": _check_sns_subscription,
    "aws_sqs_queue": _lookup("sqs", "GetQueueAttributes", "QueueUrl", "url", many=False),
    "aws_subnet": _lookup("ec2", "DescribeSubnets", "SubnetIds", "id", "Subnets"),
    "aws_vpc": _lookup("ec2", "DescribeVpcs", "VpcIds", "id", "Vpcs"),
    "aws_vpc_endpoint": _check_vpc_endpoint,
    "aws_vpc_security_group_egress_rule": _check_security_group_rule,
    "aws_vpc_security_group_ingress_rule": _check_security_group_rule,
    "aws_wafv2_web_acl": _check_wafv2_web_acl,
    "aws_wafv2_web_acl_association": _check_wafv2_web_acl_association,
    "aws_wafv2_web_acl_logging_configuration": _check_wafv2_logging_configuration,
}

#: The bucket's own settings, each a resource type of its own (``aws_s3_bucket_<setting>``).

#: Resource types that create nothing that could outlive what is checked above, and why.
CANNOT_BE_LEFT: dict[str, str] = {
    "aws_acm_certificate_validation": "creates nothing: it waits until the certificate is issued (the certificate"
    " and its validation aws_route53_record are checked)",
    "aws_ecr_lifecycle_policy": "a setting stored in the repository; it goes with it (aws_ecr_repository is checked)",
    "aws_ecs_cluster_capacity_providers": "a setting of the cluster; it goes with it (aws_ecs_cluster is checked)",
    "aws_cloudwatch_event_target": "a target of its rule; EventBridge deletes no rule that still has targets, so a"
    " gone rule (aws_cloudwatch_event_rule is checked) has none left",
    "aws_iam_role_policy_attachment": "a managed policy attached to its role; IAM deletes no role that still has"
    " one attached, so a gone role (aws_iam_role is checked) has none left",
    "aws_sns_topic_policy": "an attribute of the topic; it goes with it (aws_sns_topic is checked)",
    **{
        "aws_s3_bucket_%s" % setting: "a setting of the bucket; it goes with it (aws_s3_bucket is checked)"
        for setting in BUCKET_SETTINGS
    },
    "aws_sqs_queue_policy": "an attribute of the queue; it goes with it (aws_sqs_queue is checked)",
    "aws_sqs_queue_redrive_allow_policy": "an attribute of the queue; it goes with it (aws_sqs_queue is checked)",
}


def unchecked_types(types: Iterable[str]) -> list[str]:
    """The resource types among ``types`` with neither a checker nor a reason in CANNOT_BE_LEFT."""
    return sorted({t for t in types if t not in CHECKS and t not in CANNOT_BE_LEFT})


def check_deployed(client: Client, deployed: Iterable[Deployed]) -> list[Leftover]:
    """Each resource of the state that its type's describe/get call still finds.

    Example: ``check_deployed(client, [Deployed("local", "aws_vpc", "aws_vpc.v", {"id": "vpc-1"})])``
    -> ``[Leftover("aws_vpc", "vpc-1", "state of local, ec2:DescribeVpcs")]`` while vpc-1 exists,
    ``[]`` once it is gone. Deleted-but-listed resources come back as notes.
    """
    found: list[Leftover] = []
    for resource in deployed:
        checker = CHECKS.get(resource.type)
        if checker is not None:
            found += [
                dataclasses.replace(item, source="state of %s, %s" % (resource.stack, item.source))
                for item in checker(client, resource)
            ]
    return found


def preflight(client: Client, deployed: list[Deployed], log: TextIO) -> int:
    """Before the destroy: each checker must see its resource, or its "gone" after the destroy proves nothing.

    Example: ``preflight(client, read_deployed(stacks, log), log)`` -> 0 when every resource was
    found; otherwise how many were not, each with a ``warning:`` line in ``log``.
    """
    missing = 0
    for resource in deployed:
        checker = CHECKS.get(resource.type)
        if checker is None or any(not item.note for item in checker(client, resource)):
            continue
        missing += 1
        print(
            "   warning: %s %s is in the state of %s but its check does not find it (already deleted outside"
            " Terraform, or the check in ops/destroy.py is wrong)" % (resource.type, resource.identifier, resource.stack),
            file=log,
        )
    return missing


def _record_key(zone_id: str, record_set: Mapping[str, Any]) -> tuple[str, str, str, str | None]:
    """(zone id, name, type, set identifier) of a record set, as Terraform's state or Route 53 spells them."""
    name = str(record_set.get("name") or record_set.get("Name"))
    type_ = str(record_set.get("type") or record_set.get("Type"))
    set_identifier = record_set.get("set_identifier") or record_set.get("SetIdentifier") or None
    return (zone_id.rsplit("/", 1)[-1], _route53_name(name), type_, set_identifier)


def _swept_names(deployed: list[Deployed]) -> set[str]:
    """The DNS names the stacks wrote records for: record names and certificate domains."""
    names = {_route53_name(r.values["name"]) for r in deployed if r.type == "aws_route53_record"}
    for r in deployed:
        if r.type == "aws_acm_certificate":
            domains = [r.values.get("domain_name"), *(r.values.get("subject_alternative_names") or [])]
            names |= {_route53_name(str(d)) for d in domains if d}
    return names


def sweep_records(client: Client, deployed: list[Deployed]) -> list[Leftover]:
    """Records in the zones the stacks wrote to, named like a stack's name or below one.

    Catches an alias or certificate validation record that Terraform lost track of (not in state,
    so not checked by type). Names are the stacks' record names and certificate domains, never a
    zone's apex (that would sweep the whole zone).
    """
    route53 = client("route53")
    names = _swept_names(deployed)
    in_state = {_record_key(str(r.values["zone_id"]), r.values) for r in deployed if r.type == "aws_route53_record"}
    found: list[Leftover] = []
    for zone_id in sorted({key[0] for key in in_state}):
        zone = _get(functools.partial(route53.get_hosted_zone, Id=zone_id))
        if not zone:
            continue
        apex = _route53_name(zone["HostedZone"]["Name"])
        below = {name for name in names if name != apex}
        for page in route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id):
            for record_set in page.get("ResourceRecordSets", []):
                key = _record_key(zone_id, record_set)
                if key in in_state or not any(key[1] == n or key[1].endswith("." + n) for n in below):
                    continue
                identifier = "%s %s in zone %s" % (key[1], key[2], zone_id)
                found.append(Leftover("aws_route53_record", identifier, "route53:ListResourceRecordSets, not in state"))
    return found


def sweep_cloud_map_zones(client: Client, deployed: list[Deployed]) -> list[Leftover]:
    """Private hosted zones named like a namespace of the state that no Cloud Map namespace references.

    In AWS, Cloud Map names a namespace's zone after it; the emulator names it ``<name>-hz``, so
    there only the namespace's own check (its ``hosted_zone``) finds it.
    """
    namespaces = {
        _route53_name(str(r.values.get("name")))
        for r in deployed
        if r.type == "aws_service_discovery_private_dns_namespace"
    }
    if not namespaces:
        return []
    route53, cloudmap = client("route53"), client("servicediscovery")
    referenced: set[str] = set()
    for page in cloudmap.get_paginator("list_namespaces").paginate():
        for ns in page.get("Namespaces", []):
            zone = ns.get("Properties", {}).get("DnsProperties", {}).get("HostedZoneId")
            referenced |= {str(zone).rsplit("/", 1)[-1]} if zone else set()
    found: list[Leftover] = []
    for page in route53.get_paginator("list_hosted_zones").paginate():
        for zone in page.get("HostedZones", []):
            if (
                zone.get("Config", {}).get("PrivateZone")
                and _route53_name(zone["Name"]) in namespaces
                and zone["Id"].rsplit("/", 1)[-1] not in referenced
            ):
                how = "route53:ListHostedZones, a Cloud Map namespace's private zone that no namespace references"
                found.append(Leftover("route53 hosted zone", zone["Id"], how))
    return found


def _tags_match(tags: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    return all(tags.get(k) == v for k, v in wanted.items())


def _kv(tags: list[Mapping[str, str]] | None, key: str = "Key", value: str = "Value") -> dict[str, str]:
    return {str(t[key]): str(t[value]) for t in tags or []}


def _deployed_from_arn(arn: str) -> Deployed | None:
    """The ARNs the tagging API lists after deletion, as the resource its checker takes (else None)."""
    resource = arn.split(":", 5)[-1]
    if ":ecs:" in arn and resource.startswith("task-definition/"):
        return Deployed("tagging API", "aws_ecs_task_definition", arn, {"arn": arn})
    if ":ecs:" in arn and resource.startswith("cluster/"):
        return Deployed("tagging API", "aws_ecs_cluster", arn, {"arn": arn})
    if ":ecs:" in arn and resource.startswith("service/") and resource.count("/") == 2:
        return Deployed("tagging API", "aws_ecs_service", arn, {"id": arn, "cluster": resource.split("/")[1]})
    if ":kms:" in arn and resource.startswith("key/"):
        return Deployed("tagging API", "aws_kms_key", arn, {"arn": arn})
    if ":ec2:" in arn and resource.startswith("natgateway/"):
        return Deployed("tagging API", "aws_nat_gateway", arn, {"id": resource.split("/", 1)[1]})
    return None


def find_tagged(client: Client, wanted: Mapping[str, str], name_prefix: str) -> list[Leftover]:
    """Everything still tagged ``wanted`` (or, for IAM, named ``name_prefix*`` and tagged so)."""
    found: list[Leftover] = []

    # 1. Resource Groups Tagging API. Some deleted resources stay visible for a while (INACTIVE
    # ECS clusters/services/task definitions, NAT gateways in state "deleted"): their checker
    # above says so, and they are notes.
    filters = [{"Key": k, "Values": [v]} for k, v in wanted.items()]
    tagging = client("resourcegroupstaggingapi")
    arns: list[str] = []
    for page in tagging.get_paginator("get_resources").paginate(TagFilters=filters):
        arns += [r["ResourceARN"] for r in page.get("ResourceTagMappingList", [])]
    for arn in arns:
        kind = arn.split(":")[2] if arn.count(":") >= 5 else "resource"
        if ":route53:::hostedzone/" in arn:
            # The stacks never create public zones; the one they use is account setup (ops/bootstrap.py).
            found.append(Leftover(kind, arn, "tagging API, account prerequisite: not the stack's", note=True))
            continue
        listed = _deployed_from_arn(arn)
        if listed is None:
            found.append(Leftover(kind, arn, "tagging API"))
            continue
        for item in CHECKS[listed.type](client, listed):
            found.append(Leftover(kind, arn, "tagging API, " + item.source, note=item.note))

    # 2. Per-service describes for what the tagging API may not return.
    ecr = client("ecr")
    for page in ecr.get_paginator("describe_repositories").paginate():
        for repo in page.get("repositories", []):
            tags = _kv(ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"]).get("tags"))
            if _tags_match(tags, wanted):
                found.append(Leftover("ecr repository", repo["repositoryArn"], "ecr:DescribeRepositories"))

    iam = client("iam")
    for page in iam.get_paginator("list_roles").paginate():
        for role in page.get("Roles", []):
            if not role["RoleName"].startswith(name_prefix):
                continue
            tags = _kv(iam.list_role_tags(RoleName=role["RoleName"]).get("Tags"))
            if _tags_match(tags, wanted):
                found.append(Leftover("iam role", role["Arn"], "iam:ListRoles"))

    cloudmap = client("servicediscovery")
    for page in cloudmap.get_paginator("list_namespaces").paginate():
        for ns in page.get("Namespaces", []):
            tags = _kv(cloudmap.list_tags_for_resource(ResourceARN=ns["Arn"]).get("Tags"))
            if _tags_match(tags, wanted):
                found.append(Leftover("cloud map namespace", ns["Arn"], "servicediscovery:ListNamespaces"))
    for page in cloudmap.get_paginator("list_services").paginate():
        for svc in page.get("Services", []):
            tags = _kv(cloudmap.list_tags_for_resource(ResourceARN=svc["Arn"]).get("Tags"))
            if _tags_match(tags, wanted):
                found.append(Leftover("cloud map service", svc["Arn"], "servicediscovery:ListServices"))

    scaling = client("application-autoscaling")
    for page in scaling.get_paginator("describe_scalable_targets").paginate(ServiceNamespace="ecs"):
        for target in page.get("ScalableTargets", []):
            arn = target.get("ScalableTargetARN")
            tags = scaling.list_tags_for_resource(ResourceARN=arn).get("Tags", {}) if arn else {}
            if _tags_match(tags, wanted):
                found.append(Leftover("autoscaling target", arn or target["ResourceId"], "application-autoscaling"))

    ecs = client("ecs")
    cluster_arns: list[str] = []
    for page in ecs.get_paginator("list_clusters").paginate():
        cluster_arns += page.get("clusterArns", [])
    for start in range(0, len(cluster_arns), 100):
        clusters = ecs.describe_clusters(clusters=cluster_arns[start : start + 100], include=["TAGS"]).get("clusters", [])
        for cluster in clusters:
            tags = _kv(cluster.get("tags"), "key", "value")
            if not _tags_match(tags, wanted) or cluster.get("status") == "INACTIVE":
                continue
            found.append(Leftover("ecs cluster", cluster["clusterArn"], "ecs:DescribeClusters"))
            for page in ecs.get_paginator("list_tasks").paginate(cluster=cluster["clusterArn"], desiredStatus="RUNNING"):
                for task in page.get("taskArns", []):
                    found.append(Leftover("running ecs task", task, "ecs:ListTasks"))
    return found


def find_leftovers(
    client: Client, deployed: list[Deployed], wanted: Mapping[str, str], name_prefix: str
) -> list[Leftover]:
    """What the state held and a describe still finds, then the DNS sweeps, then the tag sweep.

    Each identifier is listed once, by the first net that found it.
    """
    found: dict[str, Leftover] = {}
    nets = (
        check_deployed(client, deployed),
        sweep_records(client, deployed),
        sweep_cloud_map_zones(client, deployed),
        find_tagged(client, wanted, name_prefix),
    )
    for item in (item for net in nets for item in net):
        found.setdefault(item.identifier, item)
    return sorted(found.values(), key=lambda item: (item.note, item.kind, item.identifier))


def check_leftovers(
    client: Client, deployed: list[Deployed], wanted: Mapping[str, str], name_prefix: str, log: TextIO, *,
    attempts: int = 1, wait_seconds: float = 15.0,
) -> list[Leftover]:  # fmt: skip
    """find_leftovers, retried ``attempts`` times (the tagging API is eventually consistent)."""
    failing: list[Leftover] = []
    leftovers: list[Leftover] = []
    for attempt in range(1, attempts + 1):
        leftovers = find_leftovers(client, deployed, wanted, name_prefix)
        failing = [item for item in leftovers if not item.note]
        if not failing or attempt == attempts:
            break
        print("   %d resource(s) still listed; checking again in %.0f s" % (len(failing), wait_seconds), file=log)
        time.sleep(wait_seconds)
    for item in leftovers:
        print("   %s %-22s %s  (%s)" % ("note:" if item.note else "LEFT:", item.kind, item.identifier, item.source), file=log)
    return failing


# --------------------------------------------------------------------------------------------
# The whole destroy.
# --------------------------------------------------------------------------------------------


def read_deployed(stacks: list[tf.Stack], log: TextIO) -> list[Deployed]:
    """The resources in the stacks' Terraform state; DestroyError when a type has no leftover check.

    Checked before anything is destroyed, so a resource type added to a stack without a checker
    stops the destroy with nothing deleted.
    """
    deployed = [r for stack in stacks for r in deployed_resources(stack.name, state_of(stack))]
    missing = unchecked_types(r.type for r in deployed)
    if missing:
        raise DestroyError(
            "the state holds resource type(s) %s but ops/destroy.py has no leftover check for them; add a checker"
            " to CHECKS (or a reason to CANNOT_BE_LEFT)" % ", ".join(missing)
        )
    counts = ", ".join("%s %d" % (stack.name, sum(r.stack == stack.name for r in deployed)) for stack in stacks)
    print("   resources in state: %s" % counts, file=log)
    return deployed


def destroy(
    env: EnvironmentConfig,
    *,
    out: Path = DEFAULT_OUT,
    confirmation: str | None = None,
    config: Path | None = None,
    log: TextIO = sys.stdout,
) -> int:
    started = time.monotonic()
    print("==> [1/6] confirm", file=log, flush=True)
    confirm(env, confirmation, log=log)
    print("   %s" % ("confirmed: %s" % env.name if env.production else "%s is not production" % env.name), file=log)

    print("==> [2/6] %s: check access, synth" % env.name, file=log, flush=True)
    subprocess_env = access.prepare(env, out, log)
    synth_step.run(out, log, config)
    registry_name, service_name = stack_names(env.name)
    registry_stack = tf.Stack(stack_dir(registry_name, out), env=subprocess_env, log=log)
    service_stack = tf.Stack(stack_dir(service_name, out), env=subprocess_env, log=log)
    registry_stack.init()
    service_stack.init()

    from ops import aws

    session = aws.session(env)

    def client(name: str) -> Any:
        return aws.client(env, name, boto_session=session)

    print("==> [3/6] read the state: what the leftover check must find gone", file=log, flush=True)
    deployed = read_deployed([service_stack, registry_stack], log)
    preflight(client, deployed, log)

    print("==> [4/6] empty the ECR repository (and buckets kept on destroy); turn deletion protection off",
          file=log, flush=True)  # fmt: skip
    repository = registry_stack.outputs().get("repository_name")
    if repository:
        if env.production:
            print("   production %s: its images are deleted too (confirmed above)" % env.name, file=log)
        empty_repository(client("ecr"), str(repository), log)
    else:
        print("   %s has no repository_name output (not deployed); nothing to empty" % registry_name, file=log)
    for bucket in [r for r in deployed if r.type == "aws_s3_bucket" and not r.values.get("force_destroy")]:
        print("   bucket %s has no force_destroy: its objects are deleted first (confirmed above)"
              % bucket.values["bucket"], file=log)  # fmt: skip
        empty_bucket(client("s3"), str(bucket.values["bucket"]), log)
    variables: dict[str, str] = {}
    if tf.declares_variable(service_stack.directory, "image_tag"):
        variables["image_tag"] = deployed_image_tag(service_stack.outputs()) or "destroy"
    teardown.turn_off_deletion_protection(service_stack, variables, log=log)

    print("==> [5/6] cdktf destroy %s, then %s" % (service_name, registry_name), file=log, flush=True)
    cdktf_destroy(service_name, out, variables, subprocess_env, log)
    cdktf_destroy(registry_name, out, {}, subprocess_env, log)

    print("==> [6/6] leftover check", file=log, flush=True)
    tags = tf.default_tags(service_stack.directory)
    wanted: dict[str, str] = {key: tags[key] for key in ("project", "environment") if key in tags}
    if len(wanted) != 2:
        raise DestroyError(
            "stack %s has default_tags %r; the leftover check needs both 'project' and 'environment'" % (service_name, tags)
        )
    print(
        "   %d resource(s) from state checked by type; DNS records and Cloud Map zones swept; resources tagged %s"
        % (len(deployed), ", ".join("%s=%s" % kv for kv in sorted(wanted.items()))),
        file=log,
    )
    failing = check_leftovers(
        client, deployed, wanted, "%s-%s" % (env.app_name, env.name), log, attempts=1 if env.emulator else 4
    )
    if failing:
        print("destroy: FAILED: %d resource(s) are left in %s (listed above)" % (len(failing), env.name), file=log)
        return 1
    print("destroy: %s is gone; nothing it created is left (%.0f s)" % (env.name, time.monotonic() - started), file=log)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.destroy", description=__doc__.split("\n")[0])
    parser.add_argument("--env", default="local", help="environment name (default: local)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="synth output directory")
    parser.add_argument("--confirm", default=os.environ.get("CONFIRM") or None, help="the environment name (prod)")
    parser.add_argument("--config", type=Path, default=None, help="environments file (default: envconfig/environments.toml)")
    args = parser.parse_args(argv)

    from botocore.exceptions import BotoCoreError, ClientError

    from envconfig import DEFAULT_FILE, ConfigError, load_environment

    try:
        env = load_environment(args.env, args.config or DEFAULT_FILE)
        return destroy(env, out=args.out, confirmation=args.confirm, config=args.config)
    except (ConfigError, OpsError) as exc:
        print("destroy: FAILED: %s" % exc, file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as exc:
        print("destroy: FAILED: AWS error: %s" % exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
