"""Fargate capacity: how tasks split between FARGATE and FARGATE_SPOT, and what Spot cannot run.

Example::

    from rules.capacity import capacity_provider_strategy, spot_architecture_problem
    capacity_provider_strategy(30)   # [FARGATE weight 70 base 1, FARGATE_SPOT weight 30]
    spot_architecture_problem(True, "ARM64")   # "Fargate Spot does not run ARM64 tasks"

Source: AWS ECS Developer Guide, "Fargate capacity providers" (Spot runs Linux X86_64 tasks only).
"""

from __future__ import annotations

from dataclasses import dataclass


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
