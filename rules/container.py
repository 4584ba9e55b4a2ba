"""The app container's contract with the stacks: variables the service sets itself.

Example::

    from rules.container import RESERVED_ENV
    "PORT" in RESERVED_ENV   # True: the task definition sets it from container.port
"""

from __future__ import annotations

#: Environment variables the task definition sets from other settings; the config may not set
#: them in ``container.environment`` or ``container.secrets`` (the service's value would win).
RESERVED_ENV: tuple[str, ...] = ("PORT", "APP_ENV", "APP_NAME", "APP_VERSION", "WEB_CONCURRENCY")

#: Variables the stack sets in the container of a workload that uses a worker's queue (``queue``,
#: ``sends_to``, or the worker itself); the config may not set them either.
QUEUE_ENV: tuple[str, ...] = ("QUEUE_URL", "DLQ_URL")
