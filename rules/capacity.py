"""Capacity: how tasks split between FARGATE, FARGATE_SPOT and EC2 capacity providers, and what Spot cannot run.

Example::

    from rules.capacity import capacity_provider_strategy, mixed_capacity_provider_strategy, spot_architecture_problem
    capacity_provider_strategy(30)   # [FARGATE weight 70 base 1, FARGATE_SPOT weight 30]
    mixed_capacity_provider_strategy(("flask-app-dev-ec2",), 75)   # [flask-app-dev-ec2 weight 3, FARGATE weight 1]
    spot_architecture_problem(True, "ARM64")   # "Fargate Spot does not run ARM64 tasks"

Source: AWS ECS Developer Guide, "Fargate capacity providers" (Spot runs Linux X86_64 tasks only) and
"Capacity provider strategies" (weights 0..1000, bases 0..100000, one provider with a base).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from math import gcd

#: Largest weight of a capacity provider strategy item (ECS API, ``CapacityProviderStrategyItem.weight``).
MAX_WEIGHT = 1000
#: Most EC2 capacity providers a mixed strategy splits between: each has weight ``ec2_percent`` and
#: FARGATE ``n * (100 - ec2_percent)``, which must stay within :data:`MAX_WEIGHT`.
MAX_EC2_PROVIDERS = MAX_WEIGHT // 100


@dataclass(frozen=True)
class StrategyItem:
    capacity_provider: str
    weight: int
    base: int


def capacity_provider_strategy(fargate_spot_percent: int) -> list[StrategyItem]:
    """Split tasks between FARGATE and FARGATE_SPOT by weight.

    0 -> all on-demand; 100 -> all Spot; in between, the first task (``base=1``) is always
    on-demand so an interruption of Spot capacity never takes the whole service down, and the
    rest follow the weights.
    """
    if not 0 <= fargate_spot_percent <= 100:
        raise ValueError("fargate_spot_percent=%r; allowed: 0..100" % fargate_spot_percent)
    if fargate_spot_percent == 0:
        return [StrategyItem("FARGATE", 1, 0)]
    if fargate_spot_percent == 100:
        return [StrategyItem("FARGATE_SPOT", 1, 0)]
    return [StrategyItem("FARGATE", 100 - fargate_spot_percent, 1), StrategyItem("FARGATE_SPOT", fargate_spot_percent, 0)]


def spot_architecture_problem(uses_spot: bool, cpu_architecture: str) -> str | None:
    """``Fargate Spot does not run ARM64 tasks`` when Spot capacity meets an ARM64 task, else None."""
    if uses_spot and cpu_architecture == "ARM64":
        return "Fargate Spot does not run ARM64 tasks"
    return None


def mixed_capacity_provider_strategy(ec2_capacity_providers: Sequence[str], ec2_percent: int) -> list[StrategyItem]:
    """Split tasks between EC2 capacity providers (evenly among them) and FARGATE by weight.

    ``ec2_percent`` of the tasks go to the EC2 providers, the rest to FARGATE (on-demand): 100 -> the EC2
    providers only (weight 1 each); 0 -> FARGATE only; in between each EC2 provider has weight
    ``ec2_percent`` and FARGATE ``n * (100 - ec2_percent)``, divided by their greatest common divisor
    (``(("ec2",), 75)`` -> ec2 3, FARGATE 1). No provider has a base: ECS places by weight from the first
    task. Raises ValueError naming the value and what is allowed.
    """
    if isinstance(ec2_percent, bool) or not isinstance(ec2_percent, int) or not 0 <= ec2_percent <= 100:
        raise ValueError("ec2_percent=%r; allowed: 0..100" % (ec2_percent,))
    providers = list(ec2_capacity_providers)
    if not 1 <= len(providers) <= MAX_EC2_PROVIDERS:
        raise ValueError(
            "ec2_capacity_providers=%r; allowed: 1..%d EC2 capacity provider names (a strategy weight is at most %d)"
            % (tuple(providers), MAX_EC2_PROVIDERS, MAX_WEIGHT)
        )
    repeated = sorted({p for p in providers if providers.count(p) > 1})
    reserved = [p for p in providers if p in ("FARGATE", "FARGATE_SPOT")]
    if repeated or reserved:
        raise ValueError(
            "ec2_capacity_providers=%r; allowed: distinct EC2 capacity provider names, not FARGATE or FARGATE_SPOT"
            % (tuple(providers),)
        )
    if ec2_percent == 0:
        return [StrategyItem("FARGATE", 1, 0)]
    if ec2_percent == 100:
        return [StrategyItem(p, 1, 0) for p in providers]
    fargate = len(providers) * (100 - ec2_percent)
    common = reduce(gcd, (ec2_percent, fargate))
    return [
        *(StrategyItem(p, ec2_percent // common, 0) for p in providers),
        StrategyItem("FARGATE", fargate // common, 0),
    ]


#: The capacity providers that are Fargate; every other provider of a strategy is EC2 capacity.
FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")


def compatibilities(strategy: Sequence[StrategyItem]) -> tuple[str, ...]:
    """The launch types a task definition must declare to run under ``strategy``.

    ``("FARGATE",)`` when every provider is Fargate (or there is none: ECS's default is Fargate
    here), ``("EC2",)`` when none is, ``("EC2", "FARGATE")`` for a mix.
    """
    ec2 = any(item.capacity_provider not in FARGATE_PROVIDERS for item in strategy)
    fargate = not strategy or any(item.capacity_provider in FARGATE_PROVIDERS for item in strategy)
    return tuple(kind for kind, used in (("EC2", ec2), ("FARGATE", fargate)) if used)
