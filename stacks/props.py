"""Config -> props: an environment's config tables translated into the constructs' own props.

Example::

    from stacks.props import container_options
    container_options(env.container)   # ContainerOptions(cpu=256, memory_mib=512, port=3000, ...)

The only place where ``envconfig`` types meet ``modules`` types (docs/DESIGN.md, "Layers").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from envconfig.egress import EgressRuleConfig
from envconfig.model import (
    AccessLogsConfig,
    AlarmsConfig,
    ContainerConfig,
    Ec2Config,
    IamStatement,
    LoadBalancerConfig,
    NetworkConfig,
    ScalingConfig,
    ServiceConfig,
    SidecarConfig,
)
from modules.access_log_bucket import AccessLogBucketProps
from modules.alarm_topic import AlarmTopicProps
from modules.autoscaling import ScalingOptions, ScheduledAction
from modules.container import ContainerOptions, SidecarHealthCheck, SidecarOptions, SidecarPort
from modules.ec2_capacity import Ec2CapacityProps
from modules.egress import EgressRule
from modules.listener_target import TargetOptions
from modules.load_balancer import LoadBalancerOptions
from modules.network import NetworkProps
from modules.service import ServiceOptions
from modules.task import PolicyStatement
from rules.alarms import DEFAULT_THRESHOLDS, Threshold


def network_props(
    config: NetworkConfig,
    *,
    name: str,
    region: str,
    flow_log_retention_days: int = 30,
    log_kms_key_arn: str | None = None,
    secret_endpoints: Sequence[str] = (),
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
        secret_endpoints=tuple(secret_endpoints),
    )


def load_balancer_options(
    config: LoadBalancerConfig,
    *,
    deletion_protection: bool = False,
    access_logs_bucket: str | None = None,
    access_logs_prefix: str | None = None,
) -> LoadBalancerOptions:
    """An environment's ``load_balancer`` table as :class:`LoadBalancerOptions` (ALB and listeners); access logs
    to ``access_logs_bucket`` under ``access_logs_prefix`` when given."""
    return LoadBalancerOptions(
        access_logs_bucket=access_logs_bucket,
        access_logs_prefix=access_logs_prefix,
        deletion_protection=deletion_protection,
        ingress_cidrs=config.ingress_cidrs,
        certificate_arn=config.certificate_arn,
        domain_name=config.domain_name,
        hosted_zone_name=config.hosted_zone_name,
        redirect_http_to_https=config.redirect_http_to_https,
        idle_timeout_seconds=config.idle_timeout_seconds,
    )


def access_log_bucket_props(
    config: AccessLogsConfig, *, bucket_name: str, region: str, account_id: str, force_destroy: bool,
    server_access_log_bucket: str,
) -> AccessLogBucketProps:
    """An environment's ``access_logs`` table as :class:`AccessLogBucketProps` (names, region, account and the
    resolved force_destroy given: ``EnvironmentConfig.access_log_bucket``, ``server_access_log_bucket``,
    ``access_log_force_destroy``)."""
    return AccessLogBucketProps(
        bucket_name=bucket_name,
        server_access_log_bucket=server_access_log_bucket,
        region=region,
        account_id=account_id,
        prefix=config.prefix,
        retention_days=config.retention_days,
        noncurrent_version_days=config.noncurrent_version_days,
        abort_incomplete_multipart_days=config.abort_incomplete_multipart_days,
        force_destroy=force_destroy,
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
        secret_kms_key_arns=dict(config.secret_kms_key_arns),
        stop_timeout_seconds=config.stop_timeout_seconds,
        user=config.user,
        readonly_root_filesystem=config.readonly_root_filesystem,
        command=config.command,
        sidecars=tuple(sidecar_options(s) for s in config.sidecars),
    )


def sidecar_options(config: SidecarConfig) -> SidecarOptions:
    """One entry of a ``container.sidecars`` array as the task construct's :class:`SidecarOptions`."""
    check = config.health_check
    return SidecarOptions(
        name=config.name,
        image=config.image,
        cpu=config.cpu,
        memory_reservation_mib=config.memory_reservation_mib,
        essential=config.essential,
        command=config.command,
        environment=dict(config.environment),
        port_mappings=tuple(SidecarPort(container_port=p.container_port, protocol=p.protocol) for p in config.port_mappings),
        app_depends_on=config.app_depends_on,
        health_check=SidecarHealthCheck(
            command=check.command, interval_seconds=check.interval_seconds, timeout_seconds=check.timeout_seconds,
            retries=check.retries, start_period_seconds=check.start_period_seconds,
        ) if check is not None else None,
        user=config.user,
        readonly_root_filesystem=config.readonly_root_filesystem,
        otlp_http_port=config.otlp_http_port,
        task_role_statements=policy_statements(config.task_role_statements),
    )  # fmt: skip


def policy_statements(statements: Sequence[IamStatement]) -> tuple[PolicyStatement, ...]:
    """Task-role statements of a config table as the constructs' :class:`PolicyStatement`."""
    return tuple(PolicyStatement(sid=st.sid, actions=st.actions, resources=st.resources) for st in statements)


def egress_rules(config: Mapping[str, EgressRuleConfig]) -> tuple[EgressRule, ...]:
    """A workload's ``egress`` table as the task construct's :class:`EgressRule` s, in name order."""
    return tuple(
        EgressRule(
            name=name, description=rule.description, from_port=rule.ports[0], to_port=rule.ports[1],
            protocol=rule.protocol, cidr=rule.cidr, prefix_list_id=rule.prefix_list_id,
            security_group_id=rule.security_group_id, allow_open_reason=rule.allow_open_reason,
        )
        for name, rule in sorted(config.items())
    )


def service_options(
    config: ServiceConfig, *, extra_statements: Sequence[PolicyStatement] = (), deployment_controller: str = "ECS",
    production: bool = False,
) -> ServiceOptions:
    """An environment's ``service`` table as the service construct's :class:`ServiceOptions`; the deployment
    controller comes from its ``release`` table (``ReleaseConfig.deployment_controller``), and ``production``
    refuses egress open to the internet without a reason."""
    return ServiceOptions(
        deployment_controller=deployment_controller,
        health_check_grace_period_seconds=config.health_check_grace_period_seconds,
        deployment_minimum_healthy_percent=config.deployment_minimum_healthy_percent,
        deployment_maximum_percent=config.deployment_maximum_percent,
        circuit_breaker_rollback=config.circuit_breaker_rollback,
        enable_execute_command=config.enable_execute_command,
        discovery_client_security_group_ids=config.discovery_client_security_group_ids,
        task_role_statements=(*policy_statements(config.task_role_statements), *extra_statements),
        egress_rules=egress_rules(config.egress),
        open_egress_needs_reason=production,
    )


def ec2_capacity_props(
    config: Ec2Config, *, name: str, cluster_name: str, vpc_id: str, subnet_ids: Sequence[str], cpu_architecture: str,
    container_stop_timeout_seconds: int,
) -> Ec2CapacityProps:
    """:class:`Ec2CapacityProps` of the environment's ``[ec2]`` table; instances in ``subnet_ids`` (the private ones)."""
    return Ec2CapacityProps(
        name=name, cluster_name=cluster_name, vpc_id=vpc_id, subnet_ids=tuple(subnet_ids),
        instance_types=config.instance_types, cpu_architecture=cpu_architecture, min_size=config.min_size,
        max_size=config.max_size, on_demand_base_capacity=config.on_demand_base_capacity,
        on_demand_percentage_above_base=config.on_demand_percentage_above_base,
        target_capacity_percent=config.target_capacity_percent, ssm_access=config.ssm_access,
        root_volume_gib=config.root_volume_gib, container_stop_timeout_seconds=container_stop_timeout_seconds,
    )  # fmt: skip


def alarm_thresholds(config: AlarmsConfig) -> dict[str, Threshold]:
    """Every alarm's threshold from the environment's ``[alarms]`` table (defaults filled in by the model)."""
    return {name: config.threshold(name) for name in DEFAULT_THRESHOLDS}


def alarm_topic_props(
    config: AlarmsConfig, *, name: str, region: str, cluster_name: str, codedeploy_application: str | None = None
) -> AlarmTopicProps | None:
    """The environment's alarm topic (created, or the existing ``topic_arn``); None when nobody is to be notified.

    ``codedeploy_application``: the blue/green release's application, whose failed releases notify it too.
    """
    if not config.notifies:
        return None
    failures = config.deployment_failures
    return AlarmTopicProps(
        name=name, region=region, emails=config.emails, https_endpoints=config.https_endpoints,
        existing_topic_arn=config.topic_arn, cluster_name=cluster_name if failures else None,
        codedeploy_application=codedeploy_application if failures else None,
    )  # fmt: skip
