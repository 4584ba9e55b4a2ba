"""Service: the Fargate task definition, its roles and log group, the task security group and the ECS service.

Smallest example::

    from modules.service import Service, ServiceProps

    svc = Service(stack, "Service", props=ServiceProps(
        name="flask-app-dev", service_name="flask-app-dev-web", app_name="flask-app", env_name="dev",
        region="us-east-1", desired_count=2, log_retention_days=30, registry=registry,
        image_tag=image_tag.string_value, vpc_id=network.vpc_id, subnet_ids=network.private_subnet_ids,
        alb_security_group_id=lb.security_group_id, target_group_arn=lb.target_group_arn,
        listeners=lb.listeners))
    svc.service_name, svc.log_group_name, svc.task_security_group_id

What it builds (``container`` and ``service`` default to :class:`ContainerOptions` /
:class:`ServiceOptions`: 0.25 vCPU / 512 MiB on port 3000, rolling deploys with rollback):

* a cluster of its own (:class:`modules.cluster.Cluster`, id ``Cluster``) when ``cluster`` is
  not given;
* a CloudWatch log group ``/ecs/{name}/web`` with the configured retention (and KMS key, when
  ``log_kms_key_arn`` is given), owned here, unless ``log_group_name`` names an existing one;
* the task definition: ``awsvpc``, ``FARGATE``, cpu/memory checked against the Fargate matrix,
  the configured runtime platform, and the app container of :mod:`modules.container` (image
  ``<repository url>:<image tag>``, awslogs to this log group, the health check from the props);
* the execution role, allowed only to pull from this environment's repository (plus
  ``ecr:GetAuthorizationToken``), write to this service's log group and read the listed secrets;
* the task role, with no permissions unless ``service.task_role_statements`` grants some (plus
  the four ``ssmmessages`` actions when ECS Exec is on);
* the task security group: ingress on the container port from the ALB security group, and from
  each of ``service.discovery_client_security_group_ids`` (none unless configured); egress
  HTTPS only. The matching egress
  rule on the ALB security group (to this group, container port) is added here too;
* the ECS service: subnets and public-IP switch from the props, the cluster's capacity-provider
  strategy, min/max healthy percent, circuit breaker (rollback from config), grace period,
  ECS Exec toggle, ``propagate_tags=SERVICE``, optional deployment alarms and Cloud Map
  registration, ``depends_on`` the listeners, and ``ignore_changes=[desired_count]`` because
  autoscaling owns the count. ``wait_for_steady_state`` is off: the deploy waits itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cdktf import ITerraformDependable, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.ecs_service import (
    EcsService,
    EcsServiceAlarms,
    EcsServiceCapacityProviderStrategy,
    EcsServiceDeploymentCircuitBreaker,
    EcsServiceDeploymentController,
    EcsServiceLoadBalancer,
    EcsServiceNetworkConfiguration,
    EcsServiceServiceRegistries,
)
from cdktf_cdktf_provider_aws.ecs_task_definition import (
    EcsTaskDefinition,
    EcsTaskDefinitionRuntimePlatform,
    EcsTaskDefinitionVolume,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from modules.cluster import Cluster, ClusterProps
from modules.container import (
    CONTAINER_NAME,
    TMP_VOLUME,
    ContainerDefinition,
    ContainerOptions,
    HealthCheckSettings,
    app_container_definition,
    to_api,
)
from modules.interfaces import ICluster, IRegistry
from modules.security_group import replaceable_security_group
from rules.capacity import spot_architecture_problem
from rules.container import RESERVED_ENV
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
ECR_PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")


# ---- props --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PolicyStatement:
    """One Allow statement of the task role, e.g. ``s3:GetObject`` on one bucket."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ServiceOptions:
    """How ECS runs and rolls out the service."""

    health_check_grace_period_seconds: int = 30
    """Load-balancer health checks ignored after a task starts; 30 s unless set."""
    deployment_minimum_healthy_percent: int = 100
    """Healthy share kept during a deployment; 100 % unless set."""
    deployment_maximum_percent: int = 200
    """Running share allowed during a deployment; 200 % unless set."""
    circuit_breaker_rollback: bool = True
    """Roll back a deployment the circuit breaker stops; on unless set."""
    enable_execute_command: bool = False
    """ECS Exec into running tasks; off unless set (needs a writable root filesystem)."""
    discovery_client_security_group_ids: tuple[str, ...] = ()
    """Security groups of in-VPC callers allowed on the container port (with ``service_registry_arn``); none
    unless set, so the tasks accept only the load balancer."""
    task_role_statements: tuple[PolicyStatement, ...] = ()
    """Grants of the task role; it has no permissions unless set."""


@dataclass(frozen=True, kw_only=True)
class ServiceProps:
    """Inputs of :class:`Service`."""

    name: str
    """Physical name prefix, ``{app}-{env}``: the roles are ``{name}-execution`` / ``{name}-task``,
    the security group ``{name}-tasks``, the log group ``/ecs/{name}/web``."""
    service_name: str
    """ECS service name and task-definition family, ``{app}-{env}-web`` (a plain string, so alarms can
    name the service without depending on it)."""
    app_name: str
    """``APP_NAME`` in the container."""
    env_name: str
    """``APP_ENV`` in the container."""
    region: str
    """Region of the awslogs driver."""
    desired_count: int
    """Tasks at first deploy; later changes are ignored (autoscaling owns the count)."""
    log_retention_days: int
    """Retention of the service's log group; must be a CloudWatch retention value."""
    registry: IRegistry
    """Repository the image is pulled from; the execution role may pull from it only."""
    image_tag: str
    """Tag (usually a ``var.image_tag`` token) of the image; also ``APP_VERSION``."""
    vpc_id: str
    """VPC of the task security group."""
    subnet_ids: list[str]
    """Subnets the tasks run in (private unless the environment opts into public ones)."""
    alb_security_group_id: str
    """The only security group allowed to reach the tasks on the container port."""
    target_group_arn: str
    """Target group the service registers its tasks with."""
    listeners: Sequence[ITerraformDependable]
    """Listeners the service depends on (a target group must be attached before ECS uses it)."""
    container: ContainerOptions = field(default_factory=ContainerOptions)
    """Task size, platform, port, health path, environment, secrets, user, read-only root, stop timeout;
    :class:`ContainerOptions`' defaults unless set."""
    service: ServiceOptions = field(default_factory=ServiceOptions)
    """Deployment percentages, circuit breaker, grace period, ECS Exec, task-role grants;
    :class:`ServiceOptions`' defaults unless set."""
    cluster: ICluster | None = None
    """Cluster the service runs in, whose capacity-provider strategy is reused; when unset the construct
    creates a cluster named ``name`` (all on-demand FARGATE, Container Insights on)."""
    assign_public_ip: bool = False
    """Give tasks public IPs; off unless set (only for tasks in public subnets without NAT)."""
    service_registry_arn: str | None = None
    """Cloud Map service to register tasks in; no registration when unset. Which in-VPC callers may
    connect is ``service.discovery_client_security_group_ids``."""
    deployment_alarm_names: tuple[str, ...] = ()
    """CloudWatch alarms that roll a deployment back when they fire; none unless set."""
    log_kms_key_arn: str | None = None
    """Customer-managed KMS key for the log group; CloudWatch Logs' own encryption when unset. The
    execution role needs no KMS grant: CloudWatch Logs encrypts on the service side."""
    log_group_name: str | None = None
    """Existing CloudWatch log group (in this account and region) the container logs to; when unset the
    construct creates ``/ecs/{name}/web`` with ``log_retention_days`` and ``log_kms_key_arn``, which are
    not used otherwise."""
    health_check_interval_seconds: int = 15
    """Container health-check interval; 15 s unless set (ECS allows 5..300)."""
    health_check_timeout_seconds: int = 5
    """Container health-check timeout; 5 s unless set (ECS allows 2..60)."""
    health_check_retries: int = 3
    """Failures before the container is unhealthy; 3 unless set (ECS allows 1..10)."""
    health_check_start_period_seconds: int = 10
    """Failures ignored after start; 10 s unless set (ECS allows 0..300)."""

    def __post_init__(self) -> None:
        problem = check_task_size(self.container.cpu, self.container.memory_mib)
        if problem:
            raise ValueError("ServiceProps.container.%s" % problem)
        strategy = self.cluster.strategy if self.cluster is not None else ()
        uses_spot = any(i.capacity_provider == "FARGATE_SPOT" for i in strategy)
        spot = spot_architecture_problem(uses_spot, self.container.cpu_architecture)
        if spot:
            raise ValueError(
                "ServiceProps.container.cpu_architecture='ARM64' with a FARGATE_SPOT capacity-provider strategy:"
                " %s; allowed: cpu_architecture='X86_64' or a cluster with fargate_spot_percent=0" % spot
            )
        problem = retention_problem(self.log_retention_days)
        if problem:
            raise ValueError("ServiceProps.log_retention_days=%s" % problem)
        if self.desired_count < 0:
            raise ValueError("ServiceProps.desired_count=%r; allowed: >= 0" % self.desired_count)
        for name in RESERVED_ENV:
            if name in self.container.environment or name in self.container.secrets:
                raise ValueError(
                    "container.environment.%s is set by the service construct; allowed: any name except %s"
                    % (name, ", ".join(RESERVED_ENV))
                )
        if self.service.enable_execute_command and self.container.readonly_root_filesystem:
            raise ValueError(
                "service.enable_execute_command=true with container.readonly_root_filesystem=true: the ECS Exec"
                " agent needs a writable root filesystem; allowed: one of them true"
            )
        if self.container.stop_timeout_seconds > 120:
            raise ValueError(
                "container.stop_timeout_seconds=%d; allowed: 2..120 (the Fargate maximum)"
                % self.container.stop_timeout_seconds
            )
        ranges = (
            ("health_check_interval_seconds", self.health_check_interval_seconds, 5, 300),
            ("health_check_timeout_seconds", self.health_check_timeout_seconds, 2, 60),
            ("health_check_retries", self.health_check_retries, 1, 10),
            ("health_check_start_period_seconds", self.health_check_start_period_seconds, 0, 300),
        )
        for field_name, value, lo, hi in ranges:
            if not lo <= value <= hi:
                raise ValueError("ServiceProps.%s=%r; allowed: %d..%d" % (field_name, value, lo, hi))
        if self.health_check_timeout_seconds >= self.health_check_interval_seconds:
            raise ValueError(
                "ServiceProps.health_check_timeout_seconds=%d must be less than health_check_interval_seconds=%d"
                % (self.health_check_timeout_seconds, self.health_check_interval_seconds)
            )
        for suffix in ("execution", "task"):
            role = "%s-%s" % (self.name, suffix)
            if len(role) > LIMITS["iam_role"]:
                raise ValueError(
                    "ServiceProps.name=%r makes the IAM role name %r %d characters; allowed: at most %d"
                    % (self.name, role, len(role), LIMITS["iam_role"])
                )
        if self.service.discovery_client_security_group_ids and self.service_registry_arn is None:
            raise ValueError(
                "ServiceProps.service.discovery_client_security_group_ids=%r without service_registry_arn: the"
                " clients would have no Cloud Map name to call; allowed: a service_registry_arn, or no client groups"
                % (list(self.service.discovery_client_security_group_ids),)
            )


# ---- the construct ------------------------------------------------------------------------


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


@dataclass(frozen=True)
class _Policy:
    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]


class Service(Construct):
    """Task definition, roles, log group, task security group and ECS service (see module docstring)."""

    cluster: ICluster
    """The cluster the service runs in: ``props.cluster``, or the one created here."""
    service_name: str
    service_arn: str
    task_definition_arn: str
    task_definition_family: str
    log_group_name: str
    log_group_arn: str
    task_security_group_id: str
    execution_role_arn: str
    task_role_arn: str
    container_name: str
    container_port: int
    container_definition: ContainerDefinition

    def __init__(self, scope: Construct, id_: str, *, props: ServiceProps) -> None:
        super().__init__(scope, id_)
        c = props.container
        s = props.service
        service_name = props.service_name
        family = service_name

        existing_log_group = props.log_group_name
        log_group = None
        if existing_log_group is None:
            log_group = CloudwatchLogGroup(
                self,
                "LogGroup",
                name="/ecs/%s/web" % props.name,
                retention_in_days=props.log_retention_days,
                kms_key_id=props.log_kms_key_arn,
                tags={"Name": "/ecs/%s/web" % props.name},
            )

        cluster = props.cluster
        if cluster is None:
            cluster = Cluster(self, "Cluster", props=ClusterProps(name=props.name))
        self.cluster = cluster

        # ---- IAM
        account_id = DataAwsCallerIdentity(self, "CallerIdentity").account_id
        partition = DataAwsPartition(self, "Partition").partition
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
            self,
            "ExecutionRole",
            name="%s-execution" % props.name,
            description="ECS pulls the image, writes logs and reads the secrets of %s" % service_name,
            assume_role_policy=execution_trust,
        )
        execution: list[_Policy] = [
            _Policy("EcrAuth", ("ecr:GetAuthorizationToken",), ("*",)),
            _Policy("EcrPull", ECR_PULL_ACTIONS, (props.registry.repository_arn,)),
            _Policy("WriteLogs", ("logs:CreateLogStream", "logs:PutLogEvents"), ("%s:log-stream:*" % log_group_arn,)),
        ]
        ssm = secret_resources(c.secrets, "ssm")
        if ssm:
            execution.append(_Policy("ReadParameters", ("ssm:GetParameters",), tuple(ssm)))
        secretsmanager = secret_resources(c.secrets, "secretsmanager")
        if secretsmanager:
            execution.append(_Policy("ReadSecrets", ("secretsmanager:GetSecretValue",), tuple(secretsmanager)))
        execution_doc = self._document("ExecutionPolicyDocument", execution)
        execution_policy = IamRolePolicy(
            self, "ExecutionRolePolicy", name="pull-log-secrets", role=execution_role.id, policy=execution_doc.json
        )

        task_role = IamRole(
            self,
            "TaskRole",
            name="%s-task" % props.name,
            description="What the %s app itself may call; nothing unless granted in config" % service_name,
            assume_role_policy=task_trust,
        )
        grants = [_Policy(st.sid, st.actions, st.resources) for st in s.task_role_statements]
        if s.enable_execute_command:
            grants.append(_Policy("EcsExec", ECS_EXEC_ACTIONS, ("*",)))
        if grants:
            task_doc = self._document("TaskPolicyDocument", grants)
            IamRolePolicy(self, "TaskRolePolicy", name="app-grants", role=task_role.id, policy=task_doc.json)

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
            init_process=s.enable_execute_command,
        )
        self.container_definition = container
        execution_role_arn = execution_role.arn
        task_role_arn = task_role.arn
        task_definition = EcsTaskDefinition(
            self,
            "TaskDefinition",
            family=family,
            cpu=str(c.cpu),
            memory=str(c.memory_mib),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform=EcsTaskDefinitionRuntimePlatform(
                operating_system_family="LINUX", cpu_architecture=c.cpu_architecture
            ),
            execution_role_arn=execution_role_arn,
            task_role_arn=task_role_arn,
            container_definitions=json.dumps([to_api(container)], sort_keys=True),
            volume=[EcsTaskDefinitionVolume(name=TMP_VOLUME)],
            tags={"Name": family},
            # A new revision is registered before the old one is deregistered, so the service always
            # references an active revision while it rolls over (as terraform-aws-ecs does).
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )

        # ---- security group
        sg_id = replaceable_security_group(
            self, "TaskSecurityGroup", name="%s-tasks" % props.name, vpc_id=props.vpc_id,
            description="ECS tasks: the container port from the load balancer only",
        ).id  # fmt: skip
        rules: list[ITerraformDependable] = []
        rules.append(VpcSecurityGroupIngressRule(
            self,
            "TaskIngressFromAlb",
            security_group_id=sg_id,
            description="App port from the load balancer",
            ip_protocol="tcp",
            from_port=c.port,
            to_port=c.port,
            referenced_security_group_id=props.alb_security_group_id,
        ))
        for i, client_group in enumerate(s.discovery_client_security_group_ids):
            rules.append(VpcSecurityGroupIngressRule(
                self,
                "TaskIngressFromClient%d" % i,
                security_group_id=sg_id,
                description="App port from in-VPC client %s (service discovery)" % client_group,
                ip_protocol="tcp",
                from_port=c.port,
                to_port=c.port,
                referenced_security_group_id=client_group,
            ))
        rules.append(VpcSecurityGroupEgressRule(
            self,
            "TaskEgressHttps",
            security_group_id=sg_id,
            description="HTTPS out: ECR, CloudWatch Logs, secrets, S3 (via endpoints or NAT)",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4="0.0.0.0/0",
        ))
        rules.append(VpcSecurityGroupEgressRule(
            self,
            "AlbEgressToTasks",
            security_group_id=props.alb_security_group_id,
            description="Load balancer to the app port of the tasks",
            ip_protocol="tcp",
            from_port=c.port,
            to_port=c.port,
            referenced_security_group_id=sg_id,
        ))

        # ---- service
        task_definition_arn = task_definition.arn
        service = EcsService(
            self,
            "Service",
            name=service_name,
            cluster=cluster.cluster_arn,
            task_definition=task_definition_arn,
            desired_count=props.desired_count,
            capacity_provider_strategy=[
                EcsServiceCapacityProviderStrategy(
                    capacity_provider=item.capacity_provider, weight=item.weight, base=item.base
                )
                for item in cluster.strategy
            ],
            platform_version="LATEST",
            network_configuration=EcsServiceNetworkConfiguration(
                subnets=props.subnet_ids, security_groups=[sg_id], assign_public_ip=props.assign_public_ip
            ),
            load_balancer=[
                EcsServiceLoadBalancer(
                    target_group_arn=props.target_group_arn, container_name=CONTAINER_NAME, container_port=c.port
                )
            ],
            health_check_grace_period_seconds=s.health_check_grace_period_seconds,
            deployment_minimum_healthy_percent=s.deployment_minimum_healthy_percent,
            deployment_maximum_percent=s.deployment_maximum_percent,
            deployment_controller=EcsServiceDeploymentController(type="ECS"),
            deployment_circuit_breaker=EcsServiceDeploymentCircuitBreaker(
                enable=True, rollback=s.circuit_breaker_rollback
            ),
            alarms=(
                EcsServiceAlarms(alarm_names=list(props.deployment_alarm_names), enable=True, rollback=True)
                if props.deployment_alarm_names
                else None
            ),
            service_registries=(
                EcsServiceServiceRegistries(registry_arn=props.service_registry_arn)
                if props.service_registry_arn is not None
                else None
            ),
            enable_execute_command=s.enable_execute_command,
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            wait_for_steady_state=False,
            # The execution policy must outlive the tasks on destroy, or they cannot stop cleanly;
            # the security-group rules exist before tasks start and outlive them (terraform-aws-ecs).
            depends_on=[*props.listeners, execution_policy, *rules],
            lifecycle=TerraformResourceLifecycle(ignore_changes=["desired_count"]),
            tags={"Name": service_name},
        )

        self.service_name = service.name
        self.service_arn = service.id
        self.task_definition_arn = task_definition_arn
        self.task_definition_family = task_definition.family
        self.log_group_name = log_group_name
        self.log_group_arn = log_group_arn
        self.task_security_group_id = sg_id
        self.execution_role_arn = execution_role_arn
        self.task_role_arn = task_role_arn
        self.container_name = CONTAINER_NAME
        self.container_port = c.port

    def _ecs_tasks_trust(self, id_: str, account_id: str, *, source_arn: str | None = None) -> str:
        """Trust policy JSON: ``ecs-tasks.amazonaws.com`` from ``account_id`` (and ``source_arn``, when given)."""
        conditions = [DataAwsIamPolicyDocumentStatementCondition(test="StringEquals", variable="aws:SourceAccount",
                                                                 values=[account_id])]  # fmt: skip
        if source_arn is not None:
            conditions.append(
                DataAwsIamPolicyDocumentStatementCondition(test="ArnLike", variable="aws:SourceArn", values=[source_arn])
            )
        document = DataAwsIamPolicyDocument(
            self,
            id_,
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="EcsTasksAssume",
                    actions=["sts:AssumeRole"],
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=["ecs-tasks.amazonaws.com"])
                    ],
                    condition=conditions,
                )
            ],
        )
        return str(document.json)

    def _document(self, id_: str, policies: list[_Policy]) -> DataAwsIamPolicyDocument:
        return DataAwsIamPolicyDocument(
            self,
            id_,
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid=p.sid,
                    effect="Allow",
                    actions=list(p.actions),
                    resources=list(p.resources),
                )
                for p in policies
            ],
        )
