"""EC2 capacity for ECS: the instance types this project runs tasks on, their AMI, and what fits on them.

Example::

    from rules.ec2 import task_fits_problem, architecture_problem, ami_parameter
    task_fits_problem(1024, 2048, "c6i.large")      # None: 2048 cpu units and 3840 MiB are free for tasks
    task_fits_problem(4096, 8192, "c6i.large")      # "cpu=4096 ... does not fit on c6i.large (2 vCPU = 2048 cpu units, ...)"
    architecture_problem("ARM64", ("m6i.large",))   # "instance_types=('m6i.large',) has m6i.large (x86_64) for ..."
    ami_parameter("ARM64")                          # "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"

Sources:

* instance sizes: Amazon EC2 documentation, "Amazon EC2 instance types" (https://aws.amazon.com/ec2/instance-types/
  and the "Specifications" pages of the Instance Types guide): vCPUs, memory (GiB) and processor
  (Intel / AMD: x86_64; AWS Graviton: arm64) of each size;
* AMI: Amazon ECS Developer Guide, "Retrieving Amazon ECS-optimized Linux AMI metadata" (public SSM
  parameters of the Amazon Linux 2023 ECS-optimized AMI, one per architecture);
* memory available to tasks: Amazon ECS Developer Guide, "Reserving Amazon ECS Linux container instance
  memory": a container instance registers less memory than the instance type has (kernel, OS, ECS
  agent and Docker use some), and AWS publishes no formula; :data:`MEMORY_RESERVATION` is this
  project's estimate (see there);
* capacity-provider limits: the ECS API (``ManagedScaling``: target capacity 1..100, step sizes
  1..10000, instance warm-up 0..10000 s); capacity-provider names: ECS ``CreateCapacityProvider``;
* the EC2 task size range: Amazon ECS Developer Guide, "Task definition parameters", task size
  (128..196608 cpu units for tasks hosted on EC2 instances).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class InstanceType:
    vcpus: int
    memory_mib: int
    architecture: str
    """``x86_64`` or ``arm64``, as EC2 names it."""

    @property
    def cpu_units(self) -> int:
        """What the ECS agent registers: 1024 cpu units per vCPU."""
        return self.vcpus * 1024


def _family(names: str, architecture: str, gib_per_vcpu: int, sizes: dict[str, int]) -> dict[str, InstanceType]:
    out = {}
    for family in names.split():
        for size, vcpus in sizes.items():
            out["%s.%s" % (family, size)] = InstanceType(vcpus, vcpus * gib_per_vcpu * 1024, architecture)
    return out


_LARGE_TO_2XLARGE = {"large": 2, "xlarge": 4, "2xlarge": 8}

#: Instance types this project supports for ECS capacity (general purpose 4 GiB per vCPU, compute
#: optimized 2 GiB per vCPU, burstable 4 GiB per vCPU in these sizes), name -> size.
INSTANCE_TYPES: dict[str, InstanceType] = {
    **_family("m6i t3", "x86_64", 4, _LARGE_TO_2XLARGE),
    **_family("m7g t4g", "arm64", 4, _LARGE_TO_2XLARGE),
    **_family("c6i", "x86_64", 2, _LARGE_TO_2XLARGE),
    **_family("c7g", "arm64", 2, _LARGE_TO_2XLARGE),
    "m5.large": InstanceType(2, 8192, "x86_64"),
}

#: The task's ``runtime_platform.cpu_architecture`` -> EC2's name for it.
ARCHITECTURES: dict[str, str] = {"X86_64": "x86_64", "ARM64": "arm64"}

#: Public SSM parameters holding the recommended ECS-optimized Amazon Linux 2023 AMI, per task architecture.
AMI_PARAMETERS: dict[str, str] = {
    "X86_64": "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id",
    "ARM64": "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id",
}

#: Size of the root volume snapshot of the ECS-optimized Amazon Linux 2023 AMI: the root volume cannot be smaller.
AMI_ROOT_VOLUME_GIB = 30
ROOT_VOLUME_GIB = (AMI_ROOT_VOLUME_GIB, 16384)  # gp3 allows up to 16 TiB


@dataclass(frozen=True)
class MemoryReservation:
    minimum_mib: int
    percent: int

    def reserved_mib(self, instance_memory_mib: int) -> int:
        """MiB of ``instance_memory_mib`` that tasks cannot use: the larger of the minimum and the percentage (rounded up)."""
        return max(self.minimum_mib, -(-instance_memory_mib * self.percent // 100))


#: Memory of an instance that tasks cannot use, the project's one rule: max(256 MiB, 6 % of the instance's
#: memory). It stands for what the kernel, the OS, the ECS agent and Docker take before the instance
#: registers (ECS_RESERVED_MEMORY is left at 0); a task that passes this check can still be placed only
#: when the container instance's registered memory (``registeredResources``) really is that large. CPU
#: has no reservation: the agent registers 1024 cpu units per vCPU.
MEMORY_RESERVATION = MemoryReservation(minimum_mib=256, percent=6)

#: Network interfaces an instance of each size can attach, for every family of :data:`INSTANCE_TYPES`
#: (m5, m6i, c6i, t3, m7g, c7g, t4g): Amazon EC2 User Guide, "Maximum IP addresses per network
#: interface" (the per-type table of network interfaces); large 3, xlarge 4, 2xlarge 4. Transcribed
#: without a cross-check on this machine (no internet); it agrees with modules/ec2_capacity.py ("2 on
#: a large").
MAX_NETWORK_INTERFACES: dict[str, int] = {"large": 3, "xlarge": 4, "2xlarge": 4}

#: cpu units of a task hosted on EC2 instances (task size).
EC2_TASK_CPU = (128, 196608)
TARGET_CAPACITY_PERCENT = (1, 100)
SCALING_STEP_SIZE = (1, 10000)
INSTANCE_WARMUP_SECONDS = (0, 10000)
#: The project's guard on ``max_size`` (a typo guard, not an AWS limit).
MAX_INSTANCES = 100
#: ``ECS_CONTAINER_STOP_TIMEOUT``: the agent's default is 30 s; the project allows what it allows a container (2..120 s).
CONTAINER_STOP_TIMEOUT_SECONDS = (2, 120)
#: How long Auto Scaling waits before it checks a new instance's health (0..7200 s; 300 s is its default).
HEALTH_CHECK_GRACE_PERIOD_SECONDS = (0, 7200)
#: Spot allocation of the mixed instances policy: the lowest-priced pools among those least likely to be interrupted.
SPOT_ALLOCATION_STRATEGY = "price-capacity-optimized"

#: Placement of a service's tasks on EC2 capacity: across Availability Zones first, then as few
#: instances as possible by memory (so managed scaling can empty and remove instances).
PLACEMENT_STRATEGIES: tuple[tuple[str, str], ...] = (
    ("spread", "attribute:ecs.availability-zone"),
    ("binpack", "memory"),
)

_PROVIDER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_RESERVED_PREFIXES = ("aws", "ecs", "fargate")


@dataclass(frozen=True)
class PlacementStrategy:
    type: str
    field: str


def placement_strategies() -> list[PlacementStrategy]:
    """Ordered placement strategies for a service whose tasks run on EC2 capacity (:data:`PLACEMENT_STRATEGIES`).

    Pass them as the service's ``ordered_placement_strategy``, in this order. ECS rejects placement
    strategies for tasks on Fargate, so pass them only when the service's tasks run on EC2 capacity.
    """
    return [PlacementStrategy(type_, field) for type_, field in PLACEMENT_STRATEGIES]


def ami_parameter(cpu_architecture: str) -> str:
    """The public SSM parameter of the ECS-optimized AL2023 AMI for ``X86_64`` or ``ARM64``."""
    if cpu_architecture not in AMI_PARAMETERS:
        raise ValueError("cpu_architecture=%r; allowed: %s" % (cpu_architecture, ", ".join(AMI_PARAMETERS)))
    return AMI_PARAMETERS[cpu_architecture]


def describe(instance_type: str) -> str:
    """``c6i.large (2 vCPU = 2048 cpu units, 4096 MiB of which 3840 MiB for tasks)``."""
    size = INSTANCE_TYPES[instance_type]
    return "%s (%d vCPU = %d cpu units, %d MiB of which %d MiB for tasks)" % (
        instance_type,
        size.vcpus,
        size.cpu_units,
        size.memory_mib,
        task_memory_mib(instance_type),
    )


def task_memory_mib(instance_type: str) -> int:
    """Memory of ``instance_type`` that tasks can use, after :data:`MEMORY_RESERVATION`."""
    memory = INSTANCE_TYPES[instance_type].memory_mib
    return memory - MEMORY_RESERVATION.reserved_mib(memory)


def instance_types_problem(instance_types: Sequence[str]) -> str | None:
    """Why ``instance_types`` is not a usable list (empty, repeated or unsupported names), else None. Starts with the value."""
    allowed = "one or more of %s" % ", ".join(sorted(INSTANCE_TYPES))
    if not instance_types:
        return "(); allowed: %s" % allowed
    unknown = [t for t in instance_types if t not in INSTANCE_TYPES]
    if unknown:
        return "%r has unsupported %s; allowed: %s" % (tuple(instance_types), ", ".join(unknown), allowed)
    repeated = sorted({t for t in instance_types if list(instance_types).count(t) > 1})
    if repeated:
        return "%r repeats %s; allowed: each type once" % (tuple(instance_types), ", ".join(repeated))
    return None


def task_fits_problem(cpu_units: int, memory_mib: int, instance_type: str) -> str | None:
    """Why a task of ``cpu_units``/``memory_mib`` cannot run on one ``instance_type`` instance, else None.

    The task must fit on one instance: at most the instance's cpu units, and at most its memory less
    :data:`MEMORY_RESERVATION`.
    """
    if instance_type not in INSTANCE_TYPES:
        return "instance_type=%r; allowed: %s" % (instance_type, ", ".join(sorted(INSTANCE_TYPES)))
    size = INSTANCE_TYPES[instance_type]
    if cpu_units > size.cpu_units or memory_mib > task_memory_mib(instance_type):
        return (
            "cpu=%d memory_mib=%d does not fit on %s after the ECS/OS reservation of max(%d MiB, %d%%); allowed: at"
            " most %d cpu units and %d MiB"
            % (
                cpu_units,
                memory_mib,
                describe(instance_type),
                MEMORY_RESERVATION.minimum_mib,
                MEMORY_RESERVATION.percent,
                size.cpu_units,
                task_memory_mib(instance_type),
            )
        )
    return None


def tasks_fit_problem(cpu_units: int, memory_mib: int, instance_types: Sequence[str]) -> str | None:
    """:func:`task_fits_problem` for every type of a mix (Auto Scaling may launch any of them), first problem or None."""
    for instance_type in instance_types:
        problem = task_fits_problem(cpu_units, memory_mib, instance_type)
        if problem:
            return problem
    return None


def architecture_problem(task_cpu_architecture: str, instance_types: Sequence[str]) -> str | None:
    """Why ``instance_types`` cannot run tasks of ``task_cpu_architecture`` (``X86_64``/``ARM64``), else None.

    The problem starts with the field it is about: ``cpu_architecture=...`` or ``instance_types=...``.
    """
    if task_cpu_architecture not in ARCHITECTURES:
        return "cpu_architecture=%r; allowed: %s" % (task_cpu_architecture, ", ".join(ARCHITECTURES))
    problem = instance_types_problem(instance_types)
    if problem:
        return "instance_types=%s" % problem
    wanted = ARCHITECTURES[task_cpu_architecture]
    wrong = [t for t in instance_types if INSTANCE_TYPES[t].architecture != wanted]
    if wrong:
        return "instance_types=%r has %s for cpu_architecture=%r; allowed: %s types (%s)" % (
            tuple(instance_types),
            ", ".join("%s (%s)" % (t, INSTANCE_TYPES[t].architecture) for t in wrong),
            task_cpu_architecture,
            wanted,
            ", ".join(sorted(t for t, s in INSTANCE_TYPES.items() if s.architecture == wanted)),
        )
    return None


def range_problem(value: int, bounds: tuple[int, int]) -> str | None:
    """``<value>; allowed: lo..hi`` when ``value`` is outside ``bounds``, else None."""
    lo, hi = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        return "%r; allowed: %d..%d" % (value, lo, hi)
    return None


def size_problems(min_size: int, max_size: int) -> list[tuple[str, str]]:
    """(field, problem) for the instance count bounds: ``max_size`` 1..:data:`MAX_INSTANCES`, ``min_size`` 0..max_size."""
    problem = range_problem(max_size, (1, MAX_INSTANCES))
    if problem:
        return [("max_size", problem)]
    problem = range_problem(min_size, (0, max_size))
    return [("min_size", problem + " (max_size=%d)" % max_size)] if problem else []


def spot_mix_problems(
    on_demand_base_capacity: int, on_demand_percentage_above_base: int, max_size: int
) -> list[tuple[str, str]]:
    """(field, problem) for the On-Demand/Spot split of the mixed instances policy.

    ``on_demand_base_capacity`` instances are On-Demand first (0..max_size: more could never launch);
    of the instances above it, ``on_demand_percentage_above_base`` percent are On-Demand and the rest Spot.
    """
    out = []
    problem = range_problem(on_demand_base_capacity, (0, max(max_size, 0)))
    if problem:
        out.append(("on_demand_base_capacity", problem + " (at most max_size=%d)" % max_size))
    problem = range_problem(on_demand_percentage_above_base, (0, 100))
    if problem:
        out.append(("on_demand_percentage_above_base", problem))
    return out


def scaling_step_problems(minimum_scaling_step_size: int, maximum_scaling_step_size: int) -> list[tuple[str, str]]:
    """(field, problem) for managed scaling's step sizes: each 1..10000, minimum <= maximum."""
    out = []
    for field, value in (("minimum_scaling_step_size", minimum_scaling_step_size),
                         ("maximum_scaling_step_size", maximum_scaling_step_size)):  # fmt: skip
        problem = range_problem(value, SCALING_STEP_SIZE)
        if problem:
            out.append((field, problem))
    if not out and minimum_scaling_step_size > maximum_scaling_step_size:
        out.append(
            ("minimum_scaling_step_size", "%d; allowed: 1..maximum_scaling_step_size=%d"
             % (minimum_scaling_step_size, maximum_scaling_step_size))
        )  # fmt: skip
    return out


def capacity_provider_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name an ECS capacity provider, else None. Starts with the value.

    1..255 letters, digits, ``_`` and ``-``, not starting with ``aws``, ``ecs`` or ``fargate`` (any case).
    """
    if not _PROVIDER_NAME.match(name):
        return "%r; allowed: 1..255 letters, digits, '_' and '-'" % (name,)
    if name.lower().startswith(_RESERVED_PREFIXES):
        return "%r; allowed: a name that does not start with %s" % (name, ", ".join(map(repr, _RESERVED_PREFIXES)))
    return None


def ec2_task_size_problem(cpu_units: int, memory_mib: int) -> str | None:
    """Why a task-level size is not valid on EC2 capacity (cpu 128..196608 units, memory positive), else None."""
    problem = range_problem(cpu_units, EC2_TASK_CPU)
    if problem:
        return "cpu=%s (tasks on EC2 instances)" % problem
    if memory_mib < 1:
        return "memory_mib=%r; allowed: 1 or more" % memory_mib
    return None
