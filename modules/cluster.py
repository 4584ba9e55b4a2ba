"""Cluster: an ECS cluster with Container Insights and the Fargate capacity providers.

Smallest example::

    from modules.cluster import Cluster, ClusterProps

    cluster = Cluster(stack, "Cluster", props=ClusterProps(name="flask-app-dev"))
    cluster.cluster_arn, cluster.cluster_name

What it builds: the cluster (Container Insights on unless ``container_insights=False``),
and its capacity providers FARGATE and FARGATE_SPOT with a default strategy derived from
``fargate_spot_percent`` (see :func:`rules.capacity.capacity_provider_strategy`).
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.ecs_cluster import EcsCluster, EcsClusterSetting
from cdktf_cdktf_provider_aws.ecs_cluster_capacity_providers import (
    EcsClusterCapacityProviders,
    EcsClusterCapacityProvidersDefaultCapacityProviderStrategy,
)
from constructs import Construct

from rules.capacity import StrategyItem, capacity_provider_strategy

__all__ = ["Cluster", "ClusterProps"]


@dataclass(frozen=True, kw_only=True)
class ClusterProps:
    """Inputs of :class:`Cluster`."""

    name: str
    """Cluster name, ``{app}-{env}``."""
    fargate_spot_percent: int = 0
    """Share of tasks placed on FARGATE_SPOT by the default strategy; 0 (all on-demand) unless set."""
    container_insights: bool = True
    """CloudWatch Container Insights metrics; on unless set."""

    def __post_init__(self) -> None:
        capacity_provider_strategy(self.fargate_spot_percent)  # validates the range


class Cluster(Construct):
    """ECS cluster with FARGATE / FARGATE_SPOT capacity providers."""

    cluster_arn: str
    cluster_name: str
    cluster_id: str
    strategy: list[StrategyItem]

    def __init__(self, scope: Construct, id_: str, *, props: ClusterProps) -> None:
        super().__init__(scope, id_)
        cluster = EcsCluster(
            self,
            "Cluster",
            name=props.name,
            setting=[EcsClusterSetting(name="containerInsights", value="enabled" if props.container_insights else "disabled")],
        )
        self.strategy = capacity_provider_strategy(props.fargate_spot_percent)
        self.cluster_name = cluster.name
        EcsClusterCapacityProviders(
            self,
            "CapacityProviders",
            cluster_name=self.cluster_name,
            capacity_providers=["FARGATE", "FARGATE_SPOT"],
            default_capacity_provider_strategy=[
                EcsClusterCapacityProvidersDefaultCapacityProviderStrategy(
                    capacity_provider=item.capacity_provider, weight=item.weight, base=item.base
                )
                for item in self.strategy
            ],
        )
        self.cluster_arn = cluster.arn
        self.cluster_id = cluster.id
