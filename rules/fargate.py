"""The Fargate task size matrix: which memory sizes each cpu size allows.

Example::

    from rules.fargate import check_task_size
    check_task_size(1024, 512)   # "memory_mib=512 is not valid with cpu=1024; allowed: 2048..8192 in steps of 1024"

Source: AWS ECS Developer Guide, "Task CPU and memory" (Fargate, Linux), the table of
supported cpu/memory combinations.
"""

from __future__ import annotations

# cpu units -> allowed memory sizes in MiB
FARGATE_MEMORY_BY_CPU: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}


def describe_memory(cpu: int) -> str:
    """Human description of the memory sizes allowed for ``cpu``, e.g. ``2048..8192 in steps of 1024``."""
    sizes = FARGATE_MEMORY_BY_CPU[cpu]
    if len(sizes) <= 3:
        return ", ".join(str(s) for s in sizes)
    return "%d..%d in steps of %d" % (sizes[0], sizes[-1], sizes[1] - sizes[0])


def check_task_size(cpu: int, memory_mib: int) -> str | None:
    """Return a problem description, or None if (cpu, memory_mib) is a valid Fargate size."""
    if cpu not in FARGATE_MEMORY_BY_CPU:
        return "cpu=%r is not a Fargate cpu size; allowed: %s" % (
            cpu,
            ", ".join(str(c) for c in FARGATE_MEMORY_BY_CPU),
        )
    if memory_mib not in FARGATE_MEMORY_BY_CPU[cpu]:
        return "memory_mib=%r is not valid with cpu=%d; allowed: %s" % (memory_mib, cpu, describe_memory(cpu))
    return None
