"""The bad-configuration matrix: one mistake per case, applied to the shipped environments.

Each case starts from ``envconfig/environments.toml`` (parsed), applies one mutation, and
says what the error must name: the environment, the field, the value given and the allowed
values. ``test_badinput.py`` writes the variant to a file and runs the real command
(``python -m ops.synth --config <file> --out <existing output>``) on it.

Cases are generated from the shipped file rather than copied into fixtures, so they keep
testing one mistake in an otherwise realistic config as the shipped environments evolve.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from envconfig import DEFAULT_FILE
from tests.badinput.tomlgen import dumps

Doc = dict[str, Any]


@dataclass(frozen=True)
class Case:
    id: str
    """Short name; also the pytest id."""
    mutate: Callable[[Doc], None]
    """Applies the one mistake to a deep copy of the shipped document."""
    env: str
    """Environment the message must name."""
    field: str
    """Field the message must name (as it appears in the message, e.g. ``memory_mib``)."""
    value: str
    """The bad value as the message shows it (``512``, ``'lots'``, ``missing``)."""
    allowed: str
    """Text of the allowed values the message must contain."""
    raw: Callable[[str], str] | None = None
    """For mistakes TOML cannot express as data (syntax errors): edits the written text."""

    def document(self) -> str:
        doc = copy.deepcopy(shipped())
        self.mutate(doc)
        text = dumps(doc)
        return self.raw(text) if self.raw else text


def shipped() -> Doc:
    with DEFAULT_FILE.open("rb") as handle:
        return tomllib.load(handle)


def env(doc: Doc, name: str) -> Doc:
    return doc["environments"][name]  # type: ignore[no-any-return]


def section(doc: Doc, name: str, part: str) -> Doc:
    return env(doc, name).setdefault(part, {})  # type: ignore[no-any-return]


def setting(name: str, part: str, **values: Any) -> Callable[[Doc], None]:
    """Mutation: set ``environments.<name>.<part>.<key> = value`` (``part=""`` for top level)."""

    def mutate(doc: Doc) -> None:
        target = env(doc, name) if not part else section(doc, name, part)
        target.update(values)

    return mutate


def _rename_env(old: str, new: str) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        envs = doc["environments"]
        envs[new] = envs.pop(old)

    return mutate


def _drop_default(key: str) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        del doc["defaults"][key]

    return mutate


def _scheduled(name: str, index: int, **values: Any) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        section(doc, name, "scaling")["scheduled_actions"][index].update(values)

    return mutate


def _job_architecture(name: str, workload: str, architecture: str) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        section(doc, name, "workloads")[workload]["container"]["cpu_architecture"] = architecture

    return mutate


def _default_env_var(key: str, value: str) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        doc["defaults"]["container"]["environment"][key] = value

    return mutate


def _default_task_role_action(action: str) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        doc["defaults"]["service"]["task_role_statements"][0]["actions"] = [action]

    return mutate


def _no_tls(name: str, **values: Any) -> Callable[[Doc], None]:
    """Mutation: take ``name``'s domain and zone away (the zone is a default), then set ``values``."""

    def mutate(doc: Doc) -> None:
        zone = doc["defaults"]["load_balancer"].pop("hosted_zone_name")
        for env_name, body in doc["environments"].items():
            balancer = body.setdefault("load_balancer", {})
            if env_name == name:
                balancer.pop("domain_name", None)
                balancer.pop("hosted_zone_name", None)
                balancer.update(values)
            else:
                balancer.setdefault("hosted_zone_name", zone)

    return mutate


def _drop_account(name: str) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        del env(doc, name)["account_id"]

    return mutate


def _workload(name: str, workload: str, **values: Any) -> Callable[[Doc], None]:
    """Mutation: set keys of ``environments.<name>.workloads.<workload>`` (None deletes a key)."""

    def mutate(doc: Doc) -> None:
        target = section(doc, name, "workloads").setdefault(workload, {})
        for key, value in values.items():
            if value is None:
                target.pop(key, None)
            else:
                target[key] = value

    return mutate


def _egress(name: str, rule: str, **values: Any) -> Callable[[Doc], None]:
    """Mutation: add the egress rule ``environments.<name>.service.egress.<rule>``."""

    def mutate(doc: Doc) -> None:
        section(doc, name, "service").setdefault("egress", {})[rule] = values

    return mutate


def _no_environments(doc: Doc) -> None:
    del doc["environments"]


def _unchanged(doc: Doc) -> None:
    return None


RETENTIONS = "1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"

# fmt: off
CASES: tuple[Case, ...] = (
    # --- Fargate task sizes that do not exist
    Case("fargate-memory-not-valid-for-cpu", setting("prod", "container", cpu=1024, memory_mib=512),
         "prod", "memory_mib", "512", "allowed: 2048..8192 in steps of 1024"),
    Case("fargate-cpu-not-a-size", setting("staging", "container", cpu=300, memory_mib=1024),
         "staging", "cpu", "300", "allowed: 256, 512, 1024, 2048, 4096, 8192, 16384"),
    Case("fargate-memory-too-large-for-cpu", setting("dev", "container", cpu=256, memory_mib=4096),
         "dev", "memory_mib", "4096", "allowed: 512, 1024, 2048"),
    # --- Spot on ARM64 (dev runs 100 % Spot)
    Case("spot-on-arm64", setting("dev", "container", cpu_architecture="ARM64"),
         "dev", "fargate_spot_percent", "100", "allowed: fargate_spot_percent=0 or cpu_architecture='X86_64'"),
    # --- capacity ranges
    Case("min-greater-than-max", setting("staging", "scaling", min_capacity=5, max_capacity=3, desired_count=3),
         "staging", "min_capacity", "5", "allowed: min_capacity <= max_capacity"),
    Case("desired-above-max", setting("prod", "scaling", desired_count=20),
         "prod", "desired_count", "20", "allowed: 3..12"),
    Case("desired-below-min", setting("staging", "scaling", desired_count=1),
         "staging", "desired_count", "1", "allowed: 2..4"),
    Case("scheduled-min-greater-than-max", _scheduled("prod", 0, min_capacity=30),
         "prod", "min_capacity", "30", "allowed: min <= max"),
    Case("max-capacity-zero", setting("dev", "scaling", max_capacity=0, min_capacity=0, desired_count=0),
         "dev", "scaling.max_capacity", "0", "allowed: >= 1"),
    Case("spot-percent-over-100", setting("staging", "scaling", fargate_spot_percent=150),
         "staging", "scaling.fargate_spot_percent", "150", "allowed: <= 100"),
    # --- network plan
    Case("subnet-outside-vpc",
         setting("staging", "network", public_subnet_cidrs=["10.20.0.0/24", "10.20.1.0/24"],
                 private_subnet_cidrs=["10.20.128.0/24", "10.99.0.0/24"]),
         "staging", "private_subnet_cidrs[1]", "'10.99.0.0/24'", "allowed: a block inside 10.20.0.0/16"),
    Case("subnets-overlap",
         setting("staging", "network", public_subnet_cidrs=["10.20.0.0/24", "10.20.1.0/24"],
                 private_subnet_cidrs=["10.20.0.128/25", "10.20.2.0/24"]),
         "staging", "private_subnet_cidrs[0]", "'10.20.0.128/25'", "allowed: non-overlapping blocks"),
    Case("more-azs-than-cidr-plan", setting("prod", "network", vpc_cidr="10.30.0.0/24", subnet_prefix_length=26),
         "prod", "az_count", "3", "allowed: az_count <= 2"),
    Case("one-az-for-a-load-balancer", setting("dev", "network", az_count=1),
         "dev", "az_count", "1", "allowed: 2..6"),
    Case("more-azs-than-supported", setting("prod", "network", az_count=7),
         "prod", "network.az_count", "7", "allowed: <= 6"),
    Case("vpc-cidr-too-large", setting("dev", "network", vpc_cidr="10.0.0.0/8"),
         "dev", "vpc_cidr", "'10.0.0.0/8'", "allowed: /16 to /24"),
    Case("vpc-cidr-host-bits", setting("dev", "network", vpc_cidr="10.10.0.1/16"),
         "dev", "vpc_cidr", "'10.10.0.1/16'", "with its host bits zero (e.g. 10.0.0.0/16)"),
    Case("private-tasks-without-egress", setting("staging", "network", nat_mode="none"),
         "staging", "nat_mode", "'none'", "allowed: nat_mode 'single' or 'per_az', or vpc_endpoints=true"),
    Case("nat-mode-unknown", setting("prod", "network", nat_mode="double"),
         "prod", "network.nat_mode", "'double'", "allowed: 'none', 'single' or 'per_az'"),
    # --- names over AWS limits
    Case("alb-name-over-32", setting("prod", "", app_name="flask-storefront-backend"),
         "prod", "app_name", "'flask-storefront-backend'", "allowed: at most 32"),
    Case("app-name-pattern", setting("dev", "", app_name="Flask_App"),
         "dev", "app_name", "'Flask_App'", "allowed: lowercase letters, digits and '-', 2-32 characters"),
    # --- load balancer
    Case("https-redirect-without-certificate", _no_tls("dev", redirect_http_to_https=True),
         "dev", "redirect_http_to_https", "true",
         "allowed: set certificate_arn, or domain_name with hosted_zone_name, or redirect_http_to_https=false"),
    Case("domain-outside-zone", setting("staging", "load_balancer", domain_name="staging.flask-app.example.org"),
         "staging", "domain_name", "'staging.flask-app.example.org'",
         "allowed: 'flask-app.example.com' or a name ending in '.flask-app.example.com'"),
    Case("domain-not-a-dns-name", setting("dev", "load_balancer", domain_name="Dev.flask-app.example.com."),
         "dev", "domain_name", "'Dev.flask-app.example.com.'", "allowed: lowercase labels"),
    Case("certificate-domain-over-acm-limit",
         setting("dev", "load_balancer", domain_name="a" * 50 + ".flask-app.example.com"),
         "dev", "domain_name", "'%s.flask-app.example.com'" % ("a" * 50),
         "allowed: a shorter domain_name, or an existing certificate_arn"),
    Case("certificate-not-an-acm-arn",
         setting("prod", "load_balancer", certificate_arn="arn:aws:iam::123456789012:server-certificate/x"),
         "prod", "certificate_arn", "'arn:aws:iam::123456789012:server-certificate/x'",
         "allowed: arn:aws:acm:<region>:<account>:certificate/<id>"),
    Case("ingress-cidr-not-a-cidr", setting("staging", "load_balancer", ingress_cidrs=["203.0.113.0/33"]),
         "staging", "ingress_cidrs[0]", "'203.0.113.0/33'", "IPv4 CIDR block"),
    Case("health-check-timeout-not-below-interval",
         setting("dev", "load_balancer", health_check_interval_seconds=5, health_check_timeout_seconds=5),
         "dev", "health_check_timeout_seconds", "5", "less than health_check_interval_seconds=5"),
    # --- production guard rails
    Case("prod-without-deletion-protection", setting("prod", "", deletion_protection=False),
         "prod", "deletion_protection", "false", "allowed: true"),
    Case("prod-force-delete-registry", setting("prod", "registry", force_delete=True),
         "prod", "registry.force_delete", "true", "allowed: false"),
    Case("prod-force-destroy-access-logs", setting("prod", "access_logs", force_destroy=True),
         "prod", "access_logs.force_destroy", "true", "allowed: false"),
    Case("access-log-prefix-with-awslogs", setting("staging", "access_logs", prefix="AWSLogs/alb"),
         "staging", "access_logs.prefix", "'AWSLogs/alb'", "not containing 'AWSLogs'"),
    Case("prod-tasks-in-public-subnets", setting("prod", "network", tasks_in_public_subnets=True),
         "prod", "network.tasks_in_public_subnets", "true", "allowed: false"),
    Case("prod-without-tls", _no_tls("prod"),
         "prod", "load_balancer.domain_name", "None",
         "allowed: set load_balancer.certificate_arn, or load_balancer.domain_name with load_balancer.hosted_zone_name"),
    Case("discovery-client-not-a-security-group",
         setting("prod", "service", discovery_client_security_group_ids=["10.30.0.0/16"]),
         "prod", "discovery_client_security_group_ids[0]", "'10.30.0.0/16'",
         "allowed: sg- followed by 8 or 17 lowercase hex digits"),
    Case("ecr-encryption-unknown", setting("prod", "registry", encryption="DES"),
         "prod", "registry.encryption", "'DES'", "allowed: 'AES256' or 'KMS'"),
    Case("high-findings-reason-placeholder", setting("prod", "registry", allow_high_findings_reason="TODO"),
         "prod", "allow_high_findings_reason", "'TODO'", "allowed: a written reason"),
    Case("workloads-mixed-architectures", _job_architecture("prod", "report", "ARM64"),
         "prod", "workloads.report.container.cpu_architecture", "'ARM64'", "allowed: the same cpu_architecture for all"),
    # --- the app contract (envconfig/contracts.py)
    Case("port-mismatch-with-app", setting("prod", "container", port=8080),
         "prod", "container.port", "8080", "allowed: 3000"),
    Case("unknown-environment-name", _rename_env("staging", "qa"),
         "qa", "APP_ENV", "'qa'", "allowed: local, dev, staging, prod"),
    Case("health-path-not-served", setting("staging", "container", health_check_path="/healthz"),
         "staging", "container.health_check_path", "'/healthz'", "allowed: '/health', '/ready'"),
    Case("stop-timeout-shorter-than-drain", setting("prod", "container", stop_timeout_seconds=15),
         "prod", "container.stop_timeout_seconds", "15", "allowed: 21..120"),
    Case("alb-idle-timeout-above-keepalive", setting("prod", "load_balancer", idle_timeout_seconds=120),
         "prod", "load_balancer.idle_timeout_seconds", "120", "allowed: 1..74"),
    Case("log-level-rejected-by-app", _default_env_var("LOG_LEVEL", "verbose"),
         "dev", "LOG_LEVEL", "'verbose'", "allowed: DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    # --- environment names, missing fields, wrong types, unknown keys
    Case("environment-name-pattern", _rename_env("dev", "Dev_1"),
         "Dev_1", "name", "'Dev_1'", "allowed: 2-12 lowercase letters/digits starting with a letter"),
    Case("missing-required-field", _drop_default("region"),
         "prod", "region", "missing", "a required field"),
    Case("wrong-type-string-for-int", setting("prod", "container", cpu="lots"),
         "prod", "container.cpu", "'lots'", "Input should be a valid integer"),
    Case("wrong-type-float-for-int", setting("dev", "network", az_count=2.5),
         "dev", "network.az_count", "2.5", "Input should be a valid integer"),
    Case("wrong-type-string-for-bool", setting("prod", "", production="maybe"),
         "prod", "production", "'maybe'", "allowed: true or false"),
    Case("wrong-type-yes-for-bool", setting("prod", "", deletion_protection="yes"),
         "prod", "deletion_protection", "'yes'", "allowed: true or false"),
    Case("wrong-type-numeric-string-for-int", setting("dev", "scaling", max_capacity="3"),
         "dev", "scaling.max_capacity", "'3'", "allowed: an integer"),
    Case("wrong-type-table-for-list", setting("staging", "load_balancer", ingress_cidrs={"a": "0.0.0.0/0"}),
         "staging", "load_balancer.ingress_cidrs", "{'a': '0.0.0.0/0'}", "allowed: an array"),
    Case("unknown-key-typo", setting("prod", "container", memroy_mib=4096),
         "prod", "container.memroy_mib", "4096", "allowed: the fields documented in envconfig/model.py"),
    # --- logs
    Case("negative-retention", setting("prod", "logging", retention_days=-1),
         "prod", "retention_days", "-1", "allowed: " + RETENTIONS),
    Case("retention-not-supported-by-cloudwatch", setting("staging", "logging", retention_days=45),
         "staging", "retention_days", "45", "allowed: " + RETENTIONS),
    # --- secrets and images
    Case("secret-in-plain-environment", _default_env_var("DB_PASSWORD", "hunter2"),
         "prod", "environment.DB_PASSWORD", "looks like a secret", "allowed: pass it through container.secrets"),
    Case("secret-not-an-arn", setting("prod", "container", secrets={"DB_PASSWORD": "hunter2"}),
         "prod", "secrets.DB_PASSWORD", "'hunter2'", "allowed: arn:aws:ssm:<region>:"),
    Case("image-tag-latest", setting("staging", "container", image_tag="latest"),
         "staging", "image_tag", "'latest'", "allowed: an immutable tag such as a git sha"),
    Case("task-role-wildcard-action", _default_task_role_action("*"),
         "prod", "actions", "'*'", "allowed: service:Action (no bare '*')"),
    Case("deployment-alarms-without-alarms", setting("prod", "service", alarms=False),
         "prod", "deployment_alarms", "true", "allowed: enable alarms or disable deployment_alarms"),
    # --- rules a construct checks too, caught by the config model first
    Case("alarm-email-malformed", setting("prod", "alarms", emails=["oncall at example.com"]),
         "prod", "emails[0]", "'oncall at example.com'", "allowed: an address such as oncall@example.com"),
    Case("alarm-email-moved", setting("prod", "service", alarm_email="ops@corp.test"),
         "prod", "alarm_email", "'ops@corp.test'", "allowed: [environments.<env>.alarms] emails = ['ops@corp.test']"),
    Case("reserved-name-in-environment", _default_env_var("PORT", "8080"),
         "prod", "environment.PORT", "'8080'", "allowed: any name except PORT, APP_ENV, APP_NAME"),
    Case("reserved-name-in-secrets",
         setting("staging", "container", secrets={"APP_VERSION": "arn:aws:ssm:us-east-1:123456789012:parameter/v"}),
         "staging", "secrets.APP_VERSION", "'arn:aws:ssm:us-east-1:123456789012:parameter/v'",
         "allowed: any name except PORT"),
    Case("exec-with-read-only-root", setting("dev", "service", enable_execute_command=True),
         "dev", "service.enable_execute_command", "true", "allowed: one of them false"),
    Case("discovery-namespace-not-a-dns-name", setting("local", "service", service_discovery_namespace="Internal_NS"),
         "local", "service_discovery_namespace", "'Internal_NS'", "allowed: lowercase labels"),
    # --- AWS tag limits (rules/tags.py)
    Case("tag-key-over-128", setting("prod", "", tags={"k" * 129: "v"}),
         "prod", "tags key", "'%s'" % ("k" * 129), "allowed: 1..128"),
    Case("tag-value-over-256", setting("staging", "", tags={"team": "t" * 257}),
         "staging", "tags.team", "'%s'" % ("t" * 257), "allowed: at most 256"),
    Case("tag-key-reserved-prefix", setting("dev", "", tags={"AWS:team": "web"}),
         "dev", "tags key", "'AWS:team'", "allowed: any other prefix (reserved for AWS)"),
    Case("tag-key-bad-character", setting("prod", "", tags={"cost#center": "42"}),
         "prod", "tags key", "'cost#center'", "allowed: letters, digits, spaces and _ . : / = + - @"),
    Case("tag-overrides-stack-tag", setting("prod", "", tags={"environment": "production"}),
         "prod", "tags.environment", "set by the stacks", "allowed: any key except project, environment"),
    Case("too-many-tags", setting("staging", "", tags={"t%02d" % i: "v" for i in range(45)}),
         "staging", "tags", "45 tags", "allowed: at most 44"),
    # --- accounts, roles and state (rules/accounts.py, rules/s3.py)
    Case("account-id-not-12-digits", setting("prod", "", account_id="7777-8888-9999"),
         "prod", "account_id", "'7777-8888-9999'", "allowed: 12 digits"),
    Case("role-in-another-account",
         setting("staging", "assume_role", role_arn="arn:aws:iam::111122223333:role/flask-app-deployer"),
         "staging", "assume_role.role_arn", "'arn:aws:iam::111122223333:role/flask-app-deployer'",
         "allowed: a role in 444455556666"),
    Case("role-session-name-characters", setting("dev", "assume_role", session_name="deploy by me"),
         "dev", "session_name", "'deploy by me'", "allowed: 2..64 characters of"),
    Case("state-bucket-name-invalid", setting("prod", "backend", bucket="Team_State"),
         "prod", "bucket", "'Team_State'", "allowed: 3..63 lowercase letters, digits"),
    Case("account-id-missing", _drop_account("dev"),
         "dev", "account_id", "missing", "a required field"),
    # --- workloads (envconfig/model.py WorkloadConfig, rules/schedules.py, rules/routing.py)
    Case("worker-without-queue", _workload("prod", "worker", queue=None),
         "prod.workloads.worker", "queue", "is not set", "allowed: a [queue] table"),
    Case("job-schedule-invalid", _workload("prod", "report", schedule="cron(0 25 * * ? *)"),
         "prod.workloads.report", "schedule", "'cron(0 25 * * ? *)'", "allowed: 0-23"),
    Case("job-timezone-unknown", _workload("local", "report", timezone="Asia/Hanoi City"),
         "local.workloads.report", "timezone", "'Asia/Hanoi City'", "allowed: a name of the IANA tz database"),
    Case("web-queue-not-a-worker", setting("local", "", queue="jobs"),
         "local", "queue", "'jobs'", "allowed: 'worker'"),
    Case("workload-named-web", _workload("prod", "web", kind="worker", queue={}, container={"command": ["x"]}),
         "prod", "workloads.web", "'web'", "allowed: another name"),
    Case("rule-priority-clash",
         lambda d: (_workload("prod", "api", kind="web", paths=["/api/*"], priority=10)(d),
                    _workload("prod", "admin", kind="web", paths=["/admin/*"], priority=10)(d)),
         "prod", "workloads.admin.priority", "10", "allowed: a priority of its own"),
    Case("rule-paths-overlap",
         lambda d: (_workload("prod", "api", kind="web", paths=["/api/*"], priority=10)(d),
                    _workload("prod", "apiv2", kind="web", paths=["/api/v2/*"], priority=11)(d)),
         "prod", "workloads.api", "'/api/*'", "allowed: host/path patterns that do not overlap"),
    Case("job-field-on-a-worker", _workload("prod", "worker", schedule="rate(1 day)"),
         "prod.workloads.worker", "schedule", "kind='worker'", "allowed: only for kind 'job'"),
    Case("workload-task-size", _workload("prod", "worker", container={"command": ["x"], "cpu": 512, "memory_mib": 256}),
         "prod.workloads.worker.container", "memory_mib", "256", "allowed: 1024..4096"),
    # --- reaching dependencies: egress rules and the secrets' KMS keys
    Case("prod-open-egress-without-reason",
         _egress("prod", "smtp", port=587, cidr="0.0.0.0/0", description="Mail relay"),
         "prod", "service.egress.smtp", "cidr='0.0.0.0/0'", 'allow_open_reason = "<why>"'),
    Case("egress-two-destinations",
         _egress("local", "db", port=5432, cidr="10.40.128.0/17", security_group_id="sg-0123456789abcdef0",
                 description="PostgreSQL"),
         "local.service.egress.db", "destination", "cidr='10.40.128.0/17', security_group_id='sg-0123456789abcdef0'",
         "allowed: exactly one of cidr, prefix_list_id or security_group_id"),
    Case("secret-key-is-an-alias",
         setting("prod", "container",
                 secrets={"DATABASE_PASSWORD": "arn:aws:secretsmanager:ap-southeast-1:777788889999:secret:db-AbCdEf"},
                 secret_kms_key_arns={"DATABASE_PASSWORD": "arn:aws:kms:ap-southeast-1:777788889999:alias/db"}),
         "prod.container", "secret_kms_key_arns.DATABASE_PASSWORD", "'arn:aws:kms:ap-southeast-1:777788889999:alias/db'",
         "allowed: arn:aws:kms:<region>:<account>:key/<key id> (a key ARN, not an alias)"),
    # --- a file without environments
    Case("no-environments", _no_environments,
         "environments.toml", "defines no environment", "", "allowed: at least one [environments.<name>] table"),
    # --- not TOML at all
    Case("toml-syntax-error", _unchanged, "prod", "('environments', 'prod')", "twice", "not valid TOML",
         raw=lambda text: text + "\n[environments.prod]\nproduction = true\n"),
)
# fmt: on
