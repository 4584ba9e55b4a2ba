"""``<env>``: network, cluster, and the web service (:class:`modules.web_service.WebService`).

Route 53 -> ALB -> ECS service (Fargate tasks on the container port) -> CloudWatch Logs, with
autoscaling, alarms and optional Cloud Map discovery. The image comes from the
``<env>-registry`` stack (a cross-stack reference to its repository).
"""

from __future__ import annotations

import dataclasses
import sys

from cdktf import TerraformOutput, TerraformStack, TerraformVariable, TerraformVariableValidationConfig
from constructs import Construct

from envconfig.model import (
    EnvironmentConfig,
)
from modules.access_log_bucket import AccessLogBucket
from modules.alarm_topic import AlarmTopic
from modules.blue_green import BlueGreen, BlueGreenProps
from modules.cluster import Cluster, ClusterProps
from modules.ec2_capacity import Ec2Capacity
from modules.listener_target import TargetProps
from modules.load_balancer import LoadBalancer
from modules.log_encryption import LogEncryptionKey, LogEncryptionKeyProps
from modules.network import Network
from modules.service import PolicyStatement
from modules.web_service import WebService, WebServiceProps
from rules.logs import security_log_retention_days
from rules.releases import TrafficShift
from rules.stacks import BLUE_GREEN_SCOPE
from stacks.base import configure_stack
from stacks.props import (
    access_log_bucket_props,
    alarm_thresholds,
    alarm_topic_props,
    container_options,
    ec2_capacity_props,
    load_balancer_options,
    network_props,
    scaling_options,
    service_options,
    target_options,
)
from stacks.registry import RegistryStack
from stacks.workloads import Shared, Workloads, queue_environment, sender_statements


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
    alarm_topic: AlarmTopic | None
    """The topic every alarm notifies, with the failed-deployment rule; None when ``[alarms]`` names no target."""
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
                secret_endpoints=env.secret_endpoint_services,
            ),
        )
        self.ec2_capacity = None
        if env.ec2 is not None:
            # The instances join the cluster by its name (a literal), so they need not wait for it.
            self.ec2_capacity = Ec2Capacity(
                self,
                "Ec2Capacity",
                props=ec2_capacity_props(
                    env.ec2, name=env.physical_name("ec2"), cluster_name=env.physical_name(),
                    vpc_id=self.network.vpc_id, subnet_ids=self.network.private_subnet_ids,
                    cpu_architecture=env.container.cpu_architecture,
                    container_stop_timeout_seconds=env.container.stop_timeout_seconds,
                ),
            )  # fmt: skip
        self.cluster = Cluster(
            self,
            "Cluster",
            props=ClusterProps(
                name=env.physical_name(),
                fargate_spot_percent=env.scaling.fargate_spot_percent,
                ec2_capacity_providers=(
                    (self.ec2_capacity.capacity_provider_name,) if self.ec2_capacity is not None else ()
                ),
                ec2_percent=env.ec2.percent if env.ec2 is not None else 0,
            ),
        )
        # Before every workload: all their alarms notify it (README, "Alarms").
        topic_props = alarm_topic_props(
            env.alarms, name=env.physical_name(), region=env.region, cluster_name=env.physical_name(),
            codedeploy_application=env.physical_name() if env.release.blue_green else None,  # the BlueGreen application's name
        )  # fmt: skip
        self.alarm_topic = AlarmTopic(self, "AlarmTopic", props=topic_props) if topic_props is not None else None
        topic_arn = self.alarm_topic.topic_arn if self.alarm_topic is not None else None
        public = env.network.tasks_in_public_subnets
        warning = public_subnet_warning(env)
        if warning:
            sys.stderr.write(warning + "\n")
        self.workloads = Workloads(self, env)
        shared = Shared(
            env=env, network=self.network, cluster=self.cluster, registry=self.registry, image_tag=image_tag,
            log_kms_key_arn=self.log_key.key_arn, assign_public_ip=public, alarm_topic_arn=topic_arn,
        )  # fmt: skip
        queues = self.workloads.add_queues(shared)
        # The ALB's access logs (access_logs.enabled): the ALB reads the bucket name through the bucket policy.
        self.access_logs = None
        if env.access_logs.enabled:
            self.access_logs = AccessLogBucket(
                self, "AccessLogBucket",
                props=access_log_bucket_props(
                    env.access_logs, bucket_name=env.access_log_bucket, region=env.region, account_id=env.account_id,
                    force_destroy=env.access_log_force_destroy, server_access_log_bucket=env.server_access_log_bucket,
                ),
            )  # fmt: skip
        container = container_options(env.container)
        extra_statements: tuple[PolicyStatement, ...] = ()
        if env.queue is not None:
            container = dataclasses.replace(
                container, environment={**container.environment, **queue_environment(queues[env.queue])}
            )
            extra_statements = sender_statements(queues[env.queue])
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
                container=container,
                service=service_options(
                    env.service, extra_statements=extra_statements,
                    deployment_controller=env.release.deployment_controller, production=env.production,
                ),
                load_balancer_options=load_balancer_options(
                    env.load_balancer,
                    deletion_protection=env.deletion_protection,
                    access_logs_bucket=self.access_logs.delivery_bucket if self.access_logs else None,
                    access_logs_prefix=self.access_logs.prefix if self.access_logs else None,
                ),
                target=target_options(env.load_balancer),
                scaling=scaling_options(env.scaling),
                web_acl_log_retention_days=security_log_retention_days(env.logging.retention_days),
                discovery_namespace=env.service.service_discovery_namespace,
                alarms=env.service.alarms,
                # Blue/green: the deployment group rolls back on these alarms (ECS refuses them with CODE_DEPLOY).
                deployment_alarms=env.service.deployment_alarms and not env.release.blue_green,
                alarm_topic_arn=topic_arn,
                alarm_thresholds=alarm_thresholds(env.alarms),
            ),
        )
        self.blue_green = self._blue_green(env, web) if env.release.blue_green else None
        self.workloads.add_workloads(
            dataclasses.replace(
                shared,
                load_balancer=web.load_balancer,
                namespace_id=web.discovery.namespace_id if web.discovery is not None else None,
                web_task_security_group_id=web.service.task_security_group_id,
                log_group_name=web.service.log_group_name,
            )
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
        if self.blue_green is not None:
            release = self.blue_green
            TerraformOutput(self, "task_definition_arn", value=service.task_definition_arn,
                            description="The revision a blue/green release moves the service to")  # fmt: skip
            TerraformOutput(self, "codedeploy_application", value=release.application_name)
            TerraformOutput(self, "codedeploy_deployment_group", value=release.deployment_group_name)
            TerraformOutput(self, "test_listener_port", value=env.release.test_listener_port)
        if self.access_logs is not None:
            TerraformOutput(self, "access_log_bucket", value=self.access_logs.bucket_name,
                            description="S3 bucket of the ALB's access logs")  # fmt: skip
        if web.discovery is not None:
            TerraformOutput(self, "discovery_endpoint", value=web.discovery.endpoint,
                            description="In-VPC name of the service (Cloud Map)")  # fmt: skip
        if env.workloads:
            TerraformOutput(self, "workloads", value=self.workloads.outputs(),
                            description="Each further workload: kind, service, task family, log group, queues")  # fmt: skip

    def _blue_green(self, env: EnvironmentConfig, web: WebService) -> BlueGreen:
        """CodeDeploy blue/green for the web service (``release.strategy`` other than rolling)."""
        lb = web.load_balancer
        assert isinstance(lb, LoadBalancer)  # the stack's web service creates its load balancer
        lb.leave_targets_to_codedeploy()
        release = env.release
        port, path = env.container.port, env.container.health_check_path
        alarm_names = web.alarms.deployment_alarm_names if web.alarms is not None and env.service.deployment_alarms else ()
        options = target_options(env.load_balancer)
        return BlueGreen(
            self,
            BLUE_GREEN_SCOPE,
            props=BlueGreenProps(
                name=env.physical_name(), cluster_name=self.cluster.cluster_name,
                service_name=web.service.service_name, vpc_id=self.network.vpc_id, alb_arn=lb.alb_arn,
                alb_security_group_id=lb.security_group_id,
                production_listener_arns=tuple(ref.arn for ref in lb.forwarding_refs),
                blue_target_group_arn=web.target.target_group_arn,
                blue_target=TargetProps(
                    **{f.name: getattr(options, f.name) for f in dataclasses.fields(options)},
                    target_group_name="%s-tg" % env.physical_name(), port=port, health_check_path=path,
                ),
                test_listener_port=release.test_listener_port, test_ingress_cidrs=release.test_ingress_cidrs,
                certificate_arn=lb.certificate_arn,
                traffic=TrafficShift(release.strategy, release.percent, release.minutes),
                termination_wait_minutes=release.termination_wait_minutes,
                approval_wait_minutes=release.approval_wait_minutes, alarm_names=tuple(alarm_names),
            ),
        )  # fmt: skip
