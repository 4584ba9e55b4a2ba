"""The containers of a task: variables the service sets itself, and the rules for sidecars.

Example::

    from rules.container import RESERVED_ENV, image_reference_problem, sidecar_problem
    "PORT" in RESERVED_ENV   # True: the task definition sets it from container.port
    image_reference_problem("public.ecr.aws/aws-observability/aws-otel-collector:v0.43.1")   # None
    image_reference_problem("otel/opentelemetry-collector")   # "image='otel/...' is not a full image reference; ..."

A sidecar is one more container in a workload's task, beside the app container (``app``): a
third-party image such as an OpenTelemetry collector, with its own cpu and memory reservation out
of the task size. The app container keeps the rest: it has no cpu or memory of its own, so it may
use whatever the sidecars do not. The checks here read plain attributes (:class:`SidecarLike`), so
the config model (``envconfig``) and the task construct (``modules.task``) report a mistake in the
same words.

Sources: AWS ECS Developer Guide, "Task definition parameters" (``dependsOn`` conditions,
``healthCheck`` ranges, ``memoryReservation``, container name characters) and "Amazon ECS service
quotas" (containers per task definition); Docker's distribution reference grammar
(``distribution/reference``) for image references.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from typing import Protocol

from rules.images import FORBIDDEN_TAGS, TAG_PATTERN

#: Environment variables the task definition sets from other settings; the config may not set
#: them in ``container.environment`` or ``container.secrets`` (the service's value would win).
RESERVED_ENV: tuple[str, ...] = ("PORT", "APP_ENV", "APP_NAME", "APP_VERSION", "WEB_CONCURRENCY")

#: Variables the stack sets in the container of a workload that uses a worker's queue (``queue``,
#: ``sends_to``, or the worker itself); the config may not set them either.
QUEUE_ENV: tuple[str, ...] = ("QUEUE_URL", "DLQ_URL")

#: Variables the task definition sets in the app container when a sidecar receives OTLP
#: (``otlp_http_port``): where to export to, and the service name the traces carry.
OTLP_ENV: tuple[str, ...] = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME")

#: Name of the app container in every task (the target group and Cloud Map point at it).
APP_CONTAINER_NAME = "app"

#: Containers one task definition may hold (ECS service quota, not adjustable).
MAX_CONTAINERS_PER_TASK = 10

#: Docker reserves at least 6 MiB for a container; ECS refuses a smaller memory reservation.
MIN_MEMORY_RESERVATION_MIB = 6

#: What the sidecars leave the app container at the least. It has no reservation of its own (it
#: gets the remainder of the task), so these floors keep a sidecar from taking the whole task:
#: 1/8 vCPU, and the memory of gunicorn with its two smallest-task workers.
APP_MIN_CPU_UNITS = 128
APP_MIN_MEMORY_MIB = 256

#: ``dependsOn`` conditions: the app container starts once the sidecar has started (START), has
#: passed its health check (HEALTHY), has exited (COMPLETE) or has exited 0 (SUCCESS).
DEPENDENCY_CONDITIONS: tuple[str, ...] = ("START", "HEALTHY", "COMPLETE", "SUCCESS")

#: Container health-check ranges ECS accepts, by setting name.
HEALTH_CHECK_RANGES: dict[str, tuple[int, int]] = {
    "interval_seconds": (5, 300),
    "timeout_seconds": (2, 60),
    "retries": (1, 10),
    "start_period_seconds": (0, 300),
}

SIDECAR_NAME_PATTERN = r"[a-z]([a-z0-9-]{0,30}[a-z0-9])?"
ENV_VAR_NAME_PATTERN = r"[A-Za-z_][A-Za-z0-9_]*"
PORT_PROTOCOLS: tuple[str, ...] = ("tcp", "udp")
#: ECS's limit on the ``image`` of a container definition.
IMAGE_MAX_LENGTH = 255
IMAGE_EXAMPLE = "public.ecr.aws/aws-observability/aws-otel-collector:v0.43.1"

_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = r"%s(?:\.%s)*(?::[0-9]+)?" % (_DOMAIN_COMPONENT, _DOMAIN_COMPONENT)
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(
    r"^(?:(?P<domain>%s)/)?(?P<path>%s(?:/%s)*)(?::(?P<tag>%s))?(?:@(?P<digest>%s))?$"
    % (_DOMAIN, _PATH_COMPONENT, _PATH_COMPONENT, TAG_PATTERN, _DIGEST)
)
_PRIVATE_ECR = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/(?P<repository>[^:@]+)"
)
_SIDECAR_NAME = re.compile(r"^%s$" % SIDECAR_NAME_PATTERN)
_ENV_VAR_NAME = re.compile(r"^%s$" % ENV_VAR_NAME_PATTERN)


# ---- images ----------------------------------------------------------------------------------


def image_reference_problem(image: str) -> str | None:
    """Why ``image`` is not a full, pinned image reference (``<registry>/<repository>:<tag>`` and/or
    ``@<digest>``), or None. A registry host is required (no Docker Hub shorthand), and so is a tag
    or digest; ``latest`` alone is refused (a moving tag cannot say what runs)."""
    allowed = "allowed: <registry>/<repository>:<tag> and/or @sha256:<digest>, e.g. %r" % IMAGE_EXAMPLE
    match = _REFERENCE.match(image)
    if len(image) > IMAGE_MAX_LENGTH or match is None:
        return "image=%r is not an image reference; %s (at most %d characters)" % (image, allowed, IMAGE_MAX_LENGTH)
    domain = match["domain"]
    if domain is None or not ("." in domain or ":" in domain or domain == "localhost"):
        return "image=%r does not name its registry; %s" % (image, allowed)
    if match["tag"] is None and match["digest"] is None:
        return "image=%r has no tag or digest; %s" % (image, allowed)
    if match["tag"] in FORBIDDEN_TAGS and match["digest"] is None:
        return "image=%r uses the moving tag %r; %s" % (image, match["tag"], allowed)
    return None


def private_ecr_repository(image: str) -> tuple[str, str, str] | None:
    """``(account, region, repository)`` of an image in a private ECR registry, else None."""
    match = _PRIVATE_ECR.match(image)
    return (match["account"], match["region"], match["repository"]) if match else None


def needs_route_out(image: str, region: str) -> bool:
    """Whether pulling ``image`` from a private subnet needs a route to the internet: True for every
    registry but this region's private ECR (which the VPC endpoints reach). public.ecr.aws pulls
    anonymously but is on the internet."""
    repository = private_ecr_repository(image)
    return repository is None or repository[1] != region


# ---- one sidecar -----------------------------------------------------------------------------


class PortLike(Protocol):
    @property
    def container_port(self) -> int: ...

    @property
    def protocol(self) -> str: ...


class HealthCheckLike(Protocol):
    @property
    def command(self) -> Sequence[str]: ...

    @property
    def interval_seconds(self) -> int: ...

    @property
    def timeout_seconds(self) -> int: ...

    @property
    def retries(self) -> int: ...

    @property
    def start_period_seconds(self) -> int: ...


class SidecarLike(Protocol):
    """What the checks read of a sidecar (``envconfig.model.SidecarConfig``, ``modules.container.SidecarOptions``)."""

    @property
    def name(self) -> str: ...

    @property
    def image(self) -> str: ...

    @property
    def cpu(self) -> int: ...

    @property
    def memory_reservation_mib(self) -> int: ...

    @property
    def essential(self) -> bool: ...

    @property
    def environment(self) -> Mapping[str, str]: ...

    @property
    def port_mappings(self) -> Sequence[PortLike]: ...

    @property
    def app_depends_on(self) -> str | None: ...

    @property
    def health_check(self) -> HealthCheckLike | None: ...

    @property
    def user(self) -> str: ...

    @property
    def otlp_http_port(self) -> int | None: ...


def user_problem(user: str) -> str | None:
    """Why ``user`` is not a numeric non-root ``uid[:gid]``, or None."""
    uid, colon, gid = user.partition(":")
    if not uid.isdigit() or int(uid) == 0 or (colon and not gid.isdigit()):
        return "user=%r must be a numeric non-root uid[:gid]; allowed: e.g. '10001:10001'" % user
    return None


def health_check_problem(check: HealthCheckLike) -> str | None:
    """Why a container health check is not one ECS runs, or None."""
    command = list(check.command)
    if len(command) < 2 or command[0] not in ("CMD", "CMD-SHELL"):
        return (
            "health_check.command=%r; allowed: ['CMD', <program>, <args>...] or ['CMD-SHELL', <shell command>]" % command
        )
    for setting, (lo, hi) in HEALTH_CHECK_RANGES.items():
        value = getattr(check, setting)
        if not lo <= value <= hi:
            return "health_check.%s=%r; allowed: %d..%d" % (setting, value, lo, hi)
    if check.timeout_seconds >= check.interval_seconds:
        return "health_check.timeout_seconds=%d; allowed: less than health_check.interval_seconds=%d" % (
            check.timeout_seconds,
            check.interval_seconds,
        )
    return None


def dependency_problem(condition: str | None, *, essential: bool, has_health_check: bool) -> str | None:
    """Why the app container cannot wait for a sidecar on ``condition``, or None."""
    if condition is None:
        return None
    if condition not in DEPENDENCY_CONDITIONS:
        return "app_depends_on=%r; allowed: %s" % (condition, ", ".join(DEPENDENCY_CONDITIONS))
    if condition == "HEALTHY" and not has_health_check:
        return "app_depends_on='HEALTHY' needs a health check; allowed: set health_check, or START"
    if condition in ("COMPLETE", "SUCCESS") and essential:
        return (
            "app_depends_on=%r with essential=true: an essential container that exits stops the task; allowed:"
            " essential=false, or START/HEALTHY" % condition
        )
    return None


def sidecar_problem(sidecar: SidecarLike) -> str | None:
    """What is wrong with one sidecar, as ``sidecars[<name>].<field>=<value> ...; allowed: ...``, or None."""
    name = sidecar.name
    if not _SIDECAR_NAME.match(name):
        return "sidecars[%s].name=%r; allowed: %s (1-32 lowercase letters, digits, '-')" % (
            name,
            name,
            SIDECAR_NAME_PATTERN,
        )
    if name == APP_CONTAINER_NAME:
        return "sidecars[%s].name=%r is the app container's name; allowed: any other name" % (name, name)
    problems = [
        image_reference_problem(sidecar.image),
        None if sidecar.cpu >= 0 else "cpu=%r; allowed: >= 0 cpu units" % sidecar.cpu,
        None if sidecar.memory_reservation_mib >= MIN_MEMORY_RESERVATION_MIB
        else "memory_reservation_mib=%r; allowed: >= %d" % (sidecar.memory_reservation_mib, MIN_MEMORY_RESERVATION_MIB),
        user_problem(sidecar.user),
        health_check_problem(sidecar.health_check) if sidecar.health_check is not None else None,
        dependency_problem(sidecar.app_depends_on, essential=sidecar.essential,
                           has_health_check=sidecar.health_check is not None),
    ]  # fmt: skip
    for variable in sidecar.environment:
        if not _ENV_VAR_NAME.match(variable):
            problems.append("environment variable name %r is not valid; allowed: %s" % (variable, ENV_VAR_NAME_PATTERN))
    ports = [p.container_port for p in sidecar.port_mappings]
    for i, mapping in enumerate(sidecar.port_mappings):
        if not 1 <= mapping.container_port <= 65535:
            problems.append("port_mappings[%d].container_port=%r; allowed: 1..65535" % (i, mapping.container_port))
        if mapping.protocol not in PORT_PROTOCOLS:
            problems.append("port_mappings[%d].protocol=%r; allowed: %s" % (i, mapping.protocol, ", ".join(PORT_PROTOCOLS)))
    if len(set(ports)) != len(ports):
        problems.append("port_mappings=%r repeat a port; allowed: each port once" % ports)
    if sidecar.otlp_http_port is not None and sidecar.otlp_http_port not in ports:
        problems.append(
            "otlp_http_port=%r is not one of its port_mappings; allowed: %s"
            % (sidecar.otlp_http_port, ", ".join(map(str, ports)) or "a port listed in port_mappings")
        )
    for problem in problems:
        if problem:
            return "sidecars[%s].%s" % (name, problem)
    return None


# ---- the sidecars of one task -----------------------------------------------------------------


def sidecars_problem(
    sidecars: Sequence[SidecarLike],
    *,
    cpu: int,
    memory_mib: int,
    app_port: int | None,
    app_environment: Collection[str] = (),
) -> str | None:
    """What is wrong with the sidecars of a task of ``cpu``/``memory_mib`` together, or None: each one
    (:func:`sidecar_problem`), their number, unique names, ports that do not clash in the task's shared
    network namespace, at most one OTLP receiver, and reservations that leave the app container its
    minimum (:data:`APP_MIN_CPU_UNITS`, :data:`APP_MIN_MEMORY_MIB`)."""
    for sidecar in sidecars:
        problem = sidecar_problem(sidecar)
        if problem:
            return problem
    names = [s.name for s in sidecars]
    if len(sidecars) > MAX_CONTAINERS_PER_TASK - 1:
        return "sidecars has %d entries; allowed: at most %d (a task holds %d containers, one is the app)" % (
            len(sidecars),
            MAX_CONTAINERS_PER_TASK - 1,
            MAX_CONTAINERS_PER_TASK,
        )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        return "sidecars names %r repeat %s; allowed: a name of its own for each container in the task" % (
            names,
            ", ".join(map(repr, repeated)),
        )
    owners: dict[int, str] = {} if app_port is None else {app_port: "the app container (port)"}
    for sidecar in sidecars:
        for mapping in sidecar.port_mappings:
            owner = owners.setdefault(mapping.container_port, "sidecars[%s]" % sidecar.name)
            if owner != "sidecars[%s]" % sidecar.name:
                return (
                    "sidecars[%s].port_mappings container_port=%d is also used by %s; the containers of a task share"
                    " one network namespace; allowed: a port no other container of the task uses"
                    % (sidecar.name, mapping.container_port, owner)
                )
    receivers = [s.name for s in sidecars if s.otlp_http_port is not None]
    if len(receivers) > 1:
        return "sidecars %s all set otlp_http_port; allowed: one OTLP receiver per task" % ", ".join(receivers)
    if receivers:
        clash = sorted(set(OTLP_ENV) & set(app_environment))
        if clash:
            return (
                "environment.%s is set, but sidecars[%s] receives OTLP and the task definition points the app at it;"
                " allowed: any name except %s" % (clash[0], receivers[0], ", ".join(OTLP_ENV))
            )
    for setting, total_limit, floor, unit in (
        ("cpu", cpu, APP_MIN_CPU_UNITS, "cpu units"),
        ("memory_reservation_mib", memory_mib, APP_MIN_MEMORY_MIB, "MiB"),
    ):
        parts = [(s.name, getattr(s, setting)) for s in sidecars]
        total = sum(value for _, value in parts)
        if total > total_limit - floor:
            task_field = "cpu" if setting == "cpu" else "memory_mib"
            return (
                "sidecars[*].%s=%d in total (%s) with %s=%d leaves the app container %d %s; allowed: at most %d in"
                " total (%s=%d minus the app container's minimum of %d), or a larger task"
                % (setting, total, ", ".join("%s=%d" % part for part in parts), task_field, total_limit,
                   max(total_limit - total, 0), unit, total_limit - floor, task_field, total_limit, floor)
            )  # fmt: skip
    return None
