"""Cluster: an ECS cluster with Container Insights and the Fargate capacity providers.

Smallest example::

    from modules.cluster import Cluster, ClusterProps

    cluster = Cluster(stack, "Cluster", props=ClusterProps(name="flask-app-dev"))
    cluster.cluster_arn, cluster.cluster_name

What it builds:

* the cluster (Container Insights on unless ``container_insights=False``);
* its capacity providers: FARGATE and FARGATE_SPOT, plus the EC2 capacity providers named in
  ``ec2_capacity_providers`` (e.g. :attr:`modules.ec2_capacity.Ec2Capacity.capacity_provider_name`);
* the default capacity provider strategy: from ``fargate_spot_percent``
  (:func:`rules.capacity.capacity_provider_strategy`), or, when ``ec2_percent`` is set, ``ec2_percent``
  of the tasks on the EC2 providers and the rest on FARGATE
  (:func:`rules.capacity.mixed_capacity_provider_strategy`).

With EC2 capacity::

    capacity = Ec2Capacity(stack, "Ec2Capacity", props=Ec2CapacityProps(name="flask-app-dev-ec2",
        cluster_name="flask-app-dev", vpc_id=network.vpc_id, subnet_ids=tuple(network.private_subnet_ids),
        instance_types=("m6i.large",), max_size=4))
    Cluster(stack, "Cluster", props=ClusterProps(name="flask-app-dev",
        ec2_capacity_providers=(capacity.capacity_provider_name,), ec2_percent=75))
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import Token
from cdktf_cdktf_provider_aws.ecs_cluster import EcsCluster, EcsClusterSetting
from cdktf_cdktf_provider_aws.ecs_cluster_capacity_providers import (
    EcsClusterCapacityProviders,
    EcsClusterCapacityProvidersDefaultCapacityProviderStrategy,
)
from constructs import Construct

from rules.capacity import StrategyItem, capacity_provider_strategy, mixed_capacity_provider_strategy
from rules.ec2 import capacity_provider_name_problem

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

    ec2_capacity_providers: tuple[str, ...] = ()
    """Names of EC2 capacity providers (:class:`modules.ec2_capacity.Ec2Capacity`) to associate with the
    cluster besides FARGATE and FARGATE_SPOT; none unless set. Services name them in their own strategy,
    or the default strategy does when ``ec2_percent`` is set."""
    ec2_percent: int = 0
    """Share of tasks the default strategy places on ``ec2_capacity_providers`` (split evenly), the rest on
    FARGATE; 0 (the Fargate strategy of ``fargate_spot_percent``) unless set."""

    def __post_init__(self) -> None:
        try:
            capacity_provider_strategy(self.fargate_spot_percent)  # validates the range
            if self.ec2_capacity_providers or self.ec2_percent:
                mixed_capacity_provider_strategy(self.ec2_capacity_providers, self.ec2_percent)
        except ValueError as error:
            raise ValueError("ClusterProps.%s" % error) from None
        for i, name in enumerate(self.ec2_capacity_providers):
            problem = None if Token.is_unresolved(name) else capacity_provider_name_problem(name)
            if problem:
                raise ValueError("ClusterProps.ec2_capacity_providers[%d]=%s" % (i, problem))
        if self.ec2_percent and self.fargate_spot_percent:
            raise ValueError(
                "ClusterProps.fargate_spot_percent=%d with ec2_percent=%d; allowed: fargate_spot_percent=0 when"
                " ec2_percent is set (the mixed strategy places the rest on FARGATE)"
                % (self.fargate_spot_percent, self.ec2_percent)
            )

    def default_strategy(self) -> list[StrategyItem]:
        """The cluster's default capacity provider strategy (module docstring)."""
        if self.ec2_percent:
            return mixed_capacity_provider_strategy(self.ec2_capacity_providers, self.ec2_percent)
        return capacity_provider_strategy(self.fargate_spot_percent)


class Cluster(Construct):
    """ECS cluster with FARGATE / FARGATE_SPOT (and optionally EC2) capacity providers."""

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
        self.strategy = props.default_strategy()
        self.cluster_name = cluster.name
        EcsClusterCapacityProviders(
            self,
            "CapacityProviders",
            cluster_name=self.cluster_name,
            capacity_providers=["FARGATE", "FARGATE_SPOT", *props.ec2_capacity_providers],
            default_capacity_provider_strategy=[
                EcsClusterCapacityProvidersDefaultCapacityProviderStrategy(
                    capacity_provider=item.capacity_provider, weight=item.weight, base=item.base
                )
                for item in self.strategy
            ],
        )
        self.cluster_arn = cluster.arn
        self.cluster_id = cluster.id
