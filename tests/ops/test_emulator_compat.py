"""The emulator's compatibility layer: each patch works, and each gap still exists in plain moto.

The "still missing" tests run plain moto (no patches) in a subprocess. When moto starts
providing an API itself, the matching test fails with a message saying which patch in
ops/emulator.py to delete.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from ops import emulator

ROOT = Path(__file__).resolve().parents[2]
pytest.importorskip("moto", reason="moto[server] is not installed (requirements-dev.txt pins it)")

# Plain moto, in-process: which of the gaps the compat layer fills are still there?
PROBE = textwrap.dedent(
    """
    import json, os
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    import boto3
    from botocore.exceptions import ClientError
    from moto import mock_aws

    FIELDS = %(fields)r
    out = {}
    with mock_aws():
        kw = {"region_name": "us-east-1"}
        ec2, ecs = boto3.client("ec2", **kw), boto3.client("ecs", **kw)
        aas = boto3.client("application-autoscaling", **kw)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        sg_a = ec2.create_security_group(GroupName="a", Description="a", VpcId=vpc)["GroupId"]
        sg_b = ec2.create_security_group(GroupName="b", Description="b", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=sg_a, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 3000, "ToPort": 3000,
            "UserIdGroupPairs": [{"GroupId": sg_b, "Description": "from b"}]}])
        rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [sg_a]}])
        ingress = [r for r in rules["SecurityGroupRules"] if not r["IsEgress"]]
        out["ec2_group_rule_description"] = ingress[0].get("Description")
        egress_rule = [r for r in rules["SecurityGroupRules"] if r["IsEgress"]][0]["SecurityGroupRuleId"]
        ec2.revoke_security_group_egress(GroupId=sg_a, SecurityGroupRuleIds=[egress_rule])
        try:
            ec2.revoke_security_group_egress(GroupId=sg_a, SecurityGroupRuleIds=[egress_rule])  # again
            out["ec2_revoke_unknown_rule_id"] = "ok"
        except ClientError as exc:
            out["ec2_revoke_unknown_rule_id"] = exc.response["Error"]["Code"]

        ecs.create_cluster(clusterName="c")
        td = {"containerDefinitions": [{"name": "app", "image": "x", "memory": 512}],
              "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "512"}
        first = ecs.register_task_definition(family="t", **td)["taskDefinition"]["taskDefinitionArn"]
        second = ecs.register_task_definition(family="t", **td)["taskDefinition"]["taskDefinitionArn"]
        ecs.create_service(
            cluster="c", serviceName="s", taskDefinition=first, desiredCount=1,
            capacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1, "base": 0}],
            healthCheckGracePeriodSeconds=30, availabilityZoneRebalancing="ENABLED",
            deploymentConfiguration={"maximumPercent": 200, "minimumHealthyPercent": 100,
                                     "deploymentCircuitBreaker": {"enable": True, "rollback": True}},
            enableECSManagedTags=True, enableExecuteCommand=True,
            placementStrategy=[{"type": "spread", "field": "attribute:ecs.availability-zone"}],
            networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [sg_a]}},
        )
        template = ec2.create_launch_template(
            LaunchTemplateName="own-tags", LaunchTemplateData={"ImageId": "ami-12c6146b"},
            TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "Name", "Value": "t"}]}],
        )["LaunchTemplate"]["LaunchTemplateId"]
        (version,) = ec2.describe_launch_template_versions(LaunchTemplateId=template)["LaunchTemplateVersions"]
        out["ec2_launch_template_own_tags"] = [t["ResourceType"] for t in
                                               version["LaunchTemplateData"].get("TagSpecifications", [])]
        svc = ecs.describe_services(cluster="c", services=["s"])["services"][0]
        out["ecs_create_service"] = {f: svc.get(f) for f in FIELDS}
        ecs.update_service(cluster="c", service="s", taskDefinition=second)
        svc = ecs.describe_services(cluster="c", services=["s"])["services"][0]
        primary = [d for d in svc["deployments"] if d["status"] == "PRIMARY"][0]
        out["ecs_update_primary_is_new"] = primary["taskDefinition"] == second

        td_task_memory = {"containerDefinitions": [{"name": "app", "image": "x"}],
                          "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "512"}
        task_memory_only = ecs.register_task_definition(family="m", **td_task_memory)["taskDefinition"]["taskDefinitionArn"]
        try:
            ecs.run_task(cluster="c", taskDefinition=task_memory_only, launchType="FARGATE",
                         networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [sg_a]}})
            out["ecs_run_task_task_memory"] = "ok"
        except Exception as exc:
            out["ecs_run_task_task_memory"] = "error %%s" %% type(exc).__name__

        arn = aas.register_scalable_target(
            ServiceNamespace="ecs", ResourceId="service/c/s", ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=1, MaxCapacity=2, Tags={"k": "v"})["ScalableTargetARN"]
        try:
            out["aas_list_tags"] = aas.list_tags_for_resource(ResourceARN=arn).get("Tags")
        except ClientError as exc:
            out["aas_list_tags"] = "error %%s" %% exc.response["Error"].get("Code")
        except Exception as exc:
            out["aas_list_tags"] = "error %%s" %% type(exc).__name__

        r53, sd = boto3.client("route53", **kw), boto3.client("servicediscovery", **kw)
        zone = r53.create_hosted_zone(Name="cycle.test", CallerReference="probe")["HostedZone"]["Id"]
        out["route53_recreate_after_delete"] = recreate_after_delete(r53, zone)

        out["elbv2_delete_protected"] = delete_protected_load_balancer(boto3.client("elbv2", **kw), ec2, vpc)
        out["elbv2_private_link_enforcement"] = private_link_enforcement(boto3.client("elbv2", **kw), ec2, vpc)

        s3 = boto3.client("s3", **kw)
        s3.create_bucket(Bucket="probe-events")
        s3.put_bucket_notification_configuration(
            Bucket="probe-events", NotificationConfiguration={"EventBridgeConfiguration": {}})
        out["s3_eventbridge_configuration"] = "EventBridgeConfiguration" in (
            s3.get_bucket_notification_configuration(Bucket="probe-events"))

        sqs = boto3.client("sqs", **kw)
        dlq = sqs.create_queue(QueueName="d")["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"Policy": json.dumps({"Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": "*",
                           "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})})
        sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"MessageRetentionPeriod": "1209600"})
        out["sqs_policy_after_other_attribute"] = "Policy" in sqs.get_queue_attributes(
            QueueUrl=dlq, AttributeNames=["All"])["Attributes"]
        redriven = sqs.create_queue(QueueName="r", Attributes={"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:d", "maxReceiveCount": 3}, separators=(",", ":"))})
        out["sqs_redrive_policy_text"] = sqs.get_queue_attributes(
            QueueUrl=redriven["QueueUrl"], AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"]
        try:
            sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["RedriveAllowPolicy"])
            out["sqs_redrive_allow_policy"] = "ok"
        except ClientError as exc:
            out["sqs_redrive_allow_policy"] = exc.response["Error"]["Code"]

        sd.create_private_dns_namespace(Name="internal", Vpc=vpc)
        namespace = [n for n in sd.list_namespaces()["Namespaces"] if n["Name"] == "internal"][0]
        ns_zone = sd.get_namespace(Id=namespace["Id"])["Namespace"]["Properties"]["DnsProperties"]["HostedZoneId"]
        sd.delete_namespace(Id=namespace["Id"])
        try:
            r53.get_hosted_zone(Id=ns_zone)
            out["servicediscovery_zone_after_delete"] = "kept"
        except ClientError as exc:
            out["servicediscovery_zone_after_delete"] = exc.response["Error"]["Code"]
        out.update(codedeploy_gaps(boto3.client("codedeploy", **kw), ecs, subnet, sg_a))
    print(json.dumps(out))
    """
)

# A deploy, destroy, deploy of the alias record, with a new record sorting after it in between
# (the next certificate's validation record). Returns "ok" or the error code of the re-create.
RECREATE = textwrap.dedent(
    """
    def recreate_after_delete(r53, zone):
        from botocore.exceptions import ClientError

        alias = {"Name": "app.cycle.test", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "10.0.0.1"}]}
        def change(action, record_set):
            r53.change_resource_record_sets(
                HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": action, "ResourceRecordSet": record_set}]})
        change("CREATE", alias)
        change("DELETE", alias)
        change("CREATE", {"Name": "_v2.app.cycle.test", "Type": "CNAME", "TTL": 60,
                          "ResourceRecords": [{"Value": "_x.acm-validations.aws."}]})
        try:
            change("CREATE", alias)
            return "ok"
        except ClientError as exc:
            return exc.response["Error"]["Code"]
    """
)


# A load balancer with deletion protection on, then DeleteLoadBalancer. Returns "deleted" or the error code.
PROTECTED_LB = textwrap.dedent(
    """
    def delete_protected_load_balancer(elbv2, ec2, vpc):
        from botocore.exceptions import ClientError

        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.%d.0/24" % (10 + i),
                                     AvailabilityZone="us-east-1" + zone)["Subnet"]["SubnetId"]
                   for i, zone in enumerate("ab")]
        arn = elbv2.create_load_balancer(Name="protected", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
        elbv2.modify_load_balancer_attributes(
            LoadBalancerArn=arn, Attributes=[{"Key": "deletion_protection.enabled", "Value": "true"}])
        try:
            elbv2.delete_load_balancer(LoadBalancerArn=arn)
            return "deleted"
        except ClientError as exc:
            return exc.response["Error"]["Code"]

    def private_link_enforcement(elbv2, ec2, vpc):
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.%d.0/24" % (20 + i),
                                     AvailabilityZone="us-east-1" + zone)["Subnet"]["SubnetId"]
                   for i, zone in enumerate("ab")]
        group = ec2.create_security_group(GroupName="nlb", Description="nlb", VpcId=vpc)["GroupId"]
        arn = elbv2.create_load_balancer(Name="nlb", Subnets=subnets, Type="network",
                                         SecurityGroups=[group])["LoadBalancers"][0]["LoadBalancerArn"]
        elbv2.set_security_groups(LoadBalancerArn=arn, SecurityGroups=[group],
                                  EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic="on")
        (balancer,) = elbv2.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"]
        return balancer.get("EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic")
    """
)


# CodeDeploy of an ECS blue/green service: what plain moto does with each call the BlueGreen construct and a
# release make. Returns a dict of outcomes ("ok", an error code, or a value read back).
CODEDEPLOY = textwrap.dedent(
    """
    def codedeploy_gaps(cd, ecs, subnet, group):
        from botocore.exceptions import ClientError

        def outcome(call, **kw):
            try:
                call(**kw)
                return "ok"
            except ClientError as exc:
                return exc.response["Error"]["Code"]
            except Exception as exc:
                return "error " + type(exc).__name__

        out = {}
        td = ecs.register_task_definition(family="bg", containerDefinitions=[
            {"name": "app", "image": "x", "memory": 128, "portMappings": [{"containerPort": 3000}]}])[
            "taskDefinition"]["taskDefinitionArn"]
        ecs.create_service(cluster="c", serviceName="bg", taskDefinition=td, desiredCount=1,
                           deploymentController={"type": "CODE_DEPLOY"},
                           networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}})
        out["ecs_code_deploy_task_sets"] = len(
            ecs.describe_services(cluster="c", services=["bg"])["services"][0].get("taskSets") or [])
        cd.create_application(applicationName="a", computePlatform="ECS")
        cd.create_deployment_group(
            applicationName="a", deploymentGroupName="g", serviceRoleArn="arn:aws:iam::123456789012:role/r",
            alarmConfiguration={"enabled": True, "alarms": [{"name": "x"}]},
            ecsServices=[{"serviceName": "bg", "clusterName": "c"}],
            deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"})
        out["codedeploy_group_alarms"] = cd.get_deployment_group(applicationName="a", deploymentGroupName="g")[
            "deploymentGroupInfo"].get("alarmConfiguration")
        out["codedeploy_update_group"] = outcome(
            cd.update_deployment_group, applicationName="a", currentDeploymentGroupName="g",
            serviceRoleArn="arn:aws:iam::123456789012:role/r2")
        out["codedeploy_create_config"] = outcome(
            cd.create_deployment_config, deploymentConfigName="c1", computePlatform="ECS",
            trafficRoutingConfig={"type": "TimeBasedLinear",
                                  "timeBasedLinear": {"linearPercentage": 20, "linearInterval": 2}})
        out["codedeploy_get_config"] = outcome(cd.get_deployment_config,
                                               deploymentConfigName="CodeDeployDefault.ECSAllAtOnce")
        out["codedeploy_delete_config"] = outcome(cd.delete_deployment_config, deploymentConfigName="c1")
        spec = json.dumps({"version": 0.0, "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": {
            "TaskDefinition": td, "LoadBalancerInfo": {"ContainerName": "app", "ContainerPort": 3000}}}}]})
        deployment = cd.create_deployment(applicationName="a", deploymentGroupName="g", revision={
            "revisionType": "AppSpecContent", "appSpecContent": {"content": spec}})["deploymentId"]
        out["codedeploy_deployment_statuses"] = [
            cd.get_deployment(deploymentId=deployment)["deploymentInfo"]["status"] for _ in range(3)]
        out["codedeploy_list_targets"] = outcome(cd.list_deployment_targets, deploymentId=deployment)
        out["codedeploy_stop_deployment"] = outcome(cd.stop_deployment, deploymentId=deployment)
        out["codedeploy_delete_group"] = outcome(cd.delete_deployment_group, applicationName="a",
                                                 deploymentGroupName="g")
        out["codedeploy_delete_application"] = outcome(cd.delete_application, applicationName="a")
        return out
    """
)


@pytest.fixture(scope="module")
def plain_moto() -> dict[str, Any]:
    """What plain moto (no compat layer) does for each gap."""
    script = RECREATE + PROTECTED_LB + CODEDEPLOY + PROBE % {"fields": list(emulator.ECS_CREATE_SERVICE_DROPPED_FIELDS)}
    env = {**os.environ, "MOTO_ECS_SERVICE_RUNNING": "1", "AWS_EC2_METADATA_DISABLED": "true"}
    env.pop("AWS_ENDPOINT_URL", None)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _client(url: str, service: str) -> Any:
    import boto3

    return boto3.client(
        service, endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )


# ---- plain moto still lacks each API (delete the patch when one of these fails) -------------


def test_moto_still_lacks_appautoscaling_list_tags(plain_moto: dict[str, Any]) -> None:
    assert str(plain_moto["aas_list_tags"]).startswith("error"), (
        "moto now implements Application Auto Scaling ListTagsForResource (returned %r): delete"
        " _patch_appautoscaling_tagging from ops/emulator.py" % plain_moto["aas_list_tags"]
    )


@pytest.mark.parametrize("field", emulator.ECS_CREATE_SERVICE_DROPPED_FIELDS)
def test_moto_still_drops_create_service_field(plain_moto: dict[str, Any], field: str) -> None:
    value = plain_moto["ecs_create_service"][field]
    assert value in (None, False, [], {}), (
        "moto now keeps CreateService.%s (returned %r): remove it from ECS_CREATE_SERVICE_DROPPED_FIELDS in"
        " ops/emulator.py" % (field, value)
    )


def test_moto_still_keeps_the_first_deployment_on_update(plain_moto: dict[str, Any]) -> None:
    assert plain_moto["ecs_update_primary_is_new"] is False, (
        "moto now starts a new PRIMARY deployment on UpdateService: delete _patch_ecs_update_service_deployment"
    )


def test_moto_still_drops_group_rule_descriptions(plain_moto: dict[str, Any]) -> None:
    assert plain_moto["ec2_group_rule_description"] is None, (
        "moto now returns the Description of security-group-referencing rules: delete"
        " _patch_ec2_group_rule_description from ops/emulator.py"
    )


def test_moto_still_fails_run_task_without_container_memory(plain_moto: dict[str, Any]) -> None:
    assert plain_moto["ecs_run_task_task_memory"] != "ok", (
        "moto now runs a Fargate task whose memory is set on the task only: delete"
        " _patch_ecs_run_task_task_level_memory from ops/emulator.py"
    )


def test_moto_still_answers_invalid_permission_for_an_unknown_rule_id(plain_moto: dict[str, Any]) -> None:
    assert plain_moto["ec2_revoke_unknown_rule_id"] == "InvalidPermission.NotFound", (
        "moto now answers %r when a revoked rule id is unknown: delete _patch_ec2_revoke_unknown_rule_id from"
        " ops/emulator.py" % plain_moto["ec2_revoke_unknown_rule_id"]
    )


def test_moto_still_rejects_re_creating_a_deleted_record(plain_moto: dict[str, Any]) -> None:
    assert plain_moto["route53_recreate_after_delete"] == "InvalidChangeBatch", (
        "moto now re-creates a deleted record set while a later-sorting record exists (returned %r): delete"
        " _patch_route53_create_existing_check from ops/emulator.py" % plain_moto["route53_recreate_after_delete"]
    )


def test_moto_still_keeps_the_zone_of_a_deleted_namespace(plain_moto: dict[str, Any]) -> None:
    assert plain_moto["servicediscovery_zone_after_delete"] == "kept", (
        "moto now deletes a Cloud Map namespace's hosted zone with it (GetHostedZone: %r): delete"
        " _patch_servicediscovery_delete_namespace_zone from ops/emulator.py"
        % plain_moto["servicediscovery_zone_after_delete"]
    )


@pytest.mark.parametrize("action", ["update_group", "create_config", "get_config", "delete_config", "delete_group",
                                    "delete_application", "stop_deployment", "list_targets"])  # fmt: skip
def test_moto_still_lacks_codedeploy_action(plain_moto: dict[str, Any], action: str) -> None:
    patch = {"update_group": "_patch_codedeploy_lifecycle", "delete_group": "_patch_codedeploy_lifecycle",
             "delete_application": "_patch_codedeploy_lifecycle", "stop_deployment": "_patch_codedeploy_ecs_deployments",
             "list_targets": "_patch_codedeploy_ecs_deployments",
             }.get(action, "_patch_codedeploy_deployment_configs")  # fmt: skip
    assert plain_moto["codedeploy_" + action] != "ok", (
        "moto now implements CodeDeploy %s: delete that part of %s from ops/emulator.py (or all of it, when moto"
        " has every API it adds)" % (action, patch)
    )


def test_moto_still_answers_no_deployment_group_alarms(plain_moto: dict[str, Any]) -> None:
    assert plain_moto["codedeploy_group_alarms"] == {}, (
        "moto now answers a deployment group's alarmConfiguration (%r): delete deployment_group_info from"
        " _patch_codedeploy_lifecycle in ops/emulator.py" % plain_moto["codedeploy_group_alarms"]
    )


def test_moto_still_leaves_an_ecs_deployment_created(plain_moto: dict[str, Any]) -> None:
    assert plain_moto["codedeploy_deployment_statuses"] == ["Created"] * 3, (
        "moto now runs CodeDeploy deployments (statuses %r): compare with _patch_codedeploy_ecs_deployments in"
        " ops/emulator.py and delete what moto does itself" % plain_moto["codedeploy_deployment_statuses"]
    )


def test_moto_still_creates_no_task_set_for_a_code_deploy_service(plain_moto: dict[str, Any]) -> None:
    assert plain_moto["ecs_code_deploy_task_sets"] == 0, (
        "moto now gives a CODE_DEPLOY service its first task set: delete _patch_ecs_code_deploy_task_set from"
        " ops/emulator.py"
    )


# ---- the patched emulator ------------------------------------------------------------------


def test_moto_still_deletes_a_protected_load_balancer(plain_moto: dict[str, Any]) -> None:
    assert plain_moto["elbv2_delete_protected"] == "deleted", (
        "moto now refuses (%s): delete _patch_elbv2_deletion_protection from ops/emulator.py"
        % plain_moto["elbv2_delete_protected"]
    )


def test_moto_still_forgets_private_link_enforcement(plain_moto: dict[str, Any]) -> None:
    assert plain_moto["elbv2_private_link_enforcement"] is None, (
        "moto now keeps EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic (%r): delete"
        " _patch_elbv2_private_link_enforcement from ops/emulator.py" % plain_moto["elbv2_private_link_enforcement"]
    )


def test_moto_still_leaves_eventbridge_out_of_a_buckets_notification_configuration(plain_moto: dict[str, Any]) -> None:
    assert plain_moto["s3_eventbridge_configuration"] is False, (
        "moto now answers EventBridgeConfiguration: delete _patch_s3_eventbridge_notification from ops/emulator.py"
    )


def test_moto_still_copies_a_launch_templates_own_tags_into_its_data(plain_moto: dict[str, Any]) -> None:
    assert plain_moto["ec2_launch_template_own_tags"] == ["launch-template"], (
        "moto now keeps the template's own tags out of its data (%r): delete _patch_ec2_launch_template_own_tags"
        " from ops/emulator.py" % plain_moto["ec2_launch_template_own_tags"]
    )


def test_moto_still_lacks_redrive_allow_policy(plain_moto: dict[str, Any]) -> None:
    assert plain_moto["sqs_redrive_allow_policy"] == "InvalidAttributeName", (
        "moto now knows the SQS attribute RedriveAllowPolicy: delete that part of _patch_sqs_attributes from"
        " ops/emulator.py"
    )


def test_moto_still_drops_a_queue_policy_when_another_attribute_is_set(plain_moto: dict[str, Any]) -> None:
    assert plain_moto["sqs_policy_after_other_attribute"] is False, (
        "moto now keeps Policy when SetQueueAttributes sets another attribute: delete that part of"
        " _patch_sqs_attributes from ops/emulator.py"
    )


def test_moto_still_adds_spaces_to_the_redrive_policy(plain_moto: dict[str, Any]) -> None:
    assert ", " in plain_moto["sqs_redrive_policy_text"], (
        "moto now answers RedrivePolicy as it was sent (%r): delete that part of _patch_sqs_attributes from"
        " ops/emulator.py" % plain_moto["sqs_redrive_policy_text"]
    )


def test_patched_sqs_answers_the_redrive_policy_as_sent(patched: str) -> None:
    sqs = _client(patched, "sqs")
    sqs.create_queue(QueueName="compat-rp-dlq")
    sent = json.dumps({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:compat-rp-dlq", "maxReceiveCount": 3},
                      separators=(",", ":"))  # fmt: skip
    url = sqs.create_queue(QueueName="compat-rp", Attributes={"RedrivePolicy": sent})["QueueUrl"]
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"] == sent


def test_patched_sqs_keeps_the_policy_and_knows_redrive_allow_policy(patched: str) -> None:
    sqs = _client(patched, "sqs")
    dlq = sqs.create_queue(QueueName="compat-dlq")["QueueUrl"]
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sqs:*",
                                                                 "Resource": "*"}]})  # fmt: skip
    allow = json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": ["arn:aws:sqs:us-east-1:123456789012:q"]})
    sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"Policy": policy})
    sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"RedriveAllowPolicy": allow})
    got = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["All"])["Attributes"]
    assert got["Policy"] == policy and got["RedriveAllowPolicy"] == allow
    only = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["RedriveAllowPolicy"])["Attributes"]
    assert only == {"RedriveAllowPolicy": allow}
    sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"RedriveAllowPolicy": ""})  # how the provider deletes it
    assert "RedriveAllowPolicy" not in sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["All"])["Attributes"]
    assert sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["Policy"])["Attributes"] == {"Policy": policy}
    plain = sqs.create_queue(QueueName="compat-plain")["QueueUrl"]
    assert "RedriveAllowPolicy" not in sqs.get_queue_attributes(QueueUrl=plain, AttributeNames=["All"])["Attributes"]


def test_patched_delete_of_a_protected_load_balancer_is_refused_until_protection_is_off(patched: str) -> None:
    ec2, elbv2 = _client(patched, "ec2"), _client(patched, "elbv2")
    from botocore.exceptions import ClientError

    vpc = ec2.create_vpc(CidrBlock="10.91.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.91.%d.0/24" % i, AvailabilityZone="us-east-1" + zone)
               ["Subnet"]["SubnetId"] for i, zone in enumerate("ab")]  # fmt: skip
    arn = elbv2.create_load_balancer(Name="compat-protected", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    protection = [{"Key": "deletion_protection.enabled", "Value": "true"}]
    elbv2.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=protection)
    with pytest.raises(ClientError, match=r"OperationNotPermitted.*deletion protection is enabled"):
        elbv2.delete_load_balancer(LoadBalancerArn=arn)
    protection[0]["Value"] = "false"
    elbv2.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=protection)
    elbv2.delete_load_balancer(LoadBalancerArn=arn)
    with pytest.raises(ClientError, match=r"LoadBalancerNotFound"):
        elbv2.describe_load_balancers(LoadBalancerArns=[arn])


def test_patched_launch_template_data_is_as_sent(patched: str) -> None:
    ec2 = _client(patched, "ec2")
    own = [{"ResourceType": "launch-template", "Tags": [{"Key": "Name", "Value": "compat"}]}]
    instance = [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "node"}]}]
    bare = ec2.create_launch_template(LaunchTemplateName="compat-bare", LaunchTemplateData={"ImageId": "ami-12c6146b"},
                                      TagSpecifications=own)["LaunchTemplate"]  # fmt: skip
    tagged = ec2.create_launch_template(LaunchTemplateName="compat-tagged", TagSpecifications=own,
                                        LaunchTemplateData={"ImageId": "ami-12c6146b", "TagSpecifications": instance})[
        "LaunchTemplate"]  # fmt: skip
    for template, expected in ((bare, None), (tagged, instance)):
        (version,) = ec2.describe_launch_template_versions(LaunchTemplateId=template["LaunchTemplateId"])[
            "LaunchTemplateVersions"]  # fmt: skip
        assert version["LaunchTemplateData"].get("TagSpecifications") == expected
        assert {"Key": "Name", "Value": "compat"} in template["Tags"]  # the template itself is still tagged


def test_patched_nlb_keeps_private_link_enforcement(patched: str) -> None:
    ec2, elbv2 = _client(patched, "ec2"), _client(patched, "elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.92.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.92.%d.0/24" % i, AvailabilityZone="us-east-1" + zone)
               ["Subnet"]["SubnetId"] for i, zone in enumerate("ab")]  # fmt: skip
    group = ec2.create_security_group(GroupName="compat-nlb", Description="nlb", VpcId=vpc)["GroupId"]
    arn = elbv2.create_load_balancer(Name="compat-nlb", Subnets=subnets, Type="network", SecurityGroups=[group])[
        "LoadBalancers"][0]["LoadBalancerArn"]  # fmt: skip
    answer = elbv2.set_security_groups(
        LoadBalancerArn=arn, SecurityGroups=[group], EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic="on"
    )
    assert answer["EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic"] == "on"
    (balancer,) = elbv2.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"]
    assert balancer["EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic"] == "on"
    elbv2.set_security_groups(LoadBalancerArn=arn, SecurityGroups=[group])  # unchanged when not sent
    (balancer,) = elbv2.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"]
    assert balancer["EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic"] == "on"
    elbv2.delete_load_balancer(LoadBalancerArn=arn)


def test_patched_s3_answers_eventbridge_notifications_and_nothing_else(patched: str) -> None:
    s3 = _client(patched, "s3")
    s3.create_bucket(Bucket="compat-events")
    assert "EventBridgeConfiguration" not in s3.get_bucket_notification_configuration(Bucket="compat-events")
    s3.put_bucket_notification_configuration(Bucket="compat-events",
                                             NotificationConfiguration={"EventBridgeConfiguration": {}})  # fmt: skip
    answer = s3.get_bucket_notification_configuration(Bucket="compat-events")
    assert answer["EventBridgeConfiguration"] == {}
    s3.put_bucket_notification_configuration(Bucket="compat-events", NotificationConfiguration={})
    assert "EventBridgeConfiguration" not in s3.get_bucket_notification_configuration(Bucket="compat-events")
    s3.delete_bucket(Bucket="compat-events")


def test_patched_route53_re_creates_a_deleted_record_and_refuses_an_existing_one(patched: str) -> None:
    from botocore.exceptions import ClientError

    r53 = _client(patched, "route53")
    zone = r53.create_hosted_zone(Name="cycle.test", CallerReference="patched")["HostedZone"]["Id"]
    namespace: dict[str, Any] = {}
    exec(RECREATE, namespace)
    assert namespace["recreate_after_delete"](r53, zone) == "ok"
    names = {(r["Name"], r["Type"]) for r in r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]}
    assert {("app.cycle.test.", "A"), ("_v2.app.cycle.test.", "CNAME")} <= names
    again = {"Name": "APP.cycle.test.", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "10.0.0.2"}]}
    with pytest.raises(ClientError, match=r"Tried to create resource record set \[name='app.cycle.test.', type='A'\]"):
        r53.change_resource_record_sets(
            HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": again}]}
        )


def test_patched_revoke_of_an_unknown_rule_id_answers_as_aws(patched: str) -> None:
    from botocore.exceptions import ClientError

    ec2 = _client(patched, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.4.0.0/16")["Vpc"]["VpcId"]
    group = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]["GroupId"]
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])["SecurityGroupRules"]
    egress = next(r["SecurityGroupRuleId"] for r in rules if r["IsEgress"])
    ec2.revoke_security_group_egress(GroupId=group, SecurityGroupRuleIds=[egress])
    assert ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])["SecurityGroupRules"] == []
    for revoke in (ec2.revoke_security_group_egress, ec2.revoke_security_group_ingress):
        with pytest.raises(ClientError, match=r"InvalidSecurityGroupRuleId\.NotFound.*%s" % egress):
            revoke(GroupId=group, SecurityGroupRuleIds=[egress])


def test_patched_delete_namespace_deletes_its_hosted_zone(patched: str) -> None:
    from botocore.exceptions import ClientError

    ec2, sd, r53 = _client(patched, "ec2"), _client(patched, "servicediscovery"), _client(patched, "route53")
    vpc = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    sd.create_private_dns_namespace(Name="zone-goes.internal", Vpc=vpc)
    namespace = next(n for n in sd.list_namespaces()["Namespaces"] if n["Name"] == "zone-goes.internal")
    zone = sd.get_namespace(Id=namespace["Id"])["Namespace"]["Properties"]["DnsProperties"]["HostedZoneId"]
    assert r53.get_hosted_zone(Id=zone)["HostedZone"]["Config"]["PrivateZone"] is True
    sd.delete_namespace(Id=namespace["Id"])
    with pytest.raises(ClientError, match="NoSuchHostedZone"):
        r53.get_hosted_zone(Id=zone)
    with pytest.raises(ClientError, match="NamespaceNotFound"):
        sd.delete_namespace(Id=namespace["Id"])


def test_patched_run_task_with_task_level_memory(patched: str) -> None:
    ec2, ecs = _client(patched, "ec2"), _client(patched, "ecs")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})  # as the Network construct does
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="run-task", Description="run-task", VpcId=vpc)["GroupId"]
    ecs.create_cluster(clusterName="run-task")
    arn = ecs.register_task_definition(
        family="one-off", containerDefinitions=[{"name": "app", "image": "x"}], requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc", cpu="256", memory="512",
    )["taskDefinition"]["taskDefinitionArn"]  # fmt: skip
    tasks = ecs.run_task(cluster="run-task", taskDefinition=arn, launchType="FARGATE",
                         networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [sg]}},
                         )["tasks"]  # fmt: skip
    assert len(tasks) == 1 and tasks[0]["taskDefinitionArn"] == arn
    described = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    assert "memory" not in described["containerDefinitions"][0], "the patch must not change the stored definition"


def test_patched_appautoscaling_tags_round_trip(patched: str) -> None:
    ecs, aas = _client(patched, "ecs"), _client(patched, "application-autoscaling")
    ecs.create_cluster(clusterName="tags")
    ecs.register_task_definition(family="tags", containerDefinitions=[{"name": "a", "image": "x", "memory": 128}])
    ecs.create_service(cluster="tags", serviceName="svc", taskDefinition="tags", desiredCount=1)
    arn = aas.register_scalable_target(
        ServiceNamespace="ecs", ResourceId="service/tags/svc", ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1, MaxCapacity=3, Tags={"project": "p", "environment": "local"},
    )["ScalableTargetARN"]  # fmt: skip
    assert aas.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"project": "p", "environment": "local"}
    aas.tag_resource(ResourceARN=arn, Tags={"extra": "1"})
    aas.untag_resource(ResourceARN=arn, TagKeys=["project"])
    assert aas.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"environment": "local", "extra": "1"}
    aas.deregister_scalable_target(
        ServiceNamespace="ecs", ResourceId="service/tags/svc", ScalableDimension="ecs:service:DesiredCount"
    )
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError, match="not found"):
        aas.list_tags_for_resource(ResourceARN=arn)


def test_patched_create_service_keeps_every_field(patched: str) -> None:
    ec2, ecs = _client(patched, "ec2"), _client(patched, "ecs")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="svc", Description="svc", VpcId=vpc)["GroupId"]
    ecs.create_cluster(clusterName="fields")
    first = ecs.register_task_definition(
        family="fields", containerDefinitions=[{"name": "a", "image": "x", "memory": 128}]
    )["taskDefinition"]["taskDefinitionArn"]
    sent = {
        "capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}],
        "healthCheckGracePeriodSeconds": 30,
        "availabilityZoneRebalancing": "ENABLED",
        "deploymentConfiguration": {
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        },
        "enableECSManagedTags": True,
        "enableExecuteCommand": True,
        "placementStrategy": [{"type": "spread", "field": "attribute:ecs.availability-zone"},
                              {"type": "binpack", "field": "memory"}],
    }
    assert set(sent) == set(emulator.ECS_CREATE_SERVICE_DROPPED_FIELDS)
    ecs.create_service(
        cluster="fields", serviceName="svc", taskDefinition=first, desiredCount=1,
        networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [sg]}}, **sent,
    )  # fmt: skip
    svc = ecs.describe_services(cluster="fields", services=["svc"])["services"][0]
    assert {field: svc.get(field) for field in sent} == sent


def test_patched_update_service_starts_a_new_primary_deployment(patched: str) -> None:
    ecs = _client(patched, "ecs")
    ecs.create_cluster(clusterName="deploys")
    td = {"containerDefinitions": [{"name": "a", "image": "x", "memory": 128}]}
    first = ecs.register_task_definition(family="deploys", **td)["taskDefinition"]["taskDefinitionArn"]
    second = ecs.register_task_definition(family="deploys", **td)["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster="deploys", serviceName="svc", taskDefinition=first, desiredCount=1)
    before = ecs.describe_services(cluster="deploys", services=["svc"])["services"][0]["deployments"]
    ecs.update_service(cluster="deploys", service="svc", taskDefinition=second)
    svc = ecs.describe_services(cluster="deploys", services=["svc"])["services"][0]
    assert len(svc["deployments"]) == 1
    primary = svc["deployments"][0]
    assert primary["status"] == "PRIMARY"
    assert primary["taskDefinition"] == second
    assert primary["id"] != before[0]["id"]
    # MOTO_ECS_SERVICE_RUNNING=1 in the fixture: one task reported running, so the rollout completed.
    assert (primary["runningCount"], primary["desiredCount"], primary["rolloutState"]) == (1, 1, "COMPLETED")
    # The same task definition again: no new deployment.
    ecs.update_service(cluster="deploys", service="svc", taskDefinition=second)
    again = ecs.describe_services(cluster="deploys", services=["svc"])["services"][0]["deployments"]
    assert again[0]["id"] == primary["id"]


def test_patched_group_rule_description(patched: str) -> None:
    ec2 = _client(patched, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    sg_a = ec2.create_security_group(GroupName="a", Description="a", VpcId=vpc)["GroupId"]
    sg_b = ec2.create_security_group(GroupName="b", Description="b", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_egress(
        GroupId=sg_a,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 3000, "ToPort": 3000,
                        "UserIdGroupPairs": [{"GroupId": sg_b, "Description": "to the tasks"}]}],
    )  # fmt: skip
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [sg_a]}])["SecurityGroupRules"]
    referencing = [r for r in rules if r.get("ReferencedGroupInfo")]
    assert [r.get("Description") for r in referencing] == ["to the tasks"]


def test_has_compat_tells_the_project_emulator_from_plain_moto(patched: str) -> None:
    assert emulator.has_compat(patched)
    port = free_port()
    plain = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = emulator.endpoint_url(port)
        deadline = time.monotonic() + 60
        while not emulator.is_up(url, timeout=0.5):
            assert plain.poll() is None and time.monotonic() < deadline, "plain moto did not start"
            time.sleep(0.2)
        assert not emulator.has_compat(url)
    finally:
        plain.terminate()
        plain.wait(timeout=15)


# ---- the launcher --------------------------------------------------------------------------


def test_start_status_stop_with_a_pid_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    monkeypatch.setenv("EMULATOR_PORT", str(port))
    monkeypatch.setattr(emulator, "STATE_DIR", tmp_path)
    try:
        assert emulator.start() is True
        pid = int(emulator.pid_file().read_text().split()[0])
        info = emulator.status()
        assert info["answers"] and info["pid"] == pid and info["pid_alive"]
        assert emulator.pid_file() == tmp_path / ("emulator-%d.pid" % port)
        assert emulator.start() is False  # already running: no second process
        assert "compat patches: application-autoscaling:ListTagsForResource" in emulator.log_file().read_text()
    finally:
        stopped = emulator.stop()
    assert stopped
    assert not emulator.pid_file().exists()
    assert not emulator.is_up(emulator.endpoint_url(port))
    assert emulator.stop() is False


def test_bad_port_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMULATOR_PORT", "http")
    with pytest.raises(emulator.EmulatorError, match=r"EMULATOR_PORT='http' is not a port number; allowed: 1024\.\.65535"):
        emulator.port()
    monkeypatch.setenv("EMULATOR_PORT", "80")
    with pytest.raises(emulator.EmulatorError, match=r"EMULATOR_PORT=80 is out of range; allowed: 1024\.\.65535"):
        emulator.port()


# ---- CodeDeploy (blue/green releases) on the patched emulator -------------------------------------


def _blue_green(url: str, name: str, cidr: str) -> dict[str, Any]:
    """An ECS service with the CODE_DEPLOY controller behind an ALB (production listener on 80, test listener on
    8080, both forwarding to the blue target group), and its CodeDeploy application and deployment group."""
    ec2, ecs, elbv2, cd = (_client(url, s) for s in ("ec2", "ecs", "elbv2", "codedeploy"))
    vpc = ec2.create_vpc(CidrBlock="%s.0.0/16" % cidr)["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="%s.%d.0/24" % (cidr, i), AvailabilityZone="us-east-1" + zone)
               ["Subnet"]["SubnetId"] for i, zone in enumerate("ab")]  # fmt: skip
    group = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
    alb = elbv2.create_load_balancer(Name=name, Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    blue, green = (elbv2.create_target_group(Name="%s-%s" % (name, color), Protocol="HTTP", Port=3000, VpcId=vpc,
                                             TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
                   for color in ("tg", "tg2"))  # fmt: skip
    forward = [{"Type": "forward", "TargetGroupArn": blue}]
    production, test = (elbv2.create_listener(LoadBalancerArn=alb, Protocol="HTTP", Port=port, DefaultActions=forward)
                        ["Listeners"][0]["ListenerArn"] for port in (80, 8080))  # fmt: skip
    ecs.create_cluster(clusterName=name)
    container = {"name": "app", "image": "repo:v1", "portMappings": [{"containerPort": 3000}]}
    td = {"requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "512"}
    first = ecs.register_task_definition(family=name, containerDefinitions=[container], **td)["taskDefinition"][
        "taskDefinitionArn"]  # fmt: skip
    second = ecs.register_task_definition(family=name, containerDefinitions=[dict(container, image="repo:v2")], **td)[
        "taskDefinition"]["taskDefinitionArn"]  # fmt: skip
    ecs.create_service(
        cluster=name, serviceName=name, taskDefinition=first, desiredCount=1, launchType="FARGATE",
        deploymentController={"type": "CODE_DEPLOY"},
        loadBalancers=[{"targetGroupArn": blue, "containerName": "app", "containerPort": 3000}],
        networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [group]}},
    )  # fmt: skip
    cd.create_application(applicationName=name, computePlatform="ECS")
    cd.create_deployment_group(
        applicationName=name, deploymentGroupName=name, serviceRoleArn="arn:aws:iam::123456789012:role/%s" % name,
        deploymentConfigName="CodeDeployDefault.ECSAllAtOnce", ecsServices=[{"serviceName": name, "clusterName": name}],
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        loadBalancerInfo={"targetGroupPairInfoList": [{
            "targetGroups": [{"name": "%s-tg" % name}, {"name": "%s-tg2" % name}],
            "prodTrafficRoute": {"listenerArns": [production]}, "testTrafficRoute": {"listenerArns": [test]}}]},
    )  # fmt: skip
    return {"ecs": ecs, "elbv2": elbv2, "cd": cd, "name": name, "first": first, "second": second, "blue": blue,
            "green": green, "production": production, "test": test}  # fmt: skip


def _deploy(bg: dict[str, Any], task_definition: str, container: str = "app", port: int = 3000) -> str:
    from rules.releases import appspec, appspec_text

    content = appspec_text(appspec(task_definition_arn=task_definition, container_name=container, container_port=port))
    deployment_id: str = bg["cd"].create_deployment(
        applicationName=bg["name"], deploymentGroupName=bg["name"],
        revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": content}},
    )["deploymentId"]  # fmt: skip
    return deployment_id


def _statuses(bg: dict[str, Any], deployment_id: str) -> list[str]:
    return [bg["cd"].get_deployment(deploymentId=deployment_id)["deploymentInfo"]["status"] for _ in range(3)]


def _targets(bg: dict[str, Any]) -> list[str]:
    listeners = bg["elbv2"].describe_listeners(ListenerArns=[bg["production"], bg["test"]])["Listeners"]
    by_arn = {item["ListenerArn"]: item["DefaultActions"][0]["TargetGroupArn"] for item in listeners}
    return [by_arn[bg["production"]], by_arn[bg["test"]]]


def _service(bg: dict[str, Any]) -> dict[str, Any]:
    (service,) = bg["ecs"].describe_services(cluster=bg["name"], services=[bg["name"]])["services"]
    return dict(service)


def test_patched_code_deploy_service_starts_with_a_primary_task_set(patched: str) -> None:
    bg = _blue_green(patched, "compat-bg-ts", "10.94")
    (task_set,) = _service(bg)["taskSets"]
    assert (task_set["status"], task_set["taskDefinition"]) == ("PRIMARY", bg["first"])
    assert [lb["targetGroupArn"] for lb in task_set["loadBalancers"]] == [bg["blue"]]


def test_patched_ecs_deployment_runs_and_swaps_the_target_groups(patched: str) -> None:
    bg = _blue_green(patched, "compat-bg-run", "10.95")
    deployment_id = _deploy(bg, bg["second"])
    assert re.fullmatch(r"d-[A-Z0-9]{9}", deployment_id)
    assert _statuses(bg, deployment_id) == ["InProgress", "Succeeded", "Succeeded"]
    info = bg["cd"].get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    assert info["creator"] == "user" and info["errorInformation"] == {}
    assert info["revision"]["revisionType"] == "AppSpecContent"
    assert info["deploymentOverview"]["Succeeded"] == 1 and info["completeTime"] >= info["startTime"]
    service = _service(bg)
    assert service["taskDefinition"] == bg["second"]
    (task_set,) = service["taskSets"]
    assert (task_set["status"], task_set["externalId"]) == ("PRIMARY", deployment_id)
    assert _targets(bg) == [bg["green"], bg["green"]]
    # The next release goes back to the blue target group (the other one of the pair).
    again = _deploy(bg, bg["first"])
    assert _statuses(bg, again)[-1] == "Succeeded"
    assert _service(bg)["taskDefinition"] == bg["first"] and _targets(bg) == [bg["blue"], bg["blue"]]
    listed = bg["cd"].list_deployments(applicationName=bg["name"], deploymentGroupName=bg["name"])["deployments"]
    assert sorted(listed) == sorted([deployment_id, again])


@pytest.mark.parametrize(
    ("case", "cidr", "container", "port", "message"),
    [
        ("missing", "10.96", "app", 3000, r"task definition \S+:99 in the AppSpec file does not exist"),
        ("container", "10.97", "web", 3000, r"container web in the AppSpec file is not in the task definition"),
        ("port", "10.99", "app", 8000, r"does not map port 8000"),
    ],
)
def test_patched_ecs_deployment_with_a_bad_appspec_fails_and_moves_nothing(
    patched: str, case: str, cidr: str, container: str, port: int, message: str
) -> None:
    bg = _blue_green(patched, "compat-bg-%s" % case, cidr)
    task_definition = bg["second"].rsplit(":", 1)[0] + ":99" if case == "missing" else bg["second"]
    deployment_id = _deploy(bg, task_definition, container, port)
    assert _statuses(bg, deployment_id) == ["InProgress", "Failed", "Failed"]
    error = bg["cd"].get_deployment(deploymentId=deployment_id)["deploymentInfo"]["errorInformation"]
    assert error["code"] == "ECS_UPDATE_ERROR" and re.search(message, error["message"]), error
    assert _service(bg)["taskDefinition"] == bg["first"] and _targets(bg) == [bg["blue"], bg["blue"]]


def test_patched_release_is_followed_by_ops_release(patched: str) -> None:
    """The deploy's release step (ops.release) against the patched emulator: its target, lifecycle events and
    traffic split, from Created to Succeeded."""
    import io

    from ops import release

    bg = _blue_green(patched, "compat-bg-ops", "10.93")
    first = _deploy(bg, bg["first"])
    with pytest.raises(Exception, match="DeploymentNotStartedException"):
        bg["cd"].list_deployment_targets(deploymentId=first)  # Created: not started yet
    assert _statuses(bg, first)[-1] == "Succeeded"
    log = io.StringIO()
    deployment_id = release.start_release(
        bg["cd"], application=bg["name"], deployment_group=bg["name"], task_definition_arn=bg["second"],
        container_name="app", container_port=3000, description="compat", log=log,
    )  # fmt: skip
    result = release.wait_for_release(bg["cd"], deployment_id, timeout=30, log=log, poll_seconds=0.01)
    lines = log.getvalue().splitlines()
    assert result.ok and result.status == "Succeeded", lines
    assert any("InProgress: BeforeInstall Succeeded, Install InProgress" in line for line in lines), lines
    assert "traffic green 100% / blue 0%" in lines[-1] or any("green 100%" in line for line in lines), lines
    assert _service(bg)["taskDefinition"] == bg["second"]


def test_patched_one_active_deployment_per_group_and_stop(patched: str) -> None:
    from botocore.exceptions import ClientError

    bg = _blue_green(patched, "compat-bg-stop", "10.98")
    deployment_id = _deploy(bg, bg["second"])
    with pytest.raises(ClientError, match=r"DeploymentLimitExceededException.*already has an active Deployment"):
        _deploy(bg, bg["second"])
    answer = bg["cd"].stop_deployment(deploymentId=deployment_id)
    assert answer["status"] == "Succeeded"
    info = bg["cd"].get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    assert (info["status"], info["errorInformation"]["code"]) == ("Stopped", "MANUAL_STOP")
    assert _service(bg)["taskDefinition"] == bg["first"] and _targets(bg) == [bg["blue"], bg["blue"]]
    with pytest.raises(ClientError, match=r"DeploymentAlreadyCompletedException"):
        bg["cd"].stop_deployment(deploymentId=deployment_id)
    with pytest.raises(ClientError, match=r"DeploymentConfigDoesNotExistException"):
        bg["cd"].create_deployment(applicationName=bg["name"], deploymentGroupName=bg["name"],
                                   deploymentConfigName="no-such-config", revision={"revisionType": "AppSpecContent",
                                   "appSpecContent": {"content": "{}"}})  # fmt: skip


def test_patched_codedeploy_groups_update_and_delete(patched: str) -> None:
    from botocore.exceptions import ClientError

    cd = _client(patched, "codedeploy")
    role = "arn:aws:iam::123456789012:role/compat-cd"
    cd.create_application(applicationName="compat-cd", computePlatform="ECS")
    alarms = {"enabled": True, "ignorePollAlarmFailure": False, "alarms": [{"name": "compat-5xx"}]}
    cd.create_deployment_group(applicationName="compat-cd", deploymentGroupName="g1", serviceRoleArn=role,
                               alarmConfiguration=alarms)  # fmt: skip
    info = cd.get_deployment_group(applicationName="compat-cd", deploymentGroupName="g1")["deploymentGroupInfo"]
    assert info["alarmConfiguration"] == alarms
    answer = cd.update_deployment_group(applicationName="compat-cd", currentDeploymentGroupName="g1",
                                        newDeploymentGroupName="g2", serviceRoleArn=role + "-2")  # fmt: skip
    assert answer["hooksNotCleanedUp"] == []
    info = cd.get_deployment_group(applicationName="compat-cd", deploymentGroupName="g2")["deploymentGroupInfo"]
    assert (info["serviceRoleArn"], info["alarmConfiguration"]) == (role + "-2", alarms)
    with pytest.raises(ClientError, match="DeploymentGroupDoesNotExistException"):
        cd.get_deployment_group(applicationName="compat-cd", deploymentGroupName="g1")
    cd.delete_deployment_group(applicationName="compat-cd", deploymentGroupName="g2")
    with pytest.raises(ClientError, match="DeploymentGroupDoesNotExistException"):
        cd.get_deployment_group(applicationName="compat-cd", deploymentGroupName="g2")
    cd.create_deployment_group(applicationName="compat-cd", deploymentGroupName="g3", serviceRoleArn=role)
    cd.delete_application(applicationName="compat-cd")  # its groups go with it
    assert "compat-cd" not in cd.list_applications()["applications"]
    with pytest.raises(ClientError, match="ApplicationDoesNotExistException"):
        cd.get_deployment_group(applicationName="compat-cd", deploymentGroupName="g3")
    cd.delete_application(applicationName="compat-cd")  # gone already: nothing to do, as on AWS


def test_patched_codedeploy_deployment_configs(patched: str) -> None:
    from botocore.exceptions import ClientError

    cd = _client(patched, "codedeploy")
    routing = {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 20, "linearInterval": 2}}
    cd.create_deployment_config(deploymentConfigName="compat-linear", computePlatform="ECS", trafficRoutingConfig=routing)
    info = cd.get_deployment_config(deploymentConfigName="compat-linear")["deploymentConfigInfo"]
    assert (info["computePlatform"], info["trafficRoutingConfig"]) == ("ECS", routing)
    with pytest.raises(ClientError, match="DeploymentConfigAlreadyExistsException"):
        cd.create_deployment_config(deploymentConfigName="compat-linear", computePlatform="ECS",
                                    trafficRoutingConfig=routing)  # fmt: skip
    canary = cd.get_deployment_config(deploymentConfigName="CodeDeployDefault.ECSCanary10Percent5Minutes")
    assert canary["deploymentConfigInfo"]["trafficRoutingConfig"] == {
        "type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": 5}}  # fmt: skip
    assert "compat-linear" in cd.list_deployment_configs()["deploymentConfigsList"]
    with pytest.raises(ClientError, match="InvalidOperationException"):
        cd.delete_deployment_config(deploymentConfigName="CodeDeployDefault.ECSAllAtOnce")
    cd.create_application(applicationName="compat-cfg", computePlatform="ECS")
    cd.create_deployment_group(applicationName="compat-cfg", deploymentGroupName="g", deploymentConfigName="compat-linear",
                               serviceRoleArn="arn:aws:iam::123456789012:role/compat-cfg")  # fmt: skip
    with pytest.raises(ClientError, match="DeploymentConfigInUseException"):
        cd.delete_deployment_config(deploymentConfigName="compat-linear")
    cd.delete_application(applicationName="compat-cfg")
    cd.delete_deployment_config(deploymentConfigName="compat-linear")
    with pytest.raises(ClientError, match="DeploymentConfigDoesNotExistException"):
        cd.get_deployment_config(deploymentConfigName="compat-linear")


def test_the_emulator_serves_one_request_at_a_time_and_reads_each_response_whole() -> None:
    import threading
    import time as clock

    from ops.emulator import OneRequestAtATime

    inside, most, closed = [0], [0], []
    guard = threading.Lock()

    class Body:
        def __iter__(self) -> Any:
            yield b"he"
            clock.sleep(0.02)  # still under the lock while the body is produced
            yield b"llo"
            with guard:
                inside[0] -= 1

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        with guard:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        start_response("200 OK", [])
        return Body()

    served = OneRequestAtATime(app)
    bodies: list[list[bytes]] = []
    threads = [threading.Thread(target=lambda: bodies.append(list(served({}, lambda *a: None)))) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert bodies == [[b"hello"]] * 6 and len(closed) == 6
    assert most[0] == 1  # without the lock the six overlap
