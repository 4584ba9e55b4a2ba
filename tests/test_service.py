"""Service construct: task definition, container definition, IAM, security group, ECS service, validation."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

from modules.container import ContainerOptions
from modules.service import ServiceOptions
from tests.conftest import run_terraform
from tests.service_stack import (
    CLIENT_SGS,
    FULL_CONTAINER,
    SM_ARN,
    SSM_ARN,
    SUBNETS,
    all_of,
    by_id,
    container_definitions,
    defaults_stack,
    full_stack,
    policy_statements,
)


@pytest.fixture(scope="module")
def defaults() -> dict[str, Any]:
    return defaults_stack()


@pytest.fixture(scope="module")
def full() -> dict[str, Any]:
    return full_stack()


# ---- defaults-only ---------------------------------------------------------------------------


def test_defaults_only_task_definition(defaults: dict[str, Any]) -> None:
    td = by_id(defaults, "aws_ecs_task_definition", "Service/TaskDefinition")
    assert td["family"] == "app-test-web"
    assert (td["cpu"], td["memory"]) == ("256", "512")
    assert td["network_mode"] == "awsvpc" and td["requires_compatibilities"] == ["FARGATE"]
    assert td["runtime_platform"] == {"operating_system_family": "LINUX", "cpu_architecture": "X86_64"}
    assert td["volume"] == [{"name": "tmp"}]
    assert "aws_iam_role.Service_ExecutionRole" in td["execution_role_arn"]
    assert "aws_iam_role.Service_TaskRole" in td["task_role_arn"]


def test_defaults_only_container_definition(defaults: dict[str, Any]) -> None:
    (c,) = container_definitions(defaults)
    assert c["name"] == "app" and c["essential"] is True
    assert re.fullmatch(r"\$\{aws_ecr_repository\.Registry_Repository_\w+\.repository_url\}:0a1b2c3", c["image"])
    assert c["portMappings"] == [{"appProtocol": "http", "containerPort": 3000, "name": "http", "protocol": "tcp"}]
    env = {e["name"]: e["value"] for e in c["environment"]}
    assert env == {"PORT": "3000", "APP_ENV": "dev", "APP_NAME": "app", "APP_VERSION": "0a1b2c3", "WEB_CONCURRENCY": "2"}
    assert [e["name"] for e in c["environment"]] == sorted(env)  # stable order: no spurious diffs
    assert "secrets" not in c  # empty lists are left out (the provider would diff `[]` forever)
    assert c["user"] == "10001:10001"
    assert c["readonlyRootFilesystem"] is True
    assert c["mountPoints"] == [{"containerPath": "/tmp", "readOnly": False, "sourceVolume": "tmp"}]
    assert c["stopTimeout"] == 30
    assert "linuxParameters" not in c


def test_container_logs_to_its_own_group(defaults: dict[str, Any]) -> None:
    (c,) = container_definitions(defaults)
    group = by_id(defaults, "aws_cloudwatch_log_group", "Service/LogGroup")
    assert group["name"] == "/ecs/app-test/web" and group["retention_in_days"] == 14
    opts = c["logConfiguration"]["options"]
    assert c["logConfiguration"]["logDriver"] == "awslogs"
    assert re.fullmatch(r"\$\{aws_cloudwatch_log_group\.Service_LogGroup_\w+\.name\}", opts["awslogs-group"])
    assert opts["awslogs-region"] == "us-east-1" and opts["awslogs-stream-prefix"] == "web"


def test_log_group_uses_the_kms_key_only_when_given(defaults: dict[str, Any], parts: dict[str, Any]) -> None:
    from cdktf import TerraformStack, Testing

    from modules.service import Service

    assert "kms_key_id" not in by_id(defaults, "aws_cloudwatch_log_group", "Service/LogGroup")
    stack = TerraformStack(Testing.app(), "kms")
    key = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-0000-1111-2222-333344445555"
    Service(stack, "Service", props=props(parts, log_kms_key_arn=key))
    group = by_id(json.loads(Testing.synth(stack)), "aws_cloudwatch_log_group", "Service/LogGroup")
    assert group["kms_key_id"] == key


def test_container_health_check_uses_python_on_the_configured_port_and_path(full: dict[str, Any]) -> None:
    (c,) = container_definitions(full)
    hc = c["healthCheck"]
    assert hc["command"][:3] == ["CMD", "python", "-c"]
    assert "http://127.0.0.1:8080/healthz" in hc["command"][3]
    assert "curl" not in json.dumps(hc)
    assert hc["timeout"] < hc["interval"]


def test_health_check_probe_is_valid_python() -> None:
    from modules.container import health_check_command

    cmd = health_check_command(3000, "/health", 3)
    compile(cmd[3], "<healthcheck>", "exec")  # raises SyntaxError if the probe is broken
    assert cmd[:3] == ("CMD", "python", "-c")


def test_defaults_only_ecs_service(defaults: dict[str, Any]) -> None:
    svc = by_id(defaults, "aws_ecs_service", "Service/Service")
    assert svc["name"] == "app-test-web"
    assert svc["desired_count"] == 2
    assert svc["lifecycle"] == {"ignore_changes": ["desired_count"]}
    assert svc["network_configuration"]["assign_public_ip"] is False
    assert svc["network_configuration"]["subnets"] == SUBNETS
    assert svc["deployment_circuit_breaker"] == {"enable": True, "rollback": True}
    assert (svc["deployment_minimum_healthy_percent"], svc["deployment_maximum_percent"]) == (100, 200)
    assert svc["health_check_grace_period_seconds"] == 30
    assert svc["propagate_tags"] == "SERVICE"
    assert svc["enable_execute_command"] is False
    assert svc["wait_for_steady_state"] is False
    assert svc["capacity_provider_strategy"] == [{"base": 0, "capacity_provider": "FARGATE", "weight": 1}]
    assert "launch_type" not in svc  # the capacity-provider strategy decides
    assert svc["load_balancer"] == [{
        "container_name": "app", "container_port": 3000,
        "target_group_arn": svc["load_balancer"][0]["target_group_arn"],
    }]  # fmt: skip
    assert "aws_lb_target_group.LoadBalancer_TargetGroup" in svc["load_balancer"][0]["target_group_arn"]
    assert any(d.startswith("aws_lb_listener.LoadBalancer_HttpListener") for d in svc["depends_on"])
    assert any(d.startswith("aws_iam_role_policy.Service_ExecutionRolePolicy") for d in svc["depends_on"])
    assert "alarms" not in svc and "service_registries" not in svc


# ---- IAM ---------------------------------------------------------------------------------------


def test_execution_role_is_limited_to_repository_log_group_and_nothing_else(defaults: dict[str, Any]) -> None:
    st = policy_statements(defaults, "Service/ExecutionPolicyDocument")
    assert set(st) == {"EcrAuth", "EcrPull", "WriteLogs"}
    assert st["EcrAuth"]["actions"] == ["ecr:GetAuthorizationToken"] and st["EcrAuth"]["resources"] == ["*"]
    assert sorted(st["EcrPull"]["actions"]) == [
        "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
    ]  # fmt: skip
    (repo,) = st["EcrPull"]["resources"]
    assert re.fullmatch(r"\$\{aws_ecr_repository\.Registry_Repository_\w+\.arn\}", repo)
    assert sorted(st["WriteLogs"]["actions"]) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    (logs,) = st["WriteLogs"]["resources"]
    assert re.fullmatch(r"\$\{aws_cloudwatch_log_group\.Service_LogGroup_\w+\.arn\}:log-stream:web\*", logs)  # its own streams
    assert all(s["effect"] == "Allow" for s in st.values())


def test_execution_role_reads_exactly_the_listed_secrets(full: dict[str, Any]) -> None:
    st = policy_statements(full, "Service/ExecutionPolicyDocument")
    assert st["ReadParameters"]["actions"] == ["ssm:GetParameters"]
    # the version suffix (":3") is not part of the IAM resource
    assert st["ReadParameters"]["resources"] == [SSM_ARN.rsplit(":", 1)[0]]
    assert st["ReadSecrets"]["actions"] == ["secretsmanager:GetSecretValue"]
    # the JSON-key suffix (":key::") is not part of the IAM resource
    assert st["ReadSecrets"]["resources"] == ["arn:aws:secretsmanager:us-east-1:123456789012:secret:app/api-AbCdEf"]
    (c,) = container_definitions(full)
    assert c["secrets"] == [{"name": "API_KEY", "valueFrom": SM_ARN}, {"name": "DB_PASSWORD", "valueFrom": SSM_ARN}]


def test_secret_resources_strip_ecs_only_suffixes() -> None:
    from modules.service import secret_resources

    secrets = {
        "A": "arn:aws:ssm:eu-west-1:123456789012:parameter/a/b",
        "B": "arn:aws:ssm:eu-west-1:123456789012:parameter/a/c:label",
        "C": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:s-AbCdEf",
        "D": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:s-AbCdEf:json::",
    }
    assert secret_resources(secrets, "ssm") == [
        "arn:aws:ssm:eu-west-1:123456789012:parameter/a/b", "arn:aws:ssm:eu-west-1:123456789012:parameter/a/c",
    ]  # fmt: skip
    assert secret_resources(secrets, "secretsmanager") == ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:s-AbCdEf"]


def test_task_role_is_empty_by_default(defaults: dict[str, Any]) -> None:
    policies = all_of(defaults, "aws_iam_role_policy")
    assert [p["name"] for p in policies] == ["pull-log-secrets"]  # the execution role's only
    assert "aws_iam_role_policy_attachment" not in defaults["resource"]
    assert not any("TaskPolicyDocument" in k for k in defaults["data"]["aws_iam_policy_document"])


def test_task_role_grants_come_from_config_and_ecs_exec(full: dict[str, Any]) -> None:
    st = policy_statements(full, "Service/TaskPolicyDocument")
    assert set(st) == {"ReadAssets", "EcsExec"}
    assert st["ReadAssets"]["actions"] == ["s3:GetObject"]
    assert st["ReadAssets"]["resources"] == ["arn:aws:s3:::assets/*"]
    assert sorted(st["EcsExec"]["actions"]) == [
        "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
    ]  # fmt: skip
    svc = by_id(full, "aws_ecs_service", "Service/Service")
    assert svc["enable_execute_command"] is True
    (c,) = container_definitions(full)
    assert c["linuxParameters"] == {"initProcessEnabled": True}


def test_roles_trust_only_ecs_tasks_of_this_account(defaults: dict[str, Any]) -> None:
    (st,) = policy_statements(defaults, "Service/TasksAssumeRole").values()
    assert st["actions"] == ["sts:AssumeRole"]
    assert st["principals"] == [{"identifiers": ["ecs-tasks.amazonaws.com"], "type": "Service"}]
    (cond,) = st["condition"]
    assert cond["variable"] == "aws:SourceAccount" and "aws_caller_identity" in cond["values"][0]
    execution = by_id(defaults, "aws_iam_role", "Service/ExecutionRole")
    assert "Service_TasksAssumeRole" in execution["assume_role_policy"]


def test_the_task_role_also_names_the_source_arn(defaults: dict[str, Any]) -> None:
    """Confused-deputy guard as terraform-aws-ecs: ECS of this account and region (aws:SourceArn)."""
    (st,) = policy_statements(defaults, "Service/TaskRoleTrust").values()
    assert st["principals"] == [{"identifiers": ["ecs-tasks.amazonaws.com"], "type": "Service"}]
    account, source = st["condition"]
    assert account["variable"] == "aws:SourceAccount" and account["test"] == "StringEquals"
    assert (source["variable"], source["test"]) == ("aws:SourceArn", "ArnLike")
    (arn,) = source["values"]
    assert arn.startswith("arn:${data.aws_partition.") and ":ecs:us-east-1:${data.aws_caller_identity." in arn
    assert arn.endswith(".account_id}:*")
    task_role = by_id(defaults, "aws_iam_role", "Service/TaskRole")
    assert "Service_TaskRoleTrust" in task_role["assume_role_policy"]


def test_policies_are_policy_documents_not_json_strings(full: dict[str, Any]) -> None:
    for policy in all_of(full, "aws_iam_role_policy") + all_of(full, "aws_iam_role"):
        doc = policy.get("policy") or policy.get("assume_role_policy")
        assert re.fullmatch(r"\$\{data\.aws_iam_policy_document\.\w+\.json\}", doc), doc


# ---- security group ----------------------------------------------------------------------------


def test_task_security_group_admits_only_the_alb_on_the_container_port(defaults: dict[str, Any]) -> None:
    ingress = [r for r in all_of(defaults, "aws_vpc_security_group_ingress_rule")
               if "Service_TaskSecurityGroup" in r["security_group_id"]]  # fmt: skip
    assert len(ingress) == 1
    (rule,) = ingress
    assert (rule["from_port"], rule["to_port"], rule["ip_protocol"]) == (3000, 3000, "tcp")
    assert "aws_security_group.LoadBalancer_SecurityGroup" in rule["referenced_security_group_id"]
    assert "cidr_ipv4" not in rule
    egress = [r for r in all_of(defaults, "aws_vpc_security_group_egress_rule")
              if "Service_TaskSecurityGroup" in r["security_group_id"]]  # fmt: skip
    assert [(r["from_port"], r["to_port"]) for r in egress] == [(443, 443)]
    alb_out = by_id(defaults, "aws_vpc_security_group_egress_rule", "Service/AlbEgressToTasks")
    assert "LoadBalancer_SecurityGroup" in alb_out["security_group_id"]
    assert "Service_TaskSecurityGroup" in alb_out["referenced_security_group_id"]
    assert (alb_out["from_port"], alb_out["to_port"]) == (3000, 3000)
    sg = by_id(defaults, "aws_security_group", "Service/TaskSecurityGroup")
    assert "ingress" not in sg and "egress" not in sg  # rules are separate resources


def test_full_options_service(full: dict[str, Any]) -> None:
    svc = by_id(full, "aws_ecs_service", "Service/Service")
    assert svc["network_configuration"]["assign_public_ip"] is True
    assert svc["deployment_circuit_breaker"] == {"enable": True, "rollback": False}
    assert (svc["deployment_minimum_healthy_percent"], svc["deployment_maximum_percent"]) == (50, 150)
    assert svc["health_check_grace_period_seconds"] == 60
    assert svc["desired_count"] == 3
    assert "aws_service_discovery_service.Discovery_Service" in svc["service_registries"]["registry_arn"]
    alarms = svc["alarms"]
    assert alarms["enable"] is True and alarms["rollback"] is True
    assert len(alarms["alarm_names"]) == 2
    assert all("aws_cloudwatch_metric_alarm" in n for n in alarms["alarm_names"])
    assert sum(d.startswith("aws_lb_listener.") for d in svc["depends_on"]) == 2  # HTTP and HTTPS
    td = by_id(full, "aws_ecs_task_definition", "Service/TaskDefinition")
    assert td["runtime_platform"]["cpu_architecture"] == "ARM64"
    assert (td["cpu"], td["memory"]) == ("512", "2048")
    ingress = [r for r in all_of(full, "aws_vpc_security_group_ingress_rule")
               if "Service_TaskSecurityGroup" in r["security_group_id"]]  # fmt: skip
    assert {(r["from_port"], r["to_port"]) for r in ingress} == {(8080, 8080)}
    sources = [r["referenced_security_group_id"] for r in ingress]
    assert len(sources) == 3
    assert [s for s in sources if s.startswith("sg-")] == list(CLIENT_SGS)  # the configured discovery clients, as given
    (alb,) = [s for s in sources if not s.startswith("sg-")]
    assert alb.startswith("${aws_security_group.LoadBalancer_SecurityGroup_")


def test_stateful_construct_ids_are_stable(defaults: dict[str, Any]) -> None:
    """Renaming these IDs would replace a real resource (log group history, ALB DNS name)."""
    assert sorted(defaults["resource"]["aws_cloudwatch_log_group"]) == ["Service_LogGroup_90084B16"]
    assert sorted(defaults["resource"]["aws_lb"]) == ["LoadBalancer_10456B95"]
    assert sorted(defaults["resource"]["aws_lb_target_group"]) == ["LoadBalancer_TargetGroup_81D27C85"]
    assert sorted(defaults["resource"]["aws_ecs_service"]) == ["Service_D69D759B"]


# ---- typed container definition ----------------------------------------------------------------


def test_to_api_camel_cases_and_drops_unset_and_empty() -> None:
    from modules.container import HealthCheck, MountPoint, to_api

    assert to_api(MountPoint(source_volume="tmp", container_path="/tmp")) == {
        "sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False,
    }  # fmt: skip
    assert to_api(HealthCheck(command=("CMD", "true"), interval=5, timeout=2, retries=1, start_period=0)) == {
        "command": ["CMD", "true"], "interval": 5, "timeout": 2, "retries": 1, "startPeriod": 0,
    }  # fmt: skip


def test_container_definition_is_typed_data(full: dict[str, Any]) -> None:
    """Every synthesized key comes from a ContainerDefinition field (no hand-written JSON)."""
    from modules.container import ContainerDefinition, _camel

    allowed = {_camel(f.name) for f in dataclasses.fields(ContainerDefinition)}
    (c,) = container_definitions(full)
    assert set(c) <= allowed, set(c) - allowed
    assert {"portMappings", "logConfiguration", "healthCheck", "stopTimeout", "readonlyRootFilesystem"} <= set(c)


# ---- validation: one test per rule -----------------------------------------------------------


@pytest.fixture(scope="module")
def parts() -> dict[str, Any]:
    """A cluster and registry to hang ServiceProps on (not synthesized)."""
    from cdktf import TerraformStack, Testing

    from modules.cluster import Cluster, ClusterProps
    from modules.registry import Registry, RegistryProps

    stack = TerraformStack(Testing.app(), "props")
    return {
        "cluster": Cluster(stack, "Cluster", props=ClusterProps(name="app-test")),
        "registry": Registry(stack, "Registry", props=RegistryProps(name="app-test")),
    }


def props(parts: dict[str, Any], **overrides: Any) -> Any:
    from modules.service import ServiceProps

    kwargs: dict[str, Any] = dict(
        name="app-test", service_name="app-test-web", app_name="app", env_name="dev", region="us-east-1",
        desired_count=2, log_retention_days=30,
        cluster=parts["cluster"], registry=parts["registry"], image_tag="abc", vpc_id="vpc-1", subnet_ids=SUBNETS,
        alb_security_group_id="sg-1", target_group_arn="arn:tg", listeners=[],
    )  # fmt: skip
    kwargs.update(overrides)
    return ServiceProps(**kwargs)


def test_valid_props_pass(parts: dict[str, Any]) -> None:
    assert props(parts).service_name == "app-test-web"


def test_props_reject_a_task_size_outside_the_fargate_matrix(parts: dict[str, Any]) -> None:
    bad = ContainerOptions(cpu=1024, memory_mib=512)
    with pytest.raises(ValueError, match=r"memory_mib=512 is not valid with cpu=1024; allowed: 2048\.\.8192 in steps of 1024"):
        props(parts, container=bad)


def test_props_reject_a_log_retention_cloudwatch_does_not_offer(parts: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"log_retention_days=10 is not a CloudWatch retention; allowed: 1, 3, 5, 7"):
        props(parts, log_retention_days=10)


def test_props_reject_negative_desired_count(parts: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"desired_count=-1; allowed: >= 0"):
        props(parts, desired_count=-1)


@pytest.mark.parametrize("name", ["PORT", "APP_ENV", "APP_NAME", "APP_VERSION"])
def test_props_reject_overriding_reserved_environment(parts: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=r"container\.environment\.%s is set by the service construct; allowed: any name except" % name):
        # The config model rejects these names first; the construct guards its own props too.
        props(parts, container=ContainerOptions(environment={name: "x"}))


def test_props_reject_ecs_exec_with_read_only_root(parts: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"enable_execute_command=true with container\.readonly_root_filesystem=true"):
        props(parts, service=ServiceOptions(enable_execute_command=True))


def test_props_reject_stop_timeout_above_fargate_maximum(parts: dict[str, Any]) -> None:
    bad = ContainerOptions(stop_timeout_seconds=121)
    with pytest.raises(ValueError, match=r"stop_timeout_seconds=121; allowed: 2\.\.120"):
        props(parts, container=bad)


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("health_check_interval_seconds", 4, "5..300"),
        ("health_check_timeout_seconds", 1, "2..60"),
        ("health_check_retries", 11, "1..10"),
        ("health_check_start_period_seconds", 301, "0..300"),
    ],
)
def test_props_reject_container_health_check_out_of_range(parts: dict[str, Any], field: str, value: int, allowed: str) -> None:
    with pytest.raises(ValueError, match=r"ServiceProps\.%s=%d; allowed: %s" % (field, value, re.escape(allowed))):
        props(parts, **{field: value})


def test_props_reject_health_check_timeout_not_below_interval(parts: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"health_check_timeout_seconds=10 must be less than health_check_interval_seconds=10"):
        props(parts, health_check_timeout_seconds=10, health_check_interval_seconds=10)


def test_props_reject_role_names_over_the_iam_limit(parts: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"makes the IAM role name '.*-execution' 65 characters; allowed: at most 64"):
        props(parts, name="a" * 55)


def test_props_reject_client_groups_without_a_registration(parts: dict[str, Any]) -> None:
    service = ServiceOptions(discovery_client_security_group_ids=("sg-12345678",))
    with pytest.raises(ValueError, match=r"discovery_client_security_group_ids=\['sg-12345678'\] without service_registry_arn"):
        props(parts, service=service)


def test_defaults_only_tasks_admit_the_alb_alone(defaults: dict[str, Any]) -> None:
    ingress = [r for r in all_of(defaults, "aws_vpc_security_group_ingress_rule")
               if "Service_TaskSecurityGroup" in r["security_group_id"]]  # fmt: skip
    assert len(ingress) == 1 and "LoadBalancer_SecurityGroup" in ingress[0]["referenced_security_group_id"]


# ---- the real provider schema ------------------------------------------------------------------


def test_full_options_stack_passes_terraform_validate(terraform: str, full: dict[str, Any], tmp_path: Path) -> None:
    """The environments do not exercise HTTPS, DNS, SNS, secrets or ECS Exec; this stack does."""
    (tmp_path / "main.tf.json").write_text(json.dumps(full))
    init = run_terraform(terraform, tmp_path, "init", "-backend=false", "-input=false")
    assert init.returncode == 0, init.stdout + init.stderr
    result = run_terraform(terraform, tmp_path, "validate", "-json")
    report = json.loads(result.stdout)
    assert report["valid"] is True, report
    assert report["warning_count"] == 0, report["diagnostics"]
    assert FULL_CONTAINER.port == 8080  # the stack above really used the non-default port


@pytest.mark.parametrize(("cpu", "workers"), [(256, 2), (512, 2), (1024, 3), (2048, 5), (4096, 9)])
def test_gunicorn_workers_follow_the_task_size(cpu: int, workers: int) -> None:
    from modules.container import gunicorn_workers

    assert gunicorn_workers(cpu) == workers


def _minimal_service(**extra: Any) -> dict[str, Any]:
    """A Service with only its required props (no cluster given), plus ``extra``; the synthesized JSON."""
    from modules.registry import Registry, RegistryProps
    from modules.service import Service, ServiceProps
    from tests.conftest import synth_construct

    def build(stack: Any) -> None:
        registry = Registry(stack, "Registry", props=RegistryProps(name="app-test"))
        Service(stack, "Service", props=ServiceProps(
            name="app-test", service_name="app-test-web", app_name="app", env_name="dev", region="us-east-1",
            desired_count=2, log_retention_days=30, registry=registry, image_tag="abc", vpc_id="vpc-1",
            subnet_ids=SUBNETS, alb_security_group_id="sg-1", target_group_arn="arn:tg", listeners=[], **extra,
        ))  # fmt: skip

    return synth_construct(build)


def test_service_without_a_cluster_creates_its_own() -> None:
    from tests.conftest import resources

    out = _minimal_service()
    ((cluster_id, cluster),) = resources(out, "aws_ecs_cluster").items()
    assert cluster["name"] == "app-test" and cluster_id.startswith("Service_Cluster_")
    (strategy,) = resources(out, "aws_ecs_cluster_capacity_providers").values()
    assert strategy["default_capacity_provider_strategy"] == [{"base": 0, "capacity_provider": "FARGATE", "weight": 1}]
    (service,) = resources(out, "aws_ecs_service").values()
    assert service["cluster"] == "${aws_ecs_cluster.%s.arn}" % cluster_id
    assert service["capacity_provider_strategy"] == [{"base": 0, "capacity_provider": "FARGATE", "weight": 1}]


def test_service_with_an_existing_log_group_creates_none_and_logs_there() -> None:
    from tests.conftest import resources

    out = _minimal_service(log_group_name="/shared/web")
    assert "aws_cloudwatch_log_group" not in out["resource"]
    (td,) = resources(out, "aws_ecs_task_definition").values()
    (container,) = json.loads(td["container_definitions"])
    assert container["logConfiguration"]["options"]["awslogs-group"] == "/shared/web"
    (partition,) = out["data"]["aws_partition"]
    (identity,) = out["data"]["aws_caller_identity"]
    documents = out["data"]["aws_iam_policy_document"]
    (write_logs,) = [st for doc in documents.values() for st in doc["statement"] if st.get("sid") == "WriteLogs"]
    assert write_logs["resources"] == [
        "arn:${data.aws_partition.%s.partition}:logs:us-east-1:${data.aws_caller_identity.%s.account_id}"
        ":log-group:/shared/web:log-stream:web*" % (partition, identity)
    ]
