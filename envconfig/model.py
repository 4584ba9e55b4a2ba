"""Typed, validated configuration of one environment.

Every per-environment difference (sizes, counts, NAT layout, protection flags) lives in an
``EnvironmentConfig``; the constructs under ``modules/`` only read these objects. All models
are frozen and reject unknown keys, so a typo in ``environments.toml`` is an error, not a
silently ignored setting. Each field's description says what it does when left unset.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from envconfig.egress import EgressRuleConfig, egress_table_problem, open_egress_problem
from rules.accounts import (
    EXTERNAL_ID_CHARS,
    EXTERNAL_ID_MAX,
    EXTERNAL_ID_MIN,
    SESSION_NAME_CHARS,
    SESSION_NAME_MAX,
    SESSION_NAME_MIN,
    account_problems,
    name_problem,
)
from rules.alarms import (
    DEFAULT_THRESHOLDS,
    Threshold,
    is_https_endpoint,
    threshold_problem,
    topic_arn_problem,
)
from rules.capacity import spot_architecture_problem
from rules.container import (
    APP_MIN_CPU_UNITS,
    APP_MIN_MEMORY_MIB,
    QUEUE_ENV,
    RESERVED_ENV,
    needs_route_out,
    sidecars_problem,
)
from rules.dns import (
    ACM_DOMAIN_NAME_MAX,
    DNS_NAME_ALLOWED,
    certificate_arn_problem,
    is_dns_name,
    is_email_address,
    nlb_listener_problem,
    requests_certificate,
    serves_tls,
)
from rules.ec2 import (
    architecture_problem,
    capacity_provider_name_problem,
    instance_types_problem,
    range_problem,
    size_problems,
    spot_mix_problems,
    tasks_fit_problem,
)
from rules.egress import secret_keys_problem, secret_services
from rules.elb_logs import prefix_problem, region_problem
from rules.fargate import check_task_size
from rules.images import findings_reason_problem, image_platform, tag_problem
from rules.logs import retention_problem
from rules.naming import LIMITS, length_problem, physical_name
from rules.network import secret_endpoints
from rules.queues import MAX_RECEIVE_COUNT, MESSAGE_RETENTION_SECONDS, VISIBILITY_TIMEOUT_SECONDS, age_threshold_problem
from rules.releases import (
    APPROVAL_WAIT_MINUTES,
    TERMINATION_WAIT_MINUTES,
    ingress_cidrs_problem,
    listener_port_problem,
    shift_problem,
)
from rules.releases import range_problem as minutes_problem
from rules.routing import patterns_overlap, routing_problem
from rules.s3 import bucket_name_problem, default_server_access_log_bucket, default_state_bucket, state_object_key
from rules.schedules import RETRY_ATTEMPTS, schedule_expression_problem, timezone_problem
from rules.tags import tag_problems

ENV_NAME = re.compile(r"^[a-z][a-z0-9]{1,11}$")
APP_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
ENV_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SECRET_ARN = re.compile(r"^arn:aws[a-z-]*:(ssm|secretsmanager):[a-z0-9-]+:\d{12}:(parameter/|secret:).+$")
SECURITY_GROUP_ID = re.compile(r"^sg-[0-9a-f]{8}([0-9a-f]{9})?$")
# Names that suggest a credential; such values must come through `secrets`, not `environment`.
SECRET_LIKE = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL)", re.I)

Port = Annotated[int, Field(ge=1, le=65535)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=False, validate_default=True)


def _network(value: str, field: str) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(value, strict=True)
    except ValueError as exc:
        raise ValueError("%s=%r is not an IPv4 CIDR block with its host bits zero (e.g. 10.0.0.0/16): %s" % (field, value, exc)) from None


class NetworkConfig(_Model):
    """VPC layout. Subnet CIDRs are computed from ``vpc_cidr`` unless given explicitly."""

    vpc_cidr: str = Field("10.0.0.0/16", description="VPC CIDR; a /16 to /24 block.")
    az_count: int = Field(
        2, le=6, description="Availability zones used; 2 unless set. At least 2: the ALB spans two or more."
    )
    subnet_prefix_length: int = Field(
        20, ge=17, le=28, description="Prefix length of the computed subnets; /20 unless set."
    )
    public_subnet_cidrs: tuple[str, ...] | None = Field(
        None, description="Explicit public subnet CIDRs, one per AZ; computed from vpc_cidr when unset."
    )
    private_subnet_cidrs: tuple[str, ...] | None = Field(
        None, description="Explicit private subnet CIDRs, one per AZ; computed from vpc_cidr when unset."
    )
    nat_mode: Literal["none", "single", "per_az"] = Field(
        "single", description="NAT gateways: none, one shared, or one per AZ; one shared unless set."
    )
    vpc_endpoints: bool = Field(
        False, description="Interface endpoints for ECR api/dkr and CloudWatch Logs, and an S3 gateway endpoint."
    )
    flow_logs: bool = Field(True, description="VPC flow logs to a CloudWatch log group; on unless set.")
    tasks_in_public_subnets: bool = Field(
        False,
        description="Run tasks in public subnets with public IPs (saves NAT cost; dev only). Off unless set.",
    )

    @field_validator("az_count")
    @classmethod
    def _az_count(cls, value: int) -> int:
        if value < 2:
            raise ValueError(
                "az_count=%d: the load balancer needs subnets in at least two availability zones; allowed: 2..6" % value
            )
        return value

    @field_validator("vpc_cidr")
    @classmethod
    def _vpc_cidr(cls, value: str) -> str:
        net = _network(value, "vpc_cidr")
        if not 16 <= net.prefixlen <= 24:
            raise ValueError("vpc_cidr=%r has prefix /%d; allowed: /16 to /24" % (value, net.prefixlen))
        return value

    @property
    def vpc_network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.vpc_cidr)

    def _computed(self, offset: int) -> tuple[str, ...]:
        subnets = list(self.vpc_network.subnets(new_prefix=self.subnet_prefix_length))
        return tuple(str(subnets[offset + i]) for i in range(self.az_count))

    @property
    def slots_per_tier(self) -> int:
        """Computed subnets per tier: public take the lower half of the block, private the upper half."""
        return int(2 ** (self.subnet_prefix_length - self.vpc_network.prefixlen)) // 2

    @property
    def public_cidrs(self) -> tuple[str, ...]:
        return self.public_subnet_cidrs or self._computed(0)

    @property
    def private_cidrs(self) -> tuple[str, ...]:
        return self.private_subnet_cidrs or self._computed(self.slots_per_tier)

    @model_validator(mode="after")
    def _subnet_plan(self) -> NetworkConfig:
        vpc = self.vpc_network
        if self.subnet_prefix_length <= vpc.prefixlen:
            raise ValueError(
                "subnet_prefix_length=%d must be longer than the vpc_cidr prefix /%d; allowed: %d..28"
                % (self.subnet_prefix_length, vpc.prefixlen, vpc.prefixlen + 1)
            )
        explicit = self.public_subnet_cidrs is not None and self.private_subnet_cidrs is not None
        if not explicit and self.az_count > self.slots_per_tier:
            raise ValueError(
                "az_count=%d needs %d subnets per tier but vpc_cidr=%s with subnet_prefix_length=%d has room for %d;"
                " allowed: az_count <= %d, or a larger vpc_cidr / longer subnet_prefix_length"
                % (self.az_count, self.az_count, self.vpc_cidr, self.subnet_prefix_length,
                   self.slots_per_tier, self.slots_per_tier)
            )  # fmt: skip
        seen: list[tuple[str, ipaddress.IPv4Network]] = []
        for field in ("public_subnet_cidrs", "private_subnet_cidrs"):
            given = getattr(self, field)
            if given is None:
                continue
            if len(given) != self.az_count:
                raise ValueError(
                    "%s has %d entries; allowed: exactly az_count=%d entries" % (field, len(given), self.az_count)
                )
            for i, cidr in enumerate(given):
                net = _network(cidr, "%s[%d]" % (field, i))
                if not net.subnet_of(vpc):
                    raise ValueError(
                        "%s[%d]=%r is outside vpc_cidr=%s; allowed: a block inside %s" % (field, i, cidr, vpc, vpc)
                    )
                for other_name, other in seen:
                    if net.overlaps(other):
                        raise ValueError(
                            "%s[%d]=%r overlaps %s=%s; allowed: non-overlapping blocks" % (field, i, cidr, other_name, other)
                        )
                seen.append(("%s[%d]" % (field, i), net))
        return self


class SidecarPortConfig(_Model):
    """A port a sidecar listens on."""

    container_port: int = Field(description="The port (1..65535); the app reaches it on localhost.")
    protocol: Literal["tcp", "udp"] = Field("tcp", description="tcp unless set.")


class SidecarHealthCheckConfig(_Model):
    """A sidecar's container health check, run by ECS inside the container."""

    command: tuple[str, ...] = Field(description="['CMD', <program>, <args>...] or ['CMD-SHELL', <shell command>].")
    interval_seconds: int = Field(30, description="Between checks; 30 s unless set (5..300).")
    timeout_seconds: int = Field(5, description="Of one check; 5 s unless set (2..60, below the interval).")
    retries: int = Field(3, description="Failures before the container is unhealthy; 3 unless set (1..10).")
    start_period_seconds: int = Field(0, description="Failures ignored after start; none unless set (0..300).")


class SidecarConfig(_Model):
    """One more container in the workload's task, beside the app: a third-party image such as an
    OpenTelemetry collector. Checked by ``rules.container`` (the construct runs the same checks)."""

    name: str = Field(description="Container name: 1-32 lowercase letters, digits and '-', unique in the task, not"
                      " 'app'; its logs go to the task's log group under '<workload>-<name>'.")  # fmt: skip
    image: str = Field(
        description="Full image reference with registry and tag or digest, e.g."
        " 'public.ecr.aws/aws-observability/aws-otel-collector:v0.43.1'. Outside this region's ECR the tasks"
        " need a route out (NAT, or public subnets)."
    )
    cpu: int = Field(description="Cpu units reserved out of the task's cpu; the app container keeps the rest.")
    memory_reservation_mib: int = Field(
        description="Memory reserved out of the task's memory_mib (memoryReservation, a soft limit; at least 6)."
    )
    essential: bool = Field(False, description="Stop the task when this container stops; off unless set.")
    command: tuple[str, ...] = Field((), description="Command (exec form); the image's CMD unless set.")
    environment: dict[str, str] = Field(default_factory=dict, description="Plain environment variables; none unless set.")
    port_mappings: tuple[SidecarPortConfig, ...] = Field((), description="Ports it listens on; none unless set.")
    app_depends_on: Literal["START", "HEALTHY", "COMPLETE", "SUCCESS"] | None = Field(
        None,
        description="What the app container waits for before it starts: START, HEALTHY (needs health_check),"
        " COMPLETE or SUCCESS (need essential=false); no ordering unless set.",
    )
    health_check: SidecarHealthCheckConfig | None = Field(None, description="Container health check; none unless set.")
    user: str = Field(
        "10001:10001",
        description="Numeric non-root uid[:gid] it runs as; 10001:10001 unless set (set the image's own non-root"
        " uid when it needs its files).",
    )
    readonly_root_filesystem: bool = Field(
        True, description="Read-only root filesystem with a writable /tmp of its own; on unless set."
    )
    otlp_http_port: int | None = Field(
        None,
        description="The port (one of port_mappings) it receives OTLP/HTTP on: the app container then gets"
        " OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:<port> and OTEL_SERVICE_NAME; unset for other sidecars.",
    )
    task_role_statements: tuple[IamStatement, ...] = Field(
        (), description="Grants it needs, added to the task role of its workload; none unless set."
    )


class ContainerConfig(_Model):
    """The app container and its Fargate task size."""

    cpu: int = Field(256, description="Task cpu units; 256 (0.25 vCPU) unless set. Must be a Fargate size.")
    memory_mib: int = Field(512, description="Task memory in MiB; 512 unless set. Must fit the cpu size.")
    port: Port = Field(3000, description="Port the app listens on (PORT env var); 3000 unless set.")
    health_check_path: str = Field("/health", description="Path the ALB and container health checks call.")
    cpu_architecture: Literal["X86_64", "ARM64"] = Field("X86_64", description="Runtime platform; X86_64 unless set.")
    environment: dict[str, str] = Field(default_factory=dict, description="Plain environment variables.")
    secrets: dict[str, str] = Field(
        default_factory=dict, description="Env var name -> SSM parameter or Secrets Manager ARN, injected by ECS."
    )
    secret_kms_key_arns: dict[str, str] = Field(
        default_factory=dict,
        description="Secret name (a key of secrets) -> ARN of the customer-managed KMS key the secret is encrypted"
        " with (a key ARN in the secret's region); the execution role may kms:Decrypt with exactly these keys,"
        " through Secrets Manager / SSM only. None unless set (secrets under AWS-managed keys need no grant).",
    )
    image_tag: str | None = Field(None, description="Image tag to run; the deploy passes the git sha when unset.")
    stop_timeout_seconds: int = Field(30, ge=2, le=120, description="SIGTERM-to-SIGKILL grace; 30 s unless set.")
    user: str = Field("10001:10001", description="Numeric uid:gid the container runs as (non-root).")
    readonly_root_filesystem: bool = Field(True, description="Read-only root fs with a writable /tmp volume.")
    command: tuple[str, ...] = Field(
        (), description="Command (exec form), e.g. ['python', '-m', 'app.worker']; the image's CMD (the web server)"
        " unless set."
    )
    sidecars: tuple[SidecarConfig, ...] = Field(
        (),
        description="Further containers of the task, e.g. an OpenTelemetry collector; none unless set. Their cpu and"
        " memory_reservation_mib come out of cpu/memory_mib and must leave the app container at least %d cpu units"
        " and %d MiB." % (APP_MIN_CPU_UNITS, APP_MIN_MEMORY_MIB),
    )

    @model_validator(mode="after")
    def _checks(self) -> ContainerConfig:
        problem = check_task_size(self.cpu, self.memory_mib)
        if problem:
            raise ValueError(problem)
        if not self.health_check_path.startswith("/") or " " in self.health_check_path:
            raise ValueError(
                "health_check_path=%r must be an absolute URL path; allowed: e.g. '/health'" % self.health_check_path
            )
        uid, _, gid = self.user.partition(":")
        if not uid.isdigit() or int(uid) == 0 or (gid and not gid.isdigit()):
            raise ValueError("user=%r must be a numeric non-root uid[:gid]; allowed: e.g. '10001:10001'" % self.user)
        if self.image_tag is not None and tag_problem(self.image_tag):
            raise ValueError(
                "image_tag=%r is not allowed; allowed: an immutable tag such as a git sha (not 'latest')" % self.image_tag
            )
        for name in list(self.environment) + list(self.secrets):
            if not ENV_VAR_NAME.match(name):
                raise ValueError("environment variable name %r is not valid; allowed: [A-Za-z_][A-Za-z0-9_]*" % name)
        for table in ("environment", "secrets"):
            for name, value in getattr(self, table).items():
                if name in RESERVED_ENV + QUEUE_ENV:
                    raise ValueError(
                        "%s.%s=%r: the service sets this variable itself; allowed: any name except %s"
                        % (table, name, value, ", ".join(RESERVED_ENV + QUEUE_ENV))
                    )
        for name in self.environment:
            if SECRET_LIKE.search(name):
                raise ValueError(
                    "environment.%s looks like a secret; allowed: pass it through container.secrets as an SSM or"
                    " Secrets Manager ARN" % name
                )
            if name in self.secrets:
                raise ValueError("%s is set in both environment and secrets; allowed: one of them" % name)
        for name, arn in self.secrets.items():
            if not SECRET_ARN.match(arn):
                raise ValueError(
                    "secrets.%s=%r is not an SSM parameter or Secrets Manager ARN; allowed: arn:aws:ssm:<region>:"
                    "<account>:parameter/... or arn:aws:secretsmanager:<region>:<account>:secret:..." % (name, arn)
                )
        problem = sidecars_problem(self.sidecars, cpu=self.cpu, memory_mib=self.memory_mib, app_port=self.port,
                                   app_environment=[*self.environment, *self.secrets])  # fmt: skip
        if problem:
            raise ValueError(problem)
        problem = secret_keys_problem(self.secret_kms_key_arns, self.secrets)
        if problem:
            raise ValueError(problem)
        for sidecar in self.sidecars:
            for name in sidecar.environment:
                if SECRET_LIKE.search(name):
                    raise ValueError(
                        "sidecars[%s].environment.%s looks like a secret; allowed: a name that does not hold a"
                        " credential (sidecars take none from config)" % (sidecar.name, name)
                    )
        return self


class ScheduledAction(_Model):
    """A scheduled change of the capacity range, e.g. a festival peak."""

    name: str = Field(pattern=r"^[a-z][a-z0-9-]{0,63}$")
    schedule: str = Field(description="at(...), rate(...) or cron(...) expression.")
    min_capacity: int = Field(ge=0)
    max_capacity: int = Field(ge=1)
    timezone: str = "UTC"

    @model_validator(mode="after")
    def _checks(self) -> ScheduledAction:
        if not re.match(r"^(at|rate|cron)\(.+\)$", self.schedule):
            raise ValueError(
                "schedule=%r is not a schedule expression; allowed: at(...), rate(...) or cron(...)" % self.schedule
            )
        if self.min_capacity > self.max_capacity:
            raise ValueError("min_capacity=%d > max_capacity=%d; allowed: min <= max" % (self.min_capacity, self.max_capacity))
        return self


class ScalingConfig(_Model):
    """Task counts and Application Auto Scaling policies."""

    desired_count: int = Field(2, ge=0, description="Tasks at first deploy; autoscaling owns it afterwards.")
    min_capacity: int = Field(2, ge=0, description="Autoscaling floor; 2 unless set.")
    max_capacity: int = Field(4, ge=1, le=1000, description="Autoscaling ceiling; 4 unless set.")
    fargate_spot_percent: int = Field(0, ge=0, le=100, description="Share of tasks on FARGATE_SPOT; 0 unless set.")
    cpu_target_percent: float | None = Field(60.0, gt=0, le=100, description="CPU target tracking; off when null.")
    memory_target_percent: float | None = Field(75.0, gt=0, le=100, description="Memory target; off when null.")
    requests_per_target: int | None = Field(None, ge=1, description="ALB requests per target; off unless set.")
    scale_in_cooldown_seconds: int = Field(300, ge=0, le=3600)
    scale_out_cooldown_seconds: int = Field(60, ge=0, le=3600)
    scheduled_actions: tuple[ScheduledAction, ...] = ()

    @model_validator(mode="after")
    def _checks(self) -> ScalingConfig:
        if self.min_capacity > self.max_capacity:
            raise ValueError(
                "min_capacity=%d > max_capacity=%d; allowed: min_capacity <= max_capacity"
                % (self.min_capacity, self.max_capacity)
            )
        if not self.min_capacity <= self.desired_count <= self.max_capacity:
            raise ValueError(
                "desired_count=%d is outside the scaling range; allowed: %d..%d (min_capacity..max_capacity)"
                % (self.desired_count, self.min_capacity, self.max_capacity)
            )
        names = [a.name for a in self.scheduled_actions]
        if len(set(names)) != len(names):
            raise ValueError("scheduled_actions names %r repeat; allowed: unique names" % names)
        return self


class Ec2Config(_Model):
    """EC2 capacity for the environment's cluster: an Auto Scaling group of ECS-optimized instances behind an
    ECS capacity provider (managed scaling and termination protection, Spot draining)."""

    instance_types: tuple[str, ...] = Field(
        description="Instance types of the Auto Scaling group (rules/ec2.py's table), the first preferred; required."
    )
    min_size: int = Field(0, description="Fewest instances; 0 unless set (managed scaling starts them).")
    max_size: int = Field(2, description="Most instances; 2 unless set.")
    on_demand_base_capacity: int = Field(0, description="Instances that are always On-Demand; 0 unless set.")
    on_demand_percentage_above_base: int = Field(
        100, description="Share of the instances above the base that are On-Demand, the rest Spot; 100 unless set."
    )
    target_capacity_percent: int = Field(
        100, description="Managed scaling's target use of the instances; 100 (no spare instance) unless set."
    )
    percent: int = Field(
        100,
        description="Share of every service's tasks placed on EC2, the rest on FARGATE; 100 (EC2 only) unless set.",
    )
    ssm_access: bool = Field(False, description="Session Manager access to the instances; off unless set.")
    root_volume_gib: int = Field(30, description="Encrypted gp3 root volume of each instance; 30 GiB unless set.")

    @model_validator(mode="after")
    def _checks(self) -> Ec2Config:
        problem = instance_types_problem(self.instance_types)
        if problem:
            raise ValueError("instance_types=%s" % problem)
        problems = size_problems(self.min_size, self.max_size)
        problems += spot_mix_problems(self.on_demand_base_capacity, self.on_demand_percentage_above_base, self.max_size)
        for field, bounds in (("target_capacity_percent", (1, 100)), ("percent", (1, 100)), ("root_volume_gib", (30, 16384))):
            problem = range_problem(getattr(self, field), bounds)
            if problem:
                problems.append((field, problem))
        if problems:
            field, problem = problems[0]
            raise ValueError("%s=%s" % (field, problem))
        return self


class ReleaseConfig(_Model):
    """How the environment's own web service is released: a rolling update (ECS), or blue/green through
    CodeDeploy with a test listener and traffic moved all at once, linearly or canary."""

    strategy: Literal["rolling", "all-at-once", "linear", "canary"] = Field(
        "rolling",
        description="rolling: ECS replaces tasks in place (circuit breaker, rollback); the others: a CodeDeploy"
        " blue/green deployment moving traffic all at once, in equal steps, or a first share then the rest."
        " rolling unless set.",
    )
    percent: int | None = Field(None, description="linear/canary: traffic moved per step or in the first step.")
    minutes: int | None = Field(None, description="linear/canary: minutes between steps or before the rest moves.")
    test_listener_port: int = Field(
        8443, description="Blue/green: the port the new version answers on before it takes traffic; 8443 unless set."
    )
    test_ingress_cidrs: tuple[str, ...] = Field(
        (), description="Blue/green: who may reach the test listener (testers, CI runners); required, never 0.0.0.0/0."
    )
    termination_wait_minutes: int = Field(
        5, description="Blue/green: minutes the old task set keeps running after a release; 5 unless set."
    )
    approval_wait_minutes: int | None = Field(
        None, description="Blue/green: wait this long for someone to continue before moving traffic; none unless set."
    )
    allow_controller_change: bool = Field(
        False,
        description="Let a deploy switch an existing service between rolling and blue/green. ECS cannot change a"
        " service's deployment controller in place: the service is replaced (its tasks stop and start again)."
        " Refused unless set.",
    )

    @property
    def blue_green(self) -> bool:
        return self.strategy != "rolling"

    @property
    def deployment_controller(self) -> str:
        """The ECS service's deployment controller: ``ECS`` for rolling, ``CODE_DEPLOY`` for blue/green."""
        return "CODE_DEPLOY" if self.blue_green else "ECS"

    @model_validator(mode="after")
    def _checks(self) -> ReleaseConfig:
        if not self.blue_green:
            for field in ("percent", "minutes", "test_ingress_cidrs", "approval_wait_minutes"):
                if field in self.model_fields_set and getattr(self, field):
                    raise ValueError(
                        "%s=%r with strategy='rolling'; allowed: unset (a blue/green setting), or strategy"
                        " 'all-at-once', 'linear' or 'canary'" % (field, getattr(self, field))
                    )
            return self
        problem = shift_problem(self.strategy, self.percent, self.minutes)
        if problem:
            raise ValueError(problem)
        for field, problem in (
            ("test_listener_port", listener_port_problem(self.test_listener_port)),
            ("test_ingress_cidrs", ingress_cidrs_problem(self.test_ingress_cidrs)),
            ("termination_wait_minutes", minutes_problem(self.termination_wait_minutes, TERMINATION_WAIT_MINUTES, "minutes")),
            ("approval_wait_minutes", None if self.approval_wait_minutes is None else
             minutes_problem(self.approval_wait_minutes, APPROVAL_WAIT_MINUTES, "minutes")),
        ):  # fmt: skip
            if problem:
                raise ValueError("%s=%s" % (field, problem))
        return self


class LoadBalancerConfig(_Model):
    """The internet-facing ALB, its listeners, target group, TLS certificate and DNS name.

    TLS is configured by ``certificate_arn`` (an existing ACM certificate), or by ``domain_name``
    with ``hosted_zone_name``, in which case the stack requests an ACM certificate for
    ``domain_name`` and validates it through DNS in that zone. The zone itself is an account
    prerequisite: the stack looks it up by name and never creates or deletes it.
    """

    ingress_cidrs: tuple[str, ...] = Field(("0.0.0.0/0",), description="Who may reach 80/443; everyone unless set.")
    certificate_arn: str | None = Field(
        None,
        description="Existing ACM certificate for the HTTPS listener (TLS 1.3 policy); when unset and domain_name is"
        " set, the stack creates and DNS-validates one for domain_name.",
    )
    redirect_http_to_https: bool = Field(
        False,
        description="HTTP 301 to HTTPS; true when TLS is configured (certificate_arn or domain_name) unless set,"
        " false otherwise. Needs TLS.",
    )
    domain_name: str | None = Field(
        None, description="Name the service answers at: Route 53 alias record to the ALB; needs hosted_zone_name."
    )
    hosted_zone_name: str | None = Field(
        None,
        description="Public Route 53 zone holding domain_name (e.g. 'example.com'), looked up by name; it must"
        " exist in the account (not created by the stack).",
    )
    idle_timeout_seconds: int = Field(60, ge=1, le=4000)
    deregistration_delay_seconds: int = Field(30, ge=0, le=3600, description="Draining time; 30 s unless set.")
    health_check_interval_seconds: int = Field(10, ge=5, le=300)
    health_check_timeout_seconds: int = Field(5, ge=2, le=120)
    healthy_threshold_count: int = Field(2, ge=2, le=10)
    unhealthy_threshold_count: int = Field(3, ge=2, le=10)

    @property
    def tls(self) -> bool:
        """True when the ALB has an HTTPS listener (``rules.dns.serves_tls``)."""
        return serves_tls(self.certificate_arn, self.domain_name)

    @property
    def creates_certificate(self) -> bool:
        """True when an ACM certificate is requested for ``domain_name`` (``rules.dns.requests_certificate``)."""
        return requests_certificate(self.certificate_arn, self.domain_name)

    @model_validator(mode="after")
    def _checks(self) -> LoadBalancerConfig:
        if "redirect_http_to_https" not in self.model_fields_set:
            # Left unset: on exactly when TLS is configured. (A "before" validator would hand the
            # fields to strict validation as Python lists, which a strict tuple field rejects.)
            object.__setattr__(self, "redirect_http_to_https", self.tls)
        for i, cidr in enumerate(self.ingress_cidrs):
            _network(cidr, "ingress_cidrs[%d]" % i)
        problem = certificate_arn_problem(self.certificate_arn)
        if problem:
            raise ValueError(problem)
        for field in ("domain_name", "hosted_zone_name"):
            value = getattr(self, field)
            if value is not None and not is_dns_name(value):
                raise ValueError(
                    "%s=%r is not a DNS name; allowed: %s, at least two labels (e.g. 'app.example.com')"
                    % (field, value, DNS_NAME_ALLOWED)
                )
        if (self.domain_name is None) != (self.hosted_zone_name is None):
            raise ValueError(
                "domain_name=%r and hosted_zone_name=%r must be set together; allowed: both or neither"
                % (self.domain_name, self.hosted_zone_name)
            )
        if self.domain_name is not None and self.hosted_zone_name is not None:
            zone = self.hosted_zone_name
            if self.domain_name != zone and not self.domain_name.endswith("." + zone):
                raise ValueError(
                    "domain_name=%r is not inside hosted_zone_name=%r; allowed: %r or a name ending in '.%s'"
                    % (self.domain_name, zone, zone, zone)
                )
            if self.creates_certificate and len(self.domain_name) > ACM_DOMAIN_NAME_MAX:
                raise ValueError(
                    "domain_name=%r is %d characters; ACM requests a certificate for it, whose first domain name may"
                    " have at most %d; allowed: a shorter domain_name, or an existing certificate_arn"
                    % (self.domain_name, len(self.domain_name), ACM_DOMAIN_NAME_MAX)
                )
        if self.redirect_http_to_https and not self.tls:
            raise ValueError(
                "redirect_http_to_https=true needs TLS; allowed: set certificate_arn, or domain_name with"
                " hosted_zone_name, or redirect_http_to_https=false"
            )
        if self.health_check_timeout_seconds >= self.health_check_interval_seconds:
            raise ValueError(
                "health_check_timeout_seconds=%d must be less than health_check_interval_seconds=%d"
                % (self.health_check_timeout_seconds, self.health_check_interval_seconds)
            )
        return self


class ServiceConfig(_Model):
    """How ECS runs and rolls out the service."""

    health_check_grace_period_seconds: int = Field(30, ge=0, le=2147483647)
    deployment_minimum_healthy_percent: int = Field(100, ge=0, le=100)
    deployment_maximum_percent: int = Field(200, ge=100, le=200)
    circuit_breaker_rollback: bool = Field(True, description="Roll back a deployment that cannot stabilise.")
    enable_execute_command: bool = Field(False, description="ECS Exec into running tasks; off unless set.")
    service_discovery_namespace: str | None = Field(
        None, description="Cloud Map private DNS namespace (e.g. 'internal'); no registration when unset."
    )
    discovery_client_security_group_ids: tuple[str, ...] = Field(
        (),
        description="Security groups of other in-VPC workloads allowed to reach the tasks on the container port"
        " (e.g. callers of the Cloud Map name); none unless set, so the tasks accept only the ALB.",
    )
    task_role_statements: tuple[IamStatement, ...] = Field(
        (), description="Grants for the app's task role; the role has no permissions when empty."
    )
    egress: dict[str, EgressRuleConfig] = Field(
        default_factory=dict,
        description="Egress rules of the web service's tasks beyond HTTPS, by name (a database, a cache, ...): a"
        " port or from_port..to_port, tcp/udp, a description and one destination (cidr, prefix_list_id or"
        " security_group_id); none unless set.",
    )
    alarms: bool = Field(
        True,
        description="The web service's CloudWatch alarms (5xx, latency, unhealthy hosts, CPU, memory); whom they"
        " notify and their thresholds are the environment's [alarms] table.",
    )
    deployment_alarms: bool = Field(False, description="Roll back a deployment when an alarm fires.")
    alarm_email: str | None = Field(
        None, description="No longer used: refused with a pointer to [alarms] emails, where the address now goes."
    )

    @model_validator(mode="after")
    def _checks(self) -> ServiceConfig:
        if self.alarm_email is not None:
            raise ValueError(
                "alarm_email=%r moved to the environment's alarms table; allowed: [environments.<env>.alarms]"
                " emails = [%r] (service.alarm_email is no longer used)" % (self.alarm_email, self.alarm_email)
            )
        namespace = self.service_discovery_namespace
        if namespace is not None and not is_dns_name(namespace, min_labels=1):
            raise ValueError(
                "service_discovery_namespace=%r is not a DNS name; allowed: %s (e.g. 'internal')"
                % (namespace, DNS_NAME_ALLOWED)
            )
        problem = egress_table_problem(self.egress)
        if problem:
            raise ValueError(problem)
        if self.deployment_alarms and not self.alarms:
            raise ValueError("deployment_alarms=true needs alarms=true; allowed: enable alarms or disable deployment_alarms")
        groups = self.discovery_client_security_group_ids
        for i, group in enumerate(groups):
            if not SECURITY_GROUP_ID.match(group):
                raise ValueError(
                    "discovery_client_security_group_ids[%d]=%r is not a security group id; allowed: sg- followed by"
                    " 8 or 17 lowercase hex digits" % (i, group)
                )
        if len(set(groups)) != len(groups):
            raise ValueError(
                "discovery_client_security_group_ids=%r repeats a group; allowed: each group once" % (list(groups),)
            )
        if groups and self.service_discovery_namespace is None:
            raise ValueError(
                "discovery_client_security_group_ids=%r without service_discovery_namespace: the clients would have no"
                " name to call; allowed: set service_discovery_namespace, or no client groups" % (list(groups),)
            )
        return self


class AlarmThresholdConfig(_Model):
    """One alarm's trigger: ``threshold`` breached in ``datapoints_to_alarm`` of ``evaluation_periods`` one-minute
    periods. Each field unset keeps the alarm's default (``rules.alarms.DEFAULT_THRESHOLDS``); setting
    ``evaluation_periods`` alone makes every period count (``datapoints_to_alarm`` = all)."""

    threshold: float | None = Field(None, description="The alarm's default unless set.")
    evaluation_periods: int | None = Field(None, description="The alarm's default unless set.")
    datapoints_to_alarm: int | None = Field(None, description="M of an 'M out of N' alarm; see the class docstring.")

    def rule(self, alarm: str) -> Threshold:
        """This table over ``alarm``'s defaults."""
        default = DEFAULT_THRESHOLDS[alarm]
        datapoints = self.datapoints_to_alarm
        if datapoints is None and self.evaluation_periods is None:
            datapoints = default.datapoints_to_alarm
        return Threshold(
            default.threshold if self.threshold is None else self.threshold,
            default.evaluation_periods if self.evaluation_periods is None else self.evaluation_periods,
            datapoints,
        )


class AlarmsConfig(_Model):
    """Whom the environment's alarms notify, and when they fire (README, "Alarms").

    Targets: ``emails`` and/or ``https_endpoints`` (a topic ``{app}-{env}-alarms`` encrypted with a
    customer-managed KMS key is created and they are subscribed), or ``topic_arn`` (an existing topic;
    nothing is created). Without any target the alarms still exist but notify no one.
    """

    emails: tuple[str, ...] = Field((), description="Addresses subscribed to the alarm topic; none unless set.")
    https_endpoints: tuple[str, ...] = Field(
        (),
        description="HTTPS URLs subscribed to the alarm topic (they must confirm the subscription); none unless set.",
    )
    topic_arn: str | None = Field(
        None, description="An existing SNS topic (same region) every alarm notifies instead; no topic is created."
    )
    deployment_failures: bool = Field(
        True,
        description="Notify the topic of every failed ECS deployment of the environment's cluster (EventBridge);"
        " on unless set (needs a target).",
    )
    target_5xx: AlarmThresholdConfig = Field(AlarmThresholdConfig(), description="Targets' 5xx a minute; 5 in 2 of 3.")
    elb_5xx: AlarmThresholdConfig = Field(
        AlarmThresholdConfig(), description="The ALB's own 5xx a minute; 5 in 2 of 3."
    )
    unhealthy_hosts: AlarmThresholdConfig = Field(
        AlarmThresholdConfig(), description="Unhealthy targets; 1 for 2 minutes."
    )
    cpu_high: AlarmThresholdConfig = Field(AlarmThresholdConfig(), description="Service CPU percent; 85 for 5 minutes.")
    memory_high: AlarmThresholdConfig = Field(
        AlarmThresholdConfig(), description="Service memory percent; 85 for 5 minutes."
    )
    latency_p99: AlarmThresholdConfig = Field(
        AlarmThresholdConfig(), description="p99 target response time in seconds; 2 for 5 minutes."
    )

    @model_validator(mode="after")
    def _checks(self) -> AlarmsConfig:
        for field in ("emails", "https_endpoints"):
            values = getattr(self, field)
            if len(set(values)) != len(values):
                raise ValueError("%s=%r repeats an entry; allowed: each once" % (field, list(values)))
        for i, email in enumerate(self.emails):
            if not is_email_address(email):
                raise ValueError(
                    "emails[%d]=%r is not an e-mail address; allowed: an address such as oncall@example.com"
                    % (i, email)
                )
        for i, url in enumerate(self.https_endpoints):
            if not is_https_endpoint(url):
                raise ValueError(
                    "https_endpoints[%d]=%r is not an HTTPS URL; allowed: https://host[:port][/path]" % (i, url)
                )
        if self.topic_arn is not None and (self.emails or self.https_endpoints):
            raise ValueError(
                "topic_arn=%r with emails/https_endpoints: an existing topic's subscriptions are managed where the topic"
                " is; allowed: topic_arn alone, or emails and/or https_endpoints (a topic is created for them)"
                % self.topic_arn
            )
        for alarm in DEFAULT_THRESHOLDS:
            problem = threshold_problem(alarm, self.threshold(alarm))
            if problem:
                raise ValueError("%s.%s" % (alarm, problem))
        return self

    def threshold(self, alarm: str) -> Threshold:
        """``alarm``'s threshold (a key of ``rules.alarms.DEFAULT_THRESHOLDS``), its defaults filled in."""
        config: AlarmThresholdConfig = getattr(self, alarm)
        return config.rule(alarm)

    @property
    def targets(self) -> tuple[str, ...]:
        """Every address and URL the topic created here delivers to."""
        return self.emails + self.https_endpoints

    @property
    def notifies(self) -> bool:
        return bool(self.targets or self.topic_arn)


class IamStatement(_Model):
    """One Allow statement for the task role, e.g. s3:GetObject on one bucket."""

    sid: str = Field(pattern=r"^[A-Za-z0-9]+$")
    actions: tuple[str, ...] = Field(min_length=1)
    resources: tuple[str, ...] = Field(min_length=1)

    @field_validator("actions")
    @classmethod
    def _actions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for action in value:
            if action == "*" or not re.match(r"^[a-z0-9-]+:[A-Za-z0-9*]+$", action):
                raise ValueError("action %r is not allowed; allowed: service:Action (no bare '*')" % action)
        return value


class LoggingConfig(_Model):
    retention_days: int = Field(30, description="CloudWatch log retention; 30 days unless set.")

    @field_validator("retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        problem = retention_problem(value)
        if problem:
            raise ValueError("retention_days=%s" % problem)
        return value


class RegistryConfig(_Model):
    untagged_expiry_days: int = Field(7, ge=1, le=3650, description="Expire untagged images after N days.")
    keep_last_images: int = Field(30, ge=1, le=10000, description="Keep only the newest N images.")
    force_delete: bool = Field(False, description="Let destroy delete a repository that still has images.")
    encryption: Literal["AES256", "KMS"] = Field(
        "KMS", description="Image encryption at rest; KMS with the AWS-managed aws/ecr key unless set to AES256."
    )
    allow_high_findings_reason: str | None = Field(
        None, description="Why a production deploy may ship an image with HIGH scan findings (printed with them);"
        " unset, HIGH findings stop it. CRITICAL findings always stop it (ops/image_scan.py).",
    )

    @field_validator("allow_high_findings_reason")
    @classmethod
    def _reason(cls, value: str | None) -> str | None:
        problem = findings_reason_problem(value) if value is not None else None
        if problem:
            raise ValueError("allow_high_findings_reason=%s" % problem)
        return value


class AccessLogsConfig(_Model):
    """The ALB's access logs: an S3 bucket ``{app}-{env}-alb-logs-{account_id}`` in the environment's region
    (SSE-S3, public access blocked, TLS only, versioned, expired by lifecycle), written by Elastic Load
    Balancing under ``<prefix>/AWSLogs/<account_id>/``."""

    enabled: bool = Field(True, description="Write the ALB's access logs to the bucket; on unless set.")
    prefix: str = Field("alb", description="Key prefix of the logs in the bucket; 'alb' unless set.")
    retention_days: int = Field(90, ge=1, le=3650, description="Days a log file is kept; 90 unless set.")
    noncurrent_version_days: int = Field(
        7, ge=1, le=365, description="Days an overwritten or deleted log file's old version is kept; 7 unless set."
    )
    abort_incomplete_multipart_days: int = Field(
        1, ge=1, le=30, description="Days after which an unfinished multipart upload is aborted; 1 unless set."
    )
    server_access_log_bucket: str | None = Field(
        None,
        description="Existing bucket (same account and region, SSE-S3) that receives the S3 server access logs of the"
        " access-log bucket; s3-access-logs-<account_id>-<region> unless set, which make bootstrap creates.",
    )
    force_destroy: bool | None = Field(
        None,
        description="Let destroy delete the bucket with the logs in it; on outside production unless set, and"
        " refused in production (there make destroy empties the bucket only after the environment's name is"
        " confirmed).",
    )

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        problem = prefix_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class BackendConfig(_Model):
    """Where Terraform keeps state: an S3 bucket in the environment's account, locked with S3 lock files.

    The bucket is created once per account and region by ``make bootstrap ENV=<env>`` (versioned,
    encrypted, public access blocked, TLS only); every engineer and CI job shares it.
    """

    type: Literal["local", "s3"] = Field(
        "s3", description="s3 (shared state, S3-native locking) unless set; local keeps it in .state/ of one checkout."
    )
    bucket: str | None = Field(
        None, description="State bucket; tfstate-<account_id>-<region> unless set (one per account and region)."
    )
    key_prefix: str = Field(
        "ecs-fargate", pattern=r"^[A-Za-z0-9!_.*'()/-]{1,200}$", description="Prefix of the state object keys."
    )
    region: str | None = Field(None, description="Region of the bucket; the environment's region unless set.")
    noncurrent_version_days: int = Field(
        90, ge=1, le=3650, description="Days old state versions are kept before they expire; 90 unless set."
    )

    @model_validator(mode="after")
    def _checks(self) -> BackendConfig:
        if self.bucket is not None:
            problem = bucket_name_problem(self.bucket)
            if problem:
                raise ValueError("bucket=%r: %s" % (self.bucket, problem))
        return self


class AssumeRoleConfig(_Model):
    """The role every command (Terraform and the ops tools) assumes in the environment's account."""

    role_arn: str = Field(description="arn:aws:iam::<account_id>:role/<name>; a role in the environment's account.")
    external_id: str | None = Field(None, description="External id the role's trust policy requires; none unless set.")
    session_name: str = Field("ecs-fargate-flask", description="Role session name (shows in CloudTrail).")

    @model_validator(mode="after")
    def _checks(self) -> AssumeRoleConfig:
        checks = [("session_name", self.session_name, SESSION_NAME_MIN, SESSION_NAME_MAX, SESSION_NAME_CHARS)]
        if self.external_id is not None:
            checks.append(("external_id", self.external_id, EXTERNAL_ID_MIN, EXTERNAL_ID_MAX, EXTERNAL_ID_CHARS))
        problems = [problem for check in checks if (problem := name_problem(*check))]
        if problems:
            raise ValueError("; ".join(problems))
        return self


WORKLOAD_NAME = re.compile(r"^[a-z][a-z0-9]{0,11}$")
#: The environment's own web service (the top-level container/service/scaling/load_balancer tables).
PRIMARY_WORKLOAD = "web"
WorkloadKind = Literal["web", "backend", "worker", "job"]
#: Fields each kind may set (besides kind, container, task_role_statements and sends_to).
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "web": ("hosts", "paths", "priority", "nlb", "scaling", "alarms"),
    "backend": ("callers", "scaling"),
    "worker": ("queue", "scaling"),
    "job": ("schedule", "timezone", "max_retries", "enabled"),
}


class NlbConfig(_Model):
    """A web workload's own network load balancer (layer 4), instead of rules on the shared ALB."""

    protocol: Literal["TCP", "TLS"] = Field(
        "TLS", description="TLS: decrypted at the NLB with certificate_arn; TCP: bytes passed through. TLS unless set."
    )
    port: int = Field(443, description="Listener port; 443 unless set.")
    certificate_arn: str | None = Field(None, description="ACM certificate of the TLS listener; required with TLS.")
    ingress_cidrs: tuple[str, ...] = Field(("0.0.0.0/0",), description="Who may reach the port; everyone unless set.")
    access_log_bucket: str | None = Field(
        None, description="Existing S3 bucket for the TLS listener's access logs; none unless set."
    )

    @model_validator(mode="after")
    def _checks(self) -> NlbConfig:
        if not 1 <= self.port <= 65535:
            raise ValueError("port=%r; allowed: 1..65535" % self.port)
        if not self.ingress_cidrs:
            raise ValueError("ingress_cidrs=[]; allowed: at least one IPv4 CIDR block")
        for i, cidr in enumerate(self.ingress_cidrs):
            _network(cidr, "ingress_cidrs[%d]" % i)
        problem = nlb_listener_problem(self.protocol, self.certificate_arn, self.access_log_bucket)
        if problem:
            raise ValueError(problem)
        return self


class QueueConfig(_Model):
    """The SQS work queue of a worker, with its dead-letter queue."""

    visibility_timeout_seconds: int = Field(
        300,
        description="How long a received message stays hidden: above the time one message takes plus the task's"
        " stop timeout; 300 s unless set.",
    )
    max_receive_count: int = Field(5, description="Receives before a message moves to the dead-letter queue; 5 unless set.")
    retention_seconds: int = Field(345600, description="How long a message is kept; 4 days unless set.")
    oldest_message_alarm_seconds: int = Field(
        1800, description="Alarm when the oldest message waits longer than this; 30 minutes unless set."
    )

    @model_validator(mode="after")
    def _checks(self) -> QueueConfig:
        for field, value, bounds in (
            ("visibility_timeout_seconds", self.visibility_timeout_seconds, VISIBILITY_TIMEOUT_SECONDS),
            ("max_receive_count", self.max_receive_count, MAX_RECEIVE_COUNT),
            ("retention_seconds", self.retention_seconds, MESSAGE_RETENTION_SECONDS),
        ):
            if not bounds[0] <= value <= bounds[1]:
                raise ValueError("%s=%r; allowed: %d..%d" % (field, value, bounds[0], bounds[1]))
        problem = age_threshold_problem(self.oldest_message_alarm_seconds, self.retention_seconds)
        if problem:
            raise ValueError("oldest_message_alarm_seconds=%s" % problem)
        return self


class WorkloadScalingConfig(_Model):
    """Task counts of a web, backend or worker workload, and what it scales on."""

    min_capacity: int = Field(1, ge=0, le=1000, description="Autoscaling floor; 1 unless set (a worker may use 0).")
    max_capacity: int = Field(2, ge=1, le=1000, description="Autoscaling ceiling; 2 unless set.")
    cpu_target_percent: float | None = Field(
        60.0, gt=0, le=100, description="CPU target tracking of a web or backend workload; off when null."
    )
    backlog_per_task: int = Field(
        10, ge=1, le=100000, description="Worker: queued messages one task may have waiting (scales on the backlog)."
    )

    @model_validator(mode="after")
    def _checks(self) -> WorkloadScalingConfig:
        if self.min_capacity > self.max_capacity:
            raise ValueError(
                "min_capacity=%d > max_capacity=%d; allowed: min <= max" % (self.min_capacity, self.max_capacity)
            )
        return self


class WorkloadConfig(_Model):
    """One more workload of the environment: a web service on the shared ALB, an internal backend, a queue
    worker or a scheduled job. All share the environment's network, cluster, image and (web) load balancer."""

    kind: WorkloadKind = Field(description="web, backend, worker or job.")
    container: ContainerConfig = Field(
        ContainerConfig(), description="Size, command, environment and secrets of its container; the defaults unless set."
    )
    task_role_statements: tuple[IamStatement, ...] = Field(
        (), description="Grants of its task role beyond what its queues need; none unless set."
    )
    egress: dict[str, EgressRuleConfig] = Field(
        default_factory=dict,
        description="Egress rules of its tasks beyond HTTPS, by name, as service.egress; none unless set.",
    )
    sends_to: str | None = Field(
        None,
        description="A worker whose queue this workload uses: QUEUE_URL and DLQ_URL in its container, and the"
        " grants to send and to read the queue's attributes; none unless set.",
    )
    alarms: bool = Field(
        True, description="web: its CloudWatch alarms (5xx, unhealthy hosts, CPU, memory); on unless set. A worker's"
        " queue and a job always have theirs (oldest message, dead letters, failed runs)."
    )
    # web
    hosts: tuple[str, ...] = Field((), description="web: Host-header patterns it answers on the shared ALB.")
    paths: tuple[str, ...] = Field((), description="web: path patterns it answers on the shared ALB, e.g. '/api/*'.")
    priority: int | None = Field(None, description="web: listener-rule priority, unique in the environment.")
    nlb: NlbConfig | None = Field(
        None,
        description="web: a network load balancer of its own (TCP or TLS on one port) instead of rules on the shared"
        " ALB; the shared ALB unless set.",
    )
    # backend
    callers: tuple[str, ...] = Field(
        (), description="backend: workloads ('web' is the environment's own) allowed to call its container port."
    )
    # worker
    queue: QueueConfig | None = Field(None, description="worker: its SQS queue and dead-letter queue; required.")
    # web, backend, worker
    scaling: WorkloadScalingConfig = Field(WorkloadScalingConfig(), description="Task counts and scaling policy.")
    # job
    schedule: str | None = Field(None, description="job: cron(...), rate(...) or at(...) expression; required.")
    timezone: str = Field("UTC", description="job: IANA time zone of the schedule; UTC unless set.")
    max_retries: int = Field(2, description="job: retries of a run the scheduler could not start; 2 unless set.")
    enabled: bool = Field(True, description="job: whether the schedule runs; on unless set.")

    @model_validator(mode="after")
    def _checks(self) -> WorkloadConfig:
        allowed = KIND_FIELDS[self.kind]
        for field in sorted({f for fields in KIND_FIELDS.values() for f in fields} - set(allowed)):
            if field in self.model_fields_set:
                owners = [k for k, fields in KIND_FIELDS.items() if field in fields]
                raise ValueError(
                    "%s is set for kind=%r; allowed: only for kind %s" % (field, self.kind, " or ".join(map(repr, owners)))
                )
        problem = egress_table_problem(self.egress)
        if problem:
            raise ValueError(problem)
        if self.container.image_tag is not None:
            raise ValueError(
                "container.image_tag=%r: every workload runs the environment's image tag; allowed: unset"
                % self.container.image_tag
            )
        if self.kind == "web" and self.nlb is not None:
            for field in ("hosts", "paths", "priority"):
                if getattr(self, field):
                    raise ValueError(
                        "%s=%r with nlb: an NLB forwards connections, with no host or path rules; allowed: hosts/paths"
                        " with a priority (on the shared ALB) or an [nlb] table, not both" % (field, getattr(self, field))
                    )
        elif self.kind == "web":
            problem = routing_problem(hosts=self.hosts, paths=self.paths, priority=self.priority)
            if problem:
                raise ValueError(problem)
            if not (self.hosts or self.paths):
                raise ValueError(
                    "hosts=[] and paths=[]: the environment's own web service is the load balancer's default;"
                    " allowed: hosts and/or paths with a priority"
                )
        if self.kind == "worker" and self.queue is None:
            raise ValueError("queue is not set for kind='worker'; allowed: a [queue] table (its defaults are fine)")
        if self.kind == "job":
            if self.schedule is None:
                raise ValueError("schedule is not set for kind='job'; allowed: cron(...), rate(...) or at(...)")
            for field, problem in (
                ("schedule", schedule_expression_problem(self.schedule)),
                ("timezone", timezone_problem(self.timezone)),
            ):
                if problem:
                    raise ValueError("%s=%s" % (field, problem))
            if not RETRY_ATTEMPTS[0] <= self.max_retries <= RETRY_ATTEMPTS[1]:
                raise ValueError("max_retries=%r; allowed: %d..%d" % (self.max_retries, *RETRY_ATTEMPTS))
        if self.kind in ("worker", "job") and not self.container.command:
            raise ValueError(
                "container.command is not set for kind=%r: the image's default command is the web server;"
                " allowed: the %s's command, e.g. %s"
                % (self.kind, self.kind, "['python', '-m', 'app.worker']" if self.kind == "worker" else
                   "['python', '-m', 'app.job']")
            )  # fmt: skip
        return self

    @property
    def serves_port(self) -> bool:
        """True for kinds whose container answers on its port (web, backend)."""
        return self.kind in ("web", "backend")


class EnvironmentConfig(_Model):
    """One environment: everything that differs between dev, staging and prod."""

    name: str
    app_name: str = Field(description="Prefix of every physical name, e.g. 'flask-app'.")
    region: str
    account_id: str = Field(
        description="The AWS account the environment lives in (12 digits). Terraform refuses any other"
        " (allowed_account_ids) and every command stops when the credentials are for another account."
    )
    assume_role: AssumeRoleConfig | None = Field(
        None, description="Role assumed in account_id by Terraform and the ops commands; the caller's own identity unless set."
    )
    emulator: bool = Field(False, description="Deploy to the local AWS emulator instead of an account.")
    production: bool = Field(False, description="Enforces deletion protection and forbids force_delete.")
    deletion_protection: bool = Field(
        True,
        description="Deletion protection of the load balancers; on unless set (make destroy turns it off in a first,"
        " shown apply), and required in production.",
    )
    tags: dict[str, str] = Field(default_factory=dict)
    network: NetworkConfig = NetworkConfig()
    container: ContainerConfig = ContainerConfig()
    service: ServiceConfig = ServiceConfig()
    scaling: ScalingConfig = ScalingConfig()
    load_balancer: LoadBalancerConfig = LoadBalancerConfig()
    release: ReleaseConfig = Field(
        ReleaseConfig(), description="How the web service is released; a rolling update unless set."
    )
    ec2: Ec2Config | None = Field(
        None, description="EC2 capacity for the cluster (the seed's second launch type); Fargate only unless set."
    )
    alarms: AlarmsConfig = Field(
        AlarmsConfig(), description="Whom the alarms notify and their thresholds; no one, and the defaults, unless set."
    )
    logging: LoggingConfig = LoggingConfig()
    registry: RegistryConfig = RegistryConfig()
    backend: BackendConfig = BackendConfig()
    access_logs: AccessLogsConfig = Field(
        AccessLogsConfig(), description="The ALB's access logs to an S3 bucket; on unless set (see AccessLogsConfig)."
    )
    workloads: dict[str, WorkloadConfig] = Field(
        default_factory=dict,
        description="More workloads beside the environment's own web service ('web'), by name: web, backend,"
        " worker or job; none unless set.",
    )
    queue: str | None = Field(
        None, description="A worker whose queue the environment's own web service sends to (QUEUE_URL); none unless set."
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not ENV_NAME.match(value):
            raise ValueError("name=%r; allowed: 2-12 lowercase letters/digits starting with a letter" % value)
        return value

    @field_validator("app_name")
    @classmethod
    def _app_name(cls, value: str) -> str:
        if not APP_NAME.match(value):
            raise ValueError("app_name=%r; allowed: lowercase letters, digits and '-', 2-32 characters" % value)
        return value

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not REGION.match(value):
            raise ValueError("region=%r is not an AWS region name; allowed: e.g. us-east-1, ap-southeast-1" % value)
        return value

    @model_validator(mode="after")
    def _checks(self) -> EnvironmentConfig:
        for component, limit_key in (("alb", "alb"), ("tg", "target_group")):
            problem = length_problem(self.physical_name(component), LIMITS[limit_key])
            if problem:
                raise ValueError(
                    "app_name=%r: the %s name %s (shorten app_name)" % (self.app_name, limit_key, problem)
                )
        problems = account_problems(self.account_id, self.assume_role.role_arn if self.assume_role else None)
        problems += tag_problems(self.tags)
        if problems:
            raise ValueError("; ".join(problems))
        if self.service.enable_execute_command and self.container.readonly_root_filesystem:
            raise ValueError(
                "service.enable_execute_command=true with container.readonly_root_filesystem=true: the ECS Exec"
                " agent needs a writable root filesystem; allowed: one of them false"
            )
        if self.production and not self.deletion_protection:
            raise ValueError("deletion_protection=false in a production environment; allowed: true")
        if self.production and self.registry.force_delete:
            raise ValueError("registry.force_delete=true in a production environment; allowed: false")
        self._check_access_logs()
        if self.production and self.network.tasks_in_public_subnets:
            raise ValueError("network.tasks_in_public_subnets=true in a production environment; allowed: false")
        if self.production and not self.load_balancer.tls:
            raise ValueError(
                "load_balancer.certificate_arn=None and load_balancer.domain_name=None in a production environment:"
                " it would serve plain HTTP; allowed: set load_balancer.certificate_arn, or load_balancer.domain_name"
                " with load_balancer.hosted_zone_name"
            )
        spot = spot_architecture_problem(bool(self.scaling.fargate_spot_percent), self.container.cpu_architecture)
        if spot:
            raise ValueError(
                "scaling.fargate_spot_percent=%d with container.cpu_architecture='ARM64': %s; allowed:"
                " fargate_spot_percent=0 or cpu_architecture='X86_64'" % (self.scaling.fargate_spot_percent, spot)
            )
        self._check_workloads()
        self._check_sidecars()
        if self.production:
            problem = open_egress_problem([("service.egress", self.service.egress)] + [
                ("workloads.%s.egress" % n, w.egress) for n, w in self.workloads.items()])  # fmt: skip
            if problem:
                raise ValueError(problem)
        image_platform(  # one image for every task: one cpu_architecture
            {"container": self.container.cpu_architecture}
            | {"workloads.%s.container" % n: w.container.cpu_architecture for n, w in self.workloads.items()}
        )
        if self.network.nat_mode == "none" and not (
            self.network.tasks_in_public_subnets or self.network.vpc_endpoints
        ):
            raise ValueError(
                "network.nat_mode='none' leaves private tasks unable to pull images; allowed: nat_mode 'single' or"
                " 'per_az', or vpc_endpoints=true, or tasks_in_public_subnets=true"
            )
        self._check_ec2()
        if self.alarms.topic_arn is not None:
            problem = topic_arn_problem(self.alarms.topic_arn, self.region)
            if problem:
                raise ValueError("alarms.topic_arn=%r %s" % (self.alarms.topic_arn, problem))
        return self

    def _check_access_logs(self) -> None:
        """The access-log bucket: force_destroy outside production only, a known region, a valid name."""
        logs = self.access_logs
        if self.production and logs.force_destroy:
            raise ValueError("access_logs.force_destroy=true in a production environment; allowed: false")
        if not logs.enabled:
            return
        problem = region_problem(self.region)
        if problem:
            raise ValueError("access_logs.enabled=true: %s; or access_logs.enabled=false" % problem)
        problem = bucket_name_problem(self.access_log_bucket)
        if problem:
            raise ValueError("app_name=%r: the access-log %s (change app_name)" % (self.app_name, problem))
        problem = bucket_name_problem(self.server_access_log_bucket)
        if problem:
            raise ValueError("access_logs.server_access_log_bucket: %s" % problem)

    @property
    def access_log_force_destroy(self) -> bool:
        """``access_logs.force_destroy``, or when unset: on outside production, off in production."""
        forced = self.access_logs.force_destroy
        return not self.production if forced is None else forced

    @property
    def server_access_log_bucket(self) -> str:
        """Where the access-log bucket's S3 server access logs go: ``access_logs.server_access_log_bucket`` or
        the account's ``s3-access-logs-<account_id>-<region>``."""
        return self.access_logs.server_access_log_bucket or default_server_access_log_bucket(self.account_id, self.region)

    @property
    def access_log_bucket(self) -> str:
        """The access-log bucket's name: ``{app}-{env}-alb-logs-{account_id}`` (the account makes it unique)."""
        return "%s-%s" % (self.physical_name("alb-logs"), self.account_id)

    def _check_ec2(self) -> None:
        """EC2 capacity: every task fits an instance of every type and matches its architecture; no Fargate Spot."""
        if self.ec2 is None:
            return
        problem = capacity_provider_name_problem(self.physical_name("ec2"))
        if problem:
            raise ValueError("app_name=%r: the EC2 capacity provider name %s" % (self.app_name, problem))
        if self.network.nat_mode == "none":
            raise ValueError(
                "network.nat_mode='none' with [ec2]: the instances run in the private subnets and reach the ECS, ECR"
                " and CloudWatch endpoints through NAT; allowed: nat_mode 'single' or 'per_az'"
            )
        if self.scaling.fargate_spot_percent:
            raise ValueError(
                "scaling.fargate_spot_percent=%d with [ec2]: the cluster's strategy places %d%% of the tasks on EC2"
                " (ec2.percent) and the rest on FARGATE; allowed: fargate_spot_percent=0 (use Spot instances through"
                " ec2.on_demand_percentage_above_base instead)" % (self.scaling.fargate_spot_percent, self.ec2.percent)
            )
        tasks = [("container", self.container)] + [("workloads.%s.container" % n, w.container) for n, w in self.workloads.items()]
        for where, container in tasks:
            problem = architecture_problem(container.cpu_architecture, self.ec2.instance_types)
            if problem:
                raise ValueError("%s.cpu_architecture=%r with ec2.%s" % (where, container.cpu_architecture, problem))
            problem = tasks_fit_problem(container.cpu, container.memory_mib, self.ec2.instance_types)
            if problem:
                raise ValueError("%s: a task of %s" % (where, problem))

    def _check_sidecars(self) -> None:
        """Each task's sidecars: a route to their registry, and task-role sids of their own."""
        tasks = [("container", self.container, self.service.task_role_statements)]
        tasks += [("workloads.%s.container" % n, w.container, w.task_role_statements) for n, w in self.workloads.items()]
        routed = self.network.nat_mode != "none" or self.network.tasks_in_public_subnets
        for where, container, statements in tasks:
            for sidecar in container.sidecars:
                if needs_route_out(sidecar.image, self.region) and not routed:
                    raise ValueError(
                        "%s.sidecars[%s].image=%r is pulled from outside this region's ECR, but network.nat_mode='none'"
                        " with tasks_in_public_subnets=false gives the tasks no route out; allowed: nat_mode 'single' or"
                        " 'per_az', tasks_in_public_subnets=true, or an image in ECR of %s"
                        % (where, sidecar.name, sidecar.image, self.region)
                    )
            sids = [st.sid for st in statements] + [st.sid for s in container.sidecars for st in s.task_role_statements]
            repeated = sorted({sid for sid in sids if sids.count(sid) > 1})
            if repeated and container.sidecars:
                owner = "service" if where == "container" else where.removesuffix(".container")
                raise ValueError(
                    "%s.sidecars[*].task_role_statements repeat the sid %s of %s.task_role_statements or of each other;"
                    " allowed: a sid of its own for each statement of the task role"
                    % (where, ", ".join(map(repr, repeated)), owner)
                )

    def _check_workloads(self) -> None:
        """Names, references, rule priorities and host/path overlaps across the workloads."""
        names = [PRIMARY_WORKLOAD, *self.workloads]
        for name, workload in self.workloads.items():
            where = "workloads.%s" % name
            if name == PRIMARY_WORKLOAD:
                raise ValueError(
                    "%s: the name %r is the environment's own web service (the container/service/scaling tables);"
                    " allowed: another name" % (where, name)
                )
            if not WORKLOAD_NAME.match(name):
                raise ValueError("%s: name=%r; allowed: 1-12 lowercase letters/digits starting with a letter" % (where, name))
            for component, limit in (("", LIMITS["ecs_service"]), ("tg", LIMITS["target_group"]), ("nlb", LIMITS["alb"])):
                full = self.physical_name("%s-%s" % (name, component) if component else name)
                applies = {"": True, "tg": workload.kind == "web", "nlb": workload.nlb is not None}[component]
                if applies and length_problem(full, limit):
                    raise ValueError("%s: the name %s" % (where, length_problem(full, limit)))
            if workload.kind == "backend" and self.service.service_discovery_namespace is None:
                raise ValueError(
                    "%s: kind='backend' is reached through Cloud Map, but service.service_discovery_namespace is not"
                    " set; allowed: set it (e.g. 'internal')" % where
                )
            for caller in workload.callers:
                if caller not in names or caller == name:
                    raise ValueError(
                        "%s.callers contains %r; allowed: other workloads of this environment (%s)"
                        % (where, caller, ", ".join(n for n in names if n != name))
                    )
            spot = spot_architecture_problem(bool(self.scaling.fargate_spot_percent), workload.container.cpu_architecture)
            if spot:
                raise ValueError(
                    "%s.container.cpu_architecture='ARM64' with scaling.fargate_spot_percent=%d: %s; allowed: X86_64"
                    % (where, self.scaling.fargate_spot_percent, spot)
                )
        workers = [n for n, w in self.workloads.items() if w.kind == "worker"]
        senders = [("queue", self.queue)] + [("workloads.%s.sends_to" % n, w.sends_to) for n, w in self.workloads.items()]
        for field, target in senders:
            if target is not None and target not in workers:
                raise ValueError(
                    "%s=%r is not a worker of this environment; allowed: %s"
                    % (field, target, ", ".join(map(repr, workers)) or "none (add a workload of kind 'worker')")
                )
        routed = sorted((w.priority or 0, n, w) for n, w in self.workloads.items() if w.kind == "web" and w.nlb is None)
        for i, (priority, name, workload) in enumerate(routed):
            for other_priority, other, other_workload in routed[i + 1 :]:
                if priority == other_priority:
                    raise ValueError(
                        "workloads.%s.priority=%d is also workloads.%s.priority; allowed: a priority of its own"
                        % (other, priority, name)
                    )
                if _rules_overlap(workload, other_workload):
                    raise ValueError(
                        "workloads.%s (hosts=%s, paths=%s) and workloads.%s (hosts=%s, paths=%s) can match the same"
                        " request; allowed: host/path patterns that do not overlap (the lower priority would never"
                        " see those requests)"
                        % (name, list(workload.hosts), list(workload.paths), other, list(other_workload.hosts),
                           list(other_workload.paths))
                    )  # fmt: skip

    @property
    def secret_endpoint_services(self) -> tuple[str, ...]:
        """Interface endpoints the tasks need for their secrets: Secrets Manager / SSM when a task uses secrets of
        that service and the tasks have no route out (no NAT, private subnets); ``rules.network.secret_endpoints``."""
        arns = [*self.container.secrets.values()] + [a for w in self.workloads.values() for a in w.container.secrets.values()]
        routed = self.network.nat_mode != "none" or self.network.tasks_in_public_subnets
        return secret_endpoints(secret_services(arns), tasks_have_route_out=routed)

    @property
    def state_bucket(self) -> str:
        """The S3 bucket holding this environment's state (``backend.bucket`` or the account default)."""
        return self.backend.bucket or default_state_bucket(self.account_id, self.state_region)

    @property
    def state_region(self) -> str:
        return self.backend.region or self.region

    def state_key(self, stack_name: str) -> str:
        """The S3 object key of ``stack_name``'s state."""
        return state_object_key(self.backend.key_prefix, self.app_name, stack_name)

    def physical_name(self, component: str = "", *, limit: int | None = None) -> str:
        """``{app}-{env}-{component}``, checked against ``limit``."""
        return physical_name(self.app_name, self.name, component, limit=limit)


def _values_overlap(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two condition lists can match one value (an empty list matches everything)."""
    return not a or not b or any(patterns_overlap(x, y) for x in a for y in b)


def _rules_overlap(a: WorkloadConfig, b: WorkloadConfig) -> bool:
    return _values_overlap(a.hosts, b.hosts) and _values_overlap(a.paths, b.paths)


ServiceConfig.model_rebuild()
SidecarConfig.model_rebuild()
ContainerConfig.model_rebuild()
