"""ops.destroy: prod confirmation, emptying ECR, and the leftover check against the emulator."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from envconfig import load_environment
from ops.confirm import ConfirmationError
from ops.destroy import cdktf_destroy_argv, confirm, empty_repository, find_leftovers


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


def test_leftover_check_finds_tagged_resources_and_ignores_deleted_and_foreign_ones(
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

    found = {item.identifier: item for item in find_leftovers(client_for, wanted, "flask-app-leftover")}
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
    remaining = find_leftovers(client_for, wanted, "flask-app-leftover")
    assert [item for item in remaining if not item.note] == []
    assert {item.identifier.rsplit("/", 1)[-1] for item in remaining} <= {
        "flask-app-leftover", "web", "flask-app-leftover-web:1", key.rsplit("/", 1)[-1],
    }  # fmt: skip
    assert any(item.identifier == key and "PendingDeletion on " in item.source for item in remaining)
