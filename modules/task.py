"""FargateTask: a Fargate task definition with its roles, log group and security group, for a service or a job.

Smallest example::

    from modules.task import FargateTask, TaskProps

    task = FargateTask(Construct(stack, "Nightly"), props=TaskProps(
        name="flask-app-dev-nightly", family="flask-app-dev-nightly", app_name="flask-app",
        env_name="dev", region="us-east-1", log_retention_days=30, registry=registry,
        image_tag=image_tag.string_value, vpc_id=network.vpc_id,
        container=ContainerOptions(port=None, command=("python", "-m", "app.job"))))
    task.task_definition_arn, task.task_security_group_id, task.task_role_arn

What it builds (``container`` defaults to :class:`ContainerOptions`: 0.25 vCPU / 512 MiB on port 3000):

* a CloudWatch log group (``log_group_path``, ``/ecs/{name}/web`` unless set) with the configured
  retention (and KMS key, when ``log_kms_key_arn`` is given), unless ``log_group_name`` names an
  existing one;
* the task definition ``family``: ``awsvpc``, compatible with ``requires_compatibilities`` (``FARGATE``
  unless set; ``EC2`` for EC2 capacity, or both), cpu/memory checked against the Fargate matrix when
  Fargate is among them (else against the EC2 task size range), the configured runtime platform,
  and the app container of :mod:`modules.container`
  (image ``<repository url>:<image tag>``, awslogs to this log group under
  ``log_stream_prefix``, the health check from the props when the container has a port), then
  the sidecars of ``container.sidecars`` (awslogs under ``<log_stream_prefix>-<sidecar>``, each
  read-only one with a ``<sidecar>-tmp`` volume); ``create_before_destroy``, so a new revision
  exists before the old one goes;
* the execution role ``{name}-execution``, allowed only to pull from this repository and from the
  private ECR repositories of sidecar images (plus ``ecr:GetAuthorizationToken``; other registries
  such as public.ecr.aws need no grant), write its own streams (``<log_stream_prefix>*``) of this
  log group, read the listed secrets and, for secrets under a customer-managed KMS key
  (``container.secret_kms_key_arns``), ``kms:Decrypt`` on exactly those keys, only through Secrets
  Manager or SSM in the secret's region (``kms:ViaService``);
* the task role ``{name}-task``, trusted by ECS tasks of this account and region only, with no
  permissions unless ``task_role_statements`` or a sidecar's own ``task_role_statements`` grant
  some (plus the four ``ssmmessages`` actions when ECS Exec is on);
* the task security group ``{name}-tasks-*``: no ingress (the service adds who may call), egress
  HTTPS, plus the ``egress_rules`` (:mod:`modules.egress`: a database's port to its security group, ...).

Construct IDs are a contract, so ``FargateTask`` is not a scope of its own: its resources are
created directly in ``scope`` (``LogGroup``, ``ExecutionRole``, ``TaskRole``, ``TaskDefinition``,
``TaskSecurityGroup``, ...); :class:`modules.service.Service` passes itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.ecs_task_definition import (
    EcsTaskDefinition,
    EcsTaskDefinitionRuntimePlatform,
    EcsTaskDefinitionVolume,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from constructs import Construct

from modules.container import (
    TMP_VOLUME,
    ContainerDefinition,
    ContainerOptions,
    HealthCheckSettings,
    app_container_definition,
    sidecar_container_definitions,
    sidecar_volume,
    to_api,
)
from modules.egress import EgressRule, add_egress_rules, egress_rules_problem
from modules.interfaces import IRegistry
from modules.security_group import replaceable_security_group
from rules.container import RESERVED_ENV, private_ecr_repository, sidecars_problem
from rules.ec2 import ec2_task_size_problem
from rules.egress import decrypt_grants, secret_keys_problem
from rules.fargate import check_task_size
from rules.logs import retention_problem
from rules.naming import LIMITS

#: Actions the SSM agent inside a task needs for ECS Exec (and nothing else).
ECS_EXEC_ACTIONS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)
#: Launch types a task definition can require (``requiresCompatibilities``) in this project.
COMPATIBILITIES = frozenset({"EC2", "FARGATE"})
ECR_PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")


@dataclass(frozen=True, kw_only=True)
class PolicyStatement:
    """One Allow statement of the task role, e.g. ``s3:GetObject`` on one bucket."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class TaskProps:
    """Inputs of :class:`FargateTask`."""

    name: str
    """Physical name prefix: the roles are ``{name}-execution`` / ``{name}-task``, the security group
    ``{name}-tasks``, the log group ``/ecs/{name}/web`` unless ``log_group_path`` is set."""
    family: str
    """Task-definition family (a service's name, or the job's)."""
    app_name: str
    """``APP_NAME`` in the container."""
    env_name: str
    """``APP_ENV`` in the container."""
    region: str
    """Region of the awslogs driver."""
    log_retention_days: int
    """Retention of the log group; must be a CloudWatch retention value."""
    registry: IRegistry
    """Repository the image is pulled from; the execution role may pull from it only."""
    image_tag: str
    """Tag (usually a ``var.image_tag`` token) of the image; also ``APP_VERSION``."""
    vpc_id: str
    """VPC of the task security group."""
    container: ContainerOptions = field(default_factory=ContainerOptions)
    """Task size, platform, port, health path, command, environment, secrets, user, read-only root, stop
    timeout; :class:`ContainerOptions`' defaults unless set."""
    task_role_statements: tuple[PolicyStatement, ...] = ()
    """Grants of the task role; it has no permissions unless set."""
    enable_execute_command: bool = False
    """ECS Exec into running tasks (an init process and the ``ssmmessages`` grants); off unless set."""
    log_kms_key_arn: str | None = None
    """Customer-managed KMS key for the log group; CloudWatch Logs' own encryption when unset. The
    execution role needs no KMS grant: CloudWatch Logs encrypts on the service side."""
    log_group_name: str | None = None
    """Existing CloudWatch log group (in this account and region) the container logs to; when unset the
    construct creates ``log_group_path`` with ``log_retention_days`` and ``log_kms_key_arn``, which are
    not used otherwise."""
    log_group_path: str | None = None
    """Name of the log group created here; ``/ecs/{name}/web`` unless set."""
    log_stream_prefix: str = "web"
    """First part of each task's log stream name; ``web`` unless set."""
    security_group_description: str = "ECS tasks: the container port from the load balancer only"
    """Description of the task security group (changing it replaces the group); says who may call the tasks."""
    health_check_interval_seconds: int = 15
    """Container health-check interval; 15 s unless set (ECS allows 5..300)."""
    health_check_timeout_seconds: int = 5
    """Container health-check timeout; 5 s unless set (ECS allows 2..60)."""
    health_check_retries: int = 3
    """Failures before the container is unhealthy; 3 unless set (ECS allows 1..10)."""
    health_check_start_period_seconds: int = 10
    """Failures ignored after start; 10 s unless set (ECS allows 0..300)."""
    requires_compatibilities: tuple[str, ...] = ("FARGATE",)
    """Launch types the task definition is valid for: ``("FARGATE",)`` unless set; ``("EC2",)`` for EC2
    capacity providers only, ``("EC2", "FARGATE")`` for both. The network mode stays ``awsvpc`` either way
    (each task its own ENI and security group)."""
    egress_rules: tuple[EgressRule, ...] = ()
    """Egress rules of the task security group beyond its HTTPS rule (a database, a cache, ...); none unless set."""
    open_egress_needs_reason: bool = False
    """Refuse an egress rule open to the whole internet on anything but TCP 443 unless it carries
    ``allow_open_reason`` (set in production); such rules are accepted unless set."""

    def __post_init__(self) -> None:
        compatibilities = self.requires_compatibilities
        if (
            not compatibilities
            or len(set(compatibilities)) < len(compatibilities)
            or set(compatibilities) - COMPATIBILITIES
        ):
            raise ValueError(
                "TaskProps.requires_compatibilities=%r; allowed: ('FARGATE',), ('EC2',) or ('EC2', 'FARGATE')"
                % (compatibilities,)
            )
        if "FARGATE" in compatibilities:
            problem = check_task_size(self.container.cpu, self.container.memory_mib)
        else:
            problem = ec2_task_size_problem(self.container.cpu, self.container.memory_mib)
        if problem:
            raise ValueError("TaskProps.container.%s" % problem)
        problem = retention_problem(self.log_retention_days)
        if problem:
            raise ValueError("TaskProps.log_retention_days=%s" % problem)
        c = self.container
        problem = sidecars_problem(c.sidecars, cpu=c.cpu, memory_mib=c.memory_mib, app_port=c.port,
                                   app_environment=[*c.environment, *c.secrets])  # fmt: skip
        if problem:
            raise ValueError("TaskProps.container.%s (task %s)" % (problem, self.family))
        problem = egress_rules_problem(self.egress_rules, open_egress_needs_reason=self.open_egress_needs_reason)
        if problem:
            raise ValueError("TaskProps.%s (task %s)" % (problem, self.family))
        problem = secret_keys_problem(c.secret_kms_key_arns, c.secrets)
        if problem:
            raise ValueError("TaskProps.container.%s (task %s)" % (problem, self.family))
        sids = [st.sid for st in self.task_role_statements] + [st.sid for s in c.sidecars for st in s.task_role_statements]
        repeated = sorted({sid for sid in sids if sids.count(sid) > 1})
        if repeated:
            raise ValueError(
                "TaskProps.task_role_statements and container.sidecars[*].task_role_statements repeat the sid %s;"
                " allowed: a sid of its own for each statement of the task role" % ", ".join(map(repr, repeated))
            )
        for name in RESERVED_ENV:
            if name in self.container.environment or name in self.container.secrets:
                raise ValueError(
                    "container.environment.%s is set by the service construct; allowed: any name except %s"
                    % (name, ", ".join(RESERVED_ENV))
                )
        if self.enable_execute_command and self.container.readonly_root_filesystem:
            raise ValueError(
                "service.enable_execute_command=true with container.readonly_root_filesystem=true: the ECS Exec"
                " agent needs a writable root filesystem; allowed: one of them true"
            )
        if self.container.stop_timeout_seconds > 120:
            raise ValueError(
                "container.stop_timeout_seconds=%d; allowed: 2..120 (the Fargate maximum)"
                % self.container.stop_timeout_seconds
            )
        if self.container.port is not None and not 1 <= self.container.port <= 65535:
            raise ValueError("TaskProps.container.port=%r; allowed: 1..65535, or None" % self.container.port)
        ranges = (
            ("health_check_interval_seconds", self.health_check_interval_seconds, 5, 300),
            ("health_check_timeout_seconds", self.health_check_timeout_seconds, 2, 60),
            ("health_check_retries", self.health_check_retries, 1, 10),
            ("health_check_start_period_seconds", self.health_check_start_period_seconds, 0, 300),
        )
        for field_name, value, lo, hi in ranges:
            if not lo <= value <= hi:
                raise ValueError("TaskProps.%s=%r; allowed: %d..%d" % (field_name, value, lo, hi))
        if self.health_check_timeout_seconds >= self.health_check_interval_seconds:
            raise ValueError(
                "TaskProps.health_check_timeout_seconds=%d must be less than health_check_interval_seconds=%d"
                % (self.health_check_timeout_seconds, self.health_check_interval_seconds)
            )
        for suffix in ("execution", "task"):
            role = "%s-%s" % (self.name, suffix)
            if len(role) > LIMITS["iam_role"]:
                raise ValueError(
                    "TaskProps.name=%r makes the IAM role name %r %d characters; allowed: at most %d"
                    % (self.name, role, len(role), LIMITS["iam_role"])
                )


def secret_resources(secrets: Mapping[str, str], service: str) -> list[str]:
    """IAM resources for the secrets of one service (``ssm`` or ``secretsmanager``).

    ECS accepts ``valueFrom`` with suffixes IAM does not: an SSM parameter version or label
    (``parameter/x:3``) and a Secrets Manager JSON key / stage / version
    (``secret:x-AbCdEf:key::``). Those are cut off, so the grant names the secret itself.
    """
    out = set()
    for arn in secrets.values():
        parts = arn.split(":")
        if parts[2] != service:
            continue
        if service == "secretsmanager":
            out.add(":".join(parts[:7]))
        else:
            out.add(re.sub(r"(parameter/[^:]+):[^:/]+$", r"\1", arn))
    return sorted(out)


def sidecar_repositories(container: ContainerOptions, partition: str) -> list[str]:
    """ARNs of the private ECR repositories the sidecars' images come from (the execution role pulls them)."""
    out = set()
    for sidecar in container.sidecars:
        repository = private_ecr_repository(sidecar.image)
        if repository is not None:
            account, region, name = repository
            out.add("arn:%s:ecr:%s:%s:repository/%s" % (partition, region, account, name))
    return sorted(out)


@dataclass(frozen=True)
class _Policy:
    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    via_services: tuple[str, ...] = ()
    """``kms:ViaService`` values the statement is limited to; no condition unless set."""


class FargateTask:
    """Log group, roles, task definition and task security group (see module docstring). Not a scope of its own."""

    task_definition_arn: str
    task_definition_family: str
    log_group_name: str
    log_group_arn: str
    task_security_group_id: str
    execution_role_arn: str
    task_role_arn: str
    container_definition: ContainerDefinition
    execution_policy: IamRolePolicy
    """The execution role's policy: a service depends on it, so tasks can stop cleanly on destroy."""
    egress_rules: list[VpcSecurityGroupEgressRule]

    def __init__(self, scope: Construct, *, props: TaskProps) -> None:
        c = props.container
        log_group_path = props.log_group_path or "/ecs/%s/web" % props.name
        existing_log_group = props.log_group_name
        log_group = None
        if existing_log_group is None:
            log_group = CloudwatchLogGroup(
                scope,
                "LogGroup",
                name=log_group_path,
                retention_in_days=props.log_retention_days,
                kms_key_id=props.log_kms_key_arn,
                tags={"Name": log_group_path},
            )
        self._scope = scope

        # ---- IAM
        account_id = DataAwsCallerIdentity(scope, "CallerIdentity").account_id
        partition = DataAwsPartition(scope, "Partition").partition
        # Confused-deputy guards: only ECS tasks of this account may assume the execution role; the
        # task role also names where the request comes from (ECS in this account and region), as
        # terraform-aws-ecs does for its task role.
        execution_trust = self._ecs_tasks_trust("TasksAssumeRole", account_id)
        task_trust = self._ecs_tasks_trust(
            "TaskRoleTrust", account_id, source_arn="arn:%s:ecs:%s:%s:*" % (partition, props.region, account_id),
        )  # fmt: skip
        if existing_log_group is not None:
            log_group_name = existing_log_group
            log_group_arn = "arn:%s:logs:%s:%s:log-group:%s" % (
                partition,
                props.region,
                account_id,
                log_group_name,
            )
        elif log_group is not None:
            log_group_arn = log_group.arn
            log_group_name = log_group.name
        execution_role = IamRole(
            scope,
            "ExecutionRole",
            name="%s-execution" % props.name,
            description="ECS pulls the image, writes logs and reads the secrets of %s" % props.family,
            assume_role_policy=execution_trust,
        )
        execution: list[_Policy] = [
            _Policy("EcrAuth", ("ecr:GetAuthorizationToken",), ("*",)),
            _Policy("EcrPull", ECR_PULL_ACTIONS, (props.registry.repository_arn, *sidecar_repositories(c, partition))),
            # Only this task's own streams (``<log_stream_prefix>/<container>/<task id>``, and its sidecars'
            # ``<log_stream_prefix>-<sidecar>/...``): workloads that share a log group cannot write each other's.
            _Policy(
                "WriteLogs",
                ("logs:CreateLogStream", "logs:PutLogEvents"),
                ("%s:log-stream:%s*" % (log_group_arn, props.log_stream_prefix),),
            ),
        ]
        ssm = secret_resources(c.secrets, "ssm")
        if ssm:
            execution.append(_Policy("ReadParameters", ("ssm:GetParameters",), tuple(ssm)))
        secretsmanager = secret_resources(c.secrets, "secretsmanager")
        if secretsmanager:
            execution.append(_Policy("ReadSecrets", ("secretsmanager:GetSecretValue",), tuple(secretsmanager)))
        # Secrets under a customer-managed key: decrypt with exactly those keys, and only when Secrets Manager
        # or SSM asks KMS on the role's behalf while reading one of them.
        for i, (keys, via) in enumerate(decrypt_grants(c.secret_kms_key_arns, c.secrets)):
            execution.append(_Policy("DecryptSecrets%s" % (i or ""), ("kms:Decrypt",), keys, via_services=via))
        execution_doc = self._document("ExecutionPolicyDocument", execution)
        self.execution_policy = IamRolePolicy(
            scope, "ExecutionRolePolicy", name="pull-log-secrets", role=execution_role.id, policy=execution_doc.json
        )

        task_role = IamRole(
            scope,
            "TaskRole",
            name="%s-task" % props.name,
            description="What the %s app itself may call; nothing unless granted in config" % props.family,
            assume_role_policy=task_trust,
        )
        statements = [*props.task_role_statements, *(st for s in c.sidecars for st in s.task_role_statements)]
        grants = [_Policy(st.sid, st.actions, st.resources) for st in statements]
        if props.enable_execute_command:
            grants.append(_Policy("EcsExec", ECS_EXEC_ACTIONS, ("*",)))
        if grants:
            task_doc = self._document("TaskPolicyDocument", grants)
            IamRolePolicy(scope, "TaskRolePolicy", name="app-grants", role=task_role.id, policy=task_doc.json)

        # ---- task definition
        container = app_container_definition(
            options=c,
            image="%s:%s" % (props.registry.repository_url, props.image_tag),
            app_name=props.app_name,
            env_name=props.env_name,
            version=props.image_tag,
            log_group_name=log_group_name,
            region=props.region,
            health_check=HealthCheckSettings(
                interval_seconds=props.health_check_interval_seconds,
                timeout_seconds=props.health_check_timeout_seconds,
                retries=props.health_check_retries,
                start_period_seconds=props.health_check_start_period_seconds,
            ),
            init_process=props.enable_execute_command,
            log_stream_prefix=props.log_stream_prefix,
            otel_service_name=props.family,
        )
        sidecars = sidecar_container_definitions(
            options=c, log_group_name=log_group_name, region=props.region, log_stream_prefix=props.log_stream_prefix
        )
        self.container_definition = container
        execution_role_arn = execution_role.arn
        task_role_arn = task_role.arn
        task_definition = EcsTaskDefinition(
            scope,
            "TaskDefinition",
            family=props.family,
            cpu=str(c.cpu),
            memory=str(c.memory_mib),
            network_mode="awsvpc",
            requires_compatibilities=list(props.requires_compatibilities),
            runtime_platform=EcsTaskDefinitionRuntimePlatform(
                operating_system_family="LINUX", cpu_architecture=c.cpu_architecture
            ),
            execution_role_arn=execution_role_arn,
            task_role_arn=task_role_arn,
            container_definitions=json.dumps([to_api(container), *map(to_api, sidecars)], sort_keys=True),
            volume=[
                EcsTaskDefinitionVolume(name=TMP_VOLUME),
                *(EcsTaskDefinitionVolume(name=sidecar_volume(s.name)) for s in c.sidecars if s.readonly_root_filesystem),
            ],
            tags={"Name": props.family},
            # A new revision is registered before the old one is deregistered, so the service always
            # references an active revision while it rolls over (as terraform-aws-ecs does).
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )

        # ---- security group: egress only; who may call the tasks is the service's business
        sg_id = replaceable_security_group(
            scope, "TaskSecurityGroup", name="%s-tasks" % props.name, vpc_id=props.vpc_id,
            description=props.security_group_description,
        ).id  # fmt: skip
        egress_rules = [VpcSecurityGroupEgressRule(
            scope,
            "TaskEgressHttps",
            security_group_id=sg_id,
            description="HTTPS out: ECR, CloudWatch Logs, secrets, S3 (via endpoints or NAT)",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4="0.0.0.0/0",
        )]  # fmt: skip
        egress_rules += add_egress_rules(scope, security_group_id=sg_id, rules=props.egress_rules,
                                         open_egress_needs_reason=props.open_egress_needs_reason)  # fmt: skip
        self.egress_rules = egress_rules

        self.task_definition_arn = task_definition.arn
        self.task_definition_family = task_definition.family
        self.log_group_name = log_group_name
        self.log_group_arn = log_group_arn
        self.task_security_group_id = sg_id
        self.execution_role_arn = execution_role_arn
        self.task_role_arn = task_role_arn

    def _ecs_tasks_trust(self, id_: str, account_id: str, *, source_arn: str | None = None) -> str:
        """Trust policy JSON: ``ecs-tasks.amazonaws.com`` from ``account_id`` (and ``source_arn``, when given)."""
        conditions = [DataAwsIamPolicyDocumentStatementCondition(test="StringEquals", variable="aws:SourceAccount",
                                                                 values=[account_id])]  # fmt: skip
        if source_arn is not None:
            conditions.append(
                DataAwsIamPolicyDocumentStatementCondition(
                    test="ArnLike", variable="aws:SourceArn", values=[source_arn]
                )
            )
        document = DataAwsIamPolicyDocument(
            self._scope,
            id_,
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="EcsTasksAssume",
                    actions=["sts:AssumeRole"],
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(
                            type="Service", identifiers=["ecs-tasks.amazonaws.com"]
                        )
                    ],
                    condition=conditions,
                )
            ],
        )
        return str(document.json)

    def _document(self, id_: str, policies: list[_Policy]) -> DataAwsIamPolicyDocument:
        return DataAwsIamPolicyDocument(
            self._scope,
            id_,
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid=p.sid,
                    effect="Allow",
                    actions=list(p.actions),
                    resources=list(p.resources),
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="StringEquals", variable="kms:ViaService", values=list(p.via_services)
                        )
                    ] if p.via_services else None,
                )
                for p in policies
            ],
        )
