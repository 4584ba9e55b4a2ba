"""The same tasks on EC2 instances and on Fargate: how many instances they need and what each costs a month.

Example::

    from ops.cost.compare import compare_capacity
    c = compare_capacity(1024, 3072, 10, "m6i.large", load_prices(), "us-east-1")
    c.tasks_per_instance, c.limited_by, c.instances   # 2, "cpu", 5
    c.ec2, c.fargate                                  # monthly On-Demand cost of each
    c.cheaper                                         # "EC2" or "Fargate"

Tasks per instance: the floor of the instance's cpu units over the task's, of the memory tasks can use
(``rules.ec2.task_memory_mib``: the instance's memory less ``MEMORY_RESERVATION``) over the task's, and
of the ``awsvpc`` limit: every task has an ENI of its own and the instance keeps its primary ENI, so
an instance runs at most its network interfaces less one (``rules.ec2.MAX_NETWORK_INTERFACES``; the
account setting ``awsvpcTrunking`` raises that limit, and this project does not turn it on). The
instances are priced On-Demand (the first instance type of the group) with their root volumes; the
Fargate tasks On-Demand at the architecture of the instance type. Instances are whole; tasks may be a
fractional average (a share of a strategy's weights).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from ops.cost import CostError
from ops.cost.prices import PriceTable
from rules import ec2
from rules.ec2 import AMI_ROOT_VOLUME_GIB, INSTANCE_TYPES, task_fits_problem


def awsvpc_task_limit(instance_type: str) -> int:
    """``awsvpc`` tasks one instance can run: its network interfaces less the primary one."""
    size = instance_type.partition(".")[2]
    if size not in ec2.MAX_NETWORK_INTERFACES:
        raise CostError(
            "instance_type=%r has no network-interface limit in rules/ec2.py; allowed sizes: %s"
            % (instance_type, ", ".join(ec2.MAX_NETWORK_INTERFACES))
        )
    return ec2.MAX_NETWORK_INTERFACES[size] - 1


@dataclass(frozen=True)
class CapacityComparison:
    """A month of ``tasks`` tasks on ``instances`` instances of ``instance_type`` and on Fargate (On-Demand)."""

    instance_type: str
    task_cpu: int
    task_memory_mib: int
    tasks: Decimal
    tasks_per_instance: int
    limited_by: str
    """What caps ``tasks_per_instance``: ``cpu``, ``memory`` or ``ENIs`` (the first of them on a tie)."""
    instances: int
    ec2: Decimal
    """The instances On-Demand plus their root volumes (gp3), a month."""
    ec2_spot: Decimal
    """The instances all on Spot at the table's assumed discount plus their root volumes, a month."""
    fargate: Decimal
    """The tasks on Fargate On-Demand, a month."""

    @property
    def cheaper(self) -> str:
        return "EC2" if self.ec2 < self.fargate else "Fargate"


def compare_capacity(
    task_cpu: int,
    task_memory_mib: int,
    tasks: int | Decimal,
    instance_type: str,
    prices: PriceTable,
    region: str,
    *,
    root_volume_gib: int = AMI_ROOT_VOLUME_GIB,
) -> CapacityComparison:
    """``tasks`` tasks of ``task_cpu`` cpu units / ``task_memory_mib`` MiB on ``instance_type`` vs on Fargate."""
    if isinstance(tasks, bool) or Decimal(tasks) < 0:
        raise CostError("tasks=%r; allowed: 0 or more" % (tasks,))
    problem = task_fits_problem(task_cpu, task_memory_mib, instance_type)
    if problem:
        raise CostError(problem)
    size = INSTANCE_TYPES[instance_type]
    fits = {
        "cpu": size.cpu_units // task_cpu,
        "memory": ec2.task_memory_mib(instance_type) // task_memory_mib,
        "ENIs": awsvpc_task_limit(instance_type),
    }
    limited_by = min(fits, key=lambda k: fits[k])
    per_instance = fits[limited_by]
    count = Decimal(tasks)
    instances = math.ceil(count / per_instance)
    p = prices.region(region)
    hours = prices.hours_per_month
    on_demand = prices.instance_hour(region, instance_type) * hours
    ebs = root_volume_gib * p["ebs_gp3_gb_month"]
    arch = size.architecture  # x86_64 / arm64, as the Fargate price keys name it
    task_hour = (
        Decimal(task_cpu) / 1024 * p["fargate_%s_vcpu_hour" % arch]
        + Decimal(task_memory_mib) / 1024 * p["fargate_%s_gb_hour" % arch]
    )
    return CapacityComparison(
        instance_type=instance_type,
        task_cpu=task_cpu,
        task_memory_mib=task_memory_mib,
        tasks=count,
        tasks_per_instance=per_instance,
        limited_by=limited_by,
        instances=instances,
        ec2=instances * (on_demand + ebs),
        ec2_spot=instances * (on_demand * (1 - p["ec2_spot_discount"]) + ebs),
        fargate=count * task_hour * hours,
    )
