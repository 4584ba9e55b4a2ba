"""The containers of a task (the app and its sidecars): typed data, rendered as the ECS API's JSON.

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
with a writable volume at ``/tmp``. Pure Python: no resource is created here; the task
construct (:mod:`modules.task`) puts the JSON into its task definition.

Sidecars (``ContainerOptions.sidecars``, :class:`SidecarOptions`) are further containers of the same
task, e.g. an OpenTelemetry collector::

    collector = SidecarOptions(
        name="otel", image="public.ecr.aws/aws-observability/aws-otel-collector:v0.43.1", cpu=256,
        memory_reservation_mib=512, command=("--config=/etc/ecs/ecs-default-config.yaml",),
        port_mappings=(SidecarPort(container_port=4317), SidecarPort(container_port=4318)),
        otlp_http_port=4318, app_depends_on="START")
    options = ContainerOptions(cpu=1024, memory_mib=2048, sidecars=(collector,))
    sidecar_container_definitions(options=options, log_group_name="/ecs/flask-app-dev/web", region="us-east-1",
                                  log_stream_prefix="web")   # after the app's, in container_definitions

Each gets its cpu units and memory reservation out of the task size (the app container keeps the
rest: it reserves the cpu they leave and no memory), awslogs to the task's log group under
``<log_stream_prefix>-<name>``, a non-root user, and a read-only root filesystem with a private
writable ``/tmp`` volume (:func:`sidecar_volume`). The app container waits for a sidecar on
``app_depends_on`` (``dependsOn``), and, when a sidecar receives OTLP (``otlp_http_port``), is
pointed at it with ``OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:<port>`` and
``OTEL_SERVICE_NAME``. The checks live in :mod:`rules.container`; :class:`modules.task.TaskProps`
runs them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from typing import TYPE_CHECKING, Any, Literal

from rules.container import APP_CONTAINER_NAME

if TYPE_CHECKING:
    from modules.task import PolicyStatement

#: Name of the app container inside the task (the target group and Cloud Map point at it).
CONTAINER_NAME = APP_CONTAINER_NAME
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
class ContainerDependency:
    container_name: str
    condition: str


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
    stop_timeout: int | None
    user: str
    readonly_root_filesystem: bool
    mount_points: tuple[MountPoint, ...]
    linux_parameters: LinuxParameters | None = None
    command: tuple[str, ...] = ()
    cpu: int | None = None
    memory_reservation: int | None = None
    depends_on: tuple[ContainerDependency, ...] = ()


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
class SidecarPort:
    """A port a sidecar listens on (in an ``awsvpc`` task the host port is the same)."""

    container_port: int
    protocol: str = "tcp"
    """``tcp`` or ``udp``; tcp unless set."""


@dataclass(frozen=True, kw_only=True)
class SidecarHealthCheck:
    """A sidecar's container health check (ECS runs ``command`` inside the container)."""

    command: tuple[str, ...]
    """``("CMD", <program>, <args>...)`` or ``("CMD-SHELL", <shell command>)``."""
    interval_seconds: int = 30
    """Interval between checks; 30 s unless set (ECS allows 5..300)."""
    timeout_seconds: int = 5
    """Timeout of one check; 5 s unless set (ECS allows 2..60)."""
    retries: int = 3
    """Failures before the container is unhealthy; 3 unless set (ECS allows 1..10)."""
    start_period_seconds: int = 0
    """Failures ignored after start; none unless set (ECS allows 0..300)."""


@dataclass(frozen=True, kw_only=True)
class SidecarOptions:
    """One more container in the task, beside the app (checked by :func:`rules.container.sidecar_problem`)."""

    name: str
    """Container name, unique in the task and not ``app``; also ends its log stream prefix."""
    image: str
    """Full image reference with its registry and a tag or digest, e.g.
    ``public.ecr.aws/aws-observability/aws-otel-collector:v0.43.1``. A private ECR image may be pulled
    by the execution role; any other registry is reached without credentials."""
    cpu: int
    """Cpu units reserved out of the task's ``cpu`` (``0`` reserves none)."""
    memory_reservation_mib: int
    """Memory reserved out of the task's ``memory_mib`` (``memoryReservation``, a soft limit)."""
    essential: bool = False
    """Whether the task stops when this container stops; off unless set, so a failing sidecar does not
    take the app down."""
    command: tuple[str, ...] = ()
    """Command (exec form, the arguments of the image's entry point); the image's own ``CMD`` unless set."""
    environment: Mapping[str, str] = field(default_factory=dict)
    """Plain environment variables; none unless set."""
    port_mappings: tuple[SidecarPort, ...] = ()
    """Ports it listens on; none unless set. The task's containers share one network namespace, so the
    app reaches them on ``localhost`` either way."""
    app_depends_on: str | None = None
    """Condition the app container waits for before it starts: START, HEALTHY (needs ``health_check``),
    COMPLETE or SUCCESS (need ``essential=False``); no ordering unless set."""
    health_check: SidecarHealthCheck | None = None
    """Container health check; none unless set."""
    user: str = "10001:10001"
    """Numeric non-root ``uid[:gid]`` it runs as; 10001:10001 unless set (set the image's own non-root
    uid when it needs its files)."""
    readonly_root_filesystem: bool = True
    """Read-only root filesystem with a writable ``/tmp`` volume of its own; on unless set (turn off only
    for an image that must write elsewhere)."""
    otlp_http_port: int | None = None
    """The port it receives OTLP/HTTP on, one of ``port_mappings``: the app container then gets
    ``OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:<port>`` and ``OTEL_SERVICE_NAME``; unset for a
    sidecar that is not a telemetry collector."""
    task_role_statements: tuple[PolicyStatement, ...] = ()
    """Grants it needs, added to the task role (the containers of a task share its role); none unless set."""


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
    secret_kms_key_arns: Mapping[str, str] = field(default_factory=dict)
    """Secret name (a key of ``secrets``) -> ARN of the customer-managed KMS key it is encrypted with; the
    execution role may decrypt with exactly these keys. None unless set (AWS-managed keys need no grant)."""
    stop_timeout_seconds: int = 30
    """SIGTERM-to-SIGKILL grace; 30 s unless set (Fargate allows up to 120)."""
    user: str = "10001:10001"
    """Numeric ``uid:gid`` the container runs as; 10001:10001 (non-root) unless set."""
    readonly_root_filesystem: bool = True
    """Read-only root filesystem with a writable ``/tmp`` volume; on unless set."""
    sidecars: tuple[SidecarOptions, ...] = ()
    """Further containers of the task (:class:`SidecarOptions`); none unless set. Their cpu and memory
    reservations come out of ``cpu``/``memory_mib``; the app container keeps the rest."""


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
    otel_service_name: str | None = None,
) -> ContainerDefinition:
    """The app container: ``options`` plus the variables the service sets itself (see module docstring).

    ``init_process`` runs an init process in the container (ECS Exec needs it); off unless set.
    ``log_stream_prefix`` starts each task's log stream name; ``web`` unless set.
    ``otel_service_name`` is ``OTEL_SERVICE_NAME`` when a sidecar receives OTLP; ``app_name`` unless set.

    With sidecars, the app container reserves the task's cpu the sidecars leave (ECS would otherwise
    give a container without ``cpu`` the smallest cpu share, 2, against the sidecars' reservations)
    and waits for each sidecar that sets ``app_depends_on``. It never reserves memory: the task's
    memory is its limit.
    """
    serving = {"APP_ENV": env_name, "APP_NAME": app_name, "APP_VERSION": version}
    if options.port is not None:
        serving.update(PORT=str(options.port), WEB_CONCURRENCY=str(gunicorn_workers(options.cpu)))
    serving.update(otlp_environment(options.sidecars, otel_service_name or app_name))
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
        cpu=options.cpu - sum(s.cpu for s in options.sidecars) if options.sidecars else None,
        depends_on=tuple(
            ContainerDependency(container_name=s.name, condition=s.app_depends_on)
            for s in options.sidecars
            if s.app_depends_on is not None
        ),
    )


def otlp_environment(sidecars: tuple[SidecarOptions, ...], service_name: str) -> dict[str, str]:
    """``OTEL_EXPORTER_OTLP_ENDPOINT``/``OTEL_SERVICE_NAME`` of the app container when a sidecar receives
    OTLP/HTTP (``otlp_http_port``), else nothing."""
    for sidecar in sidecars:
        if sidecar.otlp_http_port is not None:
            return {
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:%d" % sidecar.otlp_http_port,
                "OTEL_SERVICE_NAME": service_name,
            }
    return {}


def sidecar_volume(name: str) -> str:
    """The scratch volume (``/tmp``) of the sidecar ``name`` when its root filesystem is read-only."""
    return "%s-%s" % (name, TMP_VOLUME)


def sidecar_container_definitions(
    *, options: ContainerOptions, log_group_name: str, region: str, log_stream_prefix: str = "web"
) -> tuple[ContainerDefinition, ...]:
    """The sidecars of ``options``, in order: awslogs to ``log_group_name`` under
    ``<log_stream_prefix>-<name>``, the reservations, user and root filesystem of each (see module docstring)."""
    out = []
    for s in options.sidecars:
        check = s.health_check
        out.append(ContainerDefinition(
            name=s.name,
            image=s.image,
            essential=s.essential,
            command=tuple(s.command),
            cpu=s.cpu,
            memory_reservation=s.memory_reservation_mib,
            port_mappings=tuple(PortMapping(container_port=p.container_port, protocol=p.protocol)
                                for p in s.port_mappings),
            environment=tuple(KeyValuePair(name=k, value=v) for k, v in sorted(s.environment.items())),
            secrets=(),
            log_configuration=LogConfiguration(
                log_driver="awslogs",
                options={
                    "awslogs-group": log_group_name,
                    "awslogs-region": region,
                    "awslogs-stream-prefix": "%s-%s" % (log_stream_prefix, s.name),
                    "mode": "non-blocking",
                    "max-buffer-size": "4m",
                },
            ),
            health_check=HealthCheck(
                command=tuple(check.command), interval=check.interval_seconds, timeout=check.timeout_seconds,
                retries=check.retries, start_period=check.start_period_seconds,
            ) if check is not None else None,
            stop_timeout=None,
            user=s.user,
            readonly_root_filesystem=s.readonly_root_filesystem,
            mount_points=(
                (MountPoint(source_volume=sidecar_volume(s.name), container_path=TMP_PATH, read_only=False),)
                if s.readonly_root_filesystem
                else ()
            ),
        ))  # fmt: skip
    return tuple(out)
