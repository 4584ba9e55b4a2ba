"""Small interfaces constructs use to reference each other (as aws-cdk's ``ICluster``).

Example::

    from modules.interfaces import ICluster

    def runs_on_spot(cluster: ICluster) -> bool:
        return any(i.capacity_provider == "FARGATE_SPOT" for i in cluster.strategy)

Any object with these read-only attributes fits: the constructs of this package (a
:class:`modules.cluster.Cluster`, a :class:`modules.registry.Registry`), or a plain object holding
the values of a resource created elsewhere (e.g. read from another stack's outputs).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

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
