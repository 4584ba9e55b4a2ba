"""``<env>``: network, cluster, and the web service (:class:`modules.web_service.WebService`).

Route 53 -> ALB -> ECS service (Fargate tasks on the container port) -> CloudWatch Logs, with
autoscaling, alarms and optional Cloud Map discovery. The image comes from the
``<env>-registry`` stack (a cross-stack reference to its repository).
"""

from __future__ import annotations

import sys

from cdktf import TerraformOutput, TerraformStack, TerraformVariable, TerraformVariableValidationConfig
from constructs import Construct

from envconfig.model import (
    ContainerConfig,
    EnvironmentConfig,
    LoadBalancerConfig,
    NetworkConfig,
    ScalingConfig,
    ServiceConfig,
)
from modules.autoscaling import ScalingOptions, ScheduledAction
from modules.cluster import Cluster, ClusterProps
from modules.container import ContainerOptions
from modules.listener_target import TargetOptions
from modules.load_balancer import LoadBalancerOptions
from modules.log_encryption import LogEncryptionKey, LogEncryptionKeyProps
from modules.network import Network, NetworkProps
from modules.service import PolicyStatement, ServiceOptions
from modules.web_service import WebService, WebServiceProps
from rules.logs import security_log_retention_days
from stacks.base import configure_stack
from stacks.registry import RegistryStack


def network_props(
    config: NetworkConfig,
    *,
    name: str,
    region: str,
    flow_log_retention_days: int = 30,
    log_kms_key_arn: str | None = None,
) -> NetworkProps:
    """An environment's ``network`` table as :class:`NetworkProps` (name, region and flow-log settings given)."""
    return NetworkProps(
        name=name,
        region=region,
        vpc_cidr=config.vpc_cidr,
        public_subnet_cidrs=config.public_cidrs,
        private_subnet_cidrs=config.private_cidrs,
        nat_mode=config.nat_mode,
        vpc_endpoints=config.vpc_endpoints,
        flow_logs=config.flow_logs,
        flow_log_retention_days=flow_log_retention_days,
        log_kms_key_arn=log_kms_key_arn,
    )


def load_balancer_options(config: LoadBalancerConfig, *, deletion_protection: bool = False) -> LoadBalancerOptions:
    """An environment's ``load_balancer`` table as :class:`LoadBalancerOptions` (ALB and listeners)."""
    return LoadBalancerOptions(
        deletion_protection=deletion_protection,
        ingress_cidrs=config.ingress_cidrs,
        certificate_arn=config.certificate_arn,
        domain_name=config.domain_name,
        hosted_zone_name=config.hosted_zone_name,
        redirect_http_to_https=config.redirect_http_to_https,
        idle_timeout_seconds=config.idle_timeout_seconds,
    )


def target_options(config: LoadBalancerConfig) -> TargetOptions:
    """The target-group settings of an environment's ``load_balancer`` table as :class:`TargetOptions`."""
    return TargetOptions(
        deregistration_delay_seconds=config.deregistration_delay_seconds,
        health_check_interval_seconds=config.health_check_interval_seconds,
        health_check_timeout_seconds=config.health_check_timeout_seconds,
        healthy_threshold_count=config.healthy_threshold_count,
        unhealthy_threshold_count=config.unhealthy_threshold_count,
    )


def scaling_options(config: ScalingConfig) -> ScalingOptions:
    """An environment's ``scaling`` table as :class:`ScalingOptions`."""
    return ScalingOptions(
        min_capacity=config.min_capacity,
        max_capacity=config.max_capacity,
        desired_count=config.desired_count,
        cpu_target_percent=config.cpu_target_percent,
        memory_target_percent=config.memory_target_percent,
        requests_per_target=config.requests_per_target,
        scale_in_cooldown_seconds=config.scale_in_cooldown_seconds,
        scale_out_cooldown_seconds=config.scale_out_cooldown_seconds,
        scheduled_actions=tuple(
            ScheduledAction(
                name=a.name,
                schedule=a.schedule,
                min_capacity=a.min_capacity,
                max_capacity=a.max_capacity,
                timezone=a.timezone,
            )
            for a in config.scheduled_actions
        ),
    )


def container_options(config: ContainerConfig) -> ContainerOptions:
    """An environment's ``container`` table as the service construct's :class:`ContainerOptions`."""
    return ContainerOptions(
        cpu=config.cpu,
        memory_mib=config.memory_mib,
        port=config.port,
        health_check_path=config.health_check_path,
        cpu_architecture=config.cpu_architecture,
        environment=dict(config.environment),
        secrets=dict(config.secrets),
        stop_timeout_seconds=config.stop_timeout_seconds,
        user=config.user,
        readonly_root_filesystem=config.readonly_root_filesystem,
    )


def service_options(config: ServiceConfig) -> ServiceOptions:
    """An environment's ``service`` table as the service construct's :class:`ServiceOptions`."""
    return ServiceOptions(
        health_check_grace_period_seconds=config.health_check_grace_period_seconds,
        deployment_minimum_healthy_percent=config.deployment_minimum_healthy_percent,
        deployment_maximum_percent=config.deployment_maximum_percent,
        circuit_breaker_rollback=config.circuit_breaker_rollback,
        enable_execute_command=config.enable_execute_command,
        discovery_client_security_group_ids=config.discovery_client_security_group_ids,
        task_role_statements=tuple(
            PolicyStatement(sid=st.sid, actions=st.actions, resources=st.resources)
            for st in config.task_role_statements
        ),
    )


def public_subnet_warning(env: EnvironmentConfig) -> str | None:
    """The warning printed when an environment runs its tasks in public subnets, else None."""
    if not env.network.tasks_in_public_subnets:
        return None
    return (
        "warning: %s: tasks run in PUBLIC subnets with public IPs (network.tasks_in_public_subnets=true) to avoid"
        " NAT gateway cost; the task security group still admits only the ALB, but the tasks are not behind NAT."
        " Do not use this outside development." % env.name
    )


class ServiceStack(TerraformStack):
    log_key: LogEncryptionKey
    network: Network
    cluster: Cluster
    web_service: WebService
    """The load balancer, web ACL, discovery, alarms, service and autoscaling (its attributes)."""

    def __init__(self, scope: Construct, env: EnvironmentConfig, *, registry: RegistryStack) -> None:
        super().__init__(scope, env.name)
        configure_stack(self, env, env.name)

        self.image_tag = TerraformVariable(
            self,
            "image_tag",
            type="string",
            default=env.container.image_tag,
            description="Image tag to run (the deploy passes the git sha).",
            validation=[
                TerraformVariableValidationConfig(
                    condition='${var.image_tag != "latest" && length(var.image_tag) > 0}',
                    error_message="image_tag must be an immutable tag such as a git sha, not 'latest'.",
                )
            ],
        )
        image_tag = self.image_tag.string_value
        self.registry = registry.registry
        # One customer-managed key for every log group of the environment (docs/security.md).
        self.log_key = LogEncryptionKey(
            self,
            "LogEncryptionKey",
            props=LogEncryptionKeyProps(
                name=env.physical_name(),
                region=env.region,
                log_group_patterns=(
                    "/ecs/%s/*" % env.physical_name(),
                    "/vpc/%s/*" % env.physical_name(),
                    "aws-waf-logs-%s" % env.physical_name(),
                ),
            ),
        )
        self.network = Network(
            self,
            "Network",
            props=network_props(
                env.network,
                name=env.physical_name(),
                region=env.region,
                flow_log_retention_days=security_log_retention_days(env.logging.retention_days),
                log_kms_key_arn=self.log_key.key_arn,
            ),
        )
        self.cluster = Cluster(
            self,
            "Cluster",
            props=ClusterProps(
                name=env.physical_name(),
                fargate_spot_percent=env.scaling.fargate_spot_percent,
            ),
        )
        public = env.network.tasks_in_public_subnets
        warning = public_subnet_warning(env)
        if warning:
            sys.stderr.write(warning + "\n")
        web = WebService(
            self,
            props=WebServiceProps(
                name=env.physical_name(),
                app_name=env.app_name,
                env_name=env.name,
                region=env.region,
                network=self.network,
                assign_public_ip=public,
                cluster=self.cluster,
                registry=self.registry,
                image_tag=image_tag,
                log_retention_days=env.logging.retention_days,
                log_kms_key_arn=self.log_key.key_arn,
                container=container_options(env.container),
                service=service_options(env.service),
                load_balancer_options=load_balancer_options(
                    env.load_balancer, deletion_protection=env.deletion_protection
                ),
                target=target_options(env.load_balancer),
                scaling=scaling_options(env.scaling),
                web_acl_log_retention_days=security_log_retention_days(env.logging.retention_days),
                discovery_namespace=env.service.service_discovery_namespace,
                alarms=env.service.alarms,
                deployment_alarms=env.service.deployment_alarms,
                alarm_email=env.service.alarm_email,
            ),
        )
        self.web_service = web
        lb, service = web.load_balancer, web.service

        TerraformOutput(self, "deployed_image_tag", value=image_tag,
                        description="Tag of the image the service runs")  # fmt: skip
        TerraformOutput(self, "service_url", value=lb.service_url, description="Where the app answers")
        TerraformOutput(self, "alb_dns_name", value=lb.alb_dns_name)
        TerraformOutput(self, "vpc_id", value=self.network.vpc_id)
        TerraformOutput(self, "cluster_name", value=self.cluster.cluster_name)
        TerraformOutput(self, "service_name", value=service.service_name)
        TerraformOutput(self, "log_group_name", value=service.log_group_name)
        TerraformOutput(self, "target_group_arn", value=web.target.target_group_arn)
        TerraformOutput(self, "task_definition_family", value=service.task_definition_family)
        TerraformOutput(self, "task_security_group_id", value=service.task_security_group_id)
        TerraformOutput(self, "private_subnet_ids", value=self.network.private_subnet_ids)
        TerraformOutput(self, "public_subnet_ids", value=self.network.public_subnet_ids)
        TerraformOutput(self, "repository_url", value=self.registry.repository_url,
                        description="ECR repository of the image (from the registry stack)")  # fmt: skip
        if web.discovery is not None:
            TerraformOutput(self, "discovery_endpoint", value=web.discovery.endpoint,
                            description="In-VPC name of the service (Cloud Map)")  # fmt: skip
