"""Small interfaces constructs use to reference each other (as aws-cdk's ``ICluster``).

Example::

    from modules.interfaces import ICluster

    def runs_on_spot(cluster: ICluster) -> bool:
        return any(i.capacity_provider == "FARGATE_SPOT" for i in cluster.strategy)

Any object with these read-only attributes fits: the constructs of this package (a
:class:`modules.cluster.Cluster`, a :class:`modules.registry.Registry`, a
:class:`modules.network.Network`, a :class:`modules.load_balancer.LoadBalancer`), or a plain object
holding the values of a resource created elsewhere (e.g. read from another stack's outputs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cdktf import ITerraformDependable

from rules.capacity import StrategyItem


class ICluster(Protocol):
    """An ECS cluster a service can run in."""

    @property
    def cluster_arn(self) -> str: ...

    @property
    def cluster_name(self) -> str: ...

    @property
    def strategy(self) -> Sequence[StrategyItem]:
        """The cluster's default capacity-provider strategy, reused by its services."""
        ...


class IRegistry(Protocol):
    """An ECR repository an image is pulled from."""

    @property
    def repository_arn(self) -> str: ...

    @property
    def repository_url(self) -> str: ...


class INetwork(Protocol):
    """A VPC with public subnets (for load balancers) and private subnets (for tasks)."""

    @property
    def vpc_id(self) -> str: ...

    @property
    def public_subnet_ids(self) -> list[str]: ...

    @property
    def private_subnet_ids(self) -> list[str]: ...


@dataclass(frozen=True)
class ListenerRef:
    """A listener that forwards to targets: its port (a plain number) and ARN."""

    port: int
    arn: str


class ILoadBalancer(Protocol):
    """An application load balancer that targets are added to (:class:`modules.listener_target.ListenerTarget`)."""

    @property
    def alb_arn(self) -> str: ...

    @property
    def alb_arn_suffix(self) -> str:
        """The ``app/<name>/<id>`` part of the ARN, the CloudWatch ``LoadBalancer`` dimension."""
        ...

    @property
    def alb_dns_name(self) -> str: ...

    @property
    def security_group_id(self) -> str:
        """The ALB's security group; each service adds its egress rule to its tasks here."""
        ...

    @property
    def vpc_id(self) -> str: ...

    @property
    def service_url(self) -> str:
        """``http(s)://<domain or ALB DNS name>``."""
        ...

    @property
    def listeners(self) -> Sequence[ITerraformDependable]:
        """Every listener; a service depends on them (ECS needs the target group attached first)."""
        ...

    @property
    def forwarding_refs(self) -> Sequence[ListenerRef]:
        """The listeners whose requests reach targets (HTTPS with TLS, HTTP unless it redirects)."""
        ...

    def forward_by_default(self, target_group_arn: str) -> None:
        """Make ``target_group_arn`` the forwarding listeners' default action."""
        ...
