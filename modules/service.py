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
* the task of :class:`modules.task.FargateTask`, its parts in this scope: the log group
  (``/ecs/{name}/web`` unless ``log_group_path`` is set, or ``log_group_name`` names an existing
  one), the task definition (family ``service_name``), the execution and task roles (grants from
  ``service.task_role_statements``), and the task security group (egress HTTPS and ``service.egress_rules``);
* ingress to the task security group on the container port from the ALB security group (with
  ``target_group_arn``), and from each of ``service.discovery_client_security_group_ids`` (none
  unless configured). The matching egress rule on the ALB security group (to this group,
  container port) is added here too. Without a load balancer (a queue worker, an internal
  backend) the tasks accept only the client groups;
* the ECS service: subnets and public-IP switch from the props, the cluster's capacity-provider
  strategy (which also decides the task's launch types, :func:`rules.capacity.compatibilities`:
  on EC2 capacity only, the service spreads tasks over zones then binpacks on memory and has no
  Fargate platform version), min/max healthy percent, circuit breaker (rollback from config), grace period,
  ECS Exec toggle, ``propagate_tags=SERVICE``, optional deployment alarms and Cloud Map
  registration, ``depends_on`` the listeners (and listener rules), its security-group rules and
  the execution policy, and ``ignore_changes=[desired_count]`` because
  autoscaling owns the count. ``wait_for_steady_state`` is off: the deploy waits itself.
  With ``service.deployment_controller="CODE_DEPLOY"`` CodeDeploy rolls out new versions
  (:class:`modules.blue_green.BlueGreen`): no circuit breaker, no deployment alarms, and
  ``ignore_changes`` also holds ``task_definition`` and ``load_balancer``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cdktf import ITerraformDependable, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.ecs_service import (
    EcsService,
    EcsServiceAlarms,
    EcsServiceCapacityProviderStrategy,
    EcsServiceDeploymentCircuitBreaker,
    EcsServiceDeploymentController,
    EcsServiceLoadBalancer,
    EcsServiceNetworkConfiguration,
    EcsServiceOrderedPlacementStrategy,
    EcsServiceServiceRegistries,
)
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from modules.cluster import Cluster, ClusterProps
from modules.container import CONTAINER_NAME, ContainerDefinition, ContainerOptions
from modules.egress import EgressRule
from modules.interfaces import ICluster, IRegistry
from modules.task import ECS_EXEC_ACTIONS, FargateTask, PolicyStatement, TaskProps, secret_resources
from rules.capacity import compatibilities, spot_architecture_problem
from rules.ec2 import placement_strategies

__all__ = [
    "DEPLOYMENT_CONTROLLERS",
    "ECS_EXEC_ACTIONS",
    "PolicyStatement",
    "Service",
    "ServiceOptions",
    "ServiceProps",
    "secret_resources",
]

#: Deployment controllers a service may use: ECS rolling deploys, or CodeDeploy blue/green.
DEPLOYMENT_CONTROLLERS = ("ECS", "CODE_DEPLOY")

#: What Terraform leaves alone on the service: the count (autoscaling owns it) and, with CodeDeploy, the
#: task definition and load balancer (each CodeDeploy deployment swaps them; Terraform must not undo it).
IGNORED_BY_CONTROLLER: dict[str, tuple[str, ...]] = {
    "ECS": ("desired_count",),
    "CODE_DEPLOY": ("desired_count", "task_definition", "load_balancer"),
}


# ---- props --------------------------------------------------------------------------------


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
    deployment_controller: str = "ECS"
    """Who rolls out a new task definition: ``ECS`` (rolling deploys with the circuit breaker) unless set, or
    ``CODE_DEPLOY`` (blue/green or canary through CodeDeploy, :class:`modules.blue_green.BlueGreen`): then the
    service has no circuit breaker and no deployment alarms (ECS refuses both with CodeDeploy; roll back on
    alarms with ``BlueGreenProps.alarm_names``), ``circuit_breaker_rollback`` is not used, and Terraform leaves
    ``task_definition`` and ``load_balancer`` to CodeDeploy (``ignore_changes``). Needs a target group."""
    egress_rules: tuple[EgressRule, ...] = ()
    """Egress rules of the task security group beyond HTTPS (:class:`modules.egress.EgressRule`); none unless set."""
    open_egress_needs_reason: bool = False
    """Refuse egress open to the whole internet on anything but TCP 443 without ``allow_open_reason``
    (production); accepted unless set."""


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
    alb_security_group_id: str | None = None
    """The load balancer's security group, allowed to reach the tasks on the container port (with
    ``target_group_arn``); no load balancer unless set."""
    target_group_arn: str | None = None
    """Target group the service registers its tasks with (with ``alb_security_group_id``); none unless set."""
    listeners: Sequence[ITerraformDependable] = ()
    """Listeners and listener rules the service depends on (a target group must be attached before ECS uses
    it); none unless set."""
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
    construct creates ``log_group_path`` with ``log_retention_days`` and ``log_kms_key_arn``, which are
    not used otherwise."""
    log_group_path: str | None = None
    """Name of the log group created here; ``/ecs/{name}/web`` unless set."""
    log_stream_prefix: str = "web"
    """First part of each task's log stream name; ``web`` unless set."""
    health_check_interval_seconds: int = 15
    """Container health-check interval; 15 s unless set (ECS allows 5..300)."""
    health_check_timeout_seconds: int = 5
    """Container health-check timeout; 5 s unless set (ECS allows 2..60)."""
    health_check_retries: int = 3
    """Failures before the container is unhealthy; 3 unless set (ECS allows 1..10)."""
    health_check_start_period_seconds: int = 10
    """Failures ignored after start; 10 s unless set (ECS allows 0..300)."""

    @property
    def task(self) -> TaskProps:
        """The :class:`TaskProps` of the service's task (family ``service_name``)."""
        c, s = self.container, self.service
        return TaskProps(
            name=self.name, family=self.service_name, app_name=self.app_name, env_name=self.env_name,
            region=self.region, log_retention_days=self.log_retention_days, registry=self.registry,
            image_tag=self.image_tag, vpc_id=self.vpc_id, container=c, task_role_statements=s.task_role_statements,
            enable_execute_command=s.enable_execute_command, log_kms_key_arn=self.log_kms_key_arn,
            log_group_name=self.log_group_name, log_group_path=self.log_group_path,
            log_stream_prefix=self.log_stream_prefix,
            security_group_description=(
                "ECS tasks: the container port from the load balancer only" if self.target_group_arn is not None
                else "ECS tasks: the container port from the listed client security groups only"
            ),
            health_check_interval_seconds=self.health_check_interval_seconds,
            health_check_timeout_seconds=self.health_check_timeout_seconds,
            health_check_retries=self.health_check_retries,
            health_check_start_period_seconds=self.health_check_start_period_seconds,
            requires_compatibilities=compatibilities(self.cluster.strategy if self.cluster is not None else ()),
            egress_rules=s.egress_rules, open_egress_needs_reason=s.open_egress_needs_reason,
        )  # fmt: skip

    def __post_init__(self) -> None:
        try:
            self.task  # noqa: B018  (the task's own checks, reported as this props' fields)
        except ValueError as error:
            raise ValueError(str(error).replace("TaskProps.", "ServiceProps.", 1)) from None
        strategy = self.cluster.strategy if self.cluster is not None else ()
        uses_spot = any(i.capacity_provider == "FARGATE_SPOT" for i in strategy)
        spot = spot_architecture_problem(uses_spot, self.container.cpu_architecture)
        if spot:
            raise ValueError(
                "ServiceProps.container.cpu_architecture='ARM64' with a FARGATE_SPOT capacity-provider strategy:"
                " %s; allowed: cpu_architecture='X86_64' or a cluster with fargate_spot_percent=0" % spot
            )
        controller = self.service.deployment_controller
        if controller not in DEPLOYMENT_CONTROLLERS:
            raise ValueError(
                "ServiceProps.service.deployment_controller=%r; allowed: %s"
                % (controller, ", ".join(repr(c) for c in DEPLOYMENT_CONTROLLERS))
            )
        if controller == "CODE_DEPLOY" and self.target_group_arn is None:
            raise ValueError(
                "ServiceProps.service.deployment_controller='CODE_DEPLOY' without target_group_arn: CodeDeploy moves"
                " traffic between two target groups of a load balancer; allowed: a target_group_arn (and"
                " alb_security_group_id), or deployment_controller='ECS'"
            )
        if controller == "CODE_DEPLOY" and self.deployment_alarm_names:
            raise ValueError(
                "ServiceProps.deployment_alarm_names=%r with service.deployment_controller='CODE_DEPLOY': ECS"
                " deployment alarms act on ECS rolling deployments only; allowed: () here, and the alarms in"
                " BlueGreenProps.alarm_names (CodeDeploy rolls back on them)" % (list(self.deployment_alarm_names),)
            )
        if self.desired_count < 0:
            raise ValueError("ServiceProps.desired_count=%r; allowed: >= 0" % self.desired_count)
        if (self.alb_security_group_id is None) != (self.target_group_arn is None):
            raise ValueError(
                "ServiceProps.alb_security_group_id=%r and target_group_arn=%r; allowed: both (behind a load"
                " balancer) or neither" % (self.alb_security_group_id, self.target_group_arn)
            )
        if self.target_group_arn is not None and self.container.port is None:
            raise ValueError(
                "ServiceProps.container.port=None with a target group; allowed: the port the app serves on"
            )
        if self.service.discovery_client_security_group_ids and self.container.port is None:
            raise ValueError(
                "ServiceProps.service.discovery_client_security_group_ids=%r with container.port=None: nothing to"
                " call; allowed: a container port, or no client groups"
                % (list(self.service.discovery_client_security_group_ids),)
            )
        if self.service.discovery_client_security_group_ids and self.service_registry_arn is None:
            raise ValueError(
                "ServiceProps.service.discovery_client_security_group_ids=%r without service_registry_arn: the"
                " clients would have no Cloud Map name to call; allowed: a service_registry_arn, or no client groups"
                % (list(self.service.discovery_client_security_group_ids),)
            )


# ---- the construct ------------------------------------------------------------------------


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
    container_port: int | None
    container_definition: ContainerDefinition
    task: FargateTask
    """The service's task: log group, roles, task definition and task security group."""

    def __init__(self, scope: Construct, id_: str, *, props: ServiceProps) -> None:
        super().__init__(scope, id_)
        c = props.container
        s = props.service
        cluster = props.cluster
        if cluster is None:
            cluster = Cluster(self, "Cluster", props=ClusterProps(name=props.name))
        self.cluster = cluster
        task = self.task = FargateTask(self, props=props.task)
        sg_id = task.task_security_group_id

        # ---- who may call the tasks (the list's order is the depends_on order of the service)
        port = c.port
        ingress: list[ITerraformDependable] = []
        alb_egress: list[ITerraformDependable] = []
        if props.alb_security_group_id is not None and port is not None:
            ingress.append(VpcSecurityGroupIngressRule(
                self,
                "TaskIngressFromAlb",
                security_group_id=sg_id,
                description="App port from the load balancer",
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                referenced_security_group_id=props.alb_security_group_id,
            ))  # fmt: skip
            alb_egress.append(VpcSecurityGroupEgressRule(
                self,
                "AlbEgressToTasks",
                security_group_id=props.alb_security_group_id,
                description="Load balancer to the app port of the tasks",
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                referenced_security_group_id=sg_id,
            ))  # fmt: skip
        for i, client_group in enumerate(s.discovery_client_security_group_ids):
            ingress.append(VpcSecurityGroupIngressRule(
                self,
                "TaskIngressFromClient%d" % i,
                security_group_id=sg_id,
                description="App port from in-VPC client %s (service discovery)" % client_group,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                referenced_security_group_id=client_group,
            ))  # fmt: skip
        rules = [*ingress, *task.egress_rules, *alb_egress]

        # ---- service
        behind_lb = props.target_group_arn is not None and port is not None
        launch_types = compatibilities(cluster.strategy)
        service = EcsService(
            self,
            "Service",
            name=props.service_name,
            cluster=cluster.cluster_arn,
            task_definition=task.task_definition_arn,
            desired_count=props.desired_count,
            capacity_provider_strategy=[
                EcsServiceCapacityProviderStrategy(
                    capacity_provider=item.capacity_provider, weight=item.weight, base=item.base
                )
                for item in cluster.strategy
            ],
            platform_version="LATEST" if "FARGATE" in launch_types else None,
            ordered_placement_strategy=(
                [EcsServiceOrderedPlacementStrategy(type=p.type, field=p.field) for p in placement_strategies()]
                if launch_types == ("EC2",)
                else None
            ),
            network_configuration=EcsServiceNetworkConfiguration(
                subnets=props.subnet_ids, security_groups=[sg_id], assign_public_ip=props.assign_public_ip
            ),
            load_balancer=(
                [
                    EcsServiceLoadBalancer(
                        target_group_arn=props.target_group_arn, container_name=CONTAINER_NAME, container_port=port
                    )
                ]
                if behind_lb and props.target_group_arn is not None and port is not None
                else None
            ),
            health_check_grace_period_seconds=s.health_check_grace_period_seconds if behind_lb else None,
            deployment_minimum_healthy_percent=s.deployment_minimum_healthy_percent,
            deployment_maximum_percent=s.deployment_maximum_percent,
            deployment_controller=EcsServiceDeploymentController(type=s.deployment_controller),
            deployment_circuit_breaker=(
                EcsServiceDeploymentCircuitBreaker(enable=True, rollback=s.circuit_breaker_rollback)
                if s.deployment_controller == "ECS"
                else None
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
            depends_on=[*props.listeners, task.execution_policy, *rules],
            lifecycle=TerraformResourceLifecycle(ignore_changes=list(IGNORED_BY_CONTROLLER[s.deployment_controller])),
            tags={"Name": props.service_name},
        )

        self.service_name = service.name
        self.service_arn = service.id
        self.task_definition_arn = task.task_definition_arn
        self.task_definition_family = task.task_definition_family
        self.log_group_name = task.log_group_name
        self.log_group_arn = task.log_group_arn
        self.task_security_group_id = sg_id
        self.execution_role_arn = task.execution_role_arn
        self.task_role_arn = task.task_role_arn
        self.container_name = CONTAINER_NAME
        self.container_port = port
        self.container_definition = task.container_definition
