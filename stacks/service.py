"""``<env>``: network, cluster, and the web service with its load balancer and autoscaling."""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack, TerraformVariable, TerraformVariableValidationConfig
from constructs import Construct

from envconfig.model import EnvironmentConfig
from modules.cluster import Cluster, ClusterProps
from modules.naming import LIMITS
from modules.network import Network, NetworkProps
from stacks.base import configure_stack
from stacks.registry import RegistryStack


class ServiceStack(TerraformStack):
    network: Network
    cluster: Cluster

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
        self.network = Network(
            self,
            "Network",
            props=NetworkProps(
                name=env.physical_name(),
                region=env.region,
                config=env.network,
                flow_log_retention_days=env.logging.retention_days,
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
        TerraformOutput(self, "deployed_image_tag", value=self.image_tag.string_value, description="Tag of the image the service runs")
        TerraformOutput(self, "vpc_id", value=self.network.vpc_id)
        TerraformOutput(self, "cluster_name", value=self.cluster.cluster_name)
        TerraformOutput(self, "private_subnet_ids", value=self.network.private_subnet_ids)
        self.registry = registry.registry
