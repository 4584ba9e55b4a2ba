"""ops.destroy: prod confirmation, emptying ECR, and the leftover check (by state, sweeps, tags) against the emulator."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from envconfig import load_environment
from ops import destroy
from ops.confirm import ConfirmationError
from ops.destroy import (
    CANNOT_BE_LEFT,
    CHECKS,
    Deployed,
    DestroyError,
    cdktf_destroy_argv,
    check_deployed,
    confirm,
    deployed_resources,
    empty_bucket,
    empty_repository,
    find_tagged,
    preflight,
    read_deployed,
    sweep_cloud_map_zones,
    sweep_records,
)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_non_production_needs_no_confirmation() -> None:
    confirm(load_environment("dev"), None, stdin=io.StringIO())


def test_prod_accepts_confirm_with_its_name() -> None:
    confirm(load_environment("prod"), "prod", stdin=io.StringIO())


def test_prod_rejects_another_confirm_value() -> None:
    with pytest.raises(ConfirmationError, match=r"CONFIRM='yes' does not match the environment; allowed: CONFIRM=prod"):
        confirm(load_environment("prod"), "yes", stdin=io.StringIO())


def test_prod_without_a_terminal_or_confirm_refuses() -> None:
    with pytest.raises(ConfirmationError, match=r"ENV=prod is a production environment: .* CONFIRM=prod"):
        confirm(load_environment("prod"), None, stdin=io.StringIO("prod\n"))


def test_prod_accepts_the_typed_name_and_refuses_anything_else() -> None:
    log = io.StringIO()
    confirm(load_environment("prod"), None, stdin=Terminal("prod\n"), log=log)
    assert "Type the environment name" in log.getvalue()
    with pytest.raises(ConfirmationError, match=r"typed 'y', not 'prod'; nothing was destroyed"):
        confirm(load_environment("prod"), None, stdin=Terminal("y\n"), log=io.StringIO())


def test_cdktf_destroy_command_skips_synth_and_passes_variables() -> None:
    argv = cdktf_destroy_argv("local", Path("cdktf.out"), {"image_tag": "abc1234"})
    assert argv[:5] == ["npx", "--no-install", "cdktf", "destroy", "local"]
    for flag in ("--skip-synth", "--auto-approve", "--ignore-missing-stack-dependencies", "--skip-provider-lock"):
        assert flag in argv
    assert argv[-2:] == ["--var", "image_tag=abc1234"]


def test_empty_repository_deletes_every_image(client_for: Callable[[str], Any]) -> None:
    ecr = client_for("ecr")
    ecr.create_repository(repositoryName="flask-app-emptytest")
    for tag in ("a1", "b2", "c3"):
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"digest": "sha256:" + tag * 32, "size": 1,
                       "mediaType": "application/vnd.docker.container.image.v1+json"}, "layers": [],
        })  # fmt: skip
        ecr.put_image(repositoryName="flask-app-emptytest", imageManifest=manifest, imageTag=tag)
    log = io.StringIO()
    assert empty_repository(ecr, "flask-app-emptytest", log) == 3
    assert ecr.list_images(repositoryName="flask-app-emptytest")["imageIds"] == []
    assert empty_repository(ecr, "flask-app-missing", log) == 0
    assert "does not exist" in log.getvalue()


def test_empty_bucket_deletes_every_version_and_delete_marker(client_for: Callable[[str], Any]) -> None:
    s3 = client_for("s3")
    s3.create_bucket(Bucket="flask-app-emptytest-logs")
    s3.put_bucket_versioning(Bucket="flask-app-emptytest-logs", VersioningConfiguration={"Status": "Enabled"})
    for body in (b"one", b"two"):
        s3.put_object(Bucket="flask-app-emptytest-logs", Key="alb/AWSLogs/123456789012/a.log.gz", Body=body)
    s3.put_object(Bucket="flask-app-emptytest-logs", Key="alb/AWSLogs/123456789012/b.log.gz", Body=b"three")
    s3.delete_object(Bucket="flask-app-emptytest-logs", Key="alb/AWSLogs/123456789012/b.log.gz")  # a delete marker
    log = io.StringIO()
    assert empty_bucket(s3, "flask-app-emptytest-logs", log) == 4
    listed = s3.list_object_versions(Bucket="flask-app-emptytest-logs")
    assert listed.get("Versions", []) == [] and listed.get("DeleteMarkers", []) == []
    s3.delete_bucket(Bucket="flask-app-emptytest-logs")  # S3 deletes only an empty bucket
    assert empty_bucket(s3, "flask-app-emptytest-logs", log) == 0
    assert "bucket flask-app-emptytest-logs does not exist; nothing to empty" in log.getvalue()


def test_tag_sweep_finds_tagged_resources_and_ignores_deleted_and_foreign_ones(
    client_for: Callable[[str], Any],
) -> None:
    env = "leftover"
    mine = [{"Key": "project", "Value": "ecs-fargate-flask"}, {"Key": "environment", "Value": env}]
    wanted = {"project": "ecs-fargate-flask", "environment": env}
    ec2, ecr, iam, logs = client_for("ec2"), client_for("ecr"), client_for("iam"), client_for("logs")
    ecs, cloudmap, aas = client_for("ecs"), client_for("servicediscovery"), client_for("application-autoscaling")

    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": mine}])["Vpc"]["VpcId"]
    ec2.create_vpc(  # another environment's VPC: not ours
        CidrBlock="10.8.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [mine[0], {"Key": "environment", "Value": "other"}]}],
    )
    repo = ecr.create_repository(repositoryName="flask-app-leftover", tags=mine)["repository"]["repositoryArn"]
    role = iam.create_role(RoleName="flask-app-leftover-task", AssumeRolePolicyDocument="{}", Tags=mine)["Role"]["Arn"]
    logs.create_log_group(logGroupName="/ecs/flask-app-leftover/web", tags=wanted)
    cluster = ecs.create_cluster(clusterName="flask-app-leftover", tags=[{"key": k, "value": v} for k, v in wanted.items()])
    cluster_arn = cluster["cluster"]["clusterArn"]
    ecs.register_task_definition(family="flask-app-leftover-web", containerDefinitions=[{"name": "a", "image": "x", "memory": 128}])
    ecs.create_service(cluster="flask-app-leftover", serviceName="web", taskDefinition="flask-app-leftover-web", desiredCount=1)
    target = aas.register_scalable_target(
        ServiceNamespace="ecs", ResourceId="service/flask-app-leftover/web",
        ScalableDimension="ecs:service:DesiredCount", MinCapacity=1, MaxCapacity=2, Tags=wanted,
    )["ScalableTargetARN"]  # fmt: skip
    cloudmap.create_private_dns_namespace(Name="leftover.internal", Vpc=vpc, Tags=mine)
    kms = client_for("kms")
    key = kms.create_key(Tags=[{"TagKey": t["Key"], "TagValue": t["Value"]} for t in mine])["KeyMetadata"]["Arn"]

    found = {item.identifier: item for item in find_tagged(client_for, wanted, "flask-app-leftover")}
    failing = {i for i, item in found.items() if not item.note}
    assert repo in failing and role in failing and cluster_arn in failing and target in failing
    assert any(":vpc/%s" % vpc in i for i in failing)
    assert any(":log-group:/ecs/flask-app-leftover/web" in i for i in failing)
    assert any(":servicediscovery:" in i and ":namespace/" in i for i in failing)
    assert not any("10.8.0.0" in i for i in found)
    assert key in failing

    # Torn down: nothing fails; the INACTIVE cluster, service and task definition are only notes.
    aas.deregister_scalable_target(
        ServiceNamespace="ecs", ResourceId="service/flask-app-leftover/web", ScalableDimension="ecs:service:DesiredCount"
    )
    ecs.delete_service(cluster="flask-app-leftover", service="web", force=True)
    ecs.deregister_task_definition(taskDefinition="flask-app-leftover-web:1")
    ecs.delete_cluster(cluster="flask-app-leftover")
    ecr.delete_repository(repositoryName="flask-app-leftover")
    iam.delete_role(RoleName="flask-app-leftover-task")
    logs.delete_log_group(logGroupName="/ecs/flask-app-leftover/web")
    for ns in cloudmap.list_namespaces()["Namespaces"]:
        if ns["Name"] == "leftover.internal":
            cloudmap.delete_namespace(Id=ns["Id"])
    ec2.delete_vpc(VpcId=vpc)
    kms.schedule_key_deletion(KeyId=key.rsplit("/", 1)[1], PendingWindowInDays=7)  # moto wants the id
    remaining = find_tagged(client_for, wanted, "flask-app-leftover")
    assert [item for item in remaining if not item.note] == []
    assert {item.identifier.rsplit("/", 1)[-1] for item in remaining} <= {
        "flask-app-leftover", "web", "flask-app-leftover-web:1", key.rsplit("/", 1)[-1],
    }  # fmt: skip
    assert any(item.identifier == key and "PendingDeletion on " in item.source for item in remaining)


# ---- the leftover check by state ------------------------------------------------------------


@pytest.fixture(scope="module")
def custom_release(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """staging with a canary no predefined CodeDeploy config matches (20 % for 10 minutes): a custom config."""
    import main
    from envconfig import DEFAULT_FILE

    work = tmp_path_factory.mktemp("custom-release")
    text = DEFAULT_FILE.read_text()
    shipped = "strategy = \"canary\"\npercent = 10\nminutes = 5\n"
    assert text.count(shipped) == 1
    (work / "environments.toml").write_text(text.replace(shipped, shipped.replace("10", "20").replace("5", "10")))
    main.build(str(work / "out"), config=work / "environments.toml", only=["staging"])
    return dict(json.loads((work / "out" / "stacks" / "staging" / "cdk.tf.json").read_text()))


def test_every_declared_resource_type_has_a_leftover_check(
    synth_all: dict[str, dict[str, Any]], custom_release: dict[str, Any]
) -> None:
    """Every type the shipped stacks declare, and those a config can add (a custom deployment config)."""
    assert "aws_codedeploy_deployment_config" in custom_release["resource"]
    declared = {rtype for stack in [*synth_all.values(), custom_release] for rtype in stack.get("resource", {})}
    missing = destroy.unchecked_types(declared)
    assert not missing, (
        "the synthesized stacks declare %s but ops/destroy.py has no leftover check for them: add a checker to"
        " CHECKS, or a reason to CANNOT_BE_LEFT why it cannot be left over" % ", ".join(missing)
    )
    stale = sorted((set(CHECKS) | set(CANNOT_BE_LEFT)) - declared)
    assert not stale, "ops/destroy.py checks types no stack declares any more: %s" % ", ".join(stale)
    assert not set(CHECKS) & set(CANNOT_BE_LEFT)


def test_deployed_resources_reads_managed_resources_of_every_module() -> None:
    state = {"version": 4, "resources": [
        {"mode": "managed", "type": "aws_vpc", "name": "v", "instances": [{"attributes": {"id": "vpc-1", "arn": "arn:vpc/vpc-1"}}]},
        {"mode": "data", "type": "aws_route53_zone", "name": "z", "instances": [{"attributes": {"id": "Z1"}}]},
        {"module": "module.m", "mode": "managed", "type": "aws_subnet", "name": "s",
         "instances": [{"index_key": 0, "attributes": {"id": "subnet-1"}}, {"index_key": "b", "attributes": {"id": "subnet-2"}}]},
    ]}  # fmt: skip
    deployed = deployed_resources("local", state)
    assert [(r.stack, r.type, r.address, r.identifier) for r in deployed] == [
        ("local", "aws_vpc", "aws_vpc.v", "arn:vpc/vpc-1"),
        ("local", "aws_subnet", "module.m.aws_subnet.s[0]", "subnet-1"),
        ("local", "aws_subnet", 'module.m.aws_subnet.s["b"]', "subnet-2"),
    ]
    assert deployed_resources("local", {}) == []


class StubStack:
    """A tf.Stack whose ``terraform state pull`` prints ``state``."""

    def __init__(self, name: str, state: dict[str, Any]) -> None:
        self.name, self._state = name, state

    def run(self, args: list[str], *, label: str) -> subprocess.CompletedProcess[str]:
        assert args == ["state", "pull"]
        return subprocess.CompletedProcess(args, 0, json.dumps(self._state), "")


def test_a_type_without_a_check_stops_the_destroy_before_anything_is_deleted() -> None:
    state = {"resources": [{"mode": "managed", "type": "aws_dynamodb_table", "name": "q", "instances": [{"attributes": {"id": "q"}}]}]}
    with pytest.raises(DestroyError, match=r"resource type\(s\) aws_dynamodb_table but ops/destroy.py has no leftover check"):
        read_deployed([StubStack("local", state)], io.StringIO())  # type: ignore[list-item]
    log = io.StringIO()
    vpc = {"resources": [{"mode": "managed", "type": "aws_vpc", "name": "v", "instances": [{"attributes": {"id": "vpc-1"}}]}]}
    assert [r.identifier for r in read_deployed([StubStack("local", vpc), StubStack("local-registry", {})], log)] == ["vpc-1"]  # type: ignore[list-item]
    assert "resources in state: local 1, local-registry 0" in log.getvalue()


POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]})


def _state(client_for: Callable[[str], Any]) -> list[tuple[Deployed, Callable[[], Any]]]:
    """Resources created in the emulator as the stacks would, each with the state entry and its delete."""
    ec2, iam, logs, ecr = client_for("ec2"), client_for("iam"), client_for("logs"), client_for("ecr")
    cw, kms, aas, ecs = client_for("cloudwatch"), client_for("kms"), client_for("application-autoscaling"), client_for("ecs")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="state-sg", Description="d", VpcId=vpc)["GroupId"]
    rule = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])["SecurityGroupRules"][0]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    association = ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)["AssociationId"]
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    role = iam.create_role(RoleName="state-role", AssumeRolePolicyDocument="{}")["Role"]
    iam.put_role_policy(RoleName="state-role", PolicyName="inline", PolicyDocument=POLICY)
    logs.create_log_group(logGroupName="/state/app")
    logs.create_log_group(logGroupName="/state/app-other")  # a longer name with the same prefix: not ours
    repo = ecr.create_repository(repositoryName="state-repo")["repository"]
    cw.put_metric_alarm(AlarmName="state-alarm", MetricName="CPUUtilization", Namespace="AWS/ECS", Statistic="Average",
                        Period=60, EvaluationPeriods=1, Threshold=80, ComparisonOperator="GreaterThanThreshold")  # fmt: skip
    key = kms.create_key()["KeyMetadata"]
    cluster = ecs.create_cluster(clusterName="state-cluster")["cluster"]["clusterArn"]
    ecs.register_task_definition(family="state-web", containerDefinitions=[{"name": "a", "image": "x", "memory": 128}])
    service = ecs.create_service(cluster="state-cluster", serviceName="web", taskDefinition="state-web", desiredCount=1)
    service_arn = service["service"]["serviceArn"]
    aas.register_scalable_target(ServiceNamespace="ecs", ResourceId="service/state-cluster/web",
                                 ScalableDimension="ecs:service:DesiredCount", MinCapacity=1, MaxCapacity=2)  # fmt: skip
    scaling = {"service_namespace": "ecs", "resource_id": "service/state-cluster/web", "scalable_dimension": "ecs:service:DesiredCount"}
    sqs, events, scheduler = client_for("sqs"), client_for("events"), client_for("scheduler")
    queue = sqs.create_queue(QueueName="state-queue")["QueueUrl"]
    s3 = client_for("s3")
    s3.create_bucket(Bucket="state-access-logs")
    events.put_rule(Name="state-rule", EventPattern=json.dumps({"source": ["aws.ecs"]}))
    scheduler.create_schedule(Name="state-schedule", ScheduleExpression="rate(1 day)", FlexibleTimeWindow={"Mode": "OFF"},
                              Target={"Arn": cluster, "RoleArn": role["Arn"]})  # fmt: skip

    sns = client_for("sns")
    topic = sns.create_topic(Name="state-alarms", Attributes={"KmsMasterKeyId": key["Arn"]})["TopicArn"]
    subscription = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="oncall@local.test",
                                 ReturnSubscriptionArn=True)["SubscriptionArn"]  # fmt: skip
    sns.subscribe(TopicArn=topic, Protocol="https", Endpoint="https://hooks.local.test/alarms")

    def d(rtype: str, **values: Any) -> Deployed:
        return Deployed("local", rtype, "%s.x" % rtype, values)

    return [
        (d("aws_vpc_security_group_ingress_rule", id=rule["SecurityGroupRuleId"]), lambda: ec2.revoke_security_group_ingress(
            GroupId=sg, SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]])),
        (d("aws_route_table_association", id=association), lambda: ec2.disassociate_route_table(AssociationId=association)),
        (d("aws_route", route_table_id=table, destination_cidr_block="0.0.0.0/0"),
         lambda: ec2.delete_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0")),
        (d("aws_route_table", id=table), lambda: ec2.delete_route_table(RouteTableId=table)),
        (d("aws_internet_gateway", id=igw), lambda: (ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc),
                                                     ec2.delete_internet_gateway(InternetGatewayId=igw))),
        (d("aws_security_group", id=sg), lambda: ec2.delete_security_group(GroupId=sg)),
        (d("aws_subnet", id=subnet), lambda: ec2.delete_subnet(SubnetId=subnet)),
        (d("aws_vpc", id=vpc), lambda: ec2.delete_vpc(VpcId=vpc)),
        (d("aws_eip", id=eip), lambda: ec2.release_address(AllocationId=eip)),
        (d("aws_iam_role_policy", role="state-role", name="inline"),
         lambda: iam.delete_role_policy(RoleName="state-role", PolicyName="inline")),
        (d("aws_iam_role", name="state-role", arn=role["Arn"]), lambda: iam.delete_role(RoleName="state-role")),
        (d("aws_cloudwatch_log_group", name="/state/app"), lambda: logs.delete_log_group(logGroupName="/state/app")),
        (d("aws_ecr_repository", name="state-repo", arn=repo["repositoryArn"]),
         lambda: ecr.delete_repository(repositoryName="state-repo")),
        (d("aws_cloudwatch_metric_alarm", alarm_name="state-alarm"), lambda: cw.delete_alarms(AlarmNames=["state-alarm"])),
        (d("aws_appautoscaling_target", **scaling), lambda: aas.deregister_scalable_target(
            ServiceNamespace="ecs", ResourceId="service/state-cluster/web", ScalableDimension="ecs:service:DesiredCount")),
        (d("aws_ecs_service", id=service_arn, cluster=cluster),
         lambda: ecs.delete_service(cluster="state-cluster", service="web", force=True)),
        (d("aws_ecs_cluster", arn=cluster), lambda: ecs.delete_cluster(cluster=cluster)),
        (d("aws_sns_topic_subscription", arn=subscription, topic_arn=topic, protocol="email", endpoint="oncall@local.test"),
         lambda: sns.unsubscribe(SubscriptionArn=subscription)),
        # Pending confirmation: no ARN in state, found among its topic's subscriptions until the topic goes.
        (d("aws_sns_topic_subscription", arn="pending confirmation", topic_arn=topic, protocol="https",
           endpoint="https://hooks.local.test/alarms"), lambda: None),
        (d("aws_sns_topic", arn=topic), lambda: sns.delete_topic(TopicArn=topic)),
        (d("aws_kms_key", arn=key["Arn"]), lambda: kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)),
        (d("aws_sqs_queue", url=queue), lambda: sqs.delete_queue(QueueUrl=queue)),
        (d("aws_s3_bucket", id="state-access-logs", bucket="state-access-logs"),
         lambda: s3.delete_bucket(Bucket="state-access-logs")),
        (d("aws_cloudwatch_event_rule", name="state-rule"), lambda: events.delete_rule(Name="state-rule")),
        (d("aws_scheduler_schedule", name="state-schedule", group_name="default"),
         lambda: scheduler.delete_schedule(Name="state-schedule")),
    ]  # fmt: skip


def test_each_checker_finds_its_resource_until_it_is_deleted(client_for: Callable[[str], Any]) -> None:
    state = _state(client_for)
    deployed = [resource for resource, _ in state]
    log = io.StringIO()
    assert preflight(client_for, deployed, log) == 0, log.getvalue()
    before = check_deployed(client_for, deployed)
    assert [(item.kind, item.note) for item in before] == [(r.type, False) for r in deployed]
    assert all(item.source.startswith("state of local, ") for item in before)
    for _, delete in state:
        delete()
    after = check_deployed(client_for, deployed)
    # Deleted but still listed: the INACTIVE service and cluster and the key pending deletion are notes.
    assert {item.kind: item.source.split(", ", 1)[1].split(" on ")[0] for item in after} == {
        "aws_ecs_service": "ecs:DescribeServices: INACTIVE",
        "aws_ecs_cluster": "ecs:DescribeClusters: INACTIVE",
        "aws_kms_key": "kms:DescribeKey: PendingDeletion",
    }
    assert all(item.note for item in after)
    log = io.StringIO()
    assert preflight(client_for, deployed, log) == len(deployed)
    assert "warning: aws_vpc vpc-" in log.getvalue() and "its check does not find it" in log.getvalue()


def test_route53_records_cloud_map_zones_and_the_sweeps(client_for: Callable[[str], Any]) -> None:
    r53, ec2, cloudmap = client_for("route53"), client_for("ec2"), client_for("servicediscovery")
    zone = r53.create_hosted_zone(Name="sweep.test", CallerReference="sweep")["HostedZone"]["Id"].rsplit("/", 1)[-1]

    def change(action: str, name: str, rtype: str = "CNAME", value: str = "target.example.") -> None:
        record = {"Name": name, "Type": rtype, "TTL": 60, "ResourceRecords": [{"Value": value}]}
        r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": action, "ResourceRecordSet": record}]})

    change("CREATE", "app.sweep.test", "A", "10.0.0.1")
    change("CREATE", "_v1.app.sweep.test.")  # validation record in state
    change("CREATE", "_old.app.sweep.test.")  # a validation record Terraform lost track of
    change("CREATE", "other.sweep.test")  # not the stack's
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    cloudmap.create_private_dns_namespace(Name="sweep.internal", Vpc=vpc)
    namespace = next(n for n in cloudmap.list_namespaces()["Namespaces"] if n["Name"] == "sweep.internal")
    ns_zone = cloudmap.get_namespace(Id=namespace["Id"])["Namespace"]["Properties"]["DnsProperties"]["HostedZoneId"]
    orphan = r53.create_hosted_zone(Name="sweep.internal", CallerReference="orphan", VPC={"VPCRegion": "us-east-1", "VPCId": vpc},
                                    HostedZoneConfig={"PrivateZone": True})["HostedZone"]["Id"]  # fmt: skip
    deployed = [
        Deployed("local", "aws_route53_record", "aws_route53_record.alias", {"id": "%s_app.sweep.test_A" % zone,
                 "zone_id": zone, "name": "app.sweep.test", "type": "A"}),
        Deployed("local", "aws_route53_record", "aws_route53_record.validation", {"id": "%s__v1.app.sweep.test._CNAME" % zone,
                 "zone_id": zone, "name": "_v1.app.sweep.test.", "type": "CNAME"}),
        Deployed("local", "aws_acm_certificate", "aws_acm_certificate.c", {"arn": "arn:aws:acm:us-east-1:1:certificate/x",
                 "domain_name": "app.sweep.test", "subject_alternative_names": ["sweep.test"]}),
        Deployed("local", "aws_service_discovery_private_dns_namespace", "aws_service_discovery_private_dns_namespace.n",
                 {"id": namespace["Id"], "arn": namespace["Arn"], "name": "sweep.internal", "hosted_zone": ns_zone}),
    ]  # fmt: skip
    records = [r for r in deployed if r.type in ("aws_route53_record", "aws_service_discovery_private_dns_namespace")]
    assert [item.kind for item in check_deployed(client_for, records)] == [
        "aws_route53_record", "aws_route53_record", "aws_service_discovery_private_dns_namespace", "route53 hosted zone",
    ]  # fmt: skip
    # The zone apex (a certificate name here) is never swept; only the lost validation record is.
    assert [item.identifier for item in sweep_records(client_for, deployed)] == ["_old.app.sweep.test CNAME in zone %s" % zone]
    # A private zone named like the namespace that no namespace references (the live one's is).
    assert [item.identifier for item in sweep_cloud_map_zones(client_for, deployed)] == [orphan]

    # The namespace's zone outliving it is found through the state's hosted_zone.
    gone = Deployed("local", "aws_service_discovery_private_dns_namespace", "aws_service_discovery_private_dns_namespace.n",
                    {"id": "ns-deleted", "name": "sweep.internal", "hosted_zone": orphan})  # fmt: skip
    left = check_deployed(client_for, [gone])
    assert [(item.kind, item.identifier, item.note) for item in left] == [("route53 hosted zone", orphan, False)]
    assert "hosted zone Cloud Map created for aws_service_discovery_private_dns_namespace.n" in left[0].source

    # Torn down: nothing is found.
    cloudmap.delete_namespace(Id=namespace["Id"])  # the emulator's compat layer deletes its zone too
    change("DELETE", "app.sweep.test", "A", "10.0.0.1")
    change("DELETE", "_v1.app.sweep.test.")
    assert check_deployed(client_for, records) == []
