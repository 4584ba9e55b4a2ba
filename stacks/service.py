"""``<env>``: network, cluster, and the web service with its load balancer and autoscaling.

Route 53 -> ALB -> ECS service (Fargate tasks on the container port) -> CloudWatch Logs, with
autoscaling, alarms and optional Cloud Map discovery. The image comes from the
``<env>-registry`` stack (a cross-stack reference to its repository).
"""

from __future__ import annotations

import sys

from cdktf import TerraformOutput, TerraformStack, TerraformVariable, TerraformVariableValidationConfig
from constructs import Construct

from envconfig.model import EnvironmentConfig
from modules.alarms import Alarms, AlarmsProps
from modules.autoscaling import Autoscaling, AutoscalingProps
from modules.cluster import Cluster, ClusterProps
from modules.discovery import Discovery, DiscoveryProps
from modules.load_balancer import LoadBalancer, LoadBalancerProps
from modules.log_encryption import LogEncryptionKey, LogEncryptionKeyProps
from modules.network import Network, NetworkProps
from modules.service import Service, ServiceProps
from modules.waf import WebAcl, WebAclProps
from rules.logs import security_log_retention_days
from rules.naming import LIMITS
from stacks.base import configure_stack
from stacks.registry import RegistryStack


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
    network: Network
    cluster: Cluster
    load_balancer: LoadBalancer
    service: Service
    autoscaling: Autoscaling
    discovery: Discovery | None
    alarms: Alarms | None
    log_key: LogEncryptionKey
    web_acl: WebAcl
    warnings: list[str]

    def __init__(self, scope: Construct, env: EnvironmentConfig, *, registry: RegistryStack) -> None:
        super().__init__(scope, env.name)
        configure_stack(self, env, env.name)
        self.warnings = []

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
        # Read once: each attribute read of a jsii object is a kernel round trip.
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
            props=NetworkProps(
                name=env.physical_name(),
                region=env.region,
                config=env.network,
                flow_log_retention_days=security_log_retention_days(env.logging.retention_days),
                log_kms_key_arn=self.log_key.key_arn,
            ),
        )
        self.cluster = Cluster(
            self,
            "Cluster",
            props=ClusterProps(
                name=env.physical_name(limit=LIMITS["ecs_cluster"]),
                fargate_spot_percent=env.scaling.fargate_spot_percent,
            ),
        )
        self.load_balancer = LoadBalancer(
            self,
            "LoadBalancer",
            props=LoadBalancerProps(
                name=env.physical_name(),
                alb_name=env.physical_name("alb", limit=LIMITS["alb"]),
                target_group_name=env.physical_name("tg", limit=LIMITS["target_group"]),
                vpc_id=self.network.vpc_id,
                public_subnet_ids=self.network.public_subnet_ids,
                container_port=env.container.port,
                health_check_path=env.container.health_check_path,
                config=env.load_balancer,
                deletion_protection=env.deletion_protection,
            ),
        )
        lb = self.load_balancer
        self.web_acl = WebAcl(
            self,
            "WebAcl",
            props=WebAclProps(
                name=env.physical_name(),
                alb_arn=lb.alb_arn,
                log_retention_days=security_log_retention_days(env.logging.retention_days),
                log_kms_key_arn=self.log_key.key_arn,
            ),
        )
        service_name = env.physical_name("web", limit=LIMITS["ecs_service"])

        self.discovery = None
        if env.service.service_discovery_namespace is not None:
            self.discovery = Discovery(
                self,
                "Discovery",
                props=DiscoveryProps(
                    name=env.physical_name(),
                    namespace=env.service.service_discovery_namespace,
                    service=env.app_name,
                    vpc_id=self.network.vpc_id,
                ),
            )

        self.alarms = None
        if env.service.alarms:
            self.alarms = Alarms(
                self,
                "Alarms",
                props=AlarmsProps(
                    name=env.physical_name(),
                    cluster_name=self.cluster.cluster_name,
                    service_name=service_name,
                    alb_arn_suffix=lb.alb_arn_suffix,
                    target_group_arn_suffix=lb.target_group_arn_suffix,
                    alarm_email=env.service.alarm_email,
                ),
            )

        public = env.network.tasks_in_public_subnets
        warning = public_subnet_warning(env)
        if warning:
            self.warnings.append(warning)
            sys.stderr.write(warning + "\n")
        self.service = Service(
            self,
            "Service",
            props=ServiceProps(
                name=env.physical_name(),
                service_name=service_name,
                app_name=env.app_name,
                env_name=env.name,
                region=env.region,
                container=env.container,
                service=env.service,
                desired_count=env.scaling.desired_count,
                log_retention_days=env.logging.retention_days,
                log_kms_key_arn=self.log_key.key_arn,
                cluster=self.cluster,
                registry=self.registry,
                image_tag=image_tag,
                vpc_id=self.network.vpc_id,
                subnet_ids=self.network.public_subnet_ids if public else self.network.private_subnet_ids,
                assign_public_ip=public,
                alb_security_group_id=lb.security_group_id,
                target_group_arn=lb.target_group_arn,
                listeners=lb.listeners,
                service_registry_arn=self.discovery.registry_arn if self.discovery else None,
                deployment_alarm_names=(
                    self.alarms.deployment_alarm_names if self.alarms and env.service.deployment_alarms else ()
                ),
            ),
        )
        self.autoscaling = Autoscaling(
            self,
            "Autoscaling",
            props=AutoscalingProps(
                name=env.physical_name(),
                cluster_name=self.cluster.cluster_name,
                service_name=self.service.service_name,
                config=env.scaling,
                resource_label="%s/%s" % (lb.alb_arn_suffix, lb.target_group_arn_suffix),
            ),
        )

        TerraformOutput(self, "deployed_image_tag", value=image_tag,
                        description="Tag of the image the service runs")  # fmt: skip
        TerraformOutput(self, "service_url", value=lb.service_url, description="Where the app answers")
        TerraformOutput(self, "alb_dns_name", value=lb.alb_dns_name)
        TerraformOutput(self, "vpc_id", value=self.network.vpc_id)
        TerraformOutput(self, "cluster_name", value=self.cluster.cluster_name)
        TerraformOutput(self, "service_name", value=self.service.service_name)
        TerraformOutput(self, "log_group_name", value=self.service.log_group_name)
        TerraformOutput(self, "target_group_arn", value=lb.target_group_arn)
        TerraformOutput(self, "task_definition_family", value=self.service.task_definition_family)
        TerraformOutput(self, "task_security_group_id", value=self.service.task_security_group_id)
        TerraformOutput(self, "private_subnet_ids", value=self.network.private_subnet_ids)
        TerraformOutput(self, "public_subnet_ids", value=self.network.public_subnet_ids)
        TerraformOutput(self, "repository_url", value=self.registry.repository_url,
                        description="ECR repository of the image (from the registry stack)")  # fmt: skip
        if self.discovery is not None:
            TerraformOutput(self, "discovery_endpoint", value=self.discovery.endpoint,
                            description="In-VPC name of the service (Cloud Map)")  # fmt: skip
