"""The app container's definition: typed data, rendered as the ECS API's JSON.

Smallest example::

    from modules.container import ContainerOptions, HealthCheckSettings, app_container_definition, to_api

    definition = app_container_definition(
        options=ContainerOptions(), image="repo:0a1b2c3", app_name="flask-app", env_name="dev",
        version="0a1b2c3", log_group_name="/ecs/flask-app-dev/web", region="us-east-1",
        health_check=HealthCheckSettings(interval_seconds=15, timeout_seconds=5, retries=3,
                                         start_period_seconds=10))
    json.dumps([to_api(definition)], sort_keys=True)   # the task definition's container_definitions

What it describes (:class:`ContainerDefinition` -> camelCase dict -> sorted JSON): image
``<repository url>:<image tag>``, the port mapping, ``PORT``/``APP_ENV``/``APP_NAME``/``APP_VERSION``/
``WEB_CONCURRENCY`` plus the configured environment, ``secrets`` by ARN, awslogs, a Python health
check (the image has no curl), ``stopTimeout``, a non-root user, and a read-only root filesystem
with a writable volume at ``/tmp``. Pure Python: no resource is created here; the service
construct (:mod:`modules.service`) puts the JSON into its task definition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Literal

#: Name of the app container inside the task (the target group and Cloud Map point at it).
CONTAINER_NAME = "app"
#: Writable scratch volume; the root filesystem is read-only.
TMP_VOLUME = "tmp"
TMP_PATH = "/tmp"


def gunicorn_workers(cpu_units: int) -> int:
    """Worker processes for a task of ``cpu_units``: 2 below one vCPU, else 2 per vCPU + 1.

    Fargate tasks smaller than one vCPU still report two CPUs to the container, so the app's
    own CPU-count default would start five workers in a 0.25 vCPU task; the task sets
    WEB_CONCURRENCY from its real size instead.
    """
    return 2 if cpu_units < 1024 else 2 * (cpu_units // 1024) + 1


# ---- the container definition, as typed data ------------------------------------------------


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def to_api(value: Any) -> Any:
    """Dataclasses -> dicts with the ECS API's camelCase keys; ``None`` and empty fields are left out."""
    if is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in fields(value):
            item = getattr(value, f.name)
            # Unset and empty fields are left out: the provider would show `[]` as a perpetual diff.
            if item is None or (isinstance(item, (list, tuple, dict)) and not item):
                continue
            out[_camel(f.name)] = to_api(item)
        return out
    if isinstance(value, (list, tuple)):
        return [to_api(v) for v in value]
    if isinstance(value, dict):
        return {k: to_api(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class PortMapping:
    container_port: int
    protocol: str = "tcp"
    name: str | None = None
    app_protocol: str | None = None


@dataclass(frozen=True)
class KeyValuePair:
    name: str
    value: str


@dataclass(frozen=True)
class Secret:
    name: str
    value_from: str


@dataclass(frozen=True)
class LogConfiguration:
    log_driver: str
    options: dict[str, str]


@dataclass(frozen=True)
class HealthCheck:
    command: tuple[str, ...]
    interval: int
    timeout: int
    retries: int
    start_period: int


@dataclass(frozen=True)
class MountPoint:
    source_volume: str
    container_path: str
    read_only: bool = False


@dataclass(frozen=True)
class LinuxParameters:
    init_process_enabled: bool


@dataclass(frozen=True)
class ContainerDefinition:
    """One entry of ``containerDefinitions`` (field names are the API's, in snake case)."""

    name: str
    image: str
    essential: bool
    port_mappings: tuple[PortMapping, ...]
    environment: tuple[KeyValuePair, ...]
    secrets: tuple[Secret, ...]
    log_configuration: LogConfiguration
    health_check: HealthCheck | None
    stop_timeout: int
    user: str
    readonly_root_filesystem: bool
    mount_points: tuple[MountPoint, ...]
    linux_parameters: LinuxParameters | None = None
    command: tuple[str, ...] = ()


def health_check_command(port: int, path: str, timeout_seconds: int) -> tuple[str, ...]:
    """``CMD`` exec form of a probe using only the image's Python (no curl, no shell)."""
    url = "http://127.0.0.1:%d%s" % (port, path)
    return (
        "CMD",
        "python",
        "-c",
        "import urllib.request; urllib.request.urlopen(%r, timeout=%d)" % (url, timeout_seconds),
    )


@dataclass(frozen=True, kw_only=True)
class ContainerOptions:
    """The app container and its Fargate task size."""

    cpu: int = 256
    """Task cpu units; 256 (0.25 vCPU) unless set. Must be a Fargate size."""
    memory_mib: int = 512
    """Task memory in MiB; 512 unless set. Must fit the cpu size (:mod:`rules.fargate`)."""
    port: int | None = 3000
    """Port the app listens on (``PORT``); 3000 unless set. None for a container that serves nothing
    (a queue worker, a job): no port mapping, no ``PORT``/``WEB_CONCURRENCY``, no health check."""
    health_check_path: str | None = "/health"
    """Path the container health check calls; ``/health`` unless set. None: no container health check."""
    command: tuple[str, ...] = ()
    """Command of the container (exec form), e.g. ``("python", "-m", "app.worker")``; the image's own
    ``CMD`` (the web server) unless set."""
    cpu_architecture: Literal["X86_64", "ARM64"] = "X86_64"
    """Runtime platform; X86_64 unless set."""
    environment: Mapping[str, str] = field(default_factory=dict)
    """Plain environment variables; none unless set."""
    secrets: Mapping[str, str] = field(default_factory=dict)
    """Env var name -> SSM parameter or Secrets Manager ARN, injected by ECS; none unless set."""
    stop_timeout_seconds: int = 30
    """SIGTERM-to-SIGKILL grace; 30 s unless set (Fargate allows up to 120)."""
    user: str = "10001:10001"
    """Numeric ``uid:gid`` the container runs as; 10001:10001 (non-root) unless set."""
    readonly_root_filesystem: bool = True
    """Read-only root filesystem with a writable ``/tmp`` volume; on unless set."""


@dataclass(frozen=True, kw_only=True)
class HealthCheckSettings:
    """The container health check's timing."""

    interval_seconds: int
    """Interval between checks (ECS allows 5..300)."""
    timeout_seconds: int
    """Timeout of one check (ECS allows 2..60); the probe itself gives up 2 s earlier."""
    retries: int
    """Failures before the container is unhealthy (ECS allows 1..10)."""
    start_period_seconds: int
    """Failures ignored after start (ECS allows 0..300)."""


def app_container_definition(
    *,
    options: ContainerOptions,
    image: str,
    app_name: str,
    env_name: str,
    version: str,
    log_group_name: str,
    region: str,
    health_check: HealthCheckSettings,
    init_process: bool = False,
    log_stream_prefix: str = "web",
) -> ContainerDefinition:
    """The app container: ``options`` plus the variables the service sets itself (see module docstring).

    ``init_process`` runs an init process in the container (ECS Exec needs it); off unless set.
    ``log_stream_prefix`` starts each task's log stream name; ``web`` unless set.
    """
    serving = {"APP_ENV": env_name, "APP_NAME": app_name, "APP_VERSION": version}
    if options.port is not None:
        serving.update(PORT=str(options.port), WEB_CONCURRENCY=str(gunicorn_workers(options.cpu)))
    probe = None
    if options.port is not None and options.health_check_path is not None:
        probe = HealthCheck(
            command=health_check_command(options.port, options.health_check_path, health_check.timeout_seconds - 2),
            interval=health_check.interval_seconds,
            timeout=health_check.timeout_seconds,
            retries=health_check.retries,
            start_period=health_check.start_period_seconds,
        )
    return ContainerDefinition(
        name=CONTAINER_NAME,
        image=image,
        essential=True,
        command=tuple(options.command),
        port_mappings=(
            (PortMapping(container_port=options.port, protocol="tcp", name="http", app_protocol="http"),)
            if options.port is not None
            else ()
        ),
        environment=tuple(KeyValuePair(name=k, value=v) for k, v in sorted({**options.environment, **serving}.items())),
        secrets=tuple(Secret(name=k, value_from=v) for k, v in sorted(options.secrets.items())),
        log_configuration=LogConfiguration(
            log_driver="awslogs",
            options={
                "awslogs-group": log_group_name,
                "awslogs-region": region,
                "awslogs-stream-prefix": log_stream_prefix,
                "mode": "non-blocking",
                "max-buffer-size": "4m",
            },
        ),
        health_check=probe,
        stop_timeout=options.stop_timeout_seconds,
        user=options.user,
        readonly_root_filesystem=options.readonly_root_filesystem,
        mount_points=(MountPoint(source_volume=TMP_VOLUME, container_path=TMP_PATH, read_only=False),),
        linux_parameters=LinuxParameters(init_process_enabled=True) if init_process else None,
    )
